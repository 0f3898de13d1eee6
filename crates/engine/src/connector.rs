//! One connector's loop: records from the consumer, decoded into batches, each written in
//! one transaction with its fenced offsets; then, for lag tools only, the offsets committed
//! to Kafka.
//!
//! Exactly once: a partition is read from its stored `next_offset` (the consumer's
//! rebalance callback places it there), a record below the offset this worker holds for its
//! partition is skipped, and a batch only commits if every partition's stored offset is still
//! the one the batch started from. A batch that loses that race stores nothing, and the
//! partitions are read again from their stored offsets.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::decode::{key_schema, latest_schema};
use inlet_avro::{Proposal, RowScratch, WriterSchema};
use inlet_kafka::{ConsumerEvent, SourceConsumer, subscribe};
use inlet_postgres::{
    Batch, DatabaseConfig, Outcome, create_hypertable, create_table, ensure_inlet_schema,
    load_column_sources, load_offsets, table_columns, timescaledb_present, unique_keys,
};
use inlet_registry::RegistryClient;
use rdkafka::Message;
use rdkafka::consumer::{CommitMode, Consumer};
use rdkafka::message::Headers;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::sync::watch;
use tracing::Instrument as _;

use crate::batcher::Batcher;
use crate::config::ConnectorConfig;
use crate::decode::{Record, Target, decode};
use crate::events::{BatchCommitted, BatchFenced, Rebalanced, Retried};
use crate::metrics::Progress;
use crate::offsets::DbOffsets;

/// Why a connector stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The database refused something that retrying will not fix.
    #[error("connector {connector}: {source}")]
    Database {
        /// The connector.
        connector: String,
        /// What happened.
        source: inlet_postgres::Error,
    },
    /// The consumer could not be made.
    #[error("connector {connector}: {source}")]
    Kafka {
        /// The connector.
        connector: String,
        /// What happened.
        source: inlet_kafka::Error,
    },
    /// The schema registry settings cannot be used (a URL that is not http(s), say).
    #[error("connector {connector}: the schema registry settings are not usable: {source}")]
    Registry {
        /// The connector.
        connector: String,
        /// What is wrong.
        source: inlet_registry::Error,
    },
    /// The task writing a batch ended without an outcome (it panicked): a bug. The batch is
    /// not committed, so its records are read again on restart.
    #[error("connector {connector}: the batch writer failed: {reason}")]
    WriterFailed {
        /// The connector.
        connector: String,
        /// What the runtime said.
        reason: String,
    },
    /// The brokers refused the credentials.
    #[error(
        "connector {connector}: Kafka refused the credentials: {reason}. Check kafka.username, kafka.password and kafka.sasl_mechanism (for Confluent Cloud: an API key and its secret, with PLAIN)"
    )]
    KafkaAuthentication {
        /// The connector.
        connector: String,
        /// librdkafka's reason.
        reason: String,
    },
    /// The brokers refused an operation to the connector's principal: an ACL is missing.
    #[error("connector {connector}: {advice}")]
    KafkaAuthorization {
        /// The connector.
        connector: String,
        /// What is refused and the ACL that grants it ([`inlet_kafka::Denied::advice`]).
        advice: String,
    },
    /// A partition's stored offset is past its end: the topic was deleted and made again, or
    /// its log truncated. Its records would be taken as stored, so the connector stops.
    #[error(
        "connector {connector}: {topic}/{partition} starts below its stored next offset {stored}: the topic was deleted and created again, or its log truncated, so offsets stored for its records no longer match them. To read it from its start, delete the stored offset (DELETE FROM inlet.offsets WHERE connector = '{connector}' AND topic = '{topic}' AND partition = {partition}) and restart"
    )]
    OffsetsAhead {
        /// The connector.
        connector: String,
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
        /// The stored next offset.
        stored: i64,
    },
    /// Something that may come back (the registry) did not answer; retried at start.
    #[error("connector {connector}: {message}")]
    Unavailable {
        /// The connector.
        connector: String,
        /// What did not answer.
        message: String,
    },
    /// A table could not be prepared.
    #[error("connector {connector}: {message}")]
    Table {
        /// The connector.
        connector: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// errors.tolerance = none and a record cannot be stored.
    #[error(
        "connector {connector} stopped at {topic}/{partition} offset {offset} (errors.tolerance = none), which cannot be stored: {reason}. The records before it are stored; fix the cause, or set errors.tolerance = \"all\" to dead-letter such records, and restart"
    )]
    BadRecord {
        /// The connector.
        connector: String,
        /// Where.
        topic: String,
        /// Where.
        partition: i32,
        /// Where.
        offset: i64,
        /// Why.
        reason: String,
    },
    /// A record file to replay cannot be read.
    #[error("connector {connector}: {message}")]
    Replay {
        /// The connector.
        connector: String,
        /// What is wrong with the file.
        message: String,
    },
}

