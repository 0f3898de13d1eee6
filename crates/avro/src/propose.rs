//! Proposes a table for a writer schema: columns, types, nullability, the time column for a
//! hypertable, and the mapping from fields to columns.

use crate::mapping::{ColumnMapping, ColumnSource, TableColumn};
use crate::pg_type::PgType;
use crate::schema::{AvroType, NodeId, WriterSchema};

/// A proposed table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    /// Columns, in schema order.
    pub columns: Vec<TableColumn>,
    /// The mapping that fills them.
    pub mapping: Vec<ColumnMapping>,
    /// The column to partition a hypertable by: the first timestamp field.
    pub time_column: Option<String>,
}

/// PostgreSQL's limit on a table's columns (MaxHeapAttributeNumber): a proposal wider than
/// this cannot be a table.
pub const MAX_TABLE_COLUMNS: usize = 1600;

/// PostgreSQL cuts identifiers longer than this (NAMEDATALEN - 1).
const MAX_IDENTIFIER_BYTES: usize = 63;

/// The longest prefix of `s` of at most `max` bytes that ends on a character boundary.
fn truncate(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// How deep nested records are flattened into columns; deeper ones become jsonb.
const MAX_FLATTEN_DEPTH: usize = 8;

impl Proposal {
    /// The proposal for `schema`: nested records flattened into `parent_child` columns,
    /// `["null", T]` as a nullable T, everything without a column type of its own as jsonb.
    pub fn for_schema(schema: &WriterSchema) -> Self {
        let mut proposal = Proposal {
            columns: Vec::new(),
            mapping: Vec::new(),
            time_column: None,
        };
        let root = schema.root();
        if let Some(records) = record_branches(schema, root) {
            proposal.merge_branches(schema, &records);
            return proposal;
        }
        match schema.node(root) {
            AvroType::Record { .. } => {
                let mut stack = vec![root];
                proposal.flatten(schema, root, "", "", false, &mut stack);
            }
            // A root that is not a record (a union, a string...) becomes one column.
            _ => {
                let nullable = match schema.node(root) {
                    AvroType::Union(branches) => {
                        branches.iter().any(|b| *schema.node(*b) == AvroType::Null)
                    }
                    _ => false,
                };
                proposal.add(schema, root, "value", String::new(), nullable)
            }
        }
        proposal
    }

    /// The proposal for a topic: its value schema's, with [`with_key`](Self::with_key)'s
    /// columns when the key has a schema (`key_columns`: an upsert's key).
    pub fn for_topic(
        value: &WriterSchema,
        key: Option<&WriterSchema>,
        key_columns: &[String],
    ) -> Self {
        let proposal = Proposal::for_schema(value);
        match key {
            Some(key) => proposal.with_key(key, key_columns),
            None => proposal,
        }
    }

    /// The proposal when the record key (Confluent-framed Avro, schema `key`) holds
    /// columns the value does not: the key record's fields whose column names the value's
    /// columns do not take, from `kafka.key.<path>`; a key that is not a record fills the
    /// one key column (`key_columns`, of an upsert) that the value does not have, if any.
    pub fn with_key(mut self, key: &WriterSchema, key_columns: &[String]) -> Self {
        let root = key.root();
        let record = matches!(key.node(root), AvroType::Record { .. })
            || record_branches(key, root).is_some();
        if record {
            let proposal = Proposal::for_schema(key);
            for (column, m) in proposal.columns.into_iter().zip(proposal.mapping) {
                let ColumnSource::Field(path) = m.source else {
                    continue;
                };
                if !self.has(&column.name) {
                    self.mapping.push(ColumnMapping {
                        column: column.name.clone(),
                        source: ColumnSource::Key(path),
                    });
                    self.columns.push(column);
                }
            }
        } else if let [column] = key_columns
            .iter()
            .filter(|c| !self.has(c))
            .collect::<Vec<_>>()
            .as_slice()
        {
            let nullable = key.nullable(root).is_some();
            let node = key.nullable(root).map_or(root, |(_, inner)| inner);
            self.columns.push(TableColumn {
                name: (*column).clone(),
                pg_type: column_type(key, node),
                nullable,
                has_default: false,
                generated: None,
            });
            self.mapping.push(ColumnMapping {
                column: (*column).clone(),
                source: ColumnSource::Key(String::new()),
            });
        }
        self
    }

    fn has(&self, column: &str) -> bool {
        self.columns.iter().any(|c| c.name == column)
    }

    /// A value that is a union of records (several event types in one topic): the union
    /// of the branches' flattened fields, each column nullable unless every branch has it
    /// NOT NULL. A path the branches share with one column type is one column filled from
    /// whichever branch a record took; where the branches disagree on the type, each
    /// branch gets a column of its own, from `[full.Name].path`.
    fn merge_branches(&mut self, schema: &WriterSchema, records: &[NodeId]) {
        let has_null = match schema.node(schema.root()) {
            AvroType::Union(branches) => {
                branches.iter().any(|b| *schema.node(*b) == AvroType::Null)
            }
            _ => false,
        };
        let per_branch: Vec<(String, Proposal)> = records
            .iter()
            .map(|&record| {
                let mut proposal = Proposal {
                    columns: Vec::new(),
                    mapping: Vec::new(),
                    time_column: None,
                };
                let mut stack = vec![record];
                proposal.flatten(schema, record, "", "", false, &mut stack);
                let name = schema.type_name(record);
                let name = name.strip_prefix("record ").unwrap_or(&name).to_owned();
                (name, proposal)
            })
            .collect();
        // Per branch: path → its column, and the record's own field names.
        let index: Vec<(std::collections::HashMap<&str, &TableColumn>, Vec<&str>)> = per_branch
            .iter()
            .zip(records)
            .map(|((_, p), &record)| {
                let paths = p
                    .mapping
                    .iter()
                    .zip(&p.columns)
                    .filter_map(|(m, c)| match &m.source {
                        ColumnSource::Field(path) => Some((path.as_str(), c)),
                        _ => None,
                    })
                    .collect();
                let fields = match schema.node(record) {
                    AvroType::Record { fields, .. } => {
                        fields.iter().map(|(n, _)| n.as_str()).collect()
                    }
                    _ => Vec::new(),
                };
                (paths, fields)
            })
            .collect();
        let mut seen = std::collections::HashSet::new();
        for (_, proposal) in &per_branch {
            for (column, m) in proposal.columns.iter().zip(&proposal.mapping) {
                let ColumnSource::Field(path) = &m.source else {
                    continue;
                };
                if !seen.insert(path.as_str()) {
                    continue;
                }
                let first = path.split(['.', '[']).next().unwrap_or(path);
                // Every branch's column for this path.
                let holders: Vec<(&str, &TableColumn)> = per_branch
                    .iter()
                    .zip(&index)
                    .filter_map(|((name, _), (paths, _))| {
                        paths.get(path.as_str()).map(|c| (name.as_str(), *c))
                    })
                    .collect();
                // A path without a branch reads every branch whose record has its first
                // field: safe only when each such branch has the whole path, of one type.
                let shared = index.iter().all(|(paths, fields)| {
                    !fields.contains(&first)
                        || paths
                            .get(path.as_str())
                            .is_some_and(|c| c.pg_type == column.pg_type)
                });
                if shared {
                    let nullable = has_null
                        || holders.len() < per_branch.len()
                        || holders.iter().any(|(_, c)| c.nullable);
                    self.push_merged(column, path.clone(), nullable);
                } else {
                    for (branch, c) in holders {
                        self.push_merged(c, format!("[{branch}].{path}"), true);
                    }
                }
            }
        }
        // The time column: the first timestamp column every record fills.
        self.time_column = self
            .columns
            .iter()
            .find(|c| !c.nullable && matches!(c.pg_type, PgType::Timestamptz | PgType::Timestamp))
            .map(|c| c.name.clone());
    }

    fn push_merged(&mut self, column: &TableColumn, path: String, nullable: bool) {
        let name = self.unique_name(&column.name);
        self.columns.push(TableColumn {
            name: name.clone(),
            nullable,
            ..column.clone()
        });
        self.mapping.push(ColumnMapping {
            column: name,
            source: ColumnSource::Field(path),
        });
    }

    fn flatten(
        &mut self,
        schema: &WriterSchema,
        record: NodeId,
        column_prefix: &str,
        path_prefix: &str,
        nullable: bool,
        stack: &mut Vec<NodeId>,
    ) {
        let AvroType::Record { fields, .. } = schema.node(record) else {
            return;
        };
        for (name, field) in fields {
            let column = format!("{column_prefix}{name}");
            let path = format!("{path_prefix}{name}");
            let (inner, field_nullable) = match schema.nullable(*field) {
                Some((_, inner)) => (inner, true),
                None => (*field, false),
            };
            let nullable = nullable || field_nullable;
            let recursive = stack.contains(&inner);
            if matches!(schema.node(inner), AvroType::Record { .. })
                && !recursive
                && stack.len() < MAX_FLATTEN_DEPTH
            {
                stack.push(inner);
                self.flatten(
                    schema,
                    inner,
                    &format!("{column}_"),
                    &format!("{path}."),
                    nullable,
                    stack,
                );
                stack.pop();
            } else {
                self.add(schema, inner, &column, path, nullable);
            }
        }
    }

    fn add(
        &mut self,
        schema: &WriterSchema,
        node: NodeId,
        column: &str,
        path: String,
        nullable: bool,
    ) {
        let column = &self.unique_name(column);
        let pg_type = column_type(schema, node);
        // A null, or a multi-type union with a null branch, can leave the column NULL.
        let is_null = match schema.node(node) {
            AvroType::Null => true,
            AvroType::Union(branches) => {
                branches.iter().any(|b| *schema.node(*b) == AvroType::Null)
            }
            _ => false,
        };
        if self.time_column.is_none()
            && matches!(schema.node(node), AvroType::Timestamp { .. })
            && !nullable
        {
            self.time_column = Some(column.to_owned());
        }
        self.columns.push(TableColumn {
            name: column.to_owned(),
            pg_type,
            nullable: nullable || is_null,
            has_default: false,
            generated: None,
        });
        // The root itself (a schema that is not a record) has the empty path.
        self.mapping.push(ColumnMapping {
            column: column.to_owned(),
            source: ColumnSource::Field(path),
        });
    }

    /// `column`, cut to PostgreSQL's 63-byte identifiers, with a `_2`, `_3`... suffix when a
    /// column of that name exists already (`a_b` flattened from `a.b` next to a field `a_b`).
    fn unique_name(&self, column: &str) -> String {
        let taken = |name: &str| self.columns.iter().any(|c| c.name == name);
        let mut name = truncate(column, MAX_IDENTIFIER_BYTES).to_owned();
        let mut n = 1;
        while taken(&name) {
            n += 1;
            let suffix = format!("_{n}");
            name = format!(
                "{}{suffix}",
                truncate(column, MAX_IDENTIFIER_BYTES - suffix.len())
            );
        }
        name
    }
}

/// The most record types a union may have to be proposed as the union of their fields
/// (several event types in one topic); a union of more (a schema of everything, like Avro's
/// C++ `large_schema.avsc` with 121) is proposed as one jsonb column.
const MAX_MERGED_RECORDS: usize = 32;

/// The record branches of a union at `node` whose other branches are at most a null,
/// when there are at least two of them (one record and a null is a nullable record) and
/// at most [`MAX_MERGED_RECORDS`].
fn record_branches(schema: &WriterSchema, node: NodeId) -> Option<Vec<NodeId>> {
    let AvroType::Union(branches) = schema.node(node) else {
        return None;
    };
    let records: Vec<NodeId> = branches
        .iter()
        .copied()
        .filter(|b| matches!(schema.node(*b), AvroType::Record { .. }))
        .collect();
    let others = branches.len() - records.len();
    let only_null = branches
        .iter()
        .all(|b| matches!(schema.node(*b), AvroType::Record { .. } | AvroType::Null));
    (records.len() >= 2 && records.len() <= MAX_MERGED_RECORDS && only_null && others <= 1)
        .then_some(records)
}

/// The default column type of an Avro type (design.md's table).
pub fn column_type(schema: &WriterSchema, node: NodeId) -> PgType {
    use AvroType as A;
    match schema.node(node) {
        A::Null => PgType::Text,
        A::Boolean => PgType::Bool,
        A::Int => PgType::Int4,
        A::Long => PgType::Int8,
        A::Float => PgType::Float4,
        A::Double => PgType::Float8,
        A::Bytes | A::Fixed(_) => PgType::Bytea,
        A::String if schema.is_json(node) => PgType::Jsonb,
        A::String | A::Enum(_) => PgType::Text,
        // An array of arrays is jsonb: a multi-dimensional array would refuse the ragged
        // values Avro allows (a table of one's own with `integer[]` takes the others).
        A::Array(item) => {
            let inner = schema.nullable(*item).map_or(*item, |(_, t)| t);
            match column_type(schema, inner) {
                PgType::Jsonb | PgType::Array(_) => PgType::Jsonb,
                element => PgType::Array(Box::new(element)),
            }
        }
        A::Map(_) | A::Record { .. } => PgType::Jsonb,
        A::Union(_) => match schema.nullable(node) {
            Some((_, inner)) => column_type(schema, inner),
            None => PgType::Jsonb,
        },
        A::Decimal {
            precision, scale, ..
        } => match (u16::try_from(*precision), u16::try_from(*scale)) {
            (Ok(p), Ok(s)) if p <= 1000 => PgType::Numeric {
                precision: Some(p),
                scale: Some(s),
            },
            _ => PgType::Numeric {
                precision: None,
                scale: None,
            },
        },
        A::BigDecimal => PgType::Numeric {
            precision: None,
            scale: None,
        },
        A::UuidString | A::UuidFixed => PgType::Uuid,
        A::Date => PgType::Date,
        A::Time(_) => PgType::Time,
        A::Timestamp { local: false, .. } => PgType::Timestamptz,
        A::Timestamp { local: true, .. } => PgType::Timestamp,
        A::Duration => PgType::Interval,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattened_names_never_collide_and_fit_postgres_identifiers() {
        let long = "x".repeat(70);
        let schema = WriterSchema::parse(
            &format!(
                r#"{{"type":"record","name":"E","fields":[
                {{"name":"a","type":{{"type":"record","name":"A","fields":[{{"name":"b","type":"int"}}]}}}},
                {{"name":"a_b","type":"string"}},
                {{"name":"{long}","type":"int"}},
                {{"name":"{long}y","type":"int"}}]}}"#
            ),
            &[],
        )
        .unwrap();
        let proposal = Proposal::for_schema(&schema);
        let names: Vec<&str> = proposal.columns.iter().map(|c| c.name.as_str()).collect();
        let x63 = "x".repeat(63);
        let x61 = format!("{}_2", "x".repeat(61));
        assert_eq!(names, ["a_b", "a_b_2", x63.as_str(), x61.as_str()]);
        assert_eq!(proposal.mapping[1].column, "a_b_2");
        assert_eq!(
            proposal.mapping[1].source,
            ColumnSource::Field("a_b".into())
        );
    }

    #[test]
    fn nested_records_flatten_and_nullable_unions_are_nullable() {
        let schema = WriterSchema::parse(
            r#"{"type":"record","name":"E","fields":[
                {"name":"ts","type":{"type":"long","logicalType":"timestamp-micros"}},
                {"name":"geo","type":["null",{"type":"record","name":"G","fields":[
                    {"name":"lat","type":"double"},{"name":"lon","type":"double"}]}]},
                {"name":"tags","type":{"type":"array","items":"string"}},
                {"name":"attrs","type":{"type":"map","values":"long"}},
                {"name":"v","type":["int","string"]},
                {"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}}]}"#,
            &[],
        )
        .unwrap();
        let proposal = Proposal::for_schema(&schema);
        let described: Vec<String> = proposal
            .columns
            .iter()
            .map(|c| {
                format!(
                    "{} {}{}",
                    c.name,
                    c.pg_type,
                    if c.nullable { "" } else { " NOT NULL" }
                )
            })
            .collect();
        assert_eq!(
            described,
            [
                "ts timestamp with time zone NOT NULL",
                "geo_lat double precision",
                "geo_lon double precision",
                "tags text[] NOT NULL",
                "attrs jsonb NOT NULL",
                "v jsonb NOT NULL",
                "price numeric(10,2) NOT NULL"
            ]
        );
        assert_eq!(
            proposal.mapping[1].source,
            ColumnSource::Field("geo.lat".into())
        );
        assert_eq!(proposal.time_column.as_deref(), Some("ts"));
    }

    /// Arrays of arrays are proposed as jsonb: Avro does not promise rectangular values,
    /// which PostgreSQL's multi-dimensional arrays must be, and a proposal must take every
    /// value of its schema. A table of one's own with `integer[]` takes them as arrays.
    #[test]
    fn nested_arrays_are_proposed_as_jsonb() {
        let schema = WriterSchema::parse(
            r#"{"type":"record","name":"G","fields":[
                {"name":"cells","type":{"type":"array","items":{"type":"array","items":"int"}}},
                {"name":"row","type":{"type":"array","items":"int"}}]}"#,
            &[],
        )
        .unwrap();
        let types: Vec<String> = Proposal::for_schema(&schema)
            .columns
            .iter()
            .map(|c| c.pg_type.to_string())
            .collect();
        assert_eq!(types, ["jsonb", "integer[]"]);
    }

    #[test]
    fn recursive_records_become_jsonb() {
        let schema = WriterSchema::parse(
            r#"{"type":"record","name":"Tree","fields":[
                {"name":"label","type":"string"},
                {"name":"children","type":{"type":"array","items":"Tree"}},
                {"name":"parent","type":["null","Tree"]}]}"#,
            &[],
        )
        .unwrap();
        let proposal = Proposal::for_schema(&schema);
        let types: Vec<String> = proposal
            .columns
            .iter()
            .map(|c| c.pg_type.to_string())
            .collect();
        assert_eq!(types, ["text", "jsonb", "jsonb"]);
    }

    #[test]
    fn a_string_field_marked_as_json_text_is_proposed_as_jsonb() {
        let schema = WriterSchema::parse(
            r#"{"type":"record","name":"R","fields":[
                {"name":"doc","type":["null","string"],"inlet.json":true},
                {"name":"raw","type":"string","inlet.json":true},
                {"name":"note","type":"string"}]}"#,
            &[],
        )
        .unwrap();
        let types: Vec<String> = Proposal::for_schema(&schema)
            .columns
            .iter()
            .map(|c| c.pg_type.to_string())
            .collect();
        assert_eq!(types, ["jsonb", "jsonb", "text"]);
    }
}
