//! PostgreSQL for inlet.
//!
//! This crate owns inlet's side of the database: connections (TLS with libpq's `sslmode`
//! values, through rustls), and, as the streaming path lands, the COPY writer, the fenced
//! offsets, the dead-letter table and the DDL. Its SQL lives in `.sql` files beside the code.
//! It never depends on the Kafka side.

mod batch;
mod catalog;
mod connect;
mod error;
mod offsets;

pub use batch::{Batch, CopyTarget, Entry, EntryKind, Outcome, RawRecord, WriteMode};
pub use catalog::{
    ColumnClaim, TableName, add_column, claim_columns, create_hypertable, create_table,
    ensure_inlet_schema, load_column_sources, record_column_sources, table_columns,
    timescaledb_present, unique_keys,
};
pub use connect::{DatabaseConfig, SslMode};
pub use error::{Error, Result};
pub use offsets::load_offsets;
