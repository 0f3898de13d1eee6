//! What tasks report of themselves: the current figures, and samples every 15 s for the history.

use super::*;

/// Records what `worker_id` measured of a task it holds: `metrics`, a JSON object
/// (counters and partitions, as the API shows them).
pub async fn report_metrics(
    client: &impl GenericClient,
    worker_id: &str,
    connector: &str,
    task: i32,
    metrics: &str,
) -> Result<()> {
    client
        .execute(
            include_str!("../sql/control_task_metrics.sql"),
            &[&worker_id, &connector, &task, &metrics],
        )
        .await
        .map_err(query("reporting a task's metrics"))?;
    Ok(())
}

/// A sample of a task's counters (kept an hour): rows and dead letters since it started,
/// and its lag (None: not measured yet).
pub async fn sample_task(
    client: &impl GenericClient,
    connector: &str,
    task: i32,
    rows: i64,
    dead_letters: i64,
    lag: Option<i64>,
) -> Result<()> {
    client
        .execute(
            include_str!("../sql/control_task_sample.sql"),
            &[&connector, &task, &rows, &dead_letters, &lag],
        )
        .await
        .map_err(query("sampling a task's counters"))?;
    Ok(())
}

/// The metrics each live task of `connector` last reported: (task, JSON text).
pub async fn current_metrics(
    client: &impl GenericClient,
    connector: &str,
) -> Result<Vec<(i32, String)>> {
    let rows = client
        .query(
            include_str!("../sql/control_metrics_current.sql"),
            &[&connector],
        )
        .await
        .map_err(query("reading a connector's metrics"))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// One 15-second interval of a connector's history: its start (milliseconds since the
/// Unix epoch), and the rows, dead letters and lag its tasks reported, summed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// The interval's start, in milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// Rows stored since each task started, summed.
    pub rows: i64,
    /// Dead letters since each task started, summed.
    pub dead_letters: i64,
    /// Records not yet stored (None: not measured).
    pub lag: Option<i64>,
}

/// `connector`'s samples over the last `minutes`, per 15 s.
pub async fn metrics_history(
    client: &impl GenericClient,
    connector: &str,
    minutes: i32,
) -> Result<Vec<Sample>> {
    let rows = client
        .query(
            include_str!("../sql/control_metrics_history.sql"),
            &[&connector, &minutes],
        )
        .await
        .map_err(query("reading a connector's history"))?;
    Ok(rows
        .iter()
        .map(|r| Sample {
            at_ms: r.get(0),
            rows: r.get(1),
            dead_letters: r.get(2),
            lag: r.get(3),
        })
        .collect())
}
