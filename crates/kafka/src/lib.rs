//! Kafka for inlet.
//!
//! This crate owns the consumer side: librdkafka settings from inlet's checked configuration
//! (PLAINTEXT, SSL, SASL PLAIN and SCRAM), and a consumer whose partitions start where the
//! offsets stored with the rows say — not where Kafka's committed offsets say. It knows
//! nothing of PostgreSQL: the offsets come through [`StoredOffsets`].

mod consumer;
mod error;
mod permissions;
mod producer;
mod settings;
mod throttle;

pub use consumer::{
    ConsumerEvent, PartitionEnds, SourceConsumer, SourceContext, StoredOffsets, subscribe,
};
pub use error::{Error, Result};
pub use permissions::Denied;
pub use producer::{Counting, Deliveries, create_topic};
pub use settings::{
    CONSUMER_TUNING, KafkaSettings, Mechanism, SecurityProtocol, StartFrom, is_secret_property,
};
pub use throttle::Throttle;
