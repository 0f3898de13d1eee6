//! Writer schemas, flattened into an arena where named types — referenced by name, across
//! namespaces, recursively, or imported through Confluent references — are indices.
//!
//! apache-avro parses the JSON (named references, Confluent references through
//! `parse_str_with_list`, every logical type of Avro 1.12, unknown logical types read as
//! their base type as the specification requires). This module only reshapes its result.

use std::collections::{HashMap, HashSet};

use apache_avro::Schema;
use apache_avro::schema::{InnerDecimalSchema, Name, UuidSchema};

use crate::error::PlanError;
use crate::json;

/// How deep schema JSON may nest: serde_json's own limit, under apache-avro's parser.
pub const PARSER_DEPTH: usize = 128;

/// How deep the JSON of a schema without references may nest: it is then parsed without
/// serde_json's limit, on a stack of [`DEEP_PARSE_STACK`] bytes (about 300 nested records).
pub const MAX_SCHEMA_DEPTH: usize = 1024;

/// The stack of the thread that parses a schema nested deeper than [`PARSER_DEPTH`], in
/// bytes: serde_json's, apache-avro's and the arena builder's recursion at
/// [`MAX_SCHEMA_DEPTH`] levels took between 4 and 16 MiB in a debug build; four times that.
const DEEP_PARSE_STACK: usize = 64 << 20;

/// An index into [`WriterSchema`]'s arena.
pub type NodeId = usize;

/// The time unit of a timestamp or time logical type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// milliseconds
    Millis,
    /// microseconds
    Micros,
    /// nanoseconds
    Nanos,
}

/// One Avro type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AvroType {
    /// `null`
    Null,
    /// `boolean`
    Boolean,
    /// `int`
    Int,
    /// `long`
    Long,
    /// `float`
    Float,
    /// `double`
    Double,
    /// `bytes`
    Bytes,
    /// `string`
    String,
    /// `fixed` of a size
    Fixed(usize),
    /// `enum` with its symbols
    Enum(Vec<String>),
    /// `array` of items
    Array(NodeId),
    /// `map` of values
    Map(NodeId),
    /// `record` with its fields in writer order
    Record {
        /// Full name.
        name: String,
        /// Field names and types.
        fields: Vec<(String, NodeId)>,
    },
    /// `union` of branches
    Union(Vec<NodeId>),
    /// `decimal` on bytes (`fixed: None`) or on fixed(n)
    Decimal {
        /// Declared precision.
        precision: usize,
        /// Declared scale.
        scale: usize,
        /// Size of the underlying fixed, when on fixed.
        fixed: Option<usize>,
    },
    /// `big-decimal` (bytes holding the unscaled value and the scale)
    BigDecimal,
    /// `uuid` on string
    UuidString,
    /// `uuid` on fixed(16)
    UuidFixed,
    /// `date`
    Date,
    /// `time-millis` (int) or `time-micros` (long)
    Time(TimeUnit),
    /// `timestamp-*` (`local: false`) or `local-timestamp-*` (`local: true`)
    Timestamp {
        /// The unit.
        unit: TimeUnit,
        /// Whether it is a local (zone-less) timestamp.
        local: bool,
    },
    /// `duration` on fixed(12)
    Duration,
}

/// A writer schema, ready to compile plans from.
#[derive(Debug, Clone)]
pub struct WriterSchema {
    nodes: Vec<AvroType>,
    root: NodeId,
    /// The `aliases` of the fields of each record that has some: record → (alias, field).
    aliases: HashMap<NodeId, Vec<(String, String)>>,
    /// The string nodes whose values are JSON text: the types of fields marked
    /// [`JSON_FIELD`] (and their string branches).
    json: HashSet<NodeId>,
}

/// The field attribute (`"inlet.json": true`) of a string field whose values are JSON text,
/// in the schemas inlet makes for other formats (a Protobuf `google.protobuf.Struct`, say): a
/// proposal makes its column jsonb rather than text.
pub const JSON_FIELD: &str = "inlet.json";