impl RunError {
    /// Whether retrying may help: the database or the registry did not answer.
    pub fn is_retriable(&self) -> bool {
        match self {
            RunError::Database { source, .. } => source.is_retriable(),
            RunError::Unavailable { .. } => true,
            _ => false,
        }
    }

    /// Whose fault it is (an API answers with [`inlet_fault::Fault::http_status`]): the
    /// configuration's (credentials, permissions, a table that does not fit, a record
    /// refused with `tolerance = "none"`, a topic made again), an external system's (the
    /// database or the registry not answering), or a bug (the batch writer failed).
    pub fn fault(&self) -> inlet_fault::Fault {
        use inlet_fault::Fault;
        match self {
            RunError::Database { source, .. } => source.fault(),
            RunError::Kafka { source, .. } => source.fault(),
            RunError::Registry { source, .. } => source.fault(),
            RunError::Unavailable { .. } => Fault::External,
            RunError::WriterFailed { .. } => Fault::Internal,
            RunError::KafkaAuthentication { .. }
            | RunError::KafkaAuthorization { .. }
            | RunError::OffsetsAhead { .. }
            | RunError::Table { .. }
            | RunError::BadRecord { .. }
            | RunError::Replay { .. } => Fault::Config,
        }
    }
}

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

/// Backoff between retries of the database or the registry.
const RETRY_START: Duration = Duration::from_millis(200);
const RETRY_MAX: Duration = Duration::from_secs(10);

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
        progress.consuming.store(false, Ordering::Relaxed);
        progress.paused.store(false, Ordering::Relaxed);
        // The partitions were this run's: a restart learns its own from the rebalance.
        progress.set_stored(Default::default());
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
            RunError::Registry {
                connector: name.clone(),
                source,
            }
        })?;
        let mut client = None;
        let mut delay = RETRY_START;
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
                    Retried {
                        what: "preparing the tables",
                        error: &e,
                        retry_in: delay,
                    }
                    .emit(progress);
                    if wait(&mut shutdown, delay).await {
                        return Ok(());
                    }
                    delay = (delay * 2).min(RETRY_MAX);
                }
                Err(e) => return Err(e),
            }
        };
        let (events_tx, events) = tokio::sync::mpsc::unbounded_channel();
        let topic_names: Vec<&str> = self
            .config
            .topics
            .iter()
            .map(|t| t.topic.as_str())
            .collect();
        let consumer = subscribe(
            &self.config.kafka,
            &topic_names,
            Arc::new(DbOffsets {
                database: self.database.clone(),
                connector: name.clone(),
            }),
            events_tx,
            progress.ends.clone(),
        )
        .map_err(|source| RunError::Kafka {
            connector: name.clone(),
            source,
        })?;
        tracing::info!(connector = %name, group = %self.config.kafka.group_id, topics = ?topic_names, "running");
        for target in &mut targets {
            target.report_to(progress.clone());
        }
        progress.consuming.store(true, Ordering::Relaxed);
        let mut run = Run {
            connector: &self,
            consumer,
            events,
            registry,
            targets,
            positions: HashMap::new(),
            progress: progress.clone(),
            pause,
            scratch: RowScratch::default(),
            control: None,
            spare: None,
            unassigned_since: Some(Instant::now()),
            warnings: inlet_kafka::Throttle::default(),
            idle: {
                let mut idle = tokio::time::interval_at(
                    tokio::time::Instant::now() + Duration::from_secs(1),
                    Duration::from_secs(1),
                );
                idle.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                idle
            },
        };
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

    /// inlet's schema and each topic's target table.
    pub(crate) async fn setup(
        &self,
        client: &mut tokio_postgres::Client,
        registry: &RegistryClient,
    ) -> Result<Vec<Target>, RunError> {
        ensure_inlet_schema(client)
            .await
            .map_err(|source| RunError::Database {
                connector: self.config.name.clone(),
                source,
            })?;
        let mut targets = Vec::new();
        for topic in &self.config.topics {
            targets.push(self.prepare(client, registry, topic).await?);
        }
        Ok(targets)
    }

    /// A connection, retried with backoff; None if shut down meanwhile.
    async fn connect(
        &self,
        shutdown: &mut watch::Receiver<bool>,
        progress: &Progress,
    ) -> Option<tokio_postgres::Client> {
        connect(&self.database, shutdown, progress).await
    }

    /// The topic's table: read, or created from the proposal for the subject's latest schema.
    async fn prepare(
        &self,
        client: &mut tokio_postgres::Client,
        registry: &RegistryClient,
        topic: &crate::config::TopicConfig,
    ) -> Result<Target, RunError> {
        let table_error = |message: String| RunError::Table {
            connector: self.config.name.clone(),
            message,
        };
        let db_error = |source| RunError::Database {
            connector: self.config.name.clone(),
            source,
        };
        // The key's latest schema: its fields can fill columns the value does not.
        let key = latest_schema(registry, &format!("{}-key", topic.topic)).await;
        if let Some(columns) = table_columns(client, &topic.table)
            .await
            .map_err(db_error)?
        {
            self.check_key(client, topic).await?;
            let sources = self.column_sources(client, topic).await?;
            let target = Target::new(&self.config.name, topic.clone(), columns, sources)
                .with_key_subject(key.is_some());
            // A table that no record of the latest schema can fill is refused now, rather
            // than every record dead-lettered (or rows of NULLs); without the registry the
            // records are checked schema by schema as they come.
            if let Some((id, writer)) =
                latest_schema(registry, &format!("{}-value", topic.topic)).await
                && let Some(reason) = target.coverage_problem(&writer, key_schema(&key))
            {
                return Err(table_error(format!(
                    "schema id {id} of subject {}-value: {reason}",
                    topic.topic
                )));
            }
            return Ok(target);
        }
        if !topic.create_table {
            return Err(table_error(format!(
                "table {} does not exist: create it, or set create_table = true for topic {}",
                topic.table, topic.topic
            )));
        }
        let subject = format!("{}-value", topic.topic);
        let latest = registry
            .subject_version(&subject, "latest")
            .await
            .map_err(|e| if e.is_retriable() {
                RunError::Unavailable {
                    connector: self.config.name.clone(),
                    message: format!("subject {subject}: {e}"),
                }
            } else { table_error(format!(
                "table {} does not exist, and the schema to create it from cannot be read: subject {subject}: {e}. Produce to the topic with a registered schema first, or create the table",
                topic.table
            ))})?;
        let resolved = registry
            .resolve(latest.id)
            .await
            .map_err(|e| table_error(format!("schema id {}: {e}", latest.id)))?;
        let writer = WriterSchema::parse(&resolved.schema, &resolved.dependencies)
            .map_err(|e| table_error(format!("schema id {}: {e}", latest.id)))?;
        // Columns the value lacks may come from the key's fields (its latest schema).
        let proposal = Proposal::for_topic(
            &writer,
            key.as_ref().map(|(_, key)| key),
            topic.insert.key().unwrap_or_default(),
        );
        if let Some(reason) = crate::decode::uncreatable(topic, &proposal) {
            return Err(table_error(reason));
        }
        let create =
            inlet_postgres::ddl::create_table(&topic.table, &proposal.columns, topic.insert.key());
        // false: another worker created it meanwhile (and its hypertable).
        let created = create_table(client, &topic.table, &create)
            .await
            .map_err(db_error)?;
        if created {
            tracing::info!(table = %topic.table, schema_id = latest.id, "table created from the schema's proposal");
        }
        let time_column = topic.time_column.clone().or(proposal.time_column);
        if let Some(time) = time_column.filter(|_| created) {
            let keyed_without_time = topic.insert.key().is_some_and(|k| !k.contains(&time));
            if keyed_without_time {
                tracing::info!(table = %topic.table, %time, "not a hypertable: its unique key would have to include the time column");
            } else if timescaledb_present(client).await.map_err(db_error)? {
                create_hypertable(client, &topic.table, &time, &topic.chunk_interval)
                    .await
                    .map_err(db_error)?;
                tracing::info!(table = %topic.table, %time, "hypertable created");
            } else {
                tracing::info!(table = %topic.table, "TimescaleDB is not installed: a plain table");
            }
        }
        let columns = table_columns(client, &topic.table)
            .await
            .map_err(db_error)?
            .ok_or_else(|| {
                table_error(format!("table {} vanished after its creation", topic.table))
            })?;
        self.check_key(client, topic).await?;
        if created && topic.mapping.is_none() {
            // Each column's field, from the proposal the table was made from; what was
            // recorded for an earlier table of that name is forgotten.
            let claims: Vec<inlet_postgres::ColumnClaim> = proposal
                .mapping
                .iter()
                .filter(|m| !matches!(m.source, inlet_avro::ColumnSource::Kafka(_)))
                .map(|m| inlet_postgres::ColumnClaim {
                    path: m.source.to_string(),
                    column: m.column.clone(),
                    add: None,
                })
                .collect();
            inlet_postgres::claim_columns(client, &self.config.name, &topic.table, &claims, true)
                .await
                .map_err(db_error)?;
        }
        let sources = self.column_sources(client, topic).await?;
        Ok(
            Target::new(&self.config.name, topic.clone(), columns, sources)
                .with_key_subject(key.is_some()),
        )
    }

    /// The recorded field of each column of the topic's table (mapping = "auto" only).
    async fn column_sources(
        &self,
        client: &tokio_postgres::Client,
        topic: &crate::config::TopicConfig,
    ) -> Result<std::collections::BTreeMap<String, String>, RunError> {
        if topic.mapping.is_some() {
            return Ok(Default::default());
        }
        load_column_sources(client, &self.config.name, &topic.table)
            .await
            .map_err(|source| RunError::Database {
                connector: self.config.name.clone(),
                source,
            })
    }

    /// The upsert modes need a unique index on exactly the key columns.
    async fn check_key(
        &self,
        client: &tokio_postgres::Client,
        topic: &crate::config::TopicConfig,
    ) -> Result<(), RunError> {
        let Some(key) = topic.insert.key() else {
            return Ok(());
        };
        let mut wanted = key.to_vec();
        wanted.sort();
        let keys =
            unique_keys(client, &topic.table)
                .await
                .map_err(|source| RunError::Database {
                    connector: self.config.name.clone(),
                    source,
                })?;
        if keys.contains(&wanted) {
            return Ok(());
        }
        let list = inlet_postgres::ddl::quote_list(key);
        Err(RunError::Table {
            connector: self.config.name.clone(),
            message: format!(
                "table {} has no unique index on key_columns ({list}), which upserts need: CREATE UNIQUE INDEX ON {} ({list});",
                topic.table,
                topic.table.quoted()
            ),
        })
    }
}

