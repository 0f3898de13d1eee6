//! Retrying what may come back: a database connection with backoff ([`RETRIES`]), and
//! waiting that a stop cuts short.

use super::*;

/// A connection, retried with backoff ([`RETRIES`]); None if shut down meanwhile.
pub(super) async fn connect(
    database: &DatabaseConfig,
    shutdown: &mut watch::Receiver<bool>,
    progress: &Progress,
) -> Option<tokio_postgres::Client> {
    let mut backoff = RETRIES;
    loop {
        match database.connect().await {
            Ok(client) => return Some(client),
            Err(e) => {
                let delay = backoff.next_delay();
                Retried {
                    what: "connecting to the database",
                    error: &e,
                    retry_in: delay,
                }
                .emit(progress);
                if wait(shutdown, delay).await {
                    return None;
                }
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
