//! The connector engine of inlet.
//!
//! This crate owns a connector's life: its configuration (`config`), and the loop that
//! takes records from the Kafka consumer, decodes them with compiled plans (one per schema id
//! and table), and writes batches to PostgreSQL exactly once (`connector`); and `check`,
//! which tries a configuration's Kafka, registry and database without writing anything.

mod check;
pub mod config;
mod connector;
mod decode;
mod metrics;
mod offsets;

pub use check::{Finding, check_connector};
pub use config::{Config, ConfigError, ConnectorConfig, Tolerance};
pub use connector::{Connector, RunError};
pub use metrics::{Progress, render as render_metrics};
