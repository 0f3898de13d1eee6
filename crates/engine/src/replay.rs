//! Replaying a record file through the connector's write path, without a broker: the same
//! tables (prepared or created as `run` does), decoding, batching, pipelined writes and
//! fenced offsets as `Connector::run`, with the records taken from a file instead of the
//! consumer. The benchmark measures inlet's own speed with it.

use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;

use inlet_avro::RowScratch;
use inlet_postgres::{Outcome, load_offsets};
use inlet_registry::RegistryClient;
use tokio::sync::watch;

use crate::batcher::Batcher;
use crate::connector::{Connector, InFlight, RunError, write_batch};
use crate::decode::{Record, decode};
use crate::record_file::RecordFileReader;

/// What a replay stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplaySummary {
    /// Records read from the file.
    pub records: u64,
    /// Records skipped: below the stored offset of their partition.
    pub skipped: u64,
    /// Rows stored.
    pub rows: u64,
    /// Dead letters stored.
    pub dead_letters: u64,
    /// Transactions committed.
    pub batches: u64,
    /// From the call to the first record read: connecting, reading (or creating) the
    /// tables.
    pub setup: std::time::Duration,
}

impl Connector {
    /// Stores the records of `file`, records of the connector's topic `topic`, exactly as
    /// `run` stores what it reads: records below a partition's stored offset are skipped,
    /// and each batch advances the stored offsets in its transaction.
    pub async fn replay<R: Read>(
        self,
        topic: &str,
        mut file: RecordFileReader<R>,
    ) -> Result<ReplaySummary, RunError> {
        let started = std::time::Instant::now();
        let name = self.config.name.clone();
        let database_error = |source| RunError::Database {
            connector: name.clone(),
            source,
        };
        let file_error = |e: std::io::Error| RunError::Replay {
            connector: name.clone(),
            message: e.to_string(),
        };
        let registry = RegistryClient::new(self.config.registry.clone()).map_err(|source| {
            RunError::Registry {
                connector: name.clone(),
                source,
            }
        })?;
        let mut client = self.database.connect().await.map_err(database_error)?;
        let mut targets = self.setup(&mut client, &registry).await?;
        let t = targets
            .iter()
            .position(|target| target.config.topic == topic)
            .ok_or_else(|| RunError::Replay {
                connector: name.clone(),
                message: format!("topic {topic} is not one of the connector's topics"),
            })?;
        let mut stored: HashMap<(usize, i32), i64> = load_offsets(&client, &name, topic)
            .await
            .map_err(database_error)?
            .into_iter()
            .map(|(partition, next)| ((t, partition), next))
            .collect();
        // Never shut down: a replay runs to the end of its file.
        let (_keep, shutdown) = watch::channel(false);
        let limits = self.config.batch;
        let mut scratch = RowScratch::default();
        let mut client = Some(client);
        let mut in_flight: Option<InFlight> = None;
        let mut summary = ReplaySummary::default();
        let mut stop = None;
        let mut exhausted = false;
        let mut spare = None;
        summary.setup = started.elapsed();
        loop {
            let empty = HashMap::new();
            let pending = in_flight.as_ref().map_or(&empty, |f| &f.ends);
            let mut batcher = Batcher::new(&name, &targets, spare.take());
            while stop.is_none() && !exhausted && !batcher.is_full(&limits) {
                let Some(r) = file.next_record().map_err(file_error)? else {
                    exhausted = true;
                    break;
                };
                summary.records += 1;
                let key = (t, r.partition);
                let at = stored.get(&key).copied();
                if batcher
                    .floor(key, pending, at)
                    .is_some_and(|floor| r.offset < floor)
                {
                    summary.skipped += 1;
                    continue;
                }
                let record = Record {
                    topic,
                    partition: r.partition,
                    offset: r.offset,
                    timestamp_ms: r.timestamp_ms,
                    key: r.key,
                    value: r.value,
                    headers: Vec::new(),
                };
                let row_start = batcher.batch.rows.len();
                let decoded = decode(
                    &mut targets[t],
                    &registry,
                    None,
                    &record,
                    &mut scratch,
                    &mut batcher.batch.rows,
                )
                .await
                .map_err(|e| RunError::Unavailable {
                    connector: name.clone(),
                    message: e.to_string(),
                })?;
                if let Err(e) = batcher.add(
                    &targets,
                    t,
                    &record,
                    decoded,
                    row_start,
                    pending,
                    at,
                    self.config.tolerance,
                ) {
                    stop = Some(e);
                }
                batcher.yield_sometimes().await;
            }
            if let Some(flight) = in_flight.take() {
                let done = flight.handle.await.map_err(|e| RunError::WriterFailed {
                    connector: name.clone(),
                    reason: e.to_string(),
                })?;
                client = done.client;
                match done.result? {
                    Some(Outcome::Committed {
                        rows,
                        dead_letters,
                        next,
                    }) => {
                        summary.rows += rows;
                        summary.dead_letters += dead_letters;
                        summary.batches += 1;
                        stored.extend(next);
                        spare = Some(done.batch);
                    }
                    Some(Outcome::Fenced { .. }) | None => {
                        return Err(RunError::Replay {
                            connector: name,
                            message: "another worker of this connector stored offsets of the topic meanwhile: stop it before replaying".into(),
                        });
                    }
                }
            }
            if batcher.batch.entries.is_empty() {
                return stop.map_or(Ok(summary), Err);
            }
            let done = Arc::new(tokio::sync::Notify::new());
            in_flight = Some(InFlight {
                ends: batcher.accepted,
                handle: tokio::spawn(write_batch(
                    self.database.clone(),
                    name.clone(),
                    client.take(),
                    batcher.batch,
                    shutdown.clone(),
                    done.clone(),
                    Arc::new(crate::metrics::Progress::default()),
                )),
                done,
            });
        }
    }
}
