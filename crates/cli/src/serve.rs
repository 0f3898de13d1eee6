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
    /// Where the API listens (an address other than loopback needs tokens).
    #[arg(long, env = "INLET_LISTEN", default_value = "127.0.0.1:8083")]
    listen: SocketAddr,
    /// The API's tokens: lines `NAME ROLE TOKEN`, ROLE `read` or `admin`, TOKEN
    /// `sha256:<hex>` or the token itself (INLET_ADMIN_TOKEN adds an admin named `admin`).
    /// Without any token the API is open, on loopback only.
    #[arg(long, env = "INLET_TOKENS_FILE")]
    tokens_file: Option<PathBuf>,
    /// A web origin allowed to call the API from a browser (CORS), e.g.
    /// https://console.example.com; repeat for several. None by default.
    #[arg(
        long = "cors-origin",
        env = "INLET_CORS_ORIGINS",
        value_delimiter = ','
    )]
    cors_origins: Vec<String>,
    /// A name the server is called by (a request's Host), besides loopback, localhost and
    /// the listen address, e.g. inlet.example.com; repeat for several. Other names are
    /// refused (421), so a page on another site cannot reach the API by DNS rebinding.
    #[arg(long = "host-name", env = "INLET_HOST_NAMES", value_delimiter = ',')]
    host_names: Vec<String>,
    /// The directory whose files the configurations sent over the API may name as
    /// ${file:PATH} secrets (none by default; ${env:INLET_SECRET_…} variables always).
    #[arg(long, env = "INLET_SECRETS_DIR")]
    secrets_dir: Option<PathBuf>,
    /// The key secrets sent over the API are stored under, encrypted, as ${secret:…}: a file
    /// of 32 bytes in base64 (`head -c 32 /dev/urandom | base64`), the same on every worker
    /// (or INLET_SECRETS_KEY). Without it they stay in the configuration as sent.
    #[arg(long, env = "INLET_SECRETS_KEY_FILE")]
    secrets_key_file: Option<PathBuf>,
    /// The API's certificate chain (PEM): HTTPS, with --tls-key.
    #[arg(long, env = "INLET_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, env = "INLET_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// This worker's id, host:port as the API shows it (default: the listen address).
    #[arg(long, env = "INLET_WORKER_ID")]
    worker_id: Option<String>,
    /// Connectors of a configuration file, run by this worker beside the stored ones and
    /// shown read-only by the API.
    #[arg(long, env = "INLET_CONFIG")]
    config: Option<PathBuf>,
}

pub async fn run(args: ServeArgs, log: inlet_serve::loggers::Loggers) -> anyhow::Result<()> {
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
    let admin = std::env::var("INLET_ADMIN_TOKEN").ok();
    let tokens = inlet_serve::auth::Tokens::load(args.tokens_file.as_deref(), admin.as_deref())?;
    let secrets_key = inlet_serve::secrets::SecretsKey::load(
        args.secrets_key_file.as_deref(),
        std::env::var("INLET_SECRETS_KEY").ok().as_deref(),
    )
    .map_err(anyhow::Error::msg)?;
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
            tokens,
            cors_origins: args.cors_origins,
            host_names: args.host_names,
            tls: args.tls_cert.zip(args.tls_key),
            worker_id: args.worker_id,
            files,
            file: args.config.map(|p| p.display().to_string()),
            secrets_dir: args.secrets_dir,
            secrets_key,
            loggers: Some(std::sync::Arc::new(log)),
        },
        stopped,
    )
    .await?;
    Ok(())
}
