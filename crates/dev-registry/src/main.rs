//! `inlet-dev-registry`: runs the development schema registry.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Parser;
use inlet_dev_registry::{BasicAuth, Store, app};

/// A Confluent-compatible schema registry for inlet's development and tests.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Address to listen on.
    #[arg(
        long,
        env = "INLET_DEV_REGISTRY_LISTEN",
        default_value = "127.0.0.1:8081"
    )]
    listen: SocketAddr,
    /// Require HTTP basic auth with these credentials, given as `user:password`.
    #[arg(long, env = "INLET_DEV_REGISTRY_BASIC_AUTH", hide_env_values = true)]
    basic_auth: Option<String>,
    /// Keep the registry's state in this JSON file (in memory only when absent).
    #[arg(long, env = "INLET_DEV_REGISTRY_STATE_FILE")]
    state_file: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let auth = match args.basic_auth.as_deref() {
        Some(text) => {
            Some(BasicAuth::parse(text).context("--basic-auth must be given as user:password")?)
        }
        None => None,
    };
    let store = match &args.state_file {
        Some(path) => Store::open(path)
            .with_context(|| format!("opening the state file {}", path.display()))?,
        None => Store::in_memory(),
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    tracing::info!(listen = %args.listen, auth = auth.is_some(), state_file = ?args.state_file, "inlet-dev-registry ready");
    axum::serve(listener, app(store, auth))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("serving")
}
