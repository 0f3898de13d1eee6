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

/// How long reading a topic's sample may take (a proposal, a preview).
pub(crate) const SAMPLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Up to `limit` of `topic`'s latest records ([`inlet_kafka::sample`], on a blocking
/// thread, for at most [`SAMPLE_TIMEOUT`]).
///
/// # Errors
/// The outer error: the sampling thread panicked (a bug); the inner: Kafka's.
pub(crate) async fn sample_topic(
    kafka: &inlet_kafka::KafkaSettings,
    topic: &str,
    limit: usize,
) -> Result<inlet_kafka::Result<Vec<inlet_kafka::SampledRecord>>, tokio::task::JoinError> {
    let (kafka, topic) = (kafka.clone(), topic.to_owned());
    tokio::task::spawn_blocking(move || inlet_kafka::sample(&kafka, &topic, limit, SAMPLE_TIMEOUT))
        .await
}

/// A schema inlet made for a topic's values.
#[derive(Debug)]
pub(crate) enum MadeSchema {
    /// JSON documents of a shape.
    Json(JsonReading),
    /// The whole value as one Avro primitive: `"string"` (format text) or `"bytes"`.
    Whole(WriterSchema),
}

impl MadeSchema {
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
    ) -> Result<Option<MadeSchema>, String> {
        match topic.format {
            Format::Avro | Format::Protobuf | Format::JsonSchema => Ok(None),
            Format::Text | Format::Bytes => {
                Ok(Some(MadeSchema::whole(topic.format == Format::Text)))
            }
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
                        .filter(|c| {
                            c.generated.is_none()
                                && Shape::fills(&c.pg_type)
                                && (sources.contains_key(&c.name) || !c.has_default)
                        })
                        .filter_map(|c| match sources.get(&c.name) {
                            Some(source) => match ColumnSource::parse(source) {
                                ColumnSource::Field(path) => Some((c, path)),
                                _ => None,
                            },
                            // A column nothing was recorded for takes the key of its name,
                            // when its name is one a key can have (one with a default and
                            // nothing recorded keeps its default).
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
                MadeSchema::json(shape).map(Some)
            }
        }
    }

    /// The schema of documents of `shape`.
    pub(crate) fn json(shape: Shape) -> Result<MadeSchema, String> {
        JsonReading::new(shape).map(MadeSchema::Json).map_err(|e| {
            format!("the schema inlet makes for the documents does not parse (a bug): {e}")
        })
    }

    /// The schema of the `text` (Avro `"string"`) or `bytes` (`"bytes"`) format.
    fn whole(text: bool) -> MadeSchema {
        let avro = if text { "\"string\"" } else { "\"bytes\"" };
        MadeSchema::Whole(WriterSchema::parse(avro, &[]).expect("a primitive Avro schema parses"))
    }

    /// The schema of the values of `topic`'s format, from a sample of its values when it
    /// needs one (json: the shape that holds every document of the sample); None for Avro.
    ///
    /// # Errors
    /// For json, a sample without one JSON document: what is wrong with it, to say.
    pub(crate) fn for_sample<'a>(
        format: Format,
        values: impl IntoIterator<Item = &'a [u8]>,
    ) -> Result<Option<MadeSchema>, String> {
        match format {
            Format::Avro | Format::Protobuf | Format::JsonSchema => Ok(None),
            Format::Text | Format::Bytes => Ok(Some(MadeSchema::whole(format == Format::Text))),
            Format::Json => {
                let values: Vec<&[u8]> = values.into_iter().collect();
                let (shape, refused) = Shape::infer(values.iter().copied());
                if values.len() == refused {
                    return Err(match values.first() {
                        None => "no records to make the table's columns from".to_owned(),
                        Some(first) => format!(
                            "none of the {} records sampled is a JSON document{}",
                            values.len(),
                            confluent_hint(first)
                        ),
                    });
                }
                MadeSchema::json(shape).map(Some)
            }
        }
    }

    /// The Avro schema values are read as.
    pub(crate) fn writer(&self) -> &WriterSchema {
        match self {
            MadeSchema::Json(reading) => reading.writer(),
            MadeSchema::Whole(writer) => writer,
        }
    }

    /// The table proposed for the values.
    pub(crate) fn proposal(&self) -> Proposal {
        match self {
            MadeSchema::Json(reading) => reading.proposal(),
            MadeSchema::Whole(writer) => Proposal::for_schema(writer),
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
            MadeSchema::Json(reading) => reading.transcode(value, out, scratch).map_err(|e| {
                let code = if e.is_syntax() {
                    ReasonCode::MalformedValue
                } else {
                    ReasonCode::ValueRefused
                };
                Reason::new(code, format!("{e}{}", confluent_hint(value)))
            }),
            MadeSchema::Whole(_) => {
                write_long(value.len() as i64, out);
                out.extend_from_slice(value);
                Ok(())
            }
        }
    }
}

