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
pub mod auth;
pub mod flat;
pub mod guard;
pub mod loggers;
pub mod references;
pub mod secrets;
pub mod worker;

/// How `inlet serve` runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The database: inlet's schema and the connectors' tables.
    pub database: DatabaseConfig,
    /// Where the API listens (anything but loopback only with tokens).
    pub listen: SocketAddr,
    /// Who may call the API (none: open, on loopback only).
    pub tokens: auth::Tokens,
    /// Web origins allowed to call the API (CORS); none by default.
    pub cors_origins: Vec<String>,
    /// Names the server is called by besides loopback, `localhost` and the listen address
    /// (see [`guard::Hosts`]).
    pub host_names: Vec<String>,
    /// The API's certificate chain and private key (PEM files): HTTPS instead of HTTP.
    pub tls: Option<(std::path::PathBuf, std::path::PathBuf)>,
    /// This worker's id, `host:port` as other workers and the API name it (default: the
    /// listen address).
    pub worker_id: Option<String>,
    /// Connectors of a configuration file, run by this worker and shown read-only.
    pub files: Vec<RawConnector>,
    /// That file, for messages.
    pub file: Option<String>,
    /// The directory `${file:…}` references of configurations sent over the API may read
    /// from (none: no file).
    pub secrets_dir: Option<std::path::PathBuf>,
    /// The key secrets sent over the API are stored under (`${secret:…}`); none: they stay
    /// in the configuration as sent.
    pub secrets_key: Option<secrets::SecretsKey>,
    /// This process's log levels, changed over `/admin/loggers` (none: they cannot be).
    pub loggers: Option<Arc<loggers::Loggers>>,
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
    /// This worker's id cannot be used.
    #[error("{reason}")]
    Worker {
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

impl inlet_fault::Classify for ServeError {
    /// Whose fault it is: the database's error says; an address, a worker id or a file
    /// connector that cannot be used is the operator's configuration.
    fn fault(&self) -> inlet_fault::Fault {
        match self {
            ServeError::Database(e) => e.fault(),
            ServeError::Listen { .. } | ServeError::Worker { .. } | ServeError::File { .. } => {
                inlet_fault::Fault::Config
            }
        }
    }

    /// Whether starting again may succeed: when the database's error is.
    fn is_retriable(&self) -> bool {
        matches!(self, ServeError::Database(e) if e.is_retriable())
    }
}

/// How long a connection may take to send a request's headers: a client that opens
/// connections and sends nothing (or a byte at a time) holds none for longer.
pub const HEADER_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// `server` with its connections' limits: [`HEADER_READ_TIMEOUT`] (hyper applies it only
/// with a timer).
fn bounded<A>(mut server: axum_server::Server<A>) -> axum_server::Server<A> {
    server
        .http_builder()
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    server
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
    mut outside: watch::Receiver<bool>,
) -> Result<(), ServeError> {
    if !options.listen.ip().is_loopback() && options.tokens.is_empty() {
        return Err(ServeError::Listen {
            address: options.listen,
            reason: "without tokens the API is open to anyone who reaches it, so it listens on loopback only: give --tokens-file FILE or INLET_ADMIN_TOKEN, or --listen 127.0.0.1:PORT".into(),
        });
    }
    let tls = match &options.tls {
        None => None,
        Some((cert, key)) => {
            // rustls' ring provider, as the database connections use (once per process).
            let _ = rustls::crypto::ring::default_provider().install_default();
            Some(
                axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
                    .await
                    .map_err(|e| ServeError::Listen {
                        address: options.listen,
                        reason: format!(
                            "the certificate {} or key {} cannot be used: {e}",
                            cert.display(),
                            key.display()
                        ),
                    })?,
            )
        }
    };
    let worker_id = options
        .worker_id
        .clone()
        .unwrap_or_else(|| options.listen.to_string());
    if worker_id.trim().is_empty() || worker_id.trim() != worker_id {
        return Err(ServeError::Worker {
            reason: format!(
                "--worker-id {worker_id:?} is empty or has spaces around it: give host:port"
            ),
        });
    }
    let mut client = options.database.connect().await?;
    inlet_postgres::migrate(&mut client).await?;
    // The id is this process's while its session lasts (however the process ends).
    let id_lock = options.database.connect().await?;
    if !inlet_postgres::control::lock_worker_id(&id_lock, &worker_id).await? {
        return Err(ServeError::Worker {
            reason: format!(
                "another worker with id {worker_id} runs on this database: give this one another --worker-id (each worker's host:port)"
            ),
        });
    }
    // Stops on the caller's shutdown, or when the id's lock is lost to another worker.
    let (stop, mut shutdown) = watch::channel(false);
    let keeper = tokio::spawn(keep_worker_id(
        options.database.clone(),
        worker_id.clone(),
        id_lock,
        shutdown.clone(),
    ));
    let lost = tokio::spawn(async move {
        let lost = tokio::select! {
            _ = outside.wait_for(|stop| *stop) => None,
            lost = keeper => lost.ok().flatten(),
        };
        let _ = stop.send(true);
        lost
    });
    for raw in &options.files {
        if inlet_postgres::control::get_connector(&client, &raw.name)
            .await?
            .is_some()
        {
            return Err(ServeError::File {
                name: raw.name.clone(),
                reason: "a connector of that name is stored in the database (made over the API): the two would share their offsets; rename the file's connector or delete the stored one".into(),
            });
        }
    }
    drop(client);
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|e| ServeError::Listen {
            address: options.listen,
            reason: format!("{e} (is another inlet serve, or another program, listening there?)"),
        })?;
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
        api::ApiOptions {
            tokens: options.tokens.clone(),
            cors_origins: options.cors_origins.clone(),
            hosts: guard::Hosts::new(options.listen, &options.host_names),
            secrets_dir: options.secrets_dir.clone(),
            secrets_key: options.secrets_key.clone(),
            loggers: options.loggers.clone(),
        },
    )
    .map_err(|reason| ServeError::Listen {
        address: options.listen,
        reason,
    })?;
    let worker = worker::Worker::new(
        worker_id.clone(),
        options.database.clone(),
        supervisor.clone(),
        options.files.iter().map(|c| c.name.clone()).collect(),
        options.secrets_key.clone(),
    );
    let worker_task = tokio::spawn(worker.run(shutdown.clone()));
    tracing::info!(
        listen = %options.listen,
        worker = %worker_id,
        https = tls.is_some(),
        tokens = !options.tokens.is_empty(),
        "serving the API"
    );
    let scheme = if tls.is_some() { "https" } else { "http" };
    if api::web::console_built() {
        tracing::info!("the console: {scheme}://{}/", options.listen);
    } else {
        tracing::warn!(
            "this binary was built without the console's files: run scripts/console, then build inlet again (the API works without them)"
        );
    }
    let handle = axum_server::Handle::new();
    let mut api_shutdown = shutdown.clone();
    let stopping = handle.clone();
    tokio::spawn(async move {
        let _ = api_shutdown.wait_for(|stop| *stop).await;
        stopping.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
    });
    let listener = listener.into_std().map_err(|e| ServeError::Listen {
        address: options.listen,
        reason: e.to_string(),
    })?;
    let service = api::router(app).into_make_service();
    let served = match tls {
        Some(tls) => {
            bounded(axum_server::from_tcp_rustls(listener, tls))
                .handle(handle)
                .serve(service)
                .await
        }
        None => {
            bounded(axum_server::from_tcp(listener))
                .handle(handle)
                .serve(service)
                .await
        }
    };
    if let Err(e) = served {
        tracing::warn!(error = %e, "the API server ended");
    }
    let _ = shutdown.wait_for(|stop| *stop).await;
    let _ = worker_task.await;
    supervisor.stop_all().await;
    match lost.await {
        Ok(Some(reason)) => Err(ServeError::Worker { reason }),
        _ => Ok(()),
    }
}

