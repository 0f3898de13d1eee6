//! What can go wrong on the Kafka side, whose fault it is, and whether retrying helps.

use rdkafka::error::KafkaError;

/// A Kafka operation of inlet that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The consumer could not be created or subscribed (librdkafka refused a setting).
    #[error("cannot create the Kafka consumer: {reason}")]
    Consumer {
        /// librdkafka's reason, secrets of the settings taken out (it may quote a value).
        reason: String,
    },
    /// A topic could not be created.
    #[error("creating topic {topic}: {reason}")]
    CreateTopic {
        /// The topic.
        topic: String,
        /// What the client or the brokers said.
        reason: String,
    },
    /// The brokers did not answer a request, or refused it.
    #[error(
        "Kafka: {what} failed: {source}. Check kafka.bootstrap_servers and kafka.security_protocol, and that the brokers run"
    )]
    Request {
        /// What was asked: "reading the topic's metadata"…
        what: &'static str,
        /// librdkafka's error.
        #[source]
        source: Box<KafkaError>,
    },
    /// The cluster has no such topic, or the principal may not describe it.
    #[error("topic {topic} does not exist on the cluster, or the credentials may not describe it")]
    UnknownTopic {
        /// The topic.
        topic: String,
    },
    /// The brokers refused the consumer group's settings (a session timeout out of their
    /// range, a group protocol they do not take): the configuration must change.
    #[error(
        "Kafka refused the consumer group's settings: {reason}. Check kafka.properties (session.timeout.ms, group.protocol, partition.assignment.strategy) against the brokers' limits"
    )]
    GroupRefused {
        /// librdkafka's reason.
        reason: String,
    },
    /// The brokers refused the SASL credentials.
    #[error("Kafka refused the credentials: {reason}")]
    Authentication {
        /// librdkafka's reason (it holds no secret).
        reason: String,
    },
    /// The brokers refused an operation to the principal: an ACL is missing.
    #[error("{advice}")]
    Authorization {
        /// What is refused and the ACL that grants it ([`crate::Denied::advice`]).
        advice: String,
    },
    /// A partition placed at its stored next offset delivered an earlier record: Kafka reset
    /// it to its start, because the stored offset is past its end (the topic was deleted and
    /// made again, or its log truncated).
    #[error("{topic}/{partition} starts below its stored next offset {stored}")]
    OffsetsAhead {
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
        /// The stored next offset.
        stored: i64,
    },
    /// A partition could not be sought back to where it is to be read again.
    #[error("seeking {topic}/{partition} back to offset {offset} failed: {source}")]
    Seek {
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
        /// Where it was to be read from.
        offset: i64,
        /// librdkafka's error.
        #[source]
        source: Box<KafkaError>,
    },
}

impl inlet_fault::Classify for Error {
    /// Whose fault it is: librdkafka refuses to create a consumer for a setting it does not
    /// take (an unknown property, a bad value): the configuration's.
    fn fault(&self) -> inlet_fault::Fault {
        match self {
            Error::Consumer { .. }
            | Error::Authentication { .. }
            | Error::Authorization { .. }
            | Error::OffsetsAhead { .. }
            | Error::UnknownTopic { .. }
            | Error::GroupRefused { .. } => inlet_fault::Fault::Config,
            Error::CreateTopic { .. } | Error::Seek { .. } | Error::Request { .. } => {
                inlet_fault::Fault::External
            }
        }
    }

    /// Whether the same operation may succeed later: a request the brokers did not answer,
    /// a seek that failed (a restart reads the partition from its stored offset). Creating a consumer does not talk to the
    /// brokers, and refused credentials or permissions do not pass by themselves.
    fn is_retriable(&self) -> bool {
        matches!(self, Error::Seek { .. } | Error::Request { .. })
    }
}

/// Results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
