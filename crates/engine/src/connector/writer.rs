//! The batch writer: a batch is written in a task of its own while the next is read,
//! reconnecting and retrying while the database is unreachable.

use super::*;

/// A batch being written.
pub(crate) struct InFlight {
    /// Its partitions' ends: where the next batch starts them.
    pub(crate) ends: FxHashMap<(usize, i32), i64>,
    pub(crate) handle: tokio::task::JoinHandle<Written>,
    /// Notified when the write is over, so that an idle reader takes the outcome at once.
    pub(crate) done: Arc<tokio::sync::Notify>,
}

/// A written batch, with the connection back.
pub(crate) struct Written {
    pub(crate) client: Option<tokio_postgres::Client>,
    pub(crate) batch: Batch,
    /// None: shut down before the batch could be written.
    pub(crate) result: Result<Option<Outcome>, RunError>,
    /// How long the write that committed (or was fenced) took.
    pub(crate) elapsed: Duration,
}

/// Writes `batch`, reconnecting and retrying while the database is unreachable.
pub(crate) async fn write_batch(
    database: DatabaseConfig,
    connector: String,
    client: Option<tokio_postgres::Client>,
    batch: Batch,
    shutdown: watch::Receiver<bool>,
    done: Arc<tokio::sync::Notify>,
    progress: Arc<Progress>,
) -> Written {
    let written = write_with_retries(database, connector, client, batch, shutdown, &progress).await;
    done.notify_one();
    written
}

pub(super) async fn write_with_retries(
    database: DatabaseConfig,
    connector: String,
    mut client: Option<tokio_postgres::Client>,
    batch: Batch,
    mut shutdown: watch::Receiver<bool>,
    progress: &Progress,
) -> Written {
    let mut backoff = RETRIES;
    loop {
        if client
            .as_ref()
            .is_none_or(tokio_postgres::Client::is_closed)
        {
            client = connect(&database, &mut shutdown, progress).await;
        }
        let Some(c) = client.as_mut() else {
            return Written {
                client,
                batch,
                result: Ok(None),
                elapsed: Duration::ZERO,
            };
        };
        let started = Instant::now();
        let outcome = batch.write(c).await;
        let elapsed = started.elapsed();
        match outcome {
            Ok(outcome) => {
                tracing::debug!(%connector, entries = batch.entries.len(), ?elapsed, "batch written");
                return Written {
                    client,
                    batch,
                    result: Ok(Some(outcome)),
                    elapsed,
                };
            }
            Err(e) if e.is_retriable() => {
                let delay = backoff.next_delay();
                Retried {
                    what: "writing a batch",
                    error: &e,
                    retry_in: delay,
                }
                .emit(progress);
                if wait(&mut shutdown, delay).await {
                    return Written {
                        client,
                        batch,
                        result: Ok(None),
                        elapsed: Duration::ZERO,
                    };
                }
            }
            Err(source) => {
                return Written {
                    client,
                    batch,
                    result: Err(RunError::Database { connector, source }),
                    elapsed,
                };
            }
        }
    }
}
