//! One connector's loop: records from the consumer, decoded into batches, each written in
//! one transaction with its fenced offsets; then, for lag tools only, the offsets committed
//! to Kafka.
//!
//! Exactly once: a partition is read from its stored `next_offset` (the consumer's
//! rebalance callback places it there), a record below the offset this worker holds for its
//! partition is skipped, and a batch only commits if every partition's stored offset is still
//! the one the batch started from. A batch that loses that race stores nothing, and the
//! partitions are read again from their stored offsets.

use inlet_fault::Classify as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use inlet_avro::{Proposal, RowScratch, WriterSchema};
use inlet_kafka::KafkaSource;
use inlet_postgres::{
    Batch, DatabaseConfig, Outcome, create_hypertable, create_table, enable_columnstore,
    ensure_inlet_schema, load_column_sources, load_offsets, table_columns, timescaledb_present,
    unique_keys,
};
use inlet_registry::RegistryClient;
use rustc_hash::FxHashMap;
use tokio::sync::watch;
use tracing::Instrument as _;

use crate::backoff::RETRIES;
use crate::batcher::Batcher;
use crate::config::ConnectorConfig;
use crate::decode::{Target, decode, key_schema, latest_schema_or_retry};
use crate::offsets::DbOffsets;
use crate::progress::Progress;
use crate::progress::events::{
    BatchCommitted, BatchFenced, Consuming, KafkaWarned, Rebalanced, Retried, RunEnded,
};

mod error;
mod partitions;
mod retry;
mod source;
mod tables;
mod writer;

pub use error::RunError;
use retry::{connect, wait};
pub(crate) use source::{FileSource, RecordSource};
pub(crate) use writer::{InFlight, write_batch};

/// Records a batch takes from its source without waiting in between, while the source
/// holds them already; then the loop waits once, and so looks at shutdown, pause and the
/// batch's linger time.
const TAKE_WITHOUT_WAIT: usize = 512;

/// What the owner of a running connector asks of it (see [`crate::Supervisor`]).
#[derive(Debug, Clone)]
pub struct Control {
    /// True: finish and commit the batch in flight, then return.
    pub stop: watch::Receiver<bool>,
    /// True: finish the batch in flight, then stop fetching (the partitions stay assigned
    /// to this worker, and the group keeps it as a member); false again: read on from the
    /// stored offsets.
    pub pause: watch::Receiver<bool>,
}

/// A connector, ready to run.
pub struct Connector {
    pub(crate) config: ConnectorConfig,
    pub(crate) database: DatabaseConfig,
}

impl Connector {
    /// A connector writing to `database`.
    pub fn new(config: ConnectorConfig, database: DatabaseConfig) -> Self {
        Connector { config, database }
    }

    /// Runs until `control.stop` turns true (the batch in flight is finished and committed)
    /// or an error retrying cannot fix; `control.pause` pauses and resumes it. `progress`
    /// is where it counts and reports (see [`Progress`]).
    pub async fn run(self, control: Control, progress: Arc<Progress>) -> Result<(), RunError> {
        let result = self.run_until_stopped(control, &progress).await;
        RunEnded {
            error: result.as_ref().err().map(|e| e as &dyn std::fmt::Display),
        }
        .emit(&progress);
        result
    }

