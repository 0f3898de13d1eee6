//! The schema inlet makes for a topic whose format has none in the registry (`json`,
//! `text`, `bytes`), and how a value becomes the Avro binary of it: the record then goes
//! through the same compiled Avro plan as a Confluent-framed one.

use std::collections::BTreeMap;

use inlet_avro::{ColumnSource, Proposal, TableColumn, WriterSchema, write_long};
use inlet_json::{JsonReading, Shape};
use inlet_postgres::dead_letters::{Reason, ReasonCode};

use crate::config::{Format, TopicConfig};

/// The schema id the plans of a made schema are kept under (no registry id is 0).
pub(crate) const MADE_SCHEMA_ID: u32 = 0;

/// A schema inlet made for a topic's values.
#[derive(Debug)]
pub(crate) enum Made {
    /// JSON documents of a shape.
    Json(JsonReading),
    /// One text value: Avro `"string"`.
    Text(WriterSchema),
    /// One bytea value: Avro `"bytes"`.
    Bytes(WriterSchema),
}

impl Made {
    /// The schema of `topic`'s values read into the table of `columns`, whose columns are
    /// filled from `sources` (mapping = "auto": the recorded field of each column; a
    /// column with none takes the document's key of its name); None for Avro.
    ///
    /// # Errors
    /// Why the table's columns cannot be filled from the format's values: a path that is
    /// not a JSON field path, a column type JSON does not fill.
    pub(crate) fn for_table(
        topic: &TopicConfig,
        columns: &[TableColumn],
        sources: &BTreeMap<String, String>,
    ) -> Result<Option<Made>, String> {
        match topic.format {
            Format::Avro => Ok(None),
            Format::Text | Format::Bytes => Ok(Some(Made::primitive(topic.format))),
            Format::Json => {
                let paths: Vec<(&TableColumn, String)> = match &topic.mapping {
                    Some(explicit) => explicit
                        .iter()
                        .filter_map(|(column, source)| {
                            let c = columns.iter().find(|c| &c.name == column)?;
                            match ColumnSource::parse(source) {
                                ColumnSource::Field(path) => Some((c, path)),
                                _ => None,
                            }
                        })
                        .collect(),
                    // A column JSON does not fill (interval) is left to its default.
                    None => columns
                        .iter()
                        .filter(|c| c.generated.is_none() && Shape::fills(&c.pg_type))
                        .filter_map(|c| match sources.get(&c.name) {
                            Some(source) => match ColumnSource::parse(source) {
                                ColumnSource::Field(path) => Some((c, path)),
                                _ => None,
                            },
                            // A column nothing was recorded for takes the key of its name,
                            // when its name is one a key can have.
                            None => (inlet_json::avro_name(&c.name) == c.name.as_str())
                                .then(|| (c, c.name.clone())),
                        })
                        .collect(),
                };
                let shape = Shape::for_columns(
                    paths
                        .iter()
                        .map(|(c, path)| (c.name.as_str(), path.as_str(), &c.pg_type)),
                )
                .map_err(|e| format!("{}: {e}", topic.table))?;
                Made::json(shape).map(Some)
            }
        }
    }

    /// The schema of documents of `shape`.
    pub(crate) fn json(shape: Shape) -> Result<Made, String> {
        JsonReading::new(shape).map(Made::Json).map_err(|e| {
            format!("the schema inlet makes for the documents does not parse (a bug): {e}")
        })
    }

    /// The schema of the `text` or `bytes` format.
    fn primitive(format: Format) -> Made {
        let (avro, text) = match format {
            Format::Text => ("\"string\"", true),
            _ => ("\"bytes\"", false),
        };
        let writer = WriterSchema::parse(avro, &[]).expect("a primitive Avro schema parses");
        if text {
            Made::Text(writer)
        } else {
            Made::Bytes(writer)
        }
    }

    /// The schema of the values of `topic`'s format, from a sample of its values when it
    /// needs one (json: the shape that holds every document of the sample); None for Avro.
    ///
    /// # Errors
    /// For json, a sample without one JSON document: what is wrong with it, to say.
    pub(crate) fn for_sample<'a>(
        format: Format,
        values: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<Option<Made>, String> {
        match format {
            Format::Avro => Ok(None),
            Format::Text | Format::Bytes => Ok(Some(Made::primitive(format))),
            Format::Json => {
                let values: Vec<&[u8]> = values.into_iter().collect();
                let (shape, refused) = Shape::infer(values.iter().copied());
                if values.len() == refused {
                    return Err(if values.is_empty() {
                        "the topic has no records to make the table's columns from".to_owned()
                    } else {
                        format!(
                            "none of the {} records sampled is a JSON document",
                            values.len()
                        )
                    });
                }
                Made::json(shape).map(Some)
            }
        }
    }

    /// The Avro schema values are read as.
    pub(crate) fn writer(&self) -> &WriterSchema {
        match self {
            Made::Json(reading) => reading.writer(),
            Made::Text(writer) | Made::Bytes(writer) => writer,
        }
    }

    /// The table proposed for the values.
    pub(crate) fn proposal(&self) -> Proposal {
        match self {
            Made::Json(reading) => reading.proposal(),
            Made::Text(writer) | Made::Bytes(writer) => Proposal::for_schema(writer),
        }
    }

    /// Appends `value` to `out` as the Avro binary of [`writer`](Self::writer).
    ///
    /// # Errors
    /// The dead letter's reason: not JSON (malformed_value), or a value its column's type
    /// does not take (value_refused). Text that is not UTF-8 is the plan's to refuse.
    pub(crate) fn body(
        &self,
        value: &[u8],
        out: &mut Vec<u8>,
        scratch: &mut inlet_json::Scratch,
    ) -> Result<(), Reason> {
        match self {
            Made::Json(reading) => reading.transcode(value, out, scratch).map_err(|e| {
                let code = if e.is_syntax() {
                    ReasonCode::MalformedValue
                } else {
                    ReasonCode::ValueRefused
                };
                Reason::new(code, e.to_string())
            }),
            Made::Text(_) | Made::Bytes(_) => {
                write_long(value.len() as i64, out);
                out.extend_from_slice(value);
                Ok(())
            }
        }
    }
}