/// Where an assigned partition is.
#[derive(Debug, Clone, Copy)]
struct Position {
    /// The stored next offset this worker holds (None: none stored yet).
    stored: Option<i64>,
    /// Placed (assigned or sought) and no record seen since.
    placed: bool,
    /// The consumer's position, when it was seen past `stored` with no record of the
    /// partition waiting: the offsets between hold nothing to store (transaction markers,
    /// aborted records). For lag only; the stored offset does not move.
    passed: Option<i64>,
}

impl Position {
    fn placed(stored: Option<i64>) -> Self {
        Position {
            stored,
            placed: true,
            passed: None,
        }
    }
}

/// Applies a change of the consumer's assignment to the positions.
fn apply_event(
    event: ConsumerEvent,
    positions: &mut HashMap<(usize, i32), Position>,
    targets: &[Target],
) {
    let index = |topic: &str| targets.iter().position(|t| t.config.topic == topic);
    match event {
        ConsumerEvent::AuthenticationFailed(_) | ConsumerEvent::AuthorizationFailed(_) => {}
        ConsumerEvent::Assigned(parts) => {
            for (topic, partition, next) in parts {
                if let Some(t) = index(&topic) {
                    positions.insert((t, partition), Position::placed(next));
                }
            }
        }
        ConsumerEvent::Revoked(parts) => {
            for (topic, partition) in parts {
                if let Some(t) = index(&topic) {
                    positions.remove(&(t, partition));
                }
            }
        }
    }
}

