//! Errors: malformed bytes, records that cannot be converted, plans that cannot be built.

use crate::reader::IndexKind;

/// The Avro body is malformed. Positions are byte offsets into the body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The body ends before the value does.
    #[error("body truncated at byte {at}: {wanted} more bytes needed")]
    Truncated {
        /// Where the read started.
        at: usize,
        /// How many bytes it needed.
        wanted: usize,
    },
    /// A varint longer than 64 bits.
    #[error("varint at byte {at} is longer than 64 bits")]
    VarintOverflow {
        /// Where it starts.
        at: usize,
    },
    /// An `int` whose value does not fit 32 bits.
    #[error("int at byte {at} is {value}, outside the 32-bit range")]
    IntOutOfRange {
        /// Where it starts.
        at: usize,
        /// The value read.
        value: i64,
    },
    /// A negative length of bytes or string.
    #[error("length at byte {at} is negative ({len})")]
    NegativeLength {
        /// Where it starts.
        at: usize,
        /// The length read.
        len: i64,
    },
    /// A boolean byte other than 0 or 1.
    #[error("boolean at byte {at} is {byte:#04x}, not 0 or 1")]
    InvalidBool {
        /// Where it is.
        at: usize,
        /// The byte.
        byte: u8,
    },
    /// A string that is not UTF-8.
    #[error("string at byte {at} is not valid UTF-8")]
    InvalidUtf8 {
        /// Where it starts.
        at: usize,
    },
    /// A union branch or enum symbol index out of range.
    #[error("{what} {index} at byte {at} is out of range (the schema has {count})")]
    IndexOutOfRange {
        /// Where it is.
        at: usize,
        /// What it chooses.
        what: IndexKind,
        /// The index read.
        index: i64,
        /// How many there are.
        count: usize,
    },
    /// An array or map block claiming more items than the body can hold.
    #[error("array or map block at byte {at} claims {count} items, more than the body can hold")]
    BlockTooLarge {
        /// Where it starts.
        at: usize,
        /// The count claimed.
        count: u64,
    },
    /// Values nested deeper than the decoder follows (recursive types).
    #[error("values nest deeper than {max} levels")]
    TooDeep {
        /// The limit.
        max: usize,
    },
    /// Bytes left after the value.
    #[error("{left} bytes left after the end of the record")]
    TrailingBytes {
        /// How many.
        left: usize,
    },
}

impl inlet_fault::Classify for DecodeError {
    /// Whose fault it is: the record's bytes, the producer's as far as inlet can tell.
    fn fault(&self) -> inlet_fault::Fault {
        inlet_fault::Fault::Config
    }
}

/// One record could not be turned into a row: the engine dead-letters it and goes on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The Avro body is malformed.
    #[error("malformed Avro body: {0}")]
    Decode(#[from] DecodeError),
    /// A value does not fit its column.
    #[error(
        "field {field}: value {value} cannot be stored in column {column} ({column_type}): {reason}"
    )]
    Convert {
        /// The Avro field path.
        field: String,
        /// The column.
        column: String,
        /// The column's type.
        column_type: String,
        /// The value, shortened.
        value: String,
        /// Why.
        reason: String,
    },
    /// Columns take fields of the record's key, and the key cannot give them: there is
    /// none, or it is not the Confluent-framed Avro the plan was made for.
    #[error("the record's key: {0}")]
    Key(String),
}

impl inlet_fault::Classify for RecordError {
    /// Whose fault it is: the record's (its bytes, or a value its column cannot take),
    /// which is the producer's configuration as far as inlet can tell.
    fn fault(&self) -> inlet_fault::Fault {
        inlet_fault::Fault::Config
    }
}

/// The mapping of a schema to a table cannot work for any record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The writer schema or a referenced schema is not valid Avro.
    #[error("the writer schema is not valid Avro: {0}")]
    Schema(String),
    /// A mapped field path does not exist in the writer schema.
    #[error("column {column}: field {field} does not exist in the writer schema{hint}")]
    NoSuchField {
        /// The column.
        column: String,
        /// The path.
        field: String,
        /// Which names exist at that level.
        hint: String,
    },
    /// A field's type cannot be converted to its column's type.
    #[error(
        "column {column} ({column_type}): field {field} of Avro type {avro_type} cannot be stored in it{hint}"
    )]
    Incompatible {
        /// The column.
        column: String,
        /// The column's type.
        column_type: String,
        /// The path.
        field: String,
        /// The field's Avro type.
        avro_type: String,
        /// What would work.
        hint: String,
    },
    /// A NOT NULL column without default has no source, or its source can be null.
    #[error("column {column} is NOT NULL {reason}")]
    NotNull {
        /// The column.
        column: String,
        /// Why it could be null.
        reason: String,
    },
    /// The mapping names a column the table does not have.
    #[error("the mapping names column {column}, which the table does not have")]
    NoSuchColumn {
        /// The column.
        column: String,
    },
    /// A column takes a field of the record's key (`kafka.key.<path>`), but the key is not
    /// Confluent-framed Avro.
    #[error(
        "column {column} takes {path}, a field of the record's key, but the key is not Confluent-framed Avro: map kafka.key (the raw key, into bytea or text) instead"
    )]
    NoKeySchema {
        /// The column.
        column: String,
        /// The source as the mapping writes it (`kafka.key.<path>`).
        path: String,
    },
    /// The mapping names a column PostgreSQL fills itself (a generated or an identity
    /// column).
    #[error("the mapping names column {column}, {kind}: {}", generated_way_out(*kind))]
    Generated {
        /// The column.
        column: String,
        /// How PostgreSQL fills it.
        kind: crate::mapping::Generated,
    },
    /// A column type inlet does not write.
    #[error("column {column}: type {column_type} is not supported")]
    UnsupportedColumnType {
        /// The column.
        column: String,
        /// Its type.
        column_type: String,
    },
}

/// What to do about a mapping into a column PostgreSQL fills.
fn generated_way_out(kind: crate::mapping::Generated) -> &'static str {
    match kind {
        crate::mapping::Generated::Stored => {
            "PostgreSQL computes its values and nothing can be written into it; remove it from the topic's mapping"
        }
        crate::mapping::Generated::AlwaysIdentity => {
            "PostgreSQL numbers its rows; remove it from the topic's mapping, or let values be written into it with ALTER TABLE … ALTER COLUMN … SET GENERATED BY DEFAULT"
        }
    }
}

/// Shortens a value for an error message: at most 64 characters, with `…` when cut.
pub(crate) fn shorten(text: &str) -> String {
    const MAX: usize = 64;
    // A reason is stored as text, which cannot hold NUL.
    let escaped;
    let text = if text.contains('\0') {
        escaped = text.replace('\0', "\\0");
        escaped.as_str()
    } else {
        text
    };
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

impl inlet_fault::Classify for PlanError {
    /// Whose fault it is: the mapping's or the table's, which the user chose.
    fn fault(&self) -> inlet_fault::Fault {
        inlet_fault::Fault::Config
    }
}
