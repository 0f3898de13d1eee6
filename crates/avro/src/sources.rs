//! What a column can be filled from, and with which PostgreSQL types: the choices of the
//! console's "Map columns" step. Each source is a field path of the value (through records
//! and `["null", T]`), a branch of a multi-type union (`choice[string]`), a field of the key,
//! or Kafka metadata; its types are the ones a [`DecodePlan`] compiles for it, so the
//! console offers exactly the conversions inlet makes.

use crate::mapping::{ColumnMapping, ColumnSource, PlanOptions, TableColumn};
use crate::pg_type::PgType;
use crate::plan::{DecodePlan, KeySchema};
use crate::schema::{AvroType, NodeId, WriterSchema};

/// The most sources listed for one schema (a schema of thousands of fields lists its
/// first ones).
pub const MAX_SOURCES: usize = 2_000;

/// The most plans compiled to find the sources' types (each distinct Avro type costs one
/// per candidate type): the cost of a schema of many distinct types stays bounded.
pub const MAX_COMPILES: usize = 4_000;

/// How deep nested records are followed.
const MAX_DEPTH: usize = 16;

/// A source a column can take, with the PostgreSQL types inlet converts it to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SourceChoice {
    /// As a mapping writes it: `a.b`, `choice[string]`, `kafka.key.id`, `kafka.offset`.
    pub source: String,
    /// The Avro type it reads (`long`, `["null", string]`, `timestamp-micros`…), or the
    /// metadata's kind.
    pub avro_type: String,
    /// The column types inlet converts it to, in a fixed order (`text[]` for arrays);
    /// empty when the schema has more distinct types than are looked into
    /// ([`MAX_COMPILES`]).
    pub types: Vec<String>,
}

/// The column types tried for each source: every scalar inlet writes and its array.
fn candidates() -> Vec<PgType> {
    let scalars = [
        PgType::Bool,
        PgType::Int2,
        PgType::Int4,
        PgType::Int8,
        PgType::Float4,
        PgType::Float8,
        PgType::Numeric {
            precision: None,
            scale: None,
        },
        PgType::Text,
        PgType::Varchar(None),
        PgType::Bytea,
        PgType::Jsonb,
        PgType::Uuid,
        PgType::Date,
        PgType::Time,
        PgType::Timestamp,
        PgType::Timestamptz,
        PgType::Interval,
    ];
    let arrays: Vec<PgType> = scalars
        .iter()
        .map(|s| PgType::Array(Box::new(s.clone())))
        .collect();
    scalars.into_iter().chain(arrays).collect()
}