impl WriterSchema {
    /// Parses `schema` with the texts of the schemas it references (dependencies first).
    ///
    /// Schema JSON may nest [`MAX_SCHEMA_DEPTH`] levels deep (a record nested in a record
    /// takes three: its object, its fields array, the field's object), one with references
    /// [`PARSER_DEPTH`]. Errors: [`PlanError::Schema`] with what apache-avro (and serde_json
    /// under it) said, or the depth and its limit.
    pub fn parse(schema: &str, dependencies: &[String]) -> Result<Self, PlanError> {
        let deepest = std::iter::once(schema)
            .chain(dependencies.iter().map(String::as_str))
            .map(|text| json::depth(text.as_bytes()))
            .max()
            .unwrap_or(0);
        if deepest <= PARSER_DEPTH {
            let (root, dependencies) = Schema::parse_str_with_list(schema, dependencies)
                .map_err(|e| PlanError::Schema(inlet_fault::with_causes(&e)))?;
            return Self::from_avro(&root, &dependencies);
        }
        if !dependencies.is_empty() || deepest > MAX_SCHEMA_DEPTH {
            let limit = if dependencies.is_empty() {
                MAX_SCHEMA_DEPTH
            } else {
                PARSER_DEPTH
            };
            return Err(PlanError::Schema(format!(
                "its JSON nests {deepest} levels deep, and inlet reads schemas nested at most \
                 {limit} levels{} (each nested record takes three: its object, its fields and \
                 the field)",
                if dependencies.is_empty() {
                    ""
                } else {
                    " when they have references"
                }
            )));
        }
        // Deeper than serde_json's default limit: parsed without it, on a thread whose stack
        // holds the parsers' recursion at MAX_SCHEMA_DEPTH levels.
        let text = schema.to_owned();
        std::thread::Builder::new()
            .name("deep schema".into())
            .stack_size(DEEP_PARSE_STACK)
            .spawn(move || {
                let mut reader = serde_json::Deserializer::from_str(&text);
                reader.disable_recursion_limit();
                let value: serde_json::Value = serde::Deserialize::deserialize(&mut reader)
                    .map_err(|e| PlanError::Schema(format!("not JSON: {e}")))?;
                reader
                    .end()
                    .map_err(|e| PlanError::Schema(format!("not JSON: {e}")))?;
                let root = Schema::parse(&value)
                    .map_err(|e| PlanError::Schema(inlet_fault::with_causes(&e)))?;
                Self::from_avro(&root, &[])
            })
            .map_err(|e| PlanError::Schema(format!("no thread to parse it on: {e}")))?
            .join()
            .unwrap_or_else(|_| Err(PlanError::Schema("its parser failed".into())))
    }

    /// Flattens a parsed schema; `dependencies` define the named types it refers to.
    pub fn from_avro(root: &Schema, dependencies: &[Schema]) -> Result<Self, PlanError> {
        let mut names: HashMap<Name, &Schema> = HashMap::new();
        for schema in dependencies.iter().chain(std::iter::once(root)) {
            collect_names(schema, &mut names);
        }
        let mut builder = Builder {
            nodes: Vec::new(),
            ids: HashMap::new(),
            names: &names,
            aliases: HashMap::new(),
            json: HashSet::new(),
        };
        let root = builder.build(root)?;
        Ok(Self {
            nodes: builder.nodes,
            root,
            aliases: builder.aliases,
            json: builder.json,
        })
    }

    /// Whether `node` is a string whose values are JSON text (a field marked
    /// [`JSON_FIELD`]).
    pub fn is_json(&self, node: NodeId) -> bool {
        self.json.contains(&node)
    }

    /// `path` (`a.b.c`, fields through records and nullable unions) as this schema names
    /// it when some of its fields were renamed with an Avro alias (`{"name": "c2",
    /// "aliases": ["c"]}`): `a.b.c2`. None when the path needs no alias, or some field of
    /// it is in the schema under neither its name nor an alias (or it names a branch).
    pub fn renamed_path(&self, path: &str) -> Option<String> {
        if path.is_empty() || path.contains('[') {
            return None;
        }
        let mut node = self.root;
        let mut renamed = Vec::new();
        for name in path.split('.') {
            let (current, next) = self.field_or_alias(node, name, 0)?;
            renamed.push(current);
            node = next;
        }
        let renamed = renamed.join(".");
        (renamed != path).then_some(renamed)
    }