    async fn run_until_stopped(
        self,
        control: Control,
        progress: &Arc<Progress>,
    ) -> Result<(), RunError> {
        let Control {
            stop: mut shutdown,
            pause,
        } = control;
        let name = self.config.name.clone();
        let registry = RegistryClient::new(self.config.registry.clone()).map_err(|source| {
            RunError::RegistrySettings {
                connector: name.clone(),
                source: Box::new(source),
            }
        })?;
        let mut client = None;
        let mut backoff = RETRIES;
        let mut targets = loop {
            if client
                .as_ref()
                .is_none_or(tokio_postgres::Client::is_closed)
            {
                client = self.connect(&mut shutdown, progress).await;
            }
            let Some(c) = client.as_mut() else {
                return Ok(()); // shut down while connecting
            };
            match self.setup(c, &registry).await {
                Ok(targets) => break targets,
                Err(e) if e.is_retriable() => {
                    let delay = backoff.next_delay();
                    Retried {
                        what: "preparing the tables",
                        error: &e,
                        retry_in: delay,
                    }
                    .emit(progress);
                    if wait(&mut shutdown, delay).await {
                        return Ok(());
                    }
                }
                Err(e) => return Err(e),
            }
        };
        let topic_names: Vec<String> = self.config.topics.iter().map(|t| t.topic.clone()).collect();
        let source = KafkaSource::subscribe(
            &self.config.kafka,
            topic_names.clone(),
            Arc::new(DbOffsets {
                database: self.database.clone(),
                connector: name.clone(),
            }),
            progress.ends(),
        )
        .map_err(|source| RunError::Kafka {
            connector: name.clone(),
            source,
        })?;
        for target in &mut targets {
            target.report_to(progress.clone());
        }
        Consuming {
            group: &self.config.kafka.group_id,
            topics: &topic_names,
        }
        .emit(progress);
        let mut run = Run::new(
            &self,
            source::Kafka {
                source,
                connector: name.clone(),
            },
            registry,
            targets,
            progress.clone(),
            pause,
        );
        if self
            .config
            .topics
            .iter()
            .any(|t| t.mapping.is_none() || t.evolution == crate::config::Evolution::AddColumns)
        {
            // For DDL (add-columns) and the record of columns' fields (mapping = "auto")
            // while the write connection is busy.
            run.control = self.connect(&mut shutdown, progress).await;
        }
        let result = run.run(&mut shutdown, &mut client).await;
        tracing::info!(connector = %name, "stopped");
        result
    }

    /// A connection, retried with backoff; None if shut down meanwhile.
    async fn connect(
        &self,
        shutdown: &mut watch::Receiver<bool>,
        progress: &Progress,
    ) -> Option<tokio_postgres::Client> {
        connect(&self.database, shutdown, progress).await
    }
}

/// A connector's loop over the records of `source`.
pub(crate) struct Run<'c, S> {
    pub(crate) connector: &'c Connector,
    pub(crate) source: S,
    registry: RegistryClient,
    targets: Vec<Target>,
    progress: Arc<Progress>,
    /// True while the connector is to be paused.
    pause: watch::Receiver<bool>,
    scratch: RowScratch,
    /// A connection of the reading side, for DDL while a batch is written (add-columns).
    pub(crate) control: Option<tokio_postgres::Client>,
    /// A written batch whose buffers the next one reuses.
    spare: Option<Batch>,
    /// The source has no more records.
    ended: bool,
}

impl<'c, S: RecordSource> Run<'c, S> {
    /// The loop of `connector` over `source`, into `targets` (prepared by
    /// [`Connector::setup`]), counting into `progress`; `pause` pauses it.
    pub(crate) fn new(
        connector: &'c Connector,
        source: S,
        registry: RegistryClient,
        targets: Vec<Target>,
        progress: Arc<Progress>,
        pause: watch::Receiver<bool>,
    ) -> Self {
        Run {
            connector,
            source,
            registry,
            targets,
            progress,
            pause,
            scratch: RowScratch::default(),
            control: None,
            spare: None,
            ended: false,
        }
    }

    fn name(&self) -> &str {
        &self.connector.config.name
    }

