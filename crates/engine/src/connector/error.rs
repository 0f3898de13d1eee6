//! Why a connector stopped: [`RunError`], whether retrying may help, and whose fault it is.

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
