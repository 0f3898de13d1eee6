//! `inlet run --config FILE`: runs the file's connectors until SIGINT or SIGTERM, then
//! finishes the batch in flight, commits it and exits 0.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use inlet_engine::{Config, Connector, Progress, render_metrics};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

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
    let config = Config::load(&args.config)?;
    let (stop_tx, stop) = watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
    let mut progress = Vec::new();
    for connector in config.connectors {
        let counters = Arc::new(Progress::default());
        progress.push((connector.name.clone(), counters.clone()));
        let runner = Connector::new(connector, config.database.clone());
        tasks.spawn(runner.run(stop.clone(), counters));
    }
    if let Some(addr) = args.metrics {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr} for --metrics"))?;
        let connectors = progress.clone();
        let app = axum::Router::new().route(
            "/metrics",
            axum::routing::get(move || {
                let text = render_metrics(&connectors);
                async move {
                    (
                        [(
                            axum::http::header::CONTENT_TYPE,
                            "text/plain; version=0.0.4; charset=utf-8",
                        )],
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
    let started = Instant::now();
    let mut last: Vec<u64> = vec![0; progress.len()];
    let mut failure = None;
    loop {
        tokio::select! {
            _ = sigterm.recv() => { tracing::info!("SIGTERM: finishing the batch in flight"); let _ = stop_tx.send(true); }
            _ = sigint.recv() => { tracing::info!("SIGINT: finishing the batch in flight"); let _ = stop_tx.send(true); }
            _ = tick.tick(), if live => {
                for (i, (name, p)) in progress.iter().enumerate() {
                    let rows = p.rows.load(Ordering::Relaxed);
                    let lag: i64 = p.lag().iter().map(|(_, l)| l).sum();
                    eprint!(
                        "\r{name}: {} rows/s, {rows} rows, lag {lag}, {} dead letters, {} batches, up {}s   ",
                        rows - last[i],
                        p.dead_letters.load(Ordering::Relaxed),
                        p.batches.load(Ordering::Relaxed),
                        started.elapsed().as_secs()
                    );
                    last[i] = rows;
                }
            }
            done = tasks.join_next() => match done {
                None => break,
                Some(Ok(Ok(()))) => {}
                Some(Ok(Err(e))) => {
                    let _ = stop_tx.send(true);
                    failure.get_or_insert(anyhow::Error::new(e));
                }
                Some(Err(e)) => {
                    let _ = stop_tx.send(true);
                    failure.get_or_insert(anyhow::anyhow!("a connector task failed: {e}"));
                }
            },
        }
    }
    if live {
        eprintln!();
    }
    for (name, p) in &progress {
        tracing::info!(
            connector = %name,
            rows = p.rows.load(Ordering::Relaxed),
            dead_letters = p.dead_letters.load(Ordering::Relaxed),
            "totals"
        );
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