/// The sources of `value` (and of `key`, when the topic's keys are Avro), each with the
/// types a column filled from it may have: at most [`MAX_SOURCES`] of the value's and the
/// key's, then the Kafka metadata. A source no type takes is left out.
pub fn source_choices(value: &WriterSchema, key: Option<KeySchema<'_>>) -> Vec<SourceChoice> {
    let mut paths = Vec::new();
    walk(value, value.root(), String::new(), 0, &mut paths);
    // The empty path (a value that is not a record) would read as "no source" in a form.
    let mut sources: Vec<(String, String)> = paths
        .into_iter()
        .filter(|(path, _)| !path.is_empty())
        .map(|(path, node)| (path, value.type_name(node)))
        .collect();
    if let Some(key) = key {
        let mut key_paths = Vec::new();
        walk(
            key.schema,
            key.schema.root(),
            String::new(),
            0,
            &mut key_paths,
        );
        sources.extend(
            key_paths
                .into_iter()
                .map(|(path, node)| (format!("kafka.key.{path}"), key.schema.type_name(node))),
        );
    }
    for (source, kind) in [
        ("kafka.topic", "string"),
        ("kafka.partition", "int"),
        ("kafka.offset", "long"),
        ("kafka.timestamp", "timestamp-millis"),
        ("kafka.key", "bytes"),
        ("kafka.headers", "map"),
    ] {
        sources.push((source.to_owned(), kind.to_owned()));
    }
    // The types a source takes depend on its Avro type only: compiled once per type (a
    // schema of thousands of `int` fields costs one type's compiles), at most
    // MAX_COMPILES plans in all; a source of a type met after that lists no types.
    let candidates = candidates();
    let options = PlanOptions::default();
    let mut by_type: std::collections::HashMap<String, Vec<String>> = Default::default();
    let mut compiles = 0;
    sources
        .into_iter()
        .filter_map(|(source, avro_type)| {
            let kind = if source.starts_with("kafka.") {
                source.clone()
            } else {
                avro_type.clone()
            };
            let types = match by_type.get(&kind) {
                Some(types) if types.is_empty() => return None,
                Some(types) => types.clone(),
                None if compiles + candidates.len() > MAX_COMPILES => Vec::new(),
                None => {
                    compiles += candidates.len();
                    let mapping = [ColumnMapping {
                        column: "c".into(),
                        source: ColumnSource::parse(&source),
                    }];
                    let types: Vec<String> = candidates
                        .iter()
                        .filter(|pg_type| {
                            let table = [TableColumn {
                                name: "c".into(),
                                pg_type: (*pg_type).clone(),
                                nullable: true,
                                has_default: false,
                                generated: None,
                            }];
                            DecodePlan::compile_keyed(value, key, &table, &mapping, &options)
                                .is_ok()
                        })
                        .map(ToString::to_string)
                        .collect();
                    by_type.insert(kind, types.clone());
                    if types.is_empty() {
                        return None;
                    }
                    types
                }
            };
            Some(SourceChoice {
                source,
                avro_type,
                types,
            })
        })
        .collect()
}

