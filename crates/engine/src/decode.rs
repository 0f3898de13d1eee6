//! From a Kafka record to a batch entry: a COPY row, or a dead letter with the reason.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use inlet_avro::{
    ColumnMapping, ColumnSource, DecodePlan, Frame, KeySchema, PlanOptions, Proposal, RecordMeta,
    RowScratch, TableColumn, WriterSchema,
};
use inlet_fault::Classify;
use inlet_postgres::dead_letters::{Reason, ReasonCode};
use inlet_postgres::{Batch, ColumnClaim, RawRecord, TableName, claim_columns, table_columns};
use inlet_registry::RegistryClient;

use crate::config::{Evolution, InsertMode, TopicConfig};

mod made;
mod record;
mod registered;
mod target;

pub(crate) use made::{MADE_SCHEMA_ID, MadeSchema, sample_topic};
pub(crate) use record::{HeaderList, Headers, RawHeaders, Record};
pub use registered::framed_value_json;
pub(crate) use registered::{format_mismatch, writer_of};
pub(crate) use target::Target;

/// Why a record cannot be decoded now, though it may be later: the registry or, to add a
/// column, the database cannot be reached. The record is read again.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Unavailable {
    /// The registry did not answer for a schema id.
    #[error("the schema registry cannot be read: {0}")]
    Registry(#[source] inlet_registry::Error),
    /// The database did not answer while a column was added or recorded.
    #[error("the columns cannot be recorded: {0}")]
    Database(#[source] inlet_postgres::Error),
}

impl Classify for Unavailable {
    /// Whose fault it is: the system that did not answer.
    fn fault(&self) -> inlet_fault::Fault {
        match self {
            Unavailable::Registry(e) => e.fault(),
            Unavailable::Database(e) => e.fault(),
        }
    }

    /// Always: the record is read again once it answers.
    fn is_retriable(&self) -> bool {
        true
    }
}

/// The latest schema of `subject` (`<topic>-value`, `<topic>-key`) with its id, when the
/// registry has it and it parses.
pub(crate) async fn latest_schema(
    registry: &RegistryClient,
    subject: &str,
) -> Option<(u32, WriterSchema)> {
    let latest = registry.subject_version(subject, "latest").await.ok()?;
    let resolved = registry.resolve(latest.id).await.ok()?;
    let writer = writer_of(&resolved).ok()?;
    Some((latest.id, writer))
}

/// As [`latest_schema`], but a registry that does not answer (down, timing out, an answer
/// that is not its API's) is an error to retry rather than no schema: a connector must not
/// start without the key's fields, or without the coverage check, because of a time-out.
pub(crate) async fn latest_schema_or_retry(
    registry: &RegistryClient,
    subject: &str,
) -> Result<Option<(u32, WriterSchema)>, inlet_registry::Error> {
    let retry = |e: inlet_registry::Error| if e.is_retriable() { Err(e) } else { Ok(None) };
    let latest = match registry.subject_version(subject, "latest").await {
        Ok(latest) => latest,
        Err(e) => return retry(e),
    };
    let resolved = match registry.resolve(latest.id).await {
        Ok(resolved) => resolved,
        Err(e) => return retry(e),
    };
    Ok(writer_of(&resolved).ok().map(|writer| (latest.id, writer)))
}

/// `(id, schema)` as a plan's key schema.
pub(crate) fn key_schema(key: &Option<(u32, WriterSchema)>) -> Option<KeySchema<'_>> {
    key.as_ref()
        .map(|(id, schema)| KeySchema { id: *id, schema })
}

