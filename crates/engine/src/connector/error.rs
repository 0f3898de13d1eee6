//! Why a connector stopped: [`RunError`], with the error under it as its source, whether
//! retrying may help, and whose fault it is.

/// Why a connector stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The database failed: unreachable or restarting (retried, as its error says), or it
    /// refused something (a permission, a table it cannot write).
    #[error("connector {connector}: {source}")]
    Database {
        /// The connector.
        connector: String,
        /// What happened.
        source: inlet_postgres::Error,
    },
    /// Kafka failed: the consumer could not be made, a request was not answered, or a
    /// partition could not be sought back (retried, as its error says: a restart reads the
    /// partition from its stored offset).
    #[error("connector {connector}: {source}")]
    Kafka {
        /// The connector.
        connector: String,
        /// What happened.
        source: inlet_kafka::Error,
    },
    /// The schema registry settings cannot be used (a URL that is not http(s), say).
    #[error("connector {connector}: the schema registry settings are not usable: {source}")]
    RegistrySettings {
        /// The connector.
        connector: String,
        /// What is wrong.
        source: Box<inlet_registry::Error>,
    },
    /// A request to the schema registry failed: not answered (retried, as its error says),
    /// or refused.
    #[error("connector {connector}: {action}: {source}")]
    Registry {
        /// The connector.
        connector: String,
        /// What the connector was doing: `reading the latest schema of subject
        /// orders-value`.
        action: String,
        /// What the registry said.
        source: Box<inlet_registry::Error>,
    },
    /// A table does not exist, and the schema to create it from cannot be read: the subject is
    /// not in the registry, or the registry refused the request (credentials, say).
    #[error(
        "connector {connector}: table {table} does not exist, and the schema to create it from cannot be read (subject {subject}: {source}). Produce to the topic with a registered schema first, or create the table"
    )]
    NoSchema {
        /// The connector.
        connector: String,
        /// The table.
        table: String,
        /// The subject read: `<topic>-value`.
        subject: String,
        /// What the registry said.
        source: Box<inlet_registry::Error>,
    },
    /// A table does not exist, and the topic (of a format without a registry: json) has no
    /// records yet to make its columns from. Retried: it is made once records arrive.
    #[error(
        "connector {connector}: table {table} does not exist, and inlet cannot make its columns from topic {topic} yet: {reason}. It tries again until records arrive; or create the table yourself"
    )]
    NoSample {
        /// The connector.
        connector: String,
        /// The table.
        table: String,
        /// The topic sampled.
        topic: String,
        /// What the sample lacked.
        reason: String,
    },
    /// The thread reading a topic's sample (to make a table's columns) panicked: a bug.
    #[error("connector {connector}: reading the topic's sample failed: {source}")]
    SampleFailed {
        /// The connector.
        connector: String,
        /// How the thread ended.
        source: tokio::task::JoinError,
    },
    /// The schema a table is created from cannot be read: it does not parse or compile, or
    /// it is of a type the topic's format does not read.
    #[error("connector {connector}: schema id {id}: {reason}")]
    Schema {
        /// The connector.
        connector: String,
        /// The schema id.
        id: u32,
        /// What is wrong with it, and what to do.
        reason: String,
    },
    /// The task writing a batch ended without an outcome (it panicked): a bug. The batch is
    /// not committed, so its records are read again on restart.
    #[error("connector {connector}: the batch writer failed: {source}")]
    WriterFailed {
        /// The connector.
        connector: String,
        /// What the runtime said.
        source: tokio::task::JoinError,
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
    /// A table could not be prepared: inlet's own check of it found what the sentence says
    /// (a missing unique index, a schema that fills none of its columns).
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
        reason: inlet_postgres::dead_letters::Reason,
    },
    /// A record file cannot be replayed as asked: its topic is not the connector's, or
    /// another worker stored offsets of the topic meanwhile.
    #[error("connector {connector}: {message}")]
    Replay {
        /// The connector.
        connector: String,
        /// What stops it.
        message: String,
    },
    /// A record file to replay cannot be read.
    #[error("connector {connector}: the record file cannot be read: {source}")]
    ReplayFile {
        /// The connector.
        connector: String,
        /// What reading it said.
        source: std::io::Error,
    },
}

impl inlet_fault::Classify for RunError {
    /// Whether retrying may help: the error it wraps says (the database, Kafka or the
    /// registry not answering).
    fn is_retriable(&self) -> bool {
        match self {
            RunError::Database { source, .. } => source.is_retriable(),
            RunError::Kafka { source, .. } => source.is_retriable(),
            RunError::Registry { source, .. } => source.is_retriable(),
            RunError::NoSample { .. } => true,
            _ => false,
        }
    }

    /// Whose fault it is (an API answers with [`inlet_fault::Fault::http_status`]): the
    /// error it wraps says; otherwise the configuration's (credentials, permissions, a table
    /// that does not fit, a record refused with `tolerance = "none"`, a topic made again),
    /// or a bug (the batch writer failed).
    fn fault(&self) -> inlet_fault::Fault {
        use inlet_fault::Fault;
        match self {
            RunError::Database { source, .. } => source.fault(),
            RunError::Kafka { source, .. } => source.fault(),
            RunError::Registry { source, .. } | RunError::RegistrySettings { source, .. } => {
                source.fault()
            }
            RunError::Schema { .. } => inlet_fault::Fault::Config,
            RunError::WriterFailed { .. } | RunError::SampleFailed { .. } => Fault::Internal,
            RunError::NoSchema { .. }
            | RunError::NoSample { .. }
            | RunError::ReplayFile { .. }
            | RunError::KafkaAuthentication { .. }
            | RunError::KafkaAuthorization { .. }
            | RunError::OffsetsAhead { .. }
            | RunError::Table { .. }
            | RunError::BadRecord { .. }
            | RunError::Replay { .. } => Fault::Config,
        }
    }
}