    /// The batch loop: while one batch is written (in a task of its own), the next is read
    /// and decoded. A batch starts each partition where the batch in flight ends; if that
    /// one is fenced, the next is dropped before it is written and the partitions re-read.
    /// Returns when `shutdown` turns true (the batch in flight committed), when the source
    /// ends (every record stored), or with the error that stops the connector.
    pub(crate) async fn run(
        &mut self,
        shutdown: &mut watch::Receiver<bool>,
        client: &mut Option<tokio_postgres::Client>,
    ) -> Result<(), RunError> {
        let mut in_flight: Option<InFlight> = None;
        let mut stop: Option<RunError> = None;
        loop {
            // A stop whose sender is gone is a stop; a pause whose sender is gone is not.
            let stopping = stop.is_some()
                || self.ended
                || *shutdown.borrow()
                || shutdown.has_changed().is_err();
            let pausing = !stopping && *self.pause.borrow() && self.pause.has_changed().is_ok();
            let empty = FxHashMap::default();
            let pending = in_flight.as_ref().map_or(&empty, |f| &f.ends);
            let done = in_flight.as_ref().map(|f| f.done.clone());
            let (mut batch, accepted, new_stop) = if stopping || pausing {
                (Batch::default(), FxHashMap::default(), None)
            } else {
                self.fill(shutdown, pending, done).await
            };
            if let Some(flight) = in_flight.take() {
                let done = flight
                    .handle
                    .await
                    .map_err(|source| RunError::WriterFailed {
                        connector: self.name().to_owned(),
                        source,
                    })?;
                *client = done.client;
                match done.result? {
                    // Shut down before it was written: it is read again next time.
                    None => return stop.or(new_stop).map_or(Ok(()), Err),
                    Some(outcome) => {
                        if self
                            .written(&done.batch, &batch, outcome, done.elapsed, client)
                            .await?
                        {
                            // Fenced: the next batch starts from offsets no longer stored;
                            // its partitions were sought back with the fenced one's.
                            batch = Batch::default();
                        }
                        self.spare = Some(done.batch);
                    }
                }
            }
            stop = stop.or(new_stop);
            if !batch.entries.is_empty() {
                let done = Arc::new(tokio::sync::Notify::new());
                in_flight = Some(InFlight {
                    ends: accepted,
                    handle: tokio::spawn(
                        write_batch(
                            self.connector.database.clone(),
                            self.name().to_owned(),
                            client.take(),
                            batch,
                            shutdown.clone(),
                            done.clone(),
                            self.progress.clone(),
                        )
                        .in_current_span(),
                    ),
                    done,
                });
            } else if stopping {
                return stop.map_or(Ok(()), Err);
            } else if pausing && in_flight.is_none() {
                stop = stop.or(self.paused(shutdown).await.err());
            }
        }
    }

    /// Counts a written batch and moves the positions on; after a fence, reads the stored
    /// offsets and seeks every partition of `batch` and of `next`, the batch read meanwhile
    /// (which the caller drops: a partition only in it would otherwise go on past its
    /// records). Returns whether it was fenced.
    async fn written(
        &mut self,
        batch: &Batch,
        next_batch: &Batch,
        outcome: Outcome,
        elapsed: Duration,
        client: &mut Option<tokio_postgres::Client>,
    ) -> Result<bool, RunError> {
        let (rows, dead_letters, next, fenced) = match outcome {
            Outcome::Committed {
                rows,
                dead_letters,
                next,
            } => (rows, dead_letters, next, false),
            Outcome::Fenced {
                rows,
                dead_letters,
                next,
            } => (rows, dead_letters, next, true),
        };
        if fenced {
            BatchFenced { elapsed }.emit(&self.progress);
        } else {
            BatchCommitted {
                rows,
                dead_letters,
                bytes: batch.rows.len() as u64,
                elapsed,
            }
            .emit(&self.progress);
        }
        self.source.advance(&next);
        self.publish_positions();
        if fenced {
            if client
                .as_ref()
                .is_none_or(tokio_postgres::Client::is_closed)
            {
                *client = self.connector.database.connect().await.ok();
            }
            match client.as_ref() {
                Some(c) => {
                    // Each partition's first record in the two batches: where one with no
                    // stored offset is read again from.
                    let mut first: FxHashMap<(usize, i32), i64> = FxHashMap::default();
                    for e in batch.entries.iter().chain(&next_batch.entries) {
                        let at = first.entry((e.topic, e.partition)).or_insert(e.offset);
                        *at = (*at).min(e.offset);
                    }
                    for key in batch.starts.keys().chain(next_batch.starts.keys()) {
                        first.entry(*key).or_insert(i64::MAX);
                    }
                    self.reseek(&first, c).await?;
                }
                None => {
                    // No connection to read the offsets: every owned partition is placed
                    // again by the broker's next rebalance; meanwhile re-read from stored.
                    tracing::warn!(connector = %self.name(), "cannot read the stored offsets after a fence; retrying with the next batch");
                }
            }
        }
        Ok(fenced)
    }

