//! PostgreSQL for inlet.
//!
//! This crate owns inlet's side of the database: connections (TLS with libpq's `sslmode`
//! values, through rustls), the batch writer (COPY, upserts, deletes, dead letters and the
//! fenced offsets in one transaction), the catalog (columns, keys, tables, hypertables, the
//! columns' recorded fields) and inlet's own schema, made by numbered migrations. Its SQL
//! lives in `.sql` files beside the code. It never depends on the Kafka side.

mod batch;
mod catalog;
mod connect;
pub mod control;
pub mod ddl;
pub mod dead_letters;
mod error;
mod migrations;
mod offsets;
mod preview;

pub use batch::{Batch, CopyTarget, Entry, EntryKind, Outcome, RawRecord, WriteMode};
pub use catalog::{
    ColumnClaim, TableName, add_column, claim_columns, create_hypertable, create_table,
    enable_columnstore, ensure_inlet_schema, load_column_sources, record_column_sources,
    table_columns, timescaledb_present, unique_keys,
};
pub use connect::{DatabaseConfig, SslMode};
pub use error::{Error, Result};
pub use migrations::{SCHEMA_VERSION, migrate};
pub use offsets::load_offsets;
pub use preview::{PreviewRow, PreviewShape, preview_rows};
