//! The tasks workers claim with leases: claims, renewals, releases, reports, restarts asked, and the rows made to fit `tasks_max`.

use super::*;

/// Asks `name`'s tasks to restart: all of them, only the FAILED ones (`only_failed`), or
/// only `task`. Returns the tasks asked.
pub async fn restart_tasks(
    client: &mut Client,
    name: &str,
    only_failed: bool,
    task: Option<i32>,
    who: Actor<'_>,
) -> Result<Vec<i32>> {
    let action = "asking tasks to restart";
    let tx = client.transaction().await.map_err(query(action))?;
    let rows = tx
        .query(
            include_str!("../sql/control_tasks_restart.sql"),
            &[&name, &only_failed, &task],
        )
        .await
        .map_err(query(action))?;
    changed(&tx, who, "restart", name, None, None).await?;
    tx.commit().await.map_err(query(action))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// `name`'s tasks, in order.
pub async fn tasks_of(client: &impl GenericClient, name: &str) -> Result<Vec<StoredTask>> {
    let rows = client
        .query(include_str!("../sql/control_tasks_of.sql"), &[&name])
        .await
        .map_err(query("reading a connector's tasks"))?;
    Ok(rows
        .iter()
        .map(|r| StoredTask {
            task: r.get(0),
            worker_id: r.get(1),
            state: r.get(2),
            trace: r.get(3),
        })
        .collect())
}

/// Claims, for `worker_id`, tasks no live worker holds, until it holds `share` tasks of
/// connectors that run, each for `lease_secs` seconds; every connector's task 0 before any
/// task 1. Workers that claim at once skip each other's candidates. Returns the tasks
/// claimed.
///
/// # Errors
/// [`Error::Query`] when the database fails.
pub async fn claim_tasks(
    client: &mut Client,
    worker_id: &str,
    lease_secs: f64,
    share: i64,
) -> Result<Vec<(String, i32)>> {
    let action = "claiming tasks";
    let tx = client.transaction().await.map_err(query(action))?;
    let held: i64 = tx
        .query(include_str!("../sql/control_tasks_held.sql"), &[])
        .await
        .map_err(query(action))?
        .iter()
        .filter(|r| r.get::<_, String>(1) == worker_id)
        .map(|r| r.get::<_, i64>(2))
        .sum();
    let room = (share - held).max(0);
    if room == 0 {
        return Ok(Vec::new());
    }
    let candidates = tx
        .query(include_str!("../sql/control_tasks_claimable.sql"), &[&room])
        .await
        .map_err(query(action))?;
    let mut claimed = Vec::new();
    for row in &candidates {
        let connector: String = row.get(0);
        let task: i32 = row.get(1);
        tx.execute(
            include_str!("../sql/control_task_claim.sql"),
            &[&worker_id, &connector, &task, &lease_secs],
        )
        .await
        .map_err(query(action))?;
        claimed.push((connector, task));
    }
    tx.commit().await.map_err(query(action))?;
    Ok(claimed)
}

/// Renews the leases of `worker_id`'s tasks for `lease_secs` seconds; returns them with what
/// each is to run. A task missing here is no longer this worker's.
pub async fn renew_tasks(
    client: &impl GenericClient,
    worker_id: &str,
    lease_secs: f64,
) -> Result<Vec<HeldTask>> {
    let rows = client
        .query(
            include_str!("../sql/control_tasks_renew.sql"),
            &[&worker_id, &lease_secs],
        )
        .await
        .map_err(query("renewing the worker's leases"))?;
    Ok(rows
        .iter()
        .map(|r| HeldTask {
            connector: r.get(0),
            task: r.get(1),
            config: r.get(2),
            target_state: TargetState::from_row(r.get(3)),
            version: r.get(4),
            restart_epoch: r.get(5),
        })
        .collect())
}

/// `worker_id` gives task (`connector`, `task`) up.
pub async fn release_task(
    client: &impl GenericClient,
    worker_id: &str,
    connector: &str,
    task: i32,
) -> Result<()> {
    client
        .execute(
            include_str!("../sql/control_task_release.sql"),
            &[&worker_id, &connector, &task],
        )
        .await
        .map_err(query("giving a task up"))?;
    Ok(())
}

/// What a worker reports of a task it holds.
#[derive(Debug, Clone)]
pub struct TaskReport<'a> {
    /// The connector.
    pub connector: &'a str,
    /// The task.
    pub task: i32,
    /// Its Kafka Connect state.
    pub state: &'a str,
    /// Why it failed.
    pub trace: Option<&'a str>,
    /// The connector version it runs.
    pub applied_version: i64,
    /// The restarts it has made.
    pub applied_restart: i64,
}

/// Records what `worker_id` reports of a task it holds.
pub async fn report_task(
    client: &impl GenericClient,
    worker_id: &str,
    report: &TaskReport<'_>,
) -> Result<()> {
    client
        .execute(
            include_str!("../sql/control_task_report.sql"),
            &[
                &worker_id,
                &report.connector,
                &report.task,
                &report.state,
                &report.trace,
                &report.applied_version,
                &report.applied_restart,
            ],
        )
        .await
        .map_err(query("reporting a task's state"))?;
    Ok(())
}

/// Makes `name`'s task rows fit `tasks_max`.
pub(super) async fn fit_tasks(
    tx: &tokio_postgres::Transaction<'_>,
    name: &str,
    tasks_max: i32,
) -> Result<()> {
    tx.execute(
        include_str!("../sql/control_tasks_fit.sql"),
        &[&name, &tasks_max],
    )
    .await
    .map_err(query("fitting a connector's tasks"))?;
    Ok(())
}
