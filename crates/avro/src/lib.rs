//! Avro for inlet.
//!
//! This crate owns everything between the bytes of a Kafka record value and the bytes of a
//! PostgreSQL COPY BINARY row: the Confluent wire frame (magic byte, schema id, Avro body),
//! writer schemas with their named and Confluent references, the compiled decode plans that
//! turn an Avro body into a COPY row without a generic value tree, and the proposal of a
//! table for a schema. It is pure: no I/O, no async, no network. Every byte it reads is
//! untrusted, so every malformed input is a typed error, never a panic or an unbounded
//! allocation.

mod conversion;
mod convert;
mod copy;
mod error;
mod frame;
mod json;
pub use json::value_json;
mod mapping;
mod meta;
mod pg_type;
mod plan;
mod propose;
mod reader;
mod schema;
mod sources;
mod width;

pub use copy::{COPY_HEADER, COPY_TRAILER, copy_stream};
pub use error::{DecodeError, PlanError, RecordError};
pub use frame::{Frame, FrameError, MAGIC_BYTE, SchemaId, encode_frame};
pub use mapping::{
    ColumnMapping, ColumnSource, Generated, KafkaField, NanosPolicy, PlanOptions, TableColumn,
};
pub use meta::RecordMeta;
pub use pg_type::PgType;
pub use plan::{DecodePlan, KeySchema, RowScratch};
pub use propose::{MAX_TABLE_COLUMNS, Proposal, column_type};
pub use reader::{IndexKind, Reader, write_long};
pub use schema::{AvroType, JSON_FIELD, NodeId, TimeUnit, WriterSchema};
pub use sources::{MAX_SOURCES, SourceChoice, source_choices};
pub use width::{
    MAX_INLINE_VARIABLE_BYTES, MAX_ROW_BYTES, TableTooWide, check_table_width, widest_row,
};

/// The canonical event, `inlet.bench.Reading`: what `inlet generate` produces and every
/// benchmark of the project measures.
pub const READING_SCHEMA: &str = r#"{"type":"record","name":"Reading","namespace":"inlet.bench","fields":[
 {"name":"ts","type":{"type":"long","logicalType":"timestamp-micros"}},
 {"name":"device_id","type":"string"},
 {"name":"site","type":"string"},
 {"name":"temperature","type":"double"},
 {"name":"humidity","type":"double"},
 {"name":"pressure","type":"double"},
 {"name":"battery","type":"float"},
 {"name":"rssi","type":"int"},
 {"name":"ok","type":"boolean"},
 {"name":"note","type":["null","string"],"default":null}]}"#;
