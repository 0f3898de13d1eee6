//! Kafka metadata columns: the Kafka side of a record (`RecordMeta`), which column types
//! each `KafkaField` can go into (checked when a plan compiles) and how each is written as a
//! COPY BINARY field (the headers as a jsonb object).

use crate::convert::{ConvError, bad, timestamp_micros};
use crate::copy::{begin_field, end_field, field as bytes_field};
use crate::error::PlanError;
use crate::json;
use crate::mapping::{KafkaField, NanosPolicy, TableColumn};
use crate::pg_type::PgType;
use crate::schema::TimeUnit;

/// The Kafka side of a record, for metadata columns.
#[derive(Debug, Clone, Copy, Default)]
pub struct RecordMeta<'a> {
    /// Topic name.
    pub topic: &'a str,
    /// Partition.
    pub partition: i32,
    /// Offset.
    pub offset: i64,
    /// Timestamp, milliseconds since the Unix epoch.
    pub timestamp_ms: Option<i64>,
    /// The key.
    pub key: Option<&'a [u8]>,
    /// The key as a Confluent Avro frame (magic byte, the key's schema id, an Avro body)
    /// when inlet transcoded it from Protobuf or JSON Schema: key fields are read from it
    /// rather than from [`key`](Self::key), which `kafka.key` still stores as it came.
    pub key_avro: Option<&'a [u8]>,
    /// Headers, in order (may be left empty when
    /// [`DecodePlan::reads_headers`](crate::DecodePlan::reads_headers) is false).
    pub headers: &'a [(&'a str, Option<&'a [u8]>)],
}

/// Whether a column of this type can store this Kafka metadata; the error names the type
/// to use.
pub(crate) fn check_meta(field: KafkaField, column: &TableColumn) -> Result<(), PlanError> {
    let ok = match (field, column.pg_type.base()) {
        (KafkaField::Topic, pg) => matches!(pg, PgType::Text | PgType::Varchar(_)),
        (KafkaField::Partition, pg) => matches!(pg, PgType::Int4 | PgType::Int8),
        (KafkaField::Offset, pg) => matches!(pg, PgType::Int8),
        (KafkaField::Timestamp, pg) => {
            matches!(pg, PgType::Timestamptz | PgType::Timestamp | PgType::Int8)
        }
        (KafkaField::Key, pg) => matches!(pg, PgType::Bytea | PgType::Text),
        (KafkaField::Headers, pg) => matches!(pg, PgType::Jsonb),
    };
    if ok {
        Ok(())
    } else {
        Err(PlanError::Incompatible {
            column: column.name.clone(),
            column_type: column.pg_type.to_string(),
            field: format!("kafka {field:?}").to_lowercase(),
            avro_type: "Kafka metadata".into(),
            hint: String::from(match field {
                KafkaField::Topic => ": use text",
                KafkaField::Partition => ": use integer",
                KafkaField::Offset => ": use bigint",
                KafkaField::Timestamp => ": use timestamptz",
                KafkaField::Key => ": use bytea or text",
                KafkaField::Headers => ": use jsonb",
            }),
        })
    }
}

/// Writes a Kafka metadata field; `Ok(false)` when the value is absent (NULL).
pub(crate) fn write_meta(
    field: KafkaField,
    pg: &PgType,
    meta: &RecordMeta<'_>,
    out: &mut Vec<u8>,
) -> Result<bool, ConvError> {
    match field {
        KafkaField::Topic => bytes_field(out, meta.topic.as_bytes()),
        KafkaField::Partition => match pg {
            PgType::Int8 => bytes_field(out, &i64::from(meta.partition).to_be_bytes()),
            _ => bytes_field(out, &meta.partition.to_be_bytes()),
        },
        KafkaField::Offset => bytes_field(out, &meta.offset.to_be_bytes()),
        KafkaField::Timestamp => {
            let Some(ms) = meta.timestamp_ms else {
                return Ok(false);
            };
            match pg {
                PgType::Int8 => bytes_field(out, &ms.to_be_bytes()),
                _ => {
                    let micros = timestamp_micros(ms, TimeUnit::Millis, NanosPolicy::Truncate)?;
                    bytes_field(out, &micros.to_be_bytes());
                }
            }
        }
        KafkaField::Key => {
            let Some(key) = meta.key else {
                return Ok(false);
            };
            if *pg == PgType::Text {
                let text = std::str::from_utf8(key)
                    .map_err(|_| bad(String::from_utf8_lossy(key), "the key is not UTF-8 text"))?;
                if text.contains('\0') {
                    return Err(bad(text.replace('\0', "\\0"), "text cannot contain NUL"));
                }
            }
            bytes_field(out, key);
        }
        KafkaField::Headers => {
            let at = begin_field(out);
            out.push(1);
            out.push(b'{');
            for (i, (name, value)) in meta.headers.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_header_text(name.as_bytes(), out)?;
                out.push(b':');
                match value {
                    None => out.extend_from_slice(b"null"),
                    Some(bytes) => write_header_text(bytes, out)?,
                }
            }
            out.push(b'}');
            end_field(out, at);
        }
    }
    Ok(true)
}

/// A header name or value as a JSON string: as it is when it is UTF-8 without NUL (which
/// jsonb cannot hold), otherwise as `"\\x…"` hex, the way PostgreSQL prints bytea, so that
/// no header makes a record fail.
fn write_header_text(bytes: &[u8], out: &mut Vec<u8>) -> Result<(), ConvError> {
    match std::str::from_utf8(bytes) {
        Ok(text) if !bytes.contains(&0) => json::write_string(text, out)?,
        _ => {
            let mut hex = String::with_capacity(2 + bytes.len() * 2);
            hex.push_str("\\x");
            for b in bytes {
                hex.push_str(&format!("{b:02x}"));
            }
            json::write_string(&hex, out)?;
        }
    }
    Ok(())
}
