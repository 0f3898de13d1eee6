//! The connector engine of inlet.
//!
//! This crate owns a connector's life: its configuration (`config`), and the loop that
//! takes records from the Kafka consumer, decodes them with compiled plans (one per schema id
//! and table), and writes batches to PostgreSQL exactly once (`connector`); and `check`,
//! which tries a configuration's Kafka, registry and database without writing anything.
//! `Connector::replay` stores the records of a file (`record_file`) through the same write
//! path, without a broker. A connector's statistics (`Progress`) are written by its events
//! only, and `metrics` encodes them for `/metrics`; everything it retries waits by one
//! backoff, with jitter.

mod backoff;
mod batcher;
mod check;
pub mod config;
mod connector;
mod dead_letters;
mod decode;
pub mod metrics;
mod offsets;
mod preview;
mod progress;
pub mod record_file;
mod replay;
mod supervisor;

pub use check::{
    Finding, KafkaProbe, LatestId, ProposeError, TopicInfo, check_connector, latest_schema_ids,
    probe_kafka, probe_registry, propose_from_topic, propose_sampled, propose_table, topic_sources,
};
pub use config::{Config, ConfigError, ConnectorConfig, Format, Tolerance};
pub use connector::{Connector, Control, RunError};
pub use dead_letters::{MAX_REPLAY, replay_dead_letters};
pub use decode::{Unavailable, framed_value_json};
pub use preview::{
    Preview, PreviewError, PreviewOutcome, PreviewRecord, preview_designed, preview_topic,
};
pub use progress::{BUCKETS, Counts, HistogramSnapshot, Progress};
pub use record_file::{FileRecord, RecordFileReader, RecordFileWriter};
pub use replay::ReplaySummary;
pub use supervisor::{
    ConnectorState, ConnectorStatus, Held, PartitionStatus, SchemaStatus, Supervisor,
    SupervisorError,
};