/// How often a worker checks that its id's lock still stands: the lock lasts as long as its
/// database session, which may end under it (a restart of the server, `pg_terminate_backend`).
pub const ID_LOCK_CHECK: std::time::Duration = std::time::Duration::from_secs(1);

/// Keeps `worker_id`'s lock, held by `lock`'s session, until `shutdown`: every
/// [`ID_LOCK_CHECK`] the session must answer; when it has ended, a new session takes the
/// lock again. Returns why the worker must stop: another worker took the id meanwhile
/// (two workers with one id would run the same tasks).
async fn keep_worker_id(
    database: DatabaseConfig,
    worker_id: String,
    mut lock: tokio_postgres::Client,
    mut shutdown: watch::Receiver<bool>,
) -> Option<String> {
    loop {
        tokio::select! {
            _ = shutdown.wait_for(|stop| *stop) => return None,
            () = tokio::time::sleep(ID_LOCK_CHECK) => {}
        }
        let answers = !lock.is_closed()
            && tokio::time::timeout(ID_LOCK_CHECK * 5, lock.simple_query("SELECT 1"))
                .await
                .is_ok_and(|answer| answer.is_ok());
        if answers {
            continue;
        }
        let taken = match database.connect().await {
            Ok(client) => inlet_postgres::control::lock_worker_id(&client, &worker_id)
                .await
                .map(|taken| (taken, client)),
            Err(e) => Err(e),
        };
        match taken {
            Ok((true, client)) => {
                tracing::warn!(
                    worker = %worker_id,
                    "the database session holding this worker's id ended; the id is taken again"
                );
                lock = client;
            }
            Ok((false, _)) => {
                let reason = format!(
                    "another worker took id {worker_id} while this one's database session was down: this one stops (give each worker its own --worker-id)"
                );
                tracing::error!("{reason}");
                return Some(reason);
            }
            Err(e) => {
                tracing::warn!(error = %e, worker = %worker_id, "the database session holding this worker's id ended and no new one can take it yet; retrying");
            }
        }
    }
}