/// The first record after a partition was placed at its stored offset `floor` is at
/// `offset`, past it. Kafka serves a fetch from the stored offset, or, when retention has
/// moved the log's start past it, from the log's start (`auto.offset.reset` is always
/// `earliest`), so no record that exists is skipped; what lies between is either records
/// deleted by retention before the connector read them (a warning, with how many), or
/// offsets that hold no record to store: transaction markers, aborted or compacted records
/// (debug: every placement of a transactional partition meets a marker).
fn report_gap(
    consumer: &SourceConsumer,
    connector: &str,
    topic: &str,
    partition: i32,
    floor: i64,
    offset: i64,
) {
    let log_start = consumer
        .fetch_watermarks(topic, partition, Duration::from_secs(5))
        .map_or(i64::MIN, |(low, _)| low);
    if floor < log_start {
        let lost = log_start.min(offset) - floor;
        tracing::warn!(
            connector,
            %topic,
            partition,
            stored = floor,
            log_start,
            "offsets {floor}..{log_start} were deleted by retention before the connector read them: {lost} offset{} not read",
            if lost == 1 { "" } else { "s" }
        );
    } else {
        tracing::debug!(
            connector,
            %topic,
            partition,
            stored = floor,
            first = offset,
            "offsets {floor}..{offset} hold no record to store (transaction markers, aborted or compacted records)"
        );
    }
}

/// How long a worker may hold no partition before it says so.
const UNASSIGNED: Duration = Duration::from_secs(60);

