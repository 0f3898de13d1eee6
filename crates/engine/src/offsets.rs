//! The stored offsets, read for the consumer's rebalance callback. That callback runs on
//! the thread that polls the consumer, a worker of the async runtime, so the read happens
//! on a thread of its own with its own small runtime and connection, and is retried until
//! it succeeds: partitions must never start anywhere but at their stored offsets.
//! Meanwhile the runtime's other tasks (the worker's other connectors, its API) move to
//! another thread: a database that does not answer holds up the rebalancing connector
//! only.

use std::collections::HashMap;

use inlet_kafka::StoredOffsets;
use inlet_postgres::{DatabaseConfig, load_offsets};

use crate::backoff::RETRIES;

/// Reads `inlet.offsets` for one connector.
pub(crate) struct DbOffsets {
    pub(crate) database: DatabaseConfig,
    pub(crate) connector: String,
}

impl StoredOffsets for DbOffsets {
    fn load(&self, topic: &str) -> HashMap<i32, i64> {
        let multi_thread = tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        if multi_thread {
            tokio::task::block_in_place(|| self.load_blocking(topic))
        } else {
            self.load_blocking(topic)
        }
    }
}

impl DbOffsets {
    /// [`StoredOffsets::load`], blocking the calling thread until it has an answer.
    fn load_blocking(&self, topic: &str) -> HashMap<i32, i64> {
        let mut backoff = RETRIES;
        loop {
            let attempt = std::thread::scope(|scope| {
                scope
                    .spawn(|| {
                        let runtime = tokio::runtime::Builder::new_current_thread()
                            .enable_all()
                            .build()
                            .map_err(|e| e.to_string())?;
                        runtime.block_on(async {
                            let client =
                                self.database.connect().await.map_err(|e| e.to_string())?;
                            load_offsets(&client, &self.connector, topic)
                                .await
                                .map_err(|e| e.to_string())
                        })
                    })
                    .join()
                    .unwrap_or_else(|_| Err("the offsets reader panicked".into()))
            });
            match attempt {
                Ok(offsets) => return offsets,
                Err(e) => {
                    let delay = backoff.next_delay();
                    tracing::warn!(%topic, error = %e, retry_in = ?delay, "cannot read the stored offsets");
                    std::thread::sleep(delay);
                }
            }
        }
    }
}