    /// The field of record `node` (or of a record branch of union `node`) named `name`, or
    /// whose aliases hold it: (its name, its type).
    fn field_or_alias(&self, node: NodeId, name: &str, depth: usize) -> Option<(String, NodeId)> {
        if depth > 8 {
            return None;
        }
        match self.node(node) {
            AvroType::Record { fields, .. } => {
                let field = |wanted: &str| {
                    fields
                        .iter()
                        .find(|(f, _)| f == wanted)
                        .map(|(f, id)| (f.clone(), *id))
                };
                field(name).or_else(|| {
                    let (_, current) = self.aliases.get(&node)?.iter().find(|(a, _)| a == name)?;
                    field(current)
                })
            }
            AvroType::Union(branches) => branches
                .iter()
                .find_map(|&branch| self.field_or_alias(branch, name, depth + 1)),
            _ => None,
        }
    }

    /// The root type.
    pub fn root(&self) -> NodeId {
        self.root
    }

    /// The type at `id`.
    pub fn node(&self, id: NodeId) -> &AvroType {
        &self.nodes[id]
    }

    /// The Avro name of the type at `id`, for messages.
    pub fn type_name(&self, id: NodeId) -> String {
        match self.node(id) {
            AvroType::Null => "null".into(),
            AvroType::Boolean => "boolean".into(),
            AvroType::Int => "int".into(),
            AvroType::Long => "long".into(),
            AvroType::Float => "float".into(),
            AvroType::Double => "double".into(),
            AvroType::Bytes => "bytes".into(),
            AvroType::String => "string".into(),
            AvroType::Fixed(n) => format!("fixed({n})"),
            AvroType::Enum(_) => "enum".into(),
            AvroType::Array(item) => format!("array<{}>", self.type_name(*item)),
            AvroType::Map(_) => "map".into(),
            AvroType::Record { name, .. } => format!("record {name}"),
            AvroType::Union(branches) => format!(
                "[{}]",
                branches
                    .iter()
                    .map(|b| self.type_name(*b))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            AvroType::Decimal {
                precision, scale, ..
            } => format!("decimal({precision},{scale})"),
            AvroType::BigDecimal => "big-decimal".into(),
            AvroType::UuidString | AvroType::UuidFixed => "uuid".into(),
            AvroType::Date => "date".into(),
            AvroType::Time(unit) => format!("time-{}", unit_name(*unit)),
            AvroType::Timestamp { unit, local } => format!(
                "{}timestamp-{}",
                if *local { "local-" } else { "" },
                unit_name(*unit)
            ),
            AvroType::Duration => "duration".into(),
        }
    }

    /// For `["null", T]` or `[T, "null"]`: the index of the null branch and T.
    pub fn nullable(&self, id: NodeId) -> Option<(usize, NodeId)> {
        let AvroType::Union(branches) = self.node(id) else {
            return None;
        };
        match branches.as_slice() {
            [a, b] if *self.node(*a) == AvroType::Null => Some((0, *b)),
            [a, b] if *self.node(*b) == AvroType::Null => Some((1, *a)),
            _ => None,
        }
    }
}

fn unit_name(unit: TimeUnit) -> &'static str {
    match unit {
        TimeUnit::Millis => "millis",
        TimeUnit::Micros => "micros",
        TimeUnit::Nanos => "nanos",
    }
}