/// Why `topic`'s table cannot be created from `proposal`: its explicit mapping or its
/// key columns name columns the proposal does not make (a table made from the schema has
/// the proposal's column names).
pub(crate) fn uncreatable(topic: &TopicConfig, proposal: &Proposal) -> Option<String> {
    if let Err(too_wide) = inlet_avro::check_table_width(&proposal.columns) {
        return Some(format!(
            "table {} does not exist, and the table inlet would make from the schema has {too_wide}: {}",
            topic.table,
            crate::check::TOO_WIDE_WAY_OUT
        ));
    }
    let has = |c: &str| proposal.columns.iter().any(|p| p.name == c);
    let mut missing: Vec<&str> = topic
        .mapping
        .iter()
        .flatten()
        .map(|(column, _)| column.as_str())
        .chain(
            topic
                .insert
                .key()
                .unwrap_or_default()
                .iter()
                .map(String::as_str),
        )
        .filter(|c| !has(c))
        .collect();
    missing.sort_unstable();
    missing.dedup();
    (!missing.is_empty()).then(|| {
        format!(
            "table {} does not exist, and the table inlet would make from the schema has no column {} (it names columns after the fields: {}): create the table yourself (`inlet schema propose` prints a starting CREATE TABLE), or use mapping = \"auto\" with key_columns the schema has",
            topic.table,
            missing.join(", "),
            proposal
                .columns
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

/// Why `topic`'s explicit mapping or key columns cannot go into the table of `columns`
/// whatever the schema: they name a column PostgreSQL fills itself (a stored generated
/// column, an identity column GENERATED ALWAYS). `inlet check` fails with it, and
/// `inlet run` refuses to start.
pub(crate) fn mapping_problem(topic: &TopicConfig, columns: &[TableColumn]) -> Option<String> {
    let generated = |name: &str| {
        columns
            .iter()
            .find(|c| c.name == name)
            .and_then(|c| c.generated)
    };
    if let Some((column, kind)) = topic
        .mapping
        .iter()
        .flatten()
        .find_map(|(column, _)| generated(column).map(|kind| (column, kind)))
    {
        return Some(format!(
            "{}: {}",
            topic.table,
            inlet_avro::PlanError::Generated {
                column: column.clone(),
                kind,
            }
        ));
    }
    let key = topic.insert.key().unwrap_or_default();
    key.iter()
        .find_map(|column| generated(column).map(|kind| (column, kind)))
        .map(|(column, kind)| {
            format!(
                "key column {column} of {} is {kind}: an upsert writes the key's values, which PostgreSQL makes there; choose key_columns the records fill",
                topic.table
            )
        })
}

/// What a record became.
pub(crate) enum Decoded {
    /// Row bytes were appended to the output, by this plan.
    Row(Arc<DecodePlan>),
    /// A tombstone: the key's row bytes were appended, by this key plan.
    Delete(Arc<DecodePlan>),
    /// It cannot be stored (its frame's schema id, when it had one), for this reason.
    Dead(Option<u32>, Reason),
}

/// Decodes `record` into `out` with `target`'s plan for its schema.
pub(crate) async fn decode(
    target: &mut Target,
    registry: &RegistryClient,
    client: Option<&tokio_postgres::Client>,
    record: &Record<'_>,
    scratch: &mut RowScratch,
    out: &mut Vec<u8>,
) -> Result<Decoded, Unavailable> {
    let Some(value) = record.value else {
        return tombstone(target, registry, record, scratch, out).await;
    };
    let key_id = |target: &Target| match record.key {
        Some(key) if target.reads_key => Frame::parse(key).ok().map(|f| f.schema_id.0),
        _ => None,
    };
    // A Protobuf or JSON Schema key whose fields columns take, as Avro the plan reads.
    target.key_frame = None;
    if target.reads_key
        && let Some(key) = record.key
    {
        match target.key_as_avro(registry, key).await? {
            Ok(frame) => target.key_frame = frame,
            Err(reason) => return Ok(Decoded::Dead(None, reason)),
        }
    }
    let made = match target.made() {
        Ok(made) => made,
        Err(problem) => {
            return Ok(Decoded::Dead(
                None,
                Reason::new(ReasonCode::UnusableSchema, problem),
            ));
        }
    };
    if let Some(made) = made {
        let mut body = std::mem::take(&mut target.body);
        body.clear();
        let decoded = match made.body(value, &mut body, &mut target.json_scratch) {
            Err(reason) => Decoded::Dead(None, reason),
            Ok(()) => match target
                .plan(registry, client, MADE_SCHEMA_ID, &[], key_id(target))
                .await?
            {
                Err(reason) => Decoded::Dead(None, reason),
                Ok(plan) => match plan.write_row(
                    &body,
                    &meta(record, &plan, target.key_frame.as_deref()),
                    scratch,
                    out,
                ) {
                    Ok(()) => Decoded::Row(plan),
                    Err(e) => Decoded::Dead(None, record_reason(&e)),
                },
            },
        };
        target.body = body;
        return Ok(decoded);
    }
    let protobuf = target.config.format == crate::config::Format::Protobuf;
    let json_schema = target.config.format == crate::config::Format::JsonSchema;
    let frame = match Frame::parse(value) {
        Ok(frame) => frame,
        Err(e) => {
            return Ok(Decoded::Dead(
                None,
                Reason::new(
                    ReasonCode::BadFrame,
                    format!(
                        "not a Confluent {} frame: {e}",
                        if protobuf {
                            "Protobuf"
                        } else if json_schema {
                            "JSON Schema"
                        } else {
                            "Avro"
                        }
                    ),
                ),
            ));
        }
    };
    let id = frame.schema_id.0;
    if protobuf {
        let key_id = key_id(target);
        return protobuf_row(
            target, registry, client, record, id, frame.body, key_id, scratch, out,
        )
        .await;
    }
    if json_schema {
        let key_id = key_id(target);
        return json_schema_row(
            target, registry, client, record, id, frame.body, key_id, scratch, out,
        )
        .await;
    }
    let plan = match target
        .plan(registry, client, id, &[], key_id(target))
        .await?
    {
        Ok(plan) => plan,
        Err(reason) => return Ok(Decoded::Dead(Some(id), reason)),
    };
    Ok(
        match plan.write_row(
            frame.body,
            &meta(record, &plan, target.key_frame.as_deref()),
            scratch,
            out,
        ) {
            Ok(()) => Decoded::Row(plan),
            Err(e) => Decoded::Dead(Some(id), record_reason(&e)),
        },
    )
}

/// Decodes the Protobuf message of a frame of `schema_id` whose bytes after the id are
/// `body` (message indexes, then the message): transcoded into the Avro binary of the
/// schema inlet made of the message, then written by its plan.
#[allow(clippy::too_many_arguments)]
async fn protobuf_row(
    target: &mut Target,
    registry: &RegistryClient,
    client: Option<&tokio_postgres::Client>,
    record: &Record<'_>,
    schema_id: u32,
    body: &[u8],
    key_id: Option<u32>,
    scratch: &mut RowScratch,
    out: &mut Vec<u8>,
) -> Result<Decoded, Unavailable> {
    let dead = |code, text: String| Ok(Decoded::Dead(Some(schema_id), Reason::new(code, text)));
    let (indexes, message) = match inlet_protobuf::split_message_indexes(body) {
        Ok(split) => split,
        Err(e) => return dead(ReasonCode::BadFrame, e.to_string()),
    };
    let reading = match target.proto_reading(registry, schema_id, &indexes).await? {
        Ok(reading) => reading,
        Err(reason) => return Ok(Decoded::Dead(Some(schema_id), reason)),
    };
    let mut avro = std::mem::take(&mut target.body);
    avro.clear();
    let decoded = match reading.transcode(message, &mut avro) {
        Err(e) if e.is_malformed() => dead(ReasonCode::MalformedValue, e.to_string()),
        Err(e) => dead(ReasonCode::ValueRefused, e.to_string()),
        Ok(()) => {
            let value = Transcoded {
                schema_id,
                message: &indexes,
                key_id,
                avro: &avro,
            };
            write_transcoded(target, registry, client, record, value, scratch, out).await
        }
    };
    target.body = avro;
    decoded
}

/// Decodes the JSON document of a frame of the JSON Schema `schema_id` (`doc`, the bytes
/// after the id): transcoded as plain JSON of the shape the schema gives, then written by
/// its plan.
#[allow(clippy::too_many_arguments)]
async fn json_schema_row(
    target: &mut Target,
    registry: &RegistryClient,
    client: Option<&tokio_postgres::Client>,
    record: &Record<'_>,
    schema_id: u32,
    doc: &[u8],
    key_id: Option<u32>,
    scratch: &mut RowScratch,
    out: &mut Vec<u8>,
) -> Result<Decoded, Unavailable> {
    let reading = match target.json_schema_reading(registry, schema_id).await? {
        Ok(reading) => reading,
        Err(reason) => return Ok(Decoded::Dead(Some(schema_id), reason)),
    };
    let mut avro = std::mem::take(&mut target.body);
    avro.clear();
    let transcoded = reading.transcode(doc, &mut avro, &mut target.json_scratch);
    let decoded = match transcoded {
        Err(e) => {
            let code = if e.is_syntax() {
                ReasonCode::MalformedValue
            } else {
                ReasonCode::ValueRefused
            };
            Ok(Decoded::Dead(
                Some(schema_id),
                Reason::new(code, e.to_string()),
            ))
        }
        Ok(()) => {
            let value = Transcoded {
                schema_id,
                message: &[],
                key_id,
                avro: &avro,
            };
            write_transcoded(target, registry, client, record, value, scratch, out).await
        }
    };
    target.body = avro;
    decoded
}

/// A value transcoded into the Avro binary of the schema inlet made for it.
struct Transcoded<'a> {
    /// The registry's schema id of the value.
    schema_id: u32,
    /// Its Protobuf message indexes (empty for JSON Schema).
    message: &'a [i32],
    /// The key's schema id, when columns take key fields.
    key_id: Option<u32>,
    /// The Avro binary.
    avro: &'a [u8],
}

/// Writes a transcoded value with its plan (compiled on first use).
async fn write_transcoded(
    target: &mut Target,
    registry: &RegistryClient,
    client: Option<&tokio_postgres::Client>,
    record: &Record<'_>,
    value: Transcoded<'_>,
    scratch: &mut RowScratch,
    out: &mut Vec<u8>,
) -> Result<Decoded, Unavailable> {
    let id = value.schema_id;
    let plan = match target
        .plan(registry, client, id, value.message, value.key_id)
        .await?
    {
        Ok(plan) => plan,
        Err(reason) => return Ok(Decoded::Dead(Some(id), reason)),
    };
    let meta = meta(record, &plan, target.key_frame.as_deref());
    Ok(match plan.write_row(value.avro, &meta, scratch, out) {
        Ok(()) => Decoded::Row(plan),
        Err(e) => Decoded::Dead(Some(id), record_reason(&e)),
    })
}

/// `record`'s metadata for `plan`, with its key as Avro (`key_avro`) when inlet transcoded
/// it from Protobuf or JSON Schema.
fn meta<'a>(
    record: &'a Record<'_>,
    plan: &DecodePlan,
    key_avro: Option<&'a [u8]>,
) -> inlet_avro::RecordMeta<'a> {
    let mut meta = record.meta(plan);
    meta.key_avro = key_avro;
    meta
}

/// The reason of a record its plan could not write: bytes that do not decode, a value its
/// column refuses, or a key that cannot give its fields.
fn record_reason(error: &inlet_avro::RecordError) -> Reason {
    let code = match error {
        inlet_avro::RecordError::Decode(_) => ReasonCode::MalformedValue,
        inlet_avro::RecordError::Key(_) => ReasonCode::KeyUnusable,
        _ => ReasonCode::ValueRefused,
    };
    Reason::new(code, error.to_string())
}

/// A record with a key and no value: with upsert-delete, the key's row is deleted.
async fn tombstone(
    target: &mut Target,
    registry: &RegistryClient,
    record: &Record<'_>,
    scratch: &mut RowScratch,
    out: &mut Vec<u8>,
) -> Result<Decoded, Unavailable> {
    if !matches!(target.config.insert, InsertMode::UpsertDelete { .. }) {
        return Ok(Decoded::Dead(
            None,
            Reason::new(
                ReasonCode::Tombstone,
                "a tombstone (null value): only insert = \"upsert-delete\" acts on it",
            ),
        ));
    }
    let Some(key) = record.key else {
        return Ok(Decoded::Dead(
            None,
            Reason::new(
                ReasonCode::Tombstone,
                "a tombstone (null value) without a key: there is no row to delete",
            ),
        ));
    };
    let (schema_id, body, text_body);
    let transcoded = match target.key_as_avro(registry, key).await? {
        Ok(frame) => frame,
        Err(reason) => return Ok(Decoded::Dead(None, reason)),
    };
    match Frame::parse(key) {
        // A Protobuf or JSON Schema key, as the Avro of the schema inlet made of it.
        Ok(frame) if transcoded.is_some() => {
            schema_id = Some(frame.schema_id.0);
            body = transcoded.as_deref().map_or(&[][..], |t| &t[5..]);
        }
        Ok(frame) => {
            schema_id = Some(frame.schema_id.0);
            body = frame.body;
        }
        Err(_) => {
            // Not a Confluent frame: the key is one text value, as an Avro string's body.
            schema_id = None;
            let mut encoded = Vec::with_capacity(key.len() + 10);
            inlet_avro::write_long(key.len() as i64, &mut encoded);
            encoded.extend_from_slice(key);
            text_body = encoded;
            body = &text_body;
        }
    }
    let plan = match target.key_plan(registry, schema_id).await? {
        Ok(plan) => plan,
        Err(reason) => return Ok(Decoded::Dead(schema_id, reason)),
    };
    Ok(
        match plan.write_row(body, &record.meta(&plan), scratch, out) {
            Ok(()) => Decoded::Delete(plan),
            Err(e) => Decoded::Dead(
                schema_id,
                Reason::new(ReasonCode::KeyUnusable, format!("the tombstone's key: {e}")),
            ),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Evolution;

    /// A target for `table`'s columns, created from `v1`'s proposal and recorded as such.
    fn created_from(v1: &str) -> (Target, WriterSchema) {
        created_with_key(v1, None)
    }

    /// [`created_from`] for a topic whose key has the schema `key`.
    fn created_with_key(v1: &str, key: Option<&WriterSchema>) -> (Target, WriterSchema) {
        let writer = WriterSchema::parse(v1, &[]).unwrap();
        let proposal = Proposal::for_topic(&writer, key, &[]);
        let sources = proposal
            .mapping
            .iter()
            .map(|m| (m.column.clone(), m.source.to_string()))
            .collect();
        let config = TopicConfig {
            topic: "t".into(),
            table: TableName::parse("public.t").unwrap(),
            format: crate::config::Format::Avro,
            mapping: None,
            create_table: true,
            time_column: None,
            chunk_interval: "7 days".into(),
            insert: InsertMode::Append,
            evolution: Evolution::AddColumns,
            columnstore: None,
        };
        (Target::new("c", config, proposal.columns, sources), writer)
    }

    /// (column ← path) of the auto mapping, and the paths not stored.
    fn auto(target: &Target, v2: &str) -> (Vec<(String, String)>, Vec<String>) {
        auto_with_key(target, v2, None)
    }

    /// [`auto`], sorted, for records with keys of schema `key`.
    fn auto_with_key(
        target: &Target,
        v2: &str,
        key: Option<&WriterSchema>,
    ) -> (Vec<(String, String)>, Vec<String>) {
        let writer = WriterSchema::parse(v2, &[]).unwrap();
        let auto = target.auto_mapping(&writer, key);
        let mut mapping: Vec<(String, String)> = auto
            .mapping
            .into_iter()
            .map(|m| (m.column, m.source.to_string()))
            .collect();
        mapping.sort();
        (
            mapping,
            auto.unstored.into_iter().map(|(path, _, _)| path).collect(),
        )
    }

    fn record(fields: &[(&str, &str)]) -> String {
        let fields: Vec<String> = fields
            .iter()
            .map(|(name, avro)| format!(r#"{{"name":"{name}","type":{avro}}}"#))
            .collect();
        format!(
            r#"{{"type":"record","name":"R","fields":[{}]}}"#,
            fields.join(",")
        )
    }

    const GEO: &str = r#"{"type":"record","name":"Geo","fields":[{"name":"lat","type":"double"},{"name":"lon","type":"double"}]}"#;

    fn pairs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(c, p)| ((*c).to_owned(), (*p).to_owned()))
            .collect()
    }

    #[test]
    fn a_new_field_before_after_or_between_never_takes_a_column() {
        let (target, _) = created_from(&record(&[("id", "\"int\""), ("geo", GEO)]));
        let kept = pairs(&[("id", "id"), ("geo_lat", "geo.lat"), ("geo_lon", "geo.lon")]);
        for (v2, new) in [
            // before, named like a flattened column
            (
                record(&[("id", "\"int\""), ("geo_lat", "\"double\""), ("geo", GEO)]),
                "geo_lat",
            ),
            // between
            (
                record(&[("id", "\"int\""), ("mid", "\"string\""), ("geo", GEO)]),
                "mid",
            ),
            // after
            (
                record(&[("id", "\"int\""), ("geo", GEO), ("geo_lon", "\"long\"")]),
                "geo_lon",
            ),
        ] {
            let (mapping, unstored) = auto(&target, &v2);
            let mut mapping = mapping;
            mapping.sort();
            let mut want = kept.clone();
            want.sort();
            assert_eq!(mapping, want, "{v2}");
            assert_eq!(unstored, [new], "{v2}");
        }
    }

    #[test]
    fn shortened_names_keep_their_fields() {
        let long = "x".repeat(70);
        let longer = format!("{long}y");
        let (target, _) = created_from(&record(&[(&long, "\"int\"")]));
        assert_eq!(target.columns[0].name, "x".repeat(63));
        // Version 2 puts a field whose name shortens to the same 63 bytes first: its own
        // proposal would give it the column.
        let (mapping, unstored) = auto(
            &target,
            &record(&[(&longer, "\"string\""), (&long, "\"int\"")]),
        );
        assert_eq!(mapping, pairs(&[(&"x".repeat(63), &long)]));
        assert_eq!(unstored, [longer]);
    }

    #[test]
    fn a_key_column_stays_with_the_key_when_a_value_field_takes_its_name() {
        let key = WriterSchema::parse(
            &record(&[("user_id", "\"long\""), ("tenant", r#"["null","string"]"#)]),
            &[],
        )
        .unwrap();
        let (target, _) = created_with_key(&record(&[("name", "\"string\"")]), Some(&key));
        let v2 = record(&[("name", "\"string\""), ("tenant", r#"["null","string"]"#)]);
        let (mapping, unstored) = auto_with_key(&target, &v2, Some(&key));
        assert_eq!(
            mapping,
            pairs(&[
                ("name", "name"),
                ("tenant", "kafka.key.tenant"),
                ("user_id", "kafka.key.user_id")
            ])
        );
        assert_eq!(
            unstored,
            ["tenant"],
            "the value's tenant gets a column of its own"
        );
    }

    const CLICK: &str = r#"{"type":"record","name":"Click","namespace":"ns","fields":[{"name":"ts","type":"long"},{"name":"url","type":"string"}]}"#;
    const VIEW: &str = r#"{"type":"record","name":"View","namespace":"ns","fields":[{"name":"ts","type":"long"},{"name":"url","type":"int"},{"name":"dur","type":"int"}]}"#;
    const BUY: &str = r#"{"type":"record","name":"Buy","namespace":"ns","fields":[{"name":"ts","type":"long"},{"name":"url","type":"int"},{"name":"price","type":"double"}]}"#;

    #[test]
    fn a_field_that_becomes_a_union_branch_keeps_its_column() {
        // A record becomes a union's branch, whose sibling types `url` otherwise.
        let (target, _) = created_from(CLICK);
        let (mapping, unstored) = auto(&target, &format!("[{CLICK},{VIEW}]"));
        assert_eq!(
            mapping,
            pairs(&[("ts", "ts"), ("url", "url")]),
            "{unstored:?}"
        );
        assert_eq!(unstored, ["dur"]);
        // A union gains a branch that types `url` otherwise: url keeps reading every branch.
        let view = r#"{"type":"record","name":"View","namespace":"ns","fields":[{"name":"ts","type":"long"},{"name":"dur","type":"int"}]}"#;
        let (target, _) = created_from(&format!("[{CLICK},{view}]"));
        let (mapping, unstored) = auto(&target, &format!("[{CLICK},{view},{BUY}]"));
        assert_eq!(
            mapping,
            pairs(&[("dur", "dur"), ("ts", "ts"), ("url", "url")]),
            "{unstored:?}"
        );
        assert_eq!(unstored, ["price"]);
    }
}
