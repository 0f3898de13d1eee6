//! Protobuf for inlet: a topic whose values are Confluent-framed Protobuf messages.
//!
//! inlet has one compiled path from a record to a COPY BINARY row, Avro's: a plan compiled
//! from a writer schema and the table's columns, whose conversions are proven against
//! PostgreSQL's own. A Protobuf topic goes through it too, as plain JSON does. The
//! registry's schema (a `.proto` file, or a serialized `FileDescriptorProto`, with its
//! imports as schema references) is compiled into descriptors ([`ProtoSchema`]); the
//! message a record names by its message indexes has a [`ProtoReading`]: an Avro writer
//! schema inlet makes from the message's descriptor, and a transcoder that writes each
//! message as the Avro binary of that schema. The Avro plan of (that schema, the table)
//! then writes the row.
//!
//! What the message's fields become (docs/formats.md has the table): scalars their Avro
//! type (`uint32` a long, `uint64` a long with its range checked), enums their value's name
//! (an unknown number in proto3 its digits), nested messages records (flattened into
//! columns by the proposal), `repeated` arrays, `map<>` maps (jsonb), the well-known
//! `Timestamp` a timestamp-micros, the wrappers nullable scalars, `Struct`, `Value`,
//! `ListValue`, `Any`, `FieldMask` and `Empty` JSON text (jsonb; a list or map of them one
//! JSON value), `Duration` its JSON text (`"1.500s"`).
//! A field with presence (proto2 `optional`, proto3 `optional`, a `oneof` member, a
//! message) is `["null", T]`: NULL when the message does not have it. The bytes are
//! decoded by `prost-reflect` (field order, last-one-wins, merged sub-messages, packed and
//! unpacked repeated fields, unknown fields skipped), so a message is read as the official
//! implementations read it. Bad bytes are a [`ProtoError`] that says what and where; never a
//! panic. Pure: no I/O.

mod frame;
mod layout;
mod schema;
mod transcode;

pub use frame::{encode_message_indexes, split_message_indexes};
pub use schema::ProtoSchema;
pub use transcode::ProtoReading;

/// The most message indexes a frame may name (a message nested this deep in its file).
pub const MAX_MESSAGE_INDEXES: usize = 32;

/// Why a Protobuf schema or message cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtoError {
    /// The schema text (or an import's) does not compile: what protox said.
    #[error("the Protobuf schema does not compile: {0}")]
    Schema(String),
    /// The frame's message indexes name no message of the schema.
    #[error(
        "the message indexes {indexes:?} name no message of the schema (its messages: {messages})"
    )]
    NoMessage {
        /// The indexes the frame gave.
        indexes: Vec<i32>,
        /// The schema's top-level messages with their indexes.
        messages: String,
    },
    /// The bytes after the schema id are not a message-index array.
    #[error("not a Confluent Protobuf frame: {0}")]
    Frame(String),
    /// The message bytes do not decode as the message: what prost said.
    #[error("the bytes are not a {message} message: {reason}")]
    Decode {
        /// The message's full name.
        message: String,
        /// The decoder's words.
        reason: String,
    },
    /// A value no column type takes: a `uint64` beyond bigint, a `Timestamp` out of range.
    #[error("field {path}: {reason}")]
    Value {
        /// The field's path (`a.b`).
        path: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl ProtoError {
    /// Whether the record's bytes (rather than one of its values) are wrong.
    pub fn is_malformed(&self) -> bool {
        matches!(self, ProtoError::Frame(_) | ProtoError::Decode { .. })
    }
}