fn collect_names<'a>(schema: &'a Schema, names: &mut HashMap<Name, &'a Schema>) {
    match schema {
        Schema::Record(record) => {
            names.insert(record.name.clone(), schema);
            for field in &record.fields {
                collect_names(&field.schema, names);
            }
        }
        Schema::Enum(e) => {
            names.insert(e.name.clone(), schema);
        }
        Schema::Fixed(f) | Schema::Duration(f) => {
            names.insert(f.name.clone(), schema);
        }
        Schema::Decimal(d) => {
            if let InnerDecimalSchema::Fixed(f) = &d.inner {
                names.insert(f.name.clone(), schema);
            }
        }
        Schema::Uuid(UuidSchema::Fixed(f)) => {
            names.insert(f.name.clone(), schema);
        }
        Schema::Array(a) => collect_names(&a.items, names),
        Schema::Map(m) => collect_names(&m.types, names),
        Schema::Union(u) => {
            for variant in u.variants() {
                collect_names(variant, names);
            }
        }
        _ => {}
    }
}

struct Builder<'a> {
    nodes: Vec<AvroType>,
    ids: HashMap<Name, NodeId>,
    names: &'a HashMap<Name, &'a Schema>,
    aliases: HashMap<NodeId, Vec<(String, String)>>,
    json: HashSet<NodeId>,
}

impl Builder<'_> {
    fn push(&mut self, node: AvroType) -> NodeId {
        self.nodes.push(node);
        self.nodes.len() - 1
    }

    /// Reserves the id of a named type before its children, so recursion finds it.
    fn named(&mut self, name: &Name) -> Result<NodeId, NodeId> {
        if let Some(&id) = self.ids.get(name) {
            return Err(id);
        }
        let id = self.push(AvroType::Null);
        self.ids.insert(name.clone(), id);
        Ok(id)
    }

    fn build(&mut self, schema: &Schema) -> Result<NodeId, PlanError> {
        let node = match schema {
            Schema::Null => AvroType::Null,
            Schema::Boolean => AvroType::Boolean,
            Schema::Int => AvroType::Int,
            Schema::Long => AvroType::Long,
            Schema::Float => AvroType::Float,
            Schema::Double => AvroType::Double,
            Schema::Bytes => AvroType::Bytes,
            Schema::String => AvroType::String,
            Schema::BigDecimal => AvroType::BigDecimal,
            Schema::Date => AvroType::Date,
            Schema::TimeMillis => AvroType::Time(TimeUnit::Millis),
            Schema::TimeMicros => AvroType::Time(TimeUnit::Micros),
            Schema::TimestampMillis => timestamp(TimeUnit::Millis, false),
            Schema::TimestampMicros => timestamp(TimeUnit::Micros, false),
            Schema::TimestampNanos => timestamp(TimeUnit::Nanos, false),
            Schema::LocalTimestampMillis => timestamp(TimeUnit::Millis, true),
            Schema::LocalTimestampMicros => timestamp(TimeUnit::Micros, true),
            Schema::LocalTimestampNanos => timestamp(TimeUnit::Nanos, true),
            Schema::Uuid(UuidSchema::String) => AvroType::UuidString,
            // apache-avro's `Bytes` variant is its reading of uuid on fixed(16).
            Schema::Uuid(UuidSchema::Bytes) => AvroType::UuidFixed,
            Schema::Uuid(UuidSchema::Fixed(f)) => {
                return Ok(self.named_leaf(&f.name, AvroType::UuidFixed));
            }
            Schema::Fixed(f) => return Ok(self.named_leaf(&f.name, AvroType::Fixed(f.size))),
            Schema::Duration(f) => return Ok(self.named_leaf(&f.name, AvroType::Duration)),
            Schema::Enum(e) => {
                return Ok(self.named_leaf(&e.name, AvroType::Enum(e.symbols.clone())));
            }
            Schema::Decimal(d) => {
                let node = AvroType::Decimal {
                    precision: d.precision,
                    scale: d.scale,
                    fixed: match &d.inner {
                        InnerDecimalSchema::Bytes => None,
                        InnerDecimalSchema::Fixed(f) => Some(f.size),
                    },
                };
                return Ok(match &d.inner {
                    InnerDecimalSchema::Fixed(f) => self.named_leaf(&f.name, node),
                    InnerDecimalSchema::Bytes => self.push(node),
                });
            }
            Schema::Array(a) => AvroType::Array(self.build(&a.items)?),
            Schema::Map(m) => AvroType::Map(self.build(&m.types)?),
            Schema::Union(u) => {
                let branches = u
                    .variants()
                    .iter()
                    .map(|v| self.build(v))
                    .collect::<Result<_, _>>()?;
                AvroType::Union(branches)
            }
            Schema::Record(record) => {
                let id = match self.named(&record.name) {
                    Ok(id) => id,
                    Err(existing) => return Ok(existing),
                };
                let mut fields = Vec::with_capacity(record.fields.len());
                for field in &record.fields {
                    let node = self.build(&field.schema)?;
                    if field.custom_attributes.get(JSON_FIELD)
                        == Some(&serde_json::Value::Bool(true))
                    {
                        let branches = match &self.nodes[node] {
                            AvroType::Union(branches) => branches.clone(),
                            _ => vec![node],
                        };
                        self.json.extend(
                            branches
                                .into_iter()
                                .filter(|b| self.nodes[*b] == AvroType::String),
                        );
                    }
                    fields.push((field.name.clone(), node));
                    for alias in &field.aliases {
                        self.aliases
                            .entry(id)
                            .or_default()
                            .push((alias.clone(), field.name.clone()));
                    }
                }
                self.nodes[id] = AvroType::Record {
                    name: record.name.fullname(None),
                    fields,
                };
                return Ok(id);
            }
            Schema::Ref { name } => {
                if let Some(&id) = self.ids.get(name) {
                    return Ok(id);
                }
                let target = self.names.get(name).copied().ok_or_else(|| {
                    PlanError::Schema(format!(
                        "type {} is referenced but not defined (a missing schema reference?)",
                        name.fullname(None)
                    ))
                })?;
                return self.build(target);
            }
        };
        Ok(self.push(node))
    }

    fn named_leaf(&mut self, name: &Name, node: AvroType) -> NodeId {
        match self.named(name) {
            Ok(id) => {
                self.nodes[id] = node;
                id
            }
            Err(existing) => existing,
        }
    }
}

