//! What can go wrong on the Kafka side, whose fault it is, and whether retrying helps.

use rdkafka::error::KafkaError;

/// A Kafka operation of inlet that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The consumer could not be created or subscribed (librdkafka refused a setting).
    #[error("cannot create the Kafka consumer: {source}")]
    Consumer {
        /// librdkafka's error.
        #[source]
        source: KafkaError,
    },
    /// A topic could not be created.
    #[error("creating topic {topic}: {reason}")]
    CreateTopic {
        /// The topic.
        topic: String,
        /// What the client or the brokers said.
        reason: String,
    },
}

impl Error {
    /// Whose fault it is: librdkafka refuses to create a consumer for a setting it does not
    /// take (an unknown property, a bad value): the configuration's.
    pub fn fault(&self) -> inlet_fault::Fault {
        match self {
            Error::Consumer { .. } => inlet_fault::Fault::Config,
            Error::CreateTopic { .. } => inlet_fault::Fault::External,
        }
    }

    /// Whether the same operation may succeed later: creating a consumer does not talk to
    /// the brokers, so its failures do not pass by themselves.
    pub fn is_retriable(&self) -> bool {
        false
    }
}

/// Results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