    /// Reads records into a batch until it is full, its linger time is over, or shutdown
    /// (seen when it waits: up to `TAKE_WITHOUT_WAIT` records the source held already may
    /// come after them);
    /// `pending` holds the ends of the batch being written meanwhile (its records are
    /// skipped, and its ends are where this batch's partitions start). The error, if any,
    /// stops the connector once the batch (the records before the cause) is written.
    async fn fill(
        &mut self,
        shutdown: &mut watch::Receiver<bool>,
        pending: &FxHashMap<(usize, i32), i64>,
        written: Option<Arc<tokio::sync::Notify>>,
    ) -> (Batch, FxHashMap<(usize, i32), i64>, Option<RunError>) {
        let limits = self.connector.config.batch;
        let tolerance = self.connector.config.tolerance;
        let spare = self.spare.take();
        let mut batcher = Batcher::new(self.name(), &self.targets, spare);
        let mut stop: Option<RunError> = None;
        // One timer for the whole batch (a new one per record costs a timer registration).
        let linger = tokio::time::sleep(limits.linger);
        tokio::pin!(linger);
        // Records taken since the last wait: while the source holds more, they are taken
        // without waiting, up to TAKE_WITHOUT_WAIT, so a fetch of many records costs one
        // wake-up, not one per record.
        let mut taken = 0;
        while !batcher.is_full(&limits) {
            let ready = if taken > 0 && taken < TAKE_WITHOUT_WAIT {
                let held = |t: usize, partition: i32| batcher.held((t, partition), pending);
                self.source.try_next(held)
            } else {
                None
            };
            let next = match ready {
                Some(next) => next,
                none => {
                    drop(none); // nothing ready: its borrow of the source ends here
                    taken = 0;
                    self.publish_positions();
                    if let Some(warning) = self.source.take_warning() {
                        KafkaWarned { warning: &warning }.emit(&self.progress);
                    }
                    let empty = batcher.batch.entries.is_empty();
                    let held = |t: usize, partition: i32| batcher.held((t, partition), pending);
                    tokio::select! {
                        _ = shutdown.changed() => break,
                        // Paused: the batch so far is written, then fetching stops. (A pause
                        // whose sender is gone is not looked at again.)
                        changed = self.pause.changed(), if self.pause.has_changed().is_ok() => {
                            if changed.is_err() || *self.pause.borrow() { break } else { continue }
                        }
                        _ = &mut linger, if !empty => break,
                        // The batch in flight is written and nothing waits: take its outcome.
                        _ = async {
                            match &written {
                                Some(done) => done.notified().await,
                                None => std::future::pending().await,
                            }
                        }, if empty => break,
                        next = self.source.next(held) => next,
                    }
                }
            };
            taken += 1;
            let incoming = match next {
                source::Next::Record(incoming) => incoming,
                source::Next::Nothing => continue,
                source::Next::End => {
                    self.ended = true;
                    break;
                }
                source::Next::Stop(e) => {
                    stop = Some(e);
                    break;
                }
            };
            let item = S::item(&incoming);
            let (t, record) = (item.topic, &item.record);
            let start = batcher.batch.rows.len();
            let mut backoff = RETRIES;
            let decoded = loop {
                match decode(
                    &mut self.targets[t],
                    &self.registry,
                    self.control.as_ref(),
                    record,
                    &mut self.scratch,
                    &mut batcher.batch.rows,
                )
                .await
                {
                    Ok(d) => break d,
                    Err(e) => {
                        let delay = backoff.next_delay();
                        Retried {
                            what: "reading a schema or recording columns",
                            error: &e,
                            retry_in: delay,
                        }
                        .emit(&self.progress);
                        if self
                            .control
                            .as_ref()
                            .is_none_or(tokio_postgres::Client::is_closed)
                        {
                            self.control = self.connector.database.connect().await.ok();
                        }
                        if wait(shutdown, delay).await {
                            // The records before this one are a batch of their own.
                            return (batcher.batch, batcher.accepted, None);
                        }
                    }
                }
            };
            if let Err(e) = batcher.add(
                &self.targets,
                t,
                record,
                decoded,
                start,
                pending,
                item.stored,
                tolerance,
            ) {
                stop = Some(e);
                break;
            }
            batcher.yield_sometimes().await;
        }
        self.publish_positions();
        (batcher.batch, batcher.accepted, stop)
    }
}
