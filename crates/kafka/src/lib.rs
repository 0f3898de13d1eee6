//! Kafka for inlet.
//!
//! This crate owns the consumer side: librdkafka settings from inlet's checked configuration
//! (PLAINTEXT, SSL, SASL PLAIN and SCRAM), a consumer whose partitions start where the
//! offsets stored with the rows say — not where Kafka's committed offsets say — and
//! [`KafkaSource`], which hands a connector its records and keeps where each partition
//! stands (placements, gaps, seeking back, pausing). It knows nothing of PostgreSQL: the
//! offsets come through [`StoredOffsets`].

mod consumer;
mod error;
mod permissions;
mod probe;
mod producer;
mod sample;
mod settings;
mod source;
mod throttle;

pub use consumer::{
    ConsumerEvent, PartitionEnds, SourceConsumer, SourceContext, StoredOffsets, subscribe,
};
pub use error::{Error, Result};
pub use permissions::Denied;
pub use probe::{
    Finding, KafkaProbe, PartitionBounds, TopicInfo, cluster_id, partition_bounds, probe,
};
pub use producer::{Counting, Deliveries, create_topic};
pub use sample::{MAX_SAMPLE, SampledRecord, sample};
pub use settings::{
    CONSUMER_TUNING, KafkaSettings, Mechanism, SecurityProtocol, StartFrom,
    WORKER_QUEUE_BUDGET_KIB, is_secret_property, refused_properties,
};
pub use source::{Changes, Held, Incoming, KafkaSource, Polled};
pub use throttle::Throttle;
