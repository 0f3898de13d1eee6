//! `inlet run --config FILE`: runs the file's connectors until SIGINT or SIGTERM, then
//! finishes the batch in flight, commits it and exits 0.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use indicatif::ProgressStyle;
use inlet_engine::config::RawConfig;
use inlet_engine::{ConnectorState, ConnectorStatus, Supervisor, metrics};
use tokio::signal::unix::{SignalKind, signal};
use tracing_indicatif::span_ext::IndicatifSpanExt as _;

/// What to run.
#[derive(clap::Args)]
pub struct RunArgs {
    /// The connectors' configuration (TOML).
    #[arg(long, env = "INLET_CONFIG")]
    config: PathBuf,
    /// Serve Prometheus metrics at http://ADDR/metrics (e.g. 127.0.0.1:9464).
    #[arg(long, env = "INLET_METRICS_LISTEN", value_name = "ADDR")]
    metrics: Option<std::net::SocketAddr>,
}

pub async fn run(args: RunArgs) -> anyhow::Result<()> {
    // Every problem of the file is reported before anything starts; each connector is
    // then checked again (its secret references resolved) whenever it starts.
    let raw = RawConfig::load(&args.config)?;
    let config = raw.check()?;
    let supervisor = Arc::new(Supervisor::new(worker_id()));
    // Subscribed before the starts, so that no change is missed.
    let mut changes = supervisor.changes();
    supervisor.expect(raw.connector.len());
    for connector in raw.connector {
        supervisor.start_raw(connector, config.database.clone(), false)?;
    }
    if let Some(addr) = args.metrics {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr} for --metrics"))?;
        let registry = Arc::new(metrics::registry(supervisor.clone()));
        let app = axum::Router::new().route(
            "/metrics",
            axum::routing::get(move || {
                let text = metrics::encode(&registry);
                async move {
                    (
                        [(axum::http::header::CONTENT_TYPE, metrics::CONTENT_TYPE)],
                        text,
                    )
                }
            }),
        );
        tracing::info!(address = %addr, "Prometheus metrics at http://{addr}/metrics");
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "the metrics server stopped");
            }
        });
    }
    let mut sigterm = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut sigint = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    let live = std::io::stderr().is_terminal();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    // Without a terminal (systemd, a container), the same line as a log line now and then.
    let mut logged =
        tokio::time::interval_at(tokio::time::Instant::now() + PROGRESS_EVERY, PROGRESS_EVERY);
    let started = Instant::now();
    // One progress line per connector, below the log lines (main's IndicatifLayer draws
    // the spans marked indicatif.pb_show; without a terminal nothing is drawn).
    let lines: Vec<(String, tracing::Span)> = supervisor
        .statuses()
        .into_iter()
        .map(|status| {
            let span = tracing::info_span!("live", indicatif.pb_show = tracing::field::Empty);
            if let Ok(style) = ProgressStyle::with_template("{msg}") {
                span.pb_set_style(&style);
            }
            span.pb_start();
            (status.name, span)
        })
        .collect();
    // Whatever happened before the loop (a connector failing at once) is looked at first.
    changes.mark_changed();
    let failure = loop {
        tokio::select! {
            _ = sigterm.recv() => { tracing::info!("SIGTERM: finishing the batch in flight"); break None; }
            _ = sigint.recv() => { tracing::info!("SIGINT: finishing the batch in flight"); break None; }
            _ = tick.tick(), if live => {
                for (name, span) in &lines {
                    if let Ok(status) = supervisor.status(name) {
                        span.pb_set_message(&live_line(&status, started.elapsed()));
                    }
                }
            }
            _ = logged.tick(), if !live => {
                for status in supervisor.statuses() {
                    tracing::info!(connector = %status.name, "{}", live_line(&status, started.elapsed()));
                }
            }
            // A connector that failed stops the others: `inlet run` exits 1 with its reason.
            _ = changes.changed() => {
                let statuses = supervisor.statuses();
                if let Some(failed) = statuses.iter().find(|s| s.state == ConnectorState::Failed) {
                    break failed.trace.clone().or_else(|| Some(format!("connector {} failed", failed.name)));
                }
            }
        }
    };
    supervisor.stop_all().await;
    drop(lines);
    let mut failure = failure.map(anyhow::Error::msg);
    for status in supervisor.statuses() {
        tracing::info!(
            connector = %status.name,
            rows = status.rows,
            dead_letters = status.dead_letters,
            "totals"
        );
        if failure.is_none() && status.state == ConnectorState::Failed {
            failure = status.trace.map(anyhow::Error::msg);
        }
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// How often the live lines are logged when stderr is not a terminal.
const PROGRESS_EVERY: Duration = Duration::from_secs(30);

/// A connector's live line: `name: STATE 1000 rows/s, 68000 rows, lag 0, 0 dead letters,
/// 14 batches, up 19s`.
fn live_line(status: &ConnectorStatus, up: Duration) -> String {
    format!(
        "{}: {} {:.0} rows/s, {} rows, lag {}, {} dead letters, {} batches, up {}s",
        status.name,
        status.state,
        status.rows_per_second,
        status.rows,
        lag_text(status),
        status.dead_letters,
        status.batches,
        up.as_secs()
    )
}

/// The lag summed over the partitions, or `?` until every partition's end has been read
/// (librdkafka's statistics come every 5 s).
fn lag_text(status: &ConnectorStatus) -> String {
    let lags: Option<Vec<i64>> = status.partitions.iter().map(|p| p.lag).collect();
    match lags {
        Some(lags) if !status.partitions.is_empty() => lags.iter().sum::<i64>().to_string(),
        _ => "?".to_owned(),
    }
}

/// This worker's id: `host:pid` (a server's is `host:port`).
fn worker_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "localhost".to_owned());
    format!("{host}:{}", std::process::id())
}
