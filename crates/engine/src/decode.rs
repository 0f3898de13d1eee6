//! From a Kafka record to a batch entry: a COPY row, or a dead letter with the reason.

use std::collections::HashMap;
use std::sync::Arc;

use inlet_avro::{
    ColumnMapping, ColumnSource, DecodePlan, Frame, KafkaField, PlanOptions, Proposal, RecordMeta,
    RowScratch, TableColumn, WriterSchema,
};
use inlet_postgres::{DeadLetter, TableName};
use inlet_registry::RegistryClient;

use crate::config::TopicConfig;

/// A topic's target as the database has it.
pub(crate) struct Target {
    pub(crate) config: TopicConfig,
    pub(crate) table: TableName,
    pub(crate) columns: Vec<TableColumn>,
    /// Plans by schema id: a plan, or why there can be none (every record of that schema is
    /// dead-lettered with the reason).
    plans: HashMap<u32, Result<Arc<DecodePlan>, String>>,
}

impl Target {
    pub(crate) fn new(config: TopicConfig, columns: Vec<TableColumn>) -> Self {
        Target {
            table: config.table.clone(),
            config,
            columns,
            plans: HashMap::new(),
        }
    }

    /// The plan for `schema_id`, compiled on first use. `Err(Retry)` when the registry could
    /// not be asked (try again later); a plan error or an unknown id is a per-record reason.
    pub(crate) async fn plan(
        &mut self,
        registry: &RegistryClient,
        schema_id: u32,
    ) -> Result<Result<Arc<DecodePlan>, String>, inlet_registry::Error> {
        if let Some(plan) = self.plans.get(&schema_id) {
            return Ok(plan.clone());
        }
        let plan = match registry.resolve(schema_id).await {
            Ok(resolved) => match WriterSchema::parse(&resolved.schema, &resolved.dependencies) {
                Ok(writer) => self.compile(&writer).map(Arc::new),
                Err(e) => Err(format!("schema id {schema_id}: {e}")),
            },
            Err(e) if e.is_not_found() => Err(format!(
                "schema id {schema_id} is not in the schema registry: {e}"
            )),
            Err(e) => return Err(e),
        };
        if let Err(reason) = &plan {
            tracing::warn!(table = %self.table, schema_id, %reason, "records of this schema cannot be stored");
        }
        self.plans.insert(schema_id, plan.clone());
        Ok(plan)
    }

    fn compile(&self, writer: &WriterSchema) -> Result<DecodePlan, String> {
        let mapping = match &self.config.mapping {
            Some(explicit) => explicit
                .iter()
                .map(|(column, source)| ColumnMapping {
                    column: column.clone(),
                    source: parse_source(source),
                })
                .collect(),
            None => {
                // The proposal for this schema, for the columns the table has.
                let proposal = Proposal::for_schema(writer);
                proposal
                    .mapping
                    .into_iter()
                    .filter(|m| self.columns.iter().any(|c| c.name == m.column))
                    .collect::<Vec<_>>()
            }
        };
        DecodePlan::compile(writer, &self.columns, &mapping, &PlanOptions::default())
            .map_err(|e| format!("the schema does not fit {}: {e}", self.table))
    }
}

/// `kafka.offset` and friends, or a field path.
pub(crate) fn parse_source(source: &str) -> ColumnSource {
    let field = match source {
        "kafka.topic" => KafkaField::Topic,
        "kafka.partition" => KafkaField::Partition,
        "kafka.offset" => KafkaField::Offset,
        "kafka.timestamp" => KafkaField::Timestamp,
        "kafka.key" => KafkaField::Key,
        "kafka.headers" => KafkaField::Headers,
        path => return ColumnSource::Field(path.to_owned()),
    };
    ColumnSource::Kafka(field)
}

/// A Kafka record, borrowed.
pub(crate) struct Record<'a> {
    pub(crate) topic: &'a str,
    pub(crate) partition: i32,
    pub(crate) offset: i64,
    pub(crate) timestamp_ms: Option<i64>,
    pub(crate) key: Option<&'a [u8]>,
    pub(crate) value: Option<&'a [u8]>,
    pub(crate) headers: Vec<(&'a str, Option<&'a [u8]>)>,
}

impl Record<'_> {
    /// The record kept as a dead letter for `error`.
    pub(crate) fn dead_letter(&self, schema_id: Option<u32>, error: String) -> DeadLetter {
        DeadLetter {
            timestamp_ms: self.timestamp_ms,
            key: self.key.map(<[u8]>::to_vec),
            value: self.value.map(<[u8]>::to_vec),
            headers_json: headers_json(&self.headers),
            schema_id,
            error,
        }
    }

    pub(crate) fn meta(&self) -> RecordMeta<'_> {
        RecordMeta {
            topic: self.topic,
            partition: self.partition,
            offset: self.offset,
            timestamp_ms: self.timestamp_ms,
            key: self.key,
            headers: &self.headers,
        }
    }
}

/// Headers as a JSON array of `{"key": …, "value": …}`: order and repeated names kept;
/// values that are not UTF-8 text as `\x…` hex, as PostgreSQL prints bytea.
fn headers_json(headers: &[(&str, Option<&[u8]>)]) -> String {
    let items: Vec<serde_json::Value> = headers
        .iter()
        .map(|(key, value)| {
            let value = value.map(|v| match std::str::from_utf8(v) {
                Ok(text) if !v.contains(&0) => text.to_owned(),
                _ => {
                    let mut hex = String::from("\\x");
                    for b in v {
                        hex.push_str(&format!("{b:02x}"));
                    }
                    hex
                }
            });
            serde_json::json!({"key": key, "value": value})
        })
        .collect();
    serde_json::Value::Array(items).to_string()
}

/// What a record became.
pub(crate) enum Decoded {
    /// Row bytes were appended to the output, by this plan.
    Row(Arc<DecodePlan>),
    /// It cannot be stored, for this reason.
    Dead(Option<u32>, String),
}

/// Decodes `record` into `out` with `target`'s plan for its schema.
pub(crate) async fn decode(
    target: &mut Target,
    registry: &RegistryClient,
    record: &Record<'_>,
    scratch: &mut RowScratch,
    out: &mut Vec<u8>,
) -> Result<Decoded, inlet_registry::Error> {
    let Some(value) = record.value else {
        return Ok(Decoded::Dead(
            None,
            "a tombstone (null value): the append insert mode stores no row for it".into(),
        ));
    };
    let frame = match Frame::parse(value) {
        Ok(frame) => frame,
        Err(e) => {
            return Ok(Decoded::Dead(
                None,
                format!("not a Confluent Avro frame: {e}"),
            ));
        }
    };
    let id = frame.schema_id.0;
    let plan = match target.plan(registry, id).await? {
        Ok(plan) => plan,
        Err(reason) => return Ok(Decoded::Dead(Some(id), reason)),
    };
    Ok(
        match plan.write_row(frame.body, &record.meta(), scratch, out) {
            Ok(()) => Decoded::Row(plan),
            Err(e) => Decoded::Dead(Some(id), e.to_string()),
        },
    )
}