/// A batch being written.
pub(crate) struct InFlight {
    /// Its partitions' ends: where the next batch starts them.
    pub(crate) ends: HashMap<(usize, i32), i64>,
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

async fn write_with_retries(
    database: DatabaseConfig,
    connector: String,
    mut client: Option<tokio_postgres::Client>,
    batch: Batch,
    mut shutdown: watch::Receiver<bool>,
    progress: &Progress,
) -> Written {
    let mut delay = RETRY_START;
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
                delay = (delay * 2).min(RETRY_MAX);
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

/// A connection, retried with backoff; None if shut down meanwhile.
async fn connect(
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
async fn wait(shutdown: &mut watch::Receiver<bool>, delay: Duration) -> bool {
    if *shutdown.borrow() {
        return true;
    }
    tokio::select! {
        _ = shutdown.changed() => true,
        _ = tokio::time::sleep(delay) => *shutdown.borrow(),
    }
}

struct Run<'c> {
    connector: &'c Connector,
    consumer: SourceConsumer,
    events: UnboundedReceiver<ConsumerEvent>,
    registry: RegistryClient,
    targets: Vec<Target>,
    /// (topic index, partition) → where it is. Only assigned partitions are here.
    positions: HashMap<(usize, i32), Position>,
    progress: Arc<Progress>,
    /// True while the connector is to be paused.
    pause: watch::Receiver<bool>,
    scratch: RowScratch,
    /// A connection of the reading side, for DDL while a batch is written (add-columns).
    control: Option<tokio_postgres::Client>,
    /// A written batch whose buffers the next one reuses.
    spare: Option<Batch>,
    /// Since when this worker holds no partition (None: it holds some, or said so already).
    unassigned_since: Option<Instant>,
    /// Every second: where idle partitions' consumer positions are, and whether any
    /// partition is held at all.
    idle: tokio::time::Interval,
    /// The consumer's repeated errors, logged every 30 s.
    warnings: inlet_kafka::Throttle,
}

impl Run<'_> {
    fn name(&self) -> &str {
        &self.connector.config.name
    }

    /// The stop for a Kafka error that is a refused permission: it does not come back by
    /// retrying, so the connector stops with what to grant.
    fn denied(&self, error: &rdkafka::error::KafkaError) -> Option<RunError> {
        let kafka = &self.connector.config.kafka;
        let topics: Vec<&str> = self
            .targets
            .iter()
            .map(|t| t.config.topic.as_str())
            .collect();
        // Name only the topics the brokers refuse (asked one by one), not every topic.
        let topic_refused = error.rdkafka_error_code()
            == Some(rdkafka::error::RDKafkaErrorCode::TopicAuthorizationFailed);
        let refused: Vec<&str> = topics
            .iter()
            .copied()
            .filter(|topic| {
                topic_refused
                    && self
                        .consumer
                        .fetch_metadata(Some(topic), Duration::from_secs(5))
                        .ok()
                        .and_then(|m| m.topics().first().and_then(|t| t.error()))
                        .map(rdkafka::error::RDKafkaErrorCode::from)
                        == Some(rdkafka::error::RDKafkaErrorCode::TopicAuthorizationFailed)
            })
            .collect();
        let named = if refused.is_empty() {
            &topics
        } else {
            &refused
        };
        let denied = inlet_kafka::Denied::from_error(error, named, &kafka.group_id)?;
        Some(RunError::KafkaAuthorization {
            connector: self.name().to_owned(),
            advice: denied.advice(kafka.sasl.as_ref().map(|(_, user, _)| user.as_str())),
        })
    }

    fn topic_index(&self, topic: &str) -> Option<usize> {
        self.targets.iter().position(|t| t.config.topic == topic)
    }

    /// The batch loop: while one batch is written (in a task of its own), the next is read
    /// and decoded. A batch starts each partition where the batch in flight ends; if that
    /// one is fenced, the next is dropped before it is written and the partitions re-read.
    async fn run(
        &mut self,
        shutdown: &mut watch::Receiver<bool>,
        client: &mut Option<tokio_postgres::Client>,
    ) -> Result<(), RunError> {
        let mut in_flight: Option<InFlight> = None;
        let mut stop: Option<RunError> = None;
        loop {
            // A stop whose sender is gone is a stop; a pause whose sender is gone is not.
            let stopping = stop.is_some() || *shutdown.borrow() || shutdown.has_changed().is_err();
            let pausing = !stopping && *self.pause.borrow() && self.pause.has_changed().is_ok();
            let empty = HashMap::new();
            let pending = in_flight.as_ref().map_or(&empty, |f| &f.ends);
            let done = in_flight.as_ref().map(|f| f.done.clone());
            let (mut batch, accepted, new_stop) = if stopping || pausing {
                (Batch::default(), HashMap::new(), None)
            } else {
                self.fill(shutdown, pending, done).await
            };
            if let Some(flight) = in_flight.take() {
                let done = flight.handle.await.map_err(|e| RunError::WriterFailed {
                    connector: self.name().to_owned(),
                    reason: e.to_string(),
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
                stop = stop.or(self.paused(shutdown).await);
            }
        }
    }

    /// Paused, with nothing in flight: the assigned partitions stop fetching (a partition
    /// assigned meanwhile too) while the consumer goes on polling, so that the group keeps
    /// this member and its partitions. Records already fetched are let go; on resume each
    /// partition is sought back to its stored offset (or, with none stored, to the first
    /// record let go), so none is skipped. Returns on resume or stop, with the error that
    /// stops the connector if a partition could not be sought back.
    async fn paused(&mut self, shutdown: &mut watch::Receiver<bool>) -> Option<RunError> {
        tracing::info!(connector = %self.name(), "paused");
        self.progress.paused.store(true, Ordering::Relaxed);
        let mut let_go: HashMap<(usize, i32), i64> = HashMap::new();
        self.set_fetching(false);
        loop {
            tokio::select! {
                _ = shutdown.changed() => break,
                changed = self.pause.changed() => if changed.is_err() || !*self.pause.borrow() { break },
                Some(event) = self.events.recv() => {
                    if matches!(event, ConsumerEvent::Assigned(_) | ConsumerEvent::Revoked(_)) {
                        Rebalanced.emit(&self.progress);
                        apply_event(event, &mut self.positions, &self.targets);
                        self.publish_positions();
                        self.set_fetching(false);
                    }
                }
                _ = self.idle.tick() => {}
                message = self.consumer.recv() => {
                    if let Ok(message) = message
                        && let Some(t) = self.topic_index(message.topic())
                    {
                        let first = let_go.entry((t, message.partition())).or_insert(i64::MAX);
                        *first = (*first).min(message.offset());
                    }
                }
            }
        }
        // Every partition held: its position is where the last record before the pause was.
        for &key in self.positions.keys() {
            let_go.entry(key).or_insert(i64::MAX);
        }
        let stored: HashMap<(usize, i32), Option<i64>> = self
            .positions
            .iter()
            .map(|(&key, p)| (key, p.stored))
            .collect();
        let mut failed = None;
        for (key, first) in let_go {
            if let Some(&at) = stored.get(&key)
                && let Err(e) = self.seek_back(key, at, first)
            {
                failed = failed.or(Some(e));
            }
        }
        self.set_fetching(true);
        self.progress.paused.store(false, Ordering::Relaxed);
        if !*shutdown.borrow() {
            tracing::info!(connector = %self.name(), "resumed");
        }
        failed
    }

    /// Pauses or resumes fetching of every partition assigned to the consumer.
    fn set_fetching(&self, fetching: bool) {
        let Ok(assignment) = self.consumer.assignment() else {
            return;
        };
        let result = if fetching {
            self.consumer.resume(&assignment)
        } else {
            self.consumer.pause(&assignment)
        };
        if let Err(e) = result {
            tracing::warn!(connector = %self.name(), error = %e, fetching, "pausing or resuming the partitions failed");
        }
    }

    /// Places partition `key` to be read again from `stored`, or, with none stored, from
    /// `first` (the first record dropped, `i64::MAX` for none: left where it is). A seek
    /// that fails would go on past records not stored: the connector stops with a
    /// retriable error, and its restart reads from the stored offsets.
    fn seek_back(
        &mut self,
        key: (usize, i32),
        stored: Option<i64>,
        first: i64,
    ) -> Result<(), RunError> {
        let (t, partition) = key;
        self.positions.insert(key, Position::placed(stored));
        let at = match stored {
            Some(next) => next,
            None if first != i64::MAX => first,
            None => return Ok(()),
        };
        let topic = &self.targets[t].config.topic;
        self.consumer
            .seek(topic, partition, Offset::Offset(at), Duration::from_secs(10))
            .map_err(|e| RunError::Unavailable {
                connector: self.name().to_owned(),
                message: format!(
                    "seeking {topic}/{partition} back to offset {at} failed ({e}): restarting, to read it from its stored offset"
                ),
            })
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
        self.advance(&next);
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
                    let mut first: HashMap<(usize, i32), i64> = HashMap::new();
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

    /// Reads records into a batch until it is full, its linger time is over, or shutdown;
    /// `pending` holds the ends of the batch being written meanwhile (its records are
    /// skipped, and its ends are where this batch's partitions start). The error, if any,
    /// stops the connector once the batch (the records before the cause) is written.
    async fn fill(
        &mut self,
        shutdown: &mut watch::Receiver<bool>,
        pending: &HashMap<(usize, i32), i64>,
        written: Option<Arc<tokio::sync::Notify>>,
    ) -> (Batch, HashMap<(usize, i32), i64>, Option<RunError>) {
        let limits = self.connector.config.batch;
        let spare = self.spare.take();
        let mut batcher = Batcher::new(self.name(), &self.targets, spare);
        let mut stop: Option<RunError> = None;
        // The consumer's positions move past transaction markers without a record: looked at
        // every second, for the lag of partitions that have nothing waiting.
        // One timer for the whole batch (a new one per record costs a timer registration).
        let linger = tokio::time::sleep(limits.linger);
        tokio::pin!(linger);
        while !batcher.is_full(&limits) {
            let empty = batcher.batch.entries.is_empty();
            let mut event = None;
            let message = tokio::select! {
                _ = shutdown.changed() => break,
                // Paused: the batch so far is written, then fetching stops. (A pause whose
                // sender is gone is not looked at again.)
                changed = self.pause.changed(), if self.pause.has_changed().is_ok() => {
                    if changed.is_err() || *self.pause.borrow() { break } else { None }
                }
                _ = &mut linger, if !empty => break,
                // The batch in flight is written and nothing waits: take its outcome.
                _ = async {
                    match &written {
                        Some(done) => done.notified().await,
                        None => std::future::pending().await,
                    }
                }, if empty => break,
                Some(e) = self.events.recv() => { event = Some(e); None }
                _ = self.idle.tick() => {
                    self.note_idle_positions(&batcher.batch, pending);
                    self.say_if_unassigned();
                    None
                }
                message = self.consumer.recv() => Some(message),
            };
            // Assignment changes first: a message may be from a partition just assigned.
            let mut refused = None;
            let mut changed = false;
            let mut events: Vec<ConsumerEvent> = event.into_iter().collect();
            while let Ok(e) = self.events.try_recv() {
                events.push(e);
            }
            for e in events {
                match e {
                    ConsumerEvent::AuthenticationFailed(reason) => {
                        refused = refused.or(Some(RunError::KafkaAuthentication {
                            connector: self.name().to_owned(),
                            reason,
                        }));
                    }
                    ConsumerEvent::AuthorizationFailed(error) => {
                        refused = refused.or_else(|| self.denied(&error));
                    }
                    change => {
                        changed = true;
                        Rebalanced.emit(&self.progress);
                        apply_event(change, &mut self.positions, &self.targets);
                    }
                }
            }
            if changed {
                self.publish_positions();
                self.unassigned_since = self.positions.is_empty().then(Instant::now);
            }
            let message = match message {
                Some(Ok(m)) => Some(m),
                Some(Err(e)) => {
                    refused = refused.or_else(|| self.denied(&e));
                    let missing = matches!(
                        e.rdkafka_error_code(),
                        Some(
                            rdkafka::error::RDKafkaErrorCode::UnknownTopicOrPartition
                                | rdkafka::error::RDKafkaErrorCode::UnknownTopic
                        )
                    );
                    if refused.is_none()
                        && let Some(held) = self.warnings.admit(&e.to_string())
                    {
                        if missing {
                            let topics: Vec<&str> = self
                                .targets
                                .iter()
                                .map(|t| t.config.topic.as_str())
                                .collect();
                            tracing::warn!(connector = %self.name(), error = %e, held_back = held, "a topic of this connector ({}) does not exist on the cluster: create it, or correct [[connector.topic]] name; the connector reads it once it exists (logged at most every 30 s)", topics.join(", "));
                        } else {
                            tracing::warn!(connector = %self.name(), error = %e, held_back = held, "Kafka (the same warning is logged at most every 30 s)");
                        }
                    }
                    None
                }
                None => None,
            };
            if refused.is_some() {
                stop = refused;
                break;
            }
            let Some(message) = message else {
                continue;
            };
            let topic = message.topic();
            let Some(t) = self.topic_index(topic) else {
                continue;
            };
            let key = (t, message.partition());
            let Some(position) = self.positions.get_mut(&key) else {
                continue; // not (or no longer) ours
            };
            let placed = std::mem::replace(&mut position.placed, false);
            position.passed = None;
            let position = *position;
            let floor = batcher
                .floor(key, pending, position.stored)
                .unwrap_or(i64::MIN);
            if placed && position.stored.is_some() && message.offset() > floor {
                report_gap(
                    &self.consumer,
                    &self.connector.config.name,
                    topic,
                    key.1,
                    floor,
                    message.offset(),
                );
            }
            if placed
                && let Some(stored) = position.stored
                && message.offset() < stored
                && !pending.contains_key(&key)
            {
                // Placed at its stored offset, the partition delivered an earlier one: Kafka
                // reset it to its start because the stored offset is past its end.
                stop = Some(RunError::OffsetsAhead {
                    connector: self.name().to_owned(),
                    topic: topic.to_owned(),
                    partition: key.1,
                    stored,
                });
                break;
            }
            if message.offset() < floor {
                continue; // stored already
            }
            let headers: Vec<(&str, Option<&[u8]>)> = message
                .headers()
                .map(|h| h.iter().map(|h| (h.key, h.value)).collect())
                .unwrap_or_default();
            let record = Record {
                topic,
                partition: message.partition(),
                offset: message.offset(),
                timestamp_ms: message.timestamp().to_millis(),
                key: message.key(),
                value: message.payload(),
                headers,
            };
            let start = batcher.batch.rows.len();
            let decoded = loop {
                match decode(
                    &mut self.targets[t],
                    &self.registry,
                    self.control.as_ref(),
                    &record,
                    &mut self.scratch,
                    &mut batcher.batch.rows,
                )
                .await
                {
                    Ok(d) => break d,
                    Err(e) => {
                        Retried {
                            what: "reading a schema or recording columns",
                            error: &e,
                            retry_in: RETRY_START * 5,
                        }
                        .emit(&self.progress);
                        if self
                            .control
                            .as_ref()
                            .is_none_or(tokio_postgres::Client::is_closed)
                        {
                            self.control = self.connector.database.connect().await.ok();
                        }
                        if wait(shutdown, RETRY_START * 5).await {
                            // The records before this one are a batch of their own.
                            return (batcher.batch, batcher.accepted, None);
                        }
                    }
                }
            };
            if let Err(e) = batcher.add(
                &self.targets,
                t,
                &record,
                decoded,
                start,
                pending,
                position.stored,
                self.connector.config.tolerance,
            ) {
                stop = Some(e);
                break;
            }
            batcher.yield_sometimes().await;
        }
        (batcher.batch, batcher.accepted, stop)
    }

    /// After a commit: the new positions, and Kafka's committed offsets for lag tools.
    fn advance(&mut self, next: &HashMap<(usize, i32), i64>) {
        let mut tpl = TopicPartitionList::new();
        for (&(t, partition), &offset) in next {
            if let Some(position) = self.positions.get_mut(&(t, partition)) {
                position.stored = Some(offset);
            }
            let _ = tpl.add_partition_offset(
                &self.targets[t].config.topic,
                partition,
                Offset::Offset(offset),
            );
        }
        if tpl.count() > 0
            && let Err(e) = self.consumer.commit(&tpl, CommitMode::Async)
        {
            tracing::debug!(error = %e, "committing offsets to Kafka (for lag tools) failed");
        }
        self.publish_positions();
    }

    /// The owned partitions' stored offsets (or the position an idle one has passed them
    /// by, see [`Position::passed`]), for the lag metrics.
    fn publish_positions(&self) {
        self.progress.set_stored(
            self.positions
                .iter()
                .filter_map(|(&(t, partition), p)| {
                    p.stored.map(|s| {
                        let at = p.passed.map_or(s, |passed| passed.max(s));
                        ((self.targets[t].config.topic.clone(), partition), at)
                    })
                })
                .collect(),
        );
    }

    /// A worker that holds no partition for [`UNASSIGNED`] says so once: a group whose
    /// partitions nobody reads must not look like a quiet topic.
    fn say_if_unassigned(&mut self) {
        if self.positions.is_empty()
            && let Some(since) = self.unassigned_since
            && since.elapsed() >= UNASSIGNED
        {
            let topics: Vec<&str> = self
                .targets
                .iter()
                .map(|t| t.config.topic.as_str())
                .collect();
            tracing::warn!(
                connector = %self.name(),
                group = %self.connector.config.kafka.group_id,
                "no partition of {} assigned to this worker for {} s: the group is rebalancing (a dead member is dropped after session.timeout.ms), other workers hold every partition, or the topics have none this worker may read",
                topics.join(", "),
                since.elapsed().as_secs()
            );
            self.unassigned_since = None;
        }
    }

    /// For the lag of partitions with nothing waiting: where the consumer is, when it has
    /// moved past the stored offset without a record (transaction markers, aborted records:
    /// offsets that hold nothing to store). A partition with records in `batch` or in the
    /// batch in flight (`pending`) keeps its stored offset.
    fn note_idle_positions(&mut self, batch: &Batch, pending: &HashMap<(usize, i32), i64>) {
        let Ok(positions) = self.consumer.position() else {
            return;
        };
        let mut changed = false;
        for (&(t, partition), p) in &mut self.positions {
            let Some(stored) = p.stored else { continue };
            let busy =
                pending.contains_key(&(t, partition)) || batch.starts.contains_key(&(t, partition));
            let topic = &self.targets[t].config.topic;
            let passed = match positions
                .find_partition(topic, partition)
                .map(|e| e.offset())
            {
                Some(Offset::Offset(at)) if !busy && at > stored => Some(at),
                _ => None,
            };
            changed |= passed != p.passed;
            p.passed = passed;
        }
        if changed {
            self.publish_positions();
        }
    }

    /// After a fence: every partition of `keys` (→ its first record in the batches dropped,
    /// `i64::MAX` for none) still ours is read again from its stored offset, or from that
    /// first record when none is stored.
    async fn reseek(
        &mut self,
        keys: &HashMap<(usize, i32), i64>,
        client: &tokio_postgres::Client,
    ) -> Result<(), RunError> {
        let mut topics: Vec<usize> = keys.keys().map(|(t, _)| *t).collect();
        topics.sort_unstable();
        topics.dedup();
        for t in topics {
            let topic = self.targets[t].config.topic.clone();
            let stored = load_offsets(client, self.name(), &topic)
                .await
                .map_err(|source| RunError::Database {
                    connector: self.name().to_owned(),
                    source,
                })?;
            for (&(bt, partition), &first) in keys {
                if bt != t || !self.positions.contains_key(&(t, partition)) {
                    continue;
                }
                // No offset stored yet: read again from the first record the batches held.
                self.seek_back((t, partition), stored.get(&partition).copied(), first)?;
            }
        }
        Ok(())
    }
}