/// What to say of a value that is not JSON and starts as a Confluent frame does (the magic
/// byte 0): it is likely Avro, Protobuf or JSON Schema with the registry.
fn confluent_hint(value: &[u8]) -> &'static str {
    if value.first() == Some(&inlet_avro::MAGIC_BYTE) && value.len() >= 5 {
        " (it starts with the magic byte of a Confluent frame: Avro, Protobuf or JSON Schema with a registry is format = \"avro\", \"protobuf\" or \"json-schema\")"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use inlet_avro::PgType;
    use inlet_postgres::TableName;

    fn column(name: &str, pg_type: PgType, has_default: bool) -> TableColumn {
        TableColumn {
            name: name.into(),
            pg_type,
            nullable: true,
            has_default,
            generated: None,
        }
    }

    fn topic(format: Format) -> TopicConfig {
        TopicConfig {
            topic: "t".into(),
            table: TableName::parse("public.t").unwrap(),
            format,
            mapping: None,
            create_table: true,
            time_column: None,
            chunk_interval: "7 days".into(),
            insert: crate::config::InsertMode::Append,
            evolution: crate::config::Evolution::Off,
            columnstore: None,
        }
    }

    #[test]
    fn a_json_table_of_ones_own_is_read_by_recorded_fields_and_keys_of_the_columns_names() {
        let columns = [
            column("id", PgType::Int8, true),
            column("name", PgType::Text, false),
            column("lat", PgType::Float8, false),
            column("span", PgType::Interval, false),
            column("created", PgType::Timestamptz, true),
        ];
        let sources = BTreeMap::from([("lat".to_owned(), "geo.lat".to_owned())]);
        let Some(MadeSchema::Json(reading)) =
            MadeSchema::for_table(&topic(Format::Json), &columns, &sources).unwrap()
        else {
            panic!("a json topic has a made schema")
        };
        // id and created keep their defaults, span (interval) takes no JSON value.
        assert_eq!(
            reading.shape(),
            &Shape::Object(vec![
                ("name".into(), Shape::Leaf(inlet_json::Leaf::Text)),
                (
                    "geo".into(),
                    Shape::Object(vec![("lat".into(), Shape::Leaf(inlet_json::Leaf::Double))])
                ),
            ])
        );
        assert!(
            MadeSchema::for_table(&topic(Format::Avro), &columns, &sources)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn a_confluent_frame_in_a_json_topic_is_named() {
        let made = MadeSchema::json(Shape::Object(vec![])).unwrap();
        let reason = made
            .body(
                &[0, 0, 0, 0, 7, 2, 4],
                &mut Vec::new(),
                &mut Default::default(),
            )
            .unwrap_err();
        assert_eq!(reason.code, ReasonCode::MalformedValue);
        assert!(reason.text.contains("format = \"avro\""), "{}", reason.text);
        let reason = MadeSchema::for_sample(Format::Json, [&[0u8, 0, 0, 0, 7, 2][..]]).unwrap_err();
        assert!(
            reason.contains("magic byte of a Confluent frame"),
            "{reason}"
        );
    }
}
