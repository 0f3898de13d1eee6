//! inlet as a service (`inlet serve`): one process is both a worker and an API server.
//!
//! Connectors are rows in the database the connectors write into (`inlet.connectors`,
//! with their tasks in `inlet.tasks`); every worker claims its share of the tasks with
//! leases and runs them ([`worker`]); any worker answers the API ([`api`]: Kafka Connect's
//! REST API, shapes and codes, so that the tools made for Kafka Connect drive inlet).
//! Connectors of a configuration file may run beside them, shown read-only. [`flat`] turns
//! Kafka Connect's flat configuration into inlet's and back.

use std::net::SocketAddr;
use std::sync::Arc;

use inlet_engine::Supervisor;
use inlet_engine::config::RawConnector;
use inlet_postgres::DatabaseConfig;
use tokio::sync::watch;

pub mod api;
pub mod flat;
pub mod worker;

/// How `inlet serve` runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The database: inlet's schema and the connectors' tables.
    pub database: DatabaseConfig,
    /// Where the API listens (loopback only, until API tokens exist).
    pub listen: SocketAddr,
    /// This worker's id, `host:port` as other workers and the API name it (default: the
    /// listen address).
    pub worker_id: Option<String>,
    /// Connectors of a configuration file, run by this worker and shown read-only.
    pub files: Vec<RawConnector>,
    /// That file, for messages.
    pub file: Option<String>,
}

/// Why `inlet serve` could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The database could not be reached or its schema not brought up to date.
    #[error("{0}")]
    Database(#[from] inlet_postgres::Error),
    /// The API cannot listen there.
    #[error("cannot listen on {address}: {reason}")]
    Listen {
        /// The address.
        address: SocketAddr,
        /// Why.
        reason: String,
    },
    /// A connector of the file could not be started.
    #[error("connector {name} of the configuration file: {reason}")]
    File {
        /// The connector.
        name: String,
        /// Why.
        reason: String,
    },
}

/// Serves until `shutdown` turns true: brings inlet's schema up to date, starts the file's
/// connectors, the worker and the API; on shutdown the API stops taking requests, and the
/// worker's tasks commit their batches in flight and are given up for other workers.
///
/// # Errors
/// [`ServeError`]: the database cannot be reached at start, the address is not loopback or
/// is taken, a connector of the file is refused.
pub async fn serve(
    options: ServeOptions,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), ServeError> {
    if !options.listen.ip().is_loopback() {
        return Err(ServeError::Listen {
            address: options.listen,
            reason: "the API has no access control yet, so it listens on loopback only: use --listen 127.0.0.1:PORT (and a reverse proxy with authentication to reach it from elsewhere)".into(),
        });
    }
    let mut client = options.database.connect().await?;
    inlet_postgres::migrate(&mut client).await?;
    drop(client);
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|e| ServeError::Listen {
            address: options.listen,
            reason: format!("{e} (is another inlet serve, or another program, listening there?)"),
        })?;
    let worker_id = options
        .worker_id
        .clone()
        .unwrap_or_else(|| options.listen.to_string());
    let supervisor = Arc::new(Supervisor::new(worker_id.clone()));
    for raw in &options.files {
        supervisor
            .start_raw(raw.clone(), options.database.clone(), false)
            .map_err(|e| ServeError::File {
                name: raw.name.clone(),
                reason: e.to_string(),
            })?;
    }
    let app = api::App::new(
        options.database.clone(),
        worker_id.clone(),
        supervisor.clone(),
        options.files.clone(),
        options.file.clone(),
    )
    .map_err(|reason| ServeError::Listen {
        address: options.listen,
        reason,
    })?;
    let worker = worker::Worker::new(
        worker_id.clone(),
        options.database.clone(),
        supervisor.clone(),
    );
    let worker_task = tokio::spawn(worker.run(shutdown.clone()));
    tracing::info!(listen = %options.listen, worker = %worker_id, "serving the API");
    let mut api_shutdown = shutdown.clone();
    let served = axum::serve(listener, api::router(app))
        .with_graceful_shutdown(async move {
            let _ = api_shutdown.wait_for(|stop| *stop).await;
        })
        .await;
    if let Err(e) = served {
        tracing::warn!(error = %e, "the API server ended");
    }
    let _ = shutdown.wait_for(|stop| *stop).await;
    let _ = worker_task.await;
    supervisor.stop_all().await;
    Ok(())
}