/// Collects the paths under `node` (reached by `path`): a record's fields (and nested
/// records' fields, through `["null", record]`), each union beside its branches as
/// `path[branch]` and the fields of its record branches as `path[Branch].field`, the whole
/// record as `path` when it is not the root, and a root that is a union of records by its
/// branches (`[Click].url`). A root that is neither (a key that is one `long`) is the empty
/// path.
fn walk(
    schema: &WriterSchema,
    node: NodeId,
    path: String,
    depth: usize,
    out: &mut Vec<(String, NodeId)>,
) {
    if out.len() >= MAX_SOURCES || depth > MAX_DEPTH {
        return;
    }
    let inner = schema.nullable(node).map_or(node, |(_, t)| t);
    match schema.node(inner) {
        AvroType::Record { fields, .. } => {
            if !path.is_empty() {
                out.push((path.clone(), node));
            }
            for (name, field) in fields {
                let child = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                walk(schema, *field, child, depth + 1, out);
            }
        }
        AvroType::Union(branches) => {
            if !path.is_empty() {
                out.push((path.clone(), node));
            }
            for branch in branches {
                let label = match schema.node(*branch) {
                    AvroType::Null => continue,
                    AvroType::Record { name, .. } => {
                        name.rsplit('.').next().unwrap_or(name).to_owned()
                    }
                    _ => schema.type_name(*branch),
                };
                let branch_path = format!("{path}[{label}]");
                if matches!(schema.node(*branch), AvroType::Record { .. }) {
                    walk(schema, *branch, branch_path, depth + 1, out);
                } else {
                    out.push((branch_path, *branch));
                }
            }
        }
        _ => out.push((path, node)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choices(schema: &str) -> Vec<SourceChoice> {
        let schema = WriterSchema::parse(schema, &[]).unwrap();
        source_choices(&schema, None)
    }

    fn types_of<'a>(choices: &'a [SourceChoice], source: &str) -> &'a [String] {
        &choices
            .iter()
            .find(|c| c.source == source)
            .unwrap_or_else(|| panic!("no source {source} in {choices:?}"))
            .types
    }

    #[test]
    fn a_long_takes_the_integer_and_numeric_types_but_not_a_timestamp() {
        let c = choices(
            r#"{"type":"record","name":"R","fields":[{"name":"n","type":"long"},
                {"name":"ts","type":{"type":"long","logicalType":"timestamp-micros"}}]}"#,
        );
        let n = types_of(&c, "n");
        assert!(n.contains(&"bigint".to_owned()), "{n:?}");
        assert!(!n.contains(&"uuid".to_owned()), "{n:?}");
        let ts = types_of(&c, "ts");
        assert!(
            ts.contains(&"timestamp with time zone".to_owned()),
            "{ts:?}"
        );
        assert!(!ts.contains(&"boolean".to_owned()), "{ts:?}");
    }

    #[test]
    fn an_array_of_arrays_offers_multi_dimensional_arrays_and_jsonb() {
        let choices = choices(
            r#"{"type":"record","name":"G","fields":[
                {"name":"cells","type":{"type":"array","items":{"type":"array","items":"int"}}}]}"#,
        );
        let types = types_of(&choices, "cells");
        assert!(types.contains(&"integer[]".to_owned()), "{types:?}");
        assert!(types.contains(&"jsonb".to_owned()), "{types:?}");
        assert!(!types.contains(&"integer".to_owned()), "{types:?}");
    }

    #[test]
    fn nested_records_unions_and_metadata_are_listed() {
        let c = choices(
            r#"{"type":"record","name":"R","fields":[
                {"name":"geo","type":["null",{"type":"record","name":"Geo","fields":[{"name":"lat","type":"double"}]}]},
                {"name":"choice","type":["null","string","long",{"type":"record","name":"Other","fields":[{"name":"x","type":"int"}]}]}]}"#,
        );
        let sources: Vec<&str> = c.iter().map(|c| c.source.as_str()).collect();
        for want in [
            "geo",
            "geo.lat",
            "choice",
            "choice[string]",
            "choice[long]",
            "choice[Other]",
            "choice[Other].x",
            "kafka.offset",
        ] {
            assert!(sources.contains(&want), "{want} missing from {sources:?}");
        }
        assert!(types_of(&c, "choice").contains(&"jsonb".to_owned()));
        assert!(types_of(&c, "choice[long]").contains(&"bigint".to_owned()));
        assert!(types_of(&c, "geo").contains(&"jsonb".to_owned()));
        assert!(types_of(&c, "choice[Other].x").contains(&"integer".to_owned()));
    }

    #[test]
    fn a_wide_schema_costs_one_compile_per_type_and_keeps_every_source() {
        let fields: Vec<String> = (0..2_000)
            .map(|i| format!(r#"{{"name":"f{i}","type":"int"}}"#))
            .collect();
        let schema = format!(
            r#"{{"type":"record","name":"Wide","fields":[{}]}}"#,
            fields.join(",")
        );
        let started = std::time::Instant::now();
        let c = choices(&schema);
        assert_eq!(
            c.len(),
            MAX_SOURCES + 6,
            "the first fields, and the metadata"
        );
        assert!(types_of(&c, "kafka.offset").contains(&"bigint".to_owned()));
        assert!(types_of(&c, "f1999").contains(&"integer".to_owned()));
        // Not a timing assertion: a quadratic walk would take minutes here, not seconds.
        eprintln!("2,000 int fields: {:?}", started.elapsed());
    }

    #[test]
    fn a_union_of_records_lists_each_branch_fields_and_a_plain_key_its_value() {
        let c = choices(
            r#"[{"type":"record","name":"shop.Click","fields":[{"name":"url","type":"string"}]},
                {"type":"record","name":"shop.View","fields":[{"name":"ms","type":"long"}]}]"#,
        );
        assert!(
            types_of(&c, "[Click].url").contains(&"text".to_owned()),
            "{c:?}"
        );
        assert!(
            types_of(&c, "[View].ms").contains(&"bigint".to_owned()),
            "{c:?}"
        );
        let value = WriterSchema::parse(
            r#"{"type":"record","name":"R","fields":[{"name":"n","type":"long"}]}"#,
            &[],
        )
        .unwrap();
        let key = WriterSchema::parse(r#""long""#, &[]).unwrap();
        let c = source_choices(
            &value,
            Some(KeySchema {
                id: 7,
                schema: &key,
            }),
        );
        assert!(
            types_of(&c, "kafka.key.").contains(&"bigint".to_owned()),
            "{c:?}"
        );
    }
}
