//! Retrying what may come back: a database connection with backoff, and waiting that a
//! stop cuts short.

use super::*;

/// Backoff between retries of the database or the registry.
pub(super) const RETRY_START: Duration = Duration::from_millis(200);
pub(super) const RETRY_MAX: Duration = Duration::from_secs(10);

/// A connection, retried with backoff; None if shut down meanwhile.
pub(super) async fn connect(
    database: &DatabaseConfig,
    shutdown: &mut watch::Receiver<bool>,
    progress: &Progress,
) -> Option<tokio_postgres::Client> {
    let mut delay = RETRY_START;
    loop {
        match database.connect().await {
            Ok(client) => return Some(client),
            Err(e) => {
                Retried {
                    what: "connecting to the database",
                    error: &e,
                    retry_in: delay,
                }
                .emit(progress);
                if wait(shutdown, delay).await {
                    return None;
                }
                delay = (delay * 2).min(RETRY_MAX);
            }
        }
    }
}

/// Sleeps `delay`; true if shut down meanwhile.
pub(super) async fn wait(shutdown: &mut watch::Receiver<bool>, delay: Duration) -> bool {
    if *shutdown.borrow() {
        return true;
    }
    tokio::select! {
        _ = shutdown.changed() => true,
        _ = tokio::time::sleep(delay) => *shutdown.borrow(),
    }
}