fn timestamp(unit: TimeUnit, local: bool) -> AvroType {
    AvroType::Timestamp { unit, local }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recursive_types_point_back_to_themselves() {
        let schema = WriterSchema::parse(
            r#"{"type":"record","name":"Node","namespace":"t","fields":[
                {"name":"value","type":"long"},
                {"name":"next","type":["null","Node"]}]}"#,
            &[],
        )
        .unwrap();
        let AvroType::Record { fields, .. } = schema.node(schema.root()) else {
            panic!("not a record")
        };
        let (null_index, inner) = schema.nullable(fields[1].1).unwrap();
        assert_eq!((null_index, inner), (0, schema.root()));
    }

    /// A record nested `levels` deep: `{"type":"record","name":"R0","fields":[{"name":"v",
    /// "type":"long"},{"name":"inner","type":{… R1 …}}]}`, three JSON levels a record.
    fn nested(levels: usize) -> String {
        let mut schema = String::from(r#""long""#);
        for level in (0..levels).rev() {
            schema = format!(
                r#"{{"type":"record","name":"R{level}","fields":[{{"name":"v","type":"long"}},{{"name":"inner","type":{schema}}}]}}"#
            );
        }
        schema
    }

    #[test]
    fn schemas_nested_past_serde_jsons_limit_are_read_up_to_the_documented_depth() {
        // 200 records: 600 JSON levels (serde_json alone stops at 128).
        let schema = WriterSchema::parse(&nested(200), &[]).unwrap();
        let mut node = schema.root();
        let mut records = 0;
        while let AvroType::Record { fields, .. } = schema.node(node) {
            records += 1;
            node = fields[1].1;
        }
        assert_eq!(records, 200);
        assert_eq!(json::depth(nested(341).as_bytes()), 1023);
        WriterSchema::parse(&nested(341), &[]).unwrap();

        let error = WriterSchema::parse(&nested(400), &[])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("nests 1200 levels deep") && error.contains("at most 1024"),
            "{error}"
        );
        let with_reference = nested(50).replace(r#""long""#, r#""geo.Address""#);
        let address = r#"{"type":"record","name":"Address","namespace":"geo","fields":[{"name":"city","type":"string"}]}"#;
        let error = WriterSchema::parse(&with_reference, &[address.to_owned()])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("nests 150 levels deep")
                && error.contains("at most 128 levels when they have references"),
            "{error}"
        );
        // Below the limit, apache-avro's own reason, with serde_json's under it.
        let error = WriterSchema::parse(
            r#"{"type":"record","name":"R","fields":[{"name":"v"}]}"#,
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.starts_with("the writer schema is not valid Avro: "),
            "{error}"
        );
    }

    #[test]
    fn a_path_follows_field_aliases_through_records_and_nullable_unions() {
        let schema = WriterSchema::parse(
            r#"{"type":"record","name":"R","fields":[
                {"name":"id","type":"int"},
                {"name":"place","aliases":["geo"],"type":["null",{"type":"record","name":"P","fields":[
                    {"name":"latitude","type":"double","aliases":["lat","y"]}]}]}]}"#,
            &[],
        )
        .unwrap();
        assert_eq!(
            schema.renamed_path("geo.lat").as_deref(),
            Some("place.latitude")
        );
        assert_eq!(
            schema.renamed_path("place.y").as_deref(),
            Some("place.latitude")
        );
        assert_eq!(
            schema.renamed_path("place.latitude"),
            None,
            "no alias needed"
        );
        assert_eq!(schema.renamed_path("id"), None);
        assert_eq!(schema.renamed_path("geo.lon"), None, "no such field");
        assert_eq!(
            schema.renamed_path("[P].lat"),
            None,
            "branches are not followed"
        );
    }

    #[test]
    fn confluent_references_and_other_namespaces_resolve() {
        let address = r#"{"type":"record","name":"Address","namespace":"geo","fields":[{"name":"city","type":"string"}]}"#;
        let schema = WriterSchema::parse(
            r#"{"type":"record","name":"Customer","namespace":"crm","fields":[
                {"name":"home","type":"geo.Address"},{"name":"work","type":"geo.Address"}]}"#,
            &[address.to_owned()],
        )
        .unwrap();
        let AvroType::Record { fields, .. } = schema.node(schema.root()) else {
            panic!("not a record")
        };
        assert_eq!(fields[0].1, fields[1].1, "one node for one named type");
        assert_eq!(schema.type_name(fields[0].1), "record geo.Address");
    }

    #[test]
    fn logical_types_and_unknown_ones() {
        let schema = WriterSchema::parse(
            r#"{"type":"record","name":"L","fields":[
                {"name":"a","type":{"type":"long","logicalType":"timestamp-nanos"}},
                {"name":"b","type":{"type":"long","logicalType":"local-timestamp-millis"}},
                {"name":"c","type":{"type":"fixed","name":"D","size":12,"logicalType":"duration"}},
                {"name":"d","type":{"type":"string","logicalType":"date-time"}},
                {"name":"e","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
                {"name":"f","type":{"type":"fixed","name":"U","size":16,"logicalType":"uuid"}},
                {"name":"g","type":{"type":"bytes","logicalType":"big-decimal"}}]}"#,
            &[],
        )
        .unwrap();
        let AvroType::Record { fields, .. } = schema.node(schema.root()) else {
            panic!("not a record")
        };
        let names: Vec<String> = fields.iter().map(|(_, id)| schema.type_name(*id)).collect();
        assert_eq!(
            names,
            [
                "timestamp-nanos",
                "local-timestamp-millis",
                "duration",
                "string",
                "decimal(10,2)",
                "uuid",
                "big-decimal"
            ]
        );
    }

    #[test]
    fn undefined_references_are_plan_errors() {
        let err = WriterSchema::parse(
            r#"{"type":"record","name":"R","fields":[{"name":"a","type":"nowhere.Missing"}]}"#,
            &[],
        )
        .unwrap_err();
        assert!(matches!(err, PlanError::Schema(_)), "{err}");
    }
}
