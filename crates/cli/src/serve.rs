//! `inlet serve`: the worker and the API in one process, until SIGINT or SIGTERM (see
//! `inlet_serve`).

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use inlet_engine::config::{RawConfig, RawDatabase, RawSecret};
use tokio::signal::unix::{SignalKind, signal};

/// Where and how to serve.
#[derive(clap::Args)]
pub struct ServeArgs {
    /// The database the connectors write into, which holds inlet's schema and the stored
    /// connectors (a postgres:// URL, or a reference: ${env:NAME}, ${file:PATH}); default:
    /// the [database] of --config.
    #[arg(long, env = "INLET_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Where the API listens (loopback only for now).
    #[arg(long, env = "INLET_LISTEN", default_value = "127.0.0.1:8083")]
    listen: SocketAddr,
    /// This worker's id, host:port as the API shows it (default: the listen address).
    #[arg(long, env = "INLET_WORKER_ID")]
    worker_id: Option<String>,
    /// Connectors of a configuration file, run by this worker beside the stored ones and
    /// shown read-only by the API.
    #[arg(long, env = "INLET_CONFIG")]
    config: Option<PathBuf>,
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let raw = args.config.as_deref().map(RawConfig::load).transpose()?;
    let database = match (&args.database_url, &raw) {
        (Some(url), _) => RawDatabase {
            url: RawSecret::new(url.clone()),
            ca_file: None,
        },
        (None, Some(raw)) => raw.database.clone(),
        (None, None) => anyhow::bail!(
            "no database: give --database-url postgres://USER@HOST:PORT/DATABASE (or INLET_DATABASE_URL), the database the connectors write into"
        ),
    };
    let database = database.check().context("--database-url")?;
    let files = raw.map(|r| r.connector).unwrap_or_default();
    for connector in &files {
        connector.check()?;
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut sigterm = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut sigint = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    tokio::spawn(async move {
        tokio::select! {
            _ = sigterm.recv() => tracing::info!("SIGTERM: finishing the batches in flight"),
            _ = sigint.recv() => tracing::info!("SIGINT: finishing the batches in flight"),
        }
        let _ = stop.send(true);
    });
    inlet_serve::serve(
        inlet_serve::ServeOptions {
            database,
            listen: args.listen,
            worker_id: args.worker_id,
            files,
            file: args.config.map(|p| p.display().to_string()),
        },
        stopped,
    )
    .await?;
    Ok(())
}
