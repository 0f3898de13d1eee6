//! Compiled decode plans: a writer schema × a table mapping, compiled once, that read an
//! Avro body and write a PostgreSQL COPY BINARY row directly — no generic value tree.

use std::fmt::Write as _;

use crate::convert::{Conv, ConvError, Fast, conversion};
use crate::copy::{self, field, null_field};
use crate::error::{PlanError, RecordError};
use crate::json::{self, MAX_DEPTH};
use crate::pg_type::PgType;
use crate::reader::{IndexKind, Reader};
use crate::schema::{AvroType, NodeId, WriterSchema};

/// A column of the target table, as the catalog describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableColumn {
    /// The column's name.
    pub name: String,
    /// Its type.
    pub pg_type: PgType,
    /// Whether it accepts NULL.
    pub nullable: bool,
    /// Whether it has a default (used when the column has no source).
    pub has_default: bool,
}

/// Kafka metadata a column can take instead of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KafkaField {
    /// The topic name.
    Topic,
    /// The partition number.
    Partition,
    /// The record's offset.
    Offset,
    /// The record's timestamp.
    Timestamp,
    /// The record's key, raw (bytea) or as UTF-8 text.
    Key,
    /// The record's headers, as a jsonb object of name → UTF-8 value (or null).
    Headers,
}

/// Where a column's value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnSource {
    /// A field path `a.b.c` of the record's value through records and unions; `a[string]`
    /// or `[com.acme.Click].x` picks a union branch (by type, short or full name); a path
    /// through a union of records reads the branch that has the field (the column is NULL
    /// for the others); the empty path is the whole value.
    Field(String),
    /// A field path of the record's key, when the key is Confluent-framed Avro: written
    /// `kafka.key.<path>`, `kafka.key.` (nothing after the dot) for a key that is not a
    /// record.
    Key(String),
    /// Kafka metadata.
    Kafka(KafkaField),
}

impl ColumnSource {
    /// Reads a source as a mapping writes it: `kafka.topic`, `kafka.partition`,
    /// `kafka.offset`, `kafka.timestamp`, `kafka.key` (the raw key), `kafka.headers`,
    /// `kafka.key.<path>`, or else a field path of the value. The inverse of `Display`.
    pub fn parse(source: &str) -> Self {
        let field = match source {
            "kafka.topic" => KafkaField::Topic,
            "kafka.partition" => KafkaField::Partition,
            "kafka.offset" => KafkaField::Offset,
            "kafka.timestamp" => KafkaField::Timestamp,
            "kafka.key" => KafkaField::Key,
            "kafka.headers" => KafkaField::Headers,
            other => {
                return match other.strip_prefix(KEY_PREFIX) {
                    Some(path) => ColumnSource::Key(path.to_owned()),
                    None => ColumnSource::Field(other.to_owned()),
                };
            }
        };
        ColumnSource::Kafka(field)
    }
}

/// How a mapping names a path of the record's key.
const KEY_PREFIX: &str = "kafka.key.";

impl std::fmt::Display for ColumnSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ColumnSource::Field(path) => f.write_str(path),
            ColumnSource::Key(path) => write!(f, "{KEY_PREFIX}{path}"),
            ColumnSource::Kafka(field) => f.write_str(match field {
                KafkaField::Topic => "kafka.topic",
                KafkaField::Partition => "kafka.partition",
                KafkaField::Offset => "kafka.offset",
                KafkaField::Timestamp => "kafka.timestamp",
                KafkaField::Key => "kafka.key",
                KafkaField::Headers => "kafka.headers",
            }),
        }
    }
}

/// A column and its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnMapping {
    /// The column's name.
    pub column: String,
    /// Its source.
    pub source: ColumnSource,
}

/// What to do with the sub-microsecond digits of `timestamp-nanos` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NanosPolicy {
    /// Drop them, rounding towards the earlier instant (the default).
    #[default]
    Truncate,
    /// Round to the nearest microsecond, halves away from the earlier instant.
    Round,
    /// Refuse the record unless they are zero.
    Reject,
}

/// Plan options.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// The nanosecond policy.
    pub nanos: NanosPolicy,
}

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
    /// Headers, in order (may be left empty when [`DecodePlan::reads_headers`] is false).
    pub headers: &'a [(&'a str, Option<&'a [u8]>)],
}

/// Reusable per-row buffers; keep one per decoding thread.
#[derive(Debug, Default)]
pub struct RowScratch {
    buf: Vec<u8>,
    slots: Vec<Option<(usize, usize)>>,
}

#[derive(Debug, Clone)]
enum Step {
    /// Skip a value of this type.
    Skip(NodeId),
    /// A record: one step per writer field, in writer order.
    Record(Vec<Step>),
    /// A union: one step per branch.
    Union(Vec<Step>),
    /// Convert the value into a column slot.
    Emit {
        slot: usize,
        node: NodeId,
        conv: Conv,
    },
    /// The same value read by several steps.
    Tee(Vec<Step>),
}

#[derive(Debug, Clone)]
struct PlannedColumn {
    name: String,
    pg_type: PgType,
    nullable: bool,
    /// The field path or metadata name, for messages.
    source: String,
}

/// The part of a plan that reads the record's key.
#[derive(Debug, Clone)]
struct KeyPlan {
    /// The key's schema id: a key of another id is refused.
    id: u32,
    schema: WriterSchema,
    root: Step,
}

/// The record key's writer schema, for columns that take its fields.
#[derive(Debug, Clone, Copy)]
pub struct KeySchema<'a> {
    /// Its id in the registry (what the key's Confluent frame carries).
    pub id: u32,
    /// The schema.
    pub schema: &'a WriterSchema,
}

/// A compiled plan from one writer schema (and the key's, when columns take key fields)
/// to one table's columns.
#[derive(Debug, Clone)]
pub struct DecodePlan {
    schema: WriterSchema,
    root: Step,
    key: Option<KeyPlan>,
    columns: Vec<PlannedColumn>,
    meta: Vec<(usize, KafkaField)>,
    /// A column stores the record's headers.
    reads_headers: bool,
    options: PlanOptions,
    /// The same plan as a flat program, when the table's columns are the top-level fields
    /// in writer order (what a proposal gives): rows are then written straight into the
    /// output, without the scratch slots.
    direct: Option<Vec<DirectOp>>,
}

/// One top-level field of a record in a direct plan.
#[derive(Debug, Clone)]
enum DirectOp {
    /// An unmapped field: skip its value.
    Skip(NodeId),
    /// The next column, from this field.
    Emit {
        slot: usize,
        node: NodeId,
        conv: Conv,
        fast: Fast,
    },
    /// The next column, from a union: a branch converts or leaves the column NULL.
    Union {
        slot: usize,
        branches: Vec<DirectBranch>,
    },
}

#[derive(Debug, Clone)]
enum DirectBranch {
    /// Skip the value; the column is NULL.
    Null(NodeId),
    Emit(NodeId, Conv, Fast),
}

/// The flat program for `root`, if it has the direct shape: a record whose fields fill
/// columns 0, 1, 2... in order, each through at most a union, and no Kafka metadata.
fn direct_program(
    schema: &WriterSchema,
    root: &Step,
    columns: usize,
    has_meta: bool,
) -> Option<Vec<DirectOp>> {
    let Step::Record(fields) = root else {
        return None;
    };
    if has_meta {
        return None;
    }
    let mut next = 0;
    let mut ops = Vec::with_capacity(fields.len());
    for field in fields {
        match field {
            Step::Skip(node) => ops.push(DirectOp::Skip(*node)),
            Step::Emit { slot, node, conv } if *slot == next => {
                ops.push(DirectOp::Emit {
                    slot: *slot,
                    node: *node,
                    conv: conv.clone(),
                    fast: Fast::of(schema, *node, conv),
                });
                next += 1;
            }
            Step::Union(branches) => {
                let mut direct = Vec::with_capacity(branches.len());
                for branch in branches {
                    direct.push(match branch {
                        Step::Skip(node) => DirectBranch::Null(*node),
                        Step::Emit { slot, node, conv } if *slot == next => {
                            DirectBranch::Emit(*node, conv.clone(), Fast::of(schema, *node, conv))
                        }
                        _ => return None,
                    });
                }
                ops.push(DirectOp::Union {
                    slot: next,
                    branches: direct,
                });
                next += 1;
            }
            _ => return None,
        }
    }
    (next == columns).then_some(ops)
}

/// A field path demanded by a column: the segments left and the slot it fills.
#[derive(Debug, Clone)]
struct Demand {
    segments: Vec<Segment>,
    slot: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Field(String),
    Branch(String),
}

/// `a.b[string].c` → field a, field b, branch string, field c. A branch in brackets may
/// be a full name with dots (`[com.acme.Click]`); the empty path is the root value.
fn parse_path(path: &str) -> Vec<Segment> {
    let mut segments = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(inner) = rest.strip_prefix('[') {
            let (branch, after) = inner.split_once(']').unwrap_or((inner, ""));
            segments.push(Segment::Branch(branch.to_owned()));
            rest = after.strip_prefix('.').unwrap_or(after);
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            segments.push(Segment::Field(rest[..end].to_owned()));
            rest = rest[end..].strip_prefix('.').unwrap_or(&rest[end..]);
        }
    }
    segments
}

impl DecodePlan {
    /// Compiles the plan for `schema` into the columns of `table` that `mapping` names.
    /// Columns the mapping leaves out take their default (or NULL); a NOT NULL column with
    /// no default and no source is an error that names it.
    pub fn compile(
        schema: &WriterSchema,
        table: &[TableColumn],
        mapping: &[ColumnMapping],
        options: &PlanOptions,
    ) -> Result<Self, PlanError> {
        Self::compile_keyed(schema, None, table, mapping, options)
    }

    /// [`compile`](Self::compile), with the record key's schema for the columns whose
    /// source is [`ColumnSource::Key`]; without one such a column is
    /// [`PlanError::NoKeySchema`]. The plan then reads keys of that schema id only.
    pub fn compile_keyed(
        schema: &WriterSchema,
        key: Option<KeySchema<'_>>,
        table: &[TableColumn],
        mapping: &[ColumnMapping],
        options: &PlanOptions,
    ) -> Result<Self, PlanError> {
        for m in mapping {
            if !table.iter().any(|c| c.name == m.column) {
                return Err(PlanError::NoSuchColumn {
                    column: m.column.clone(),
                });
            }
        }
        let mut columns = Vec::new();
        let mut demands = Vec::new();
        let mut key_demands = Vec::new();
        let mut meta = Vec::new();
        for column in table {
            let Some(m) = mapping.iter().find(|m| m.column == column.name) else {
                if !column.nullable && !column.has_default {
                    return Err(PlanError::NotNull {
                        column: column.name.clone(),
                        reason: "and has no default, but nothing in the mapping fills it".into(),
                    });
                }
                continue;
            };
            let slot = columns.len();
            let source = match &m.source {
                ColumnSource::Field(path) => {
                    demands.push(Demand {
                        segments: parse_path(path),
                        slot,
                    });
                    if path.is_empty() {
                        "(the whole value)".to_owned()
                    } else {
                        path.clone()
                    }
                }
                ColumnSource::Key(path) => {
                    if key.is_none() {
                        return Err(PlanError::NoKeySchema {
                            column: column.name.clone(),
                            path: m.source.to_string(),
                        });
                    }
                    key_demands.push(Demand {
                        segments: parse_path(path),
                        slot,
                    });
                    m.source.to_string()
                }
                ColumnSource::Kafka(field) => {
                    check_meta(*field, column)?;
                    meta.push((slot, *field));
                    m.source.to_string()
                }
            };
            columns.push(PlannedColumn {
                name: column.name.clone(),
                pg_type: column.pg_type.clone(),
                nullable: column.nullable,
                source,
            });
        }
        let compiler = Compiler {
            schema,
            columns: &columns,
            options,
        };
        let root = compiler.step(schema.root(), demands, "")?;
        let key = match key {
            Some(key) if !key_demands.is_empty() => {
                let compiler = Compiler {
                    schema: key.schema,
                    columns: &columns,
                    options,
                };
                Some(KeyPlan {
                    id: key.id,
                    schema: key.schema.clone(),
                    root: compiler.step(key.schema.root(), key_demands, "kafka.key")?,
                })
            }
            _ => None,
        };
        let direct = direct_program(
            schema,
            &root,
            columns.len(),
            !meta.is_empty() || key.is_some(),
        );
        Ok(Self {
            schema: schema.clone(),
            root,
            key,
            columns,
            reads_headers: meta.iter().any(|(_, f)| *f == KafkaField::Headers),
            meta,
            options: options.clone(),
            direct,
        })
    }

    /// The columns the rows fill, in COPY order: `COPY t (these) FROM STDIN (FORMAT binary)`.
    pub fn copy_columns(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|c| c.name.as_str())
    }

    /// Whether a column stores the record's headers (`kafka.headers`): only then does
    /// [`DecodePlan::write_row`] read [`RecordMeta::headers`].
    pub fn reads_headers(&self) -> bool {
        self.reads_headers
    }

    /// Decodes `body` (the Avro part of a record value) and appends one COPY BINARY row to
    /// `out`. On error `out` is left as it was.
    pub fn write_row(
        &self,
        body: &[u8],
        meta: &RecordMeta<'_>,
        scratch: &mut RowScratch,
        out: &mut Vec<u8>,
    ) -> Result<(), RecordError> {
        if let Some(ops) = &self.direct {
            let start = out.len();
            let written = self.run_direct(ops, body, out);
            if written.is_err() {
                out.truncate(start);
            }
            return written;
        }
        scratch.buf.clear();
        scratch.slots.clear();
        scratch.slots.resize(self.columns.len(), None);
        let mut reader = Reader::new(body);
        self.run(&self.schema, &self.root, &mut reader, scratch, 0)?;
        if reader.remaining() > 0 {
            return Err(crate::error::DecodeError::TrailingBytes {
                left: reader.remaining(),
            }
            .into());
        }
        if let Some(key) = &self.key {
            self.run_key(key, meta.key, scratch)?;
        }
        for &(slot, field) in &self.meta {
            let start = scratch.buf.len();
            let column = &self.columns[slot];
            let written =
                crate::convert::write_meta(field, &column.pg_type, meta, &mut scratch.buf)
                    .map_err(|e| self.convert_error(slot, e))?;
            if written {
                scratch.slots[slot] = Some((start, scratch.buf.len()));
            }
        }
        for (slot, column) in self.columns.iter().enumerate() {
            if !column.nullable && scratch.slots[slot].is_none() {
                return Err(self.not_null(slot));
            }
        }
        out.extend_from_slice(&(self.columns.len() as i16).to_be_bytes());
        for slot in &scratch.slots {
            match slot {
                Some((start, end)) => out.extend_from_slice(&scratch.buf[*start..*end]),
                None => null_field(out),
            }
        }
        Ok(())
    }

    /// Runs a direct program: the row goes straight into `out`.
    fn run_direct(
        &self,
        ops: &[DirectOp],
        body: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), RecordError> {
        let mut reader = Reader::new(body);
        out.extend_from_slice(&(self.columns.len() as i16).to_be_bytes());
        for op in ops {
            let (slot, node, conv, fast) = match op {
                DirectOp::Skip(node) => {
                    json::skip(&self.schema, *node, &mut reader, 1)?;
                    continue;
                }
                DirectOp::Emit {
                    slot,
                    node,
                    conv,
                    fast,
                } => (*slot, *node, conv, *fast),
                DirectOp::Union { slot, branches } => {
                    let index = reader.read_index(branches.len(), IndexKind::UnionBranch)?;
                    match &branches[index] {
                        DirectBranch::Emit(node, conv, fast) => (*slot, *node, conv, *fast),
                        DirectBranch::Null(node) => {
                            json::skip(&self.schema, *node, &mut reader, 1)?;
                            if !self.columns[*slot].nullable {
                                return Err(self.not_null(*slot));
                            }
                            null_field(out);
                            continue;
                        }
                    }
                }
            };
            match fast {
                Fast::Other => {
                    crate::convert::emit(&self.schema, node, conv, &self.options, &mut reader, out)
                }
                fast => crate::convert::emit_fast(fast, &mut reader, out),
            }
            .map_err(|e| self.convert_error(slot, e))?;
        }
        if reader.remaining() > 0 {
            return Err(crate::error::DecodeError::TrailingBytes {
                left: reader.remaining(),
            }
            .into());
        }
        Ok(())
    }

    /// Reads the columns that take fields of the record's key.
    fn run_key(
        &self,
        key: &KeyPlan,
        raw: Option<&[u8]>,
        scratch: &mut RowScratch,
    ) -> Result<(), RecordError> {
        let raw = raw.ok_or_else(|| {
            RecordError::Key(format!(
                "there is none, and columns take its fields ({})",
                self.key_columns()
            ))
        })?;
        let frame = crate::frame::Frame::parse(raw).map_err(|e| {
            RecordError::Key(format!(
                "not a Confluent Avro frame ({e}), and columns take its fields ({})",
                self.key_columns()
            ))
        })?;
        if frame.schema_id.0 != key.id {
            return Err(RecordError::Key(format!(
                "schema id {}, where this plan reads schema id {}",
                frame.schema_id.0, key.id
            )));
        }
        let mut reader = Reader::new(frame.body);
        self.run(&key.schema, &key.root, &mut reader, scratch, 0)
            .map_err(|e| match e {
                RecordError::Decode(e) => RecordError::Key(format!("malformed Avro body: {e}")),
                other => other,
            })?;
        if reader.remaining() > 0 {
            return Err(RecordError::Key(format!(
                "{} bytes left after the end of its Avro body",
                reader.remaining()
            )));
        }
        Ok(())
    }

    /// The columns that take key fields, for messages: `pk1 ← kafka.key.pk1, …`.
    fn key_columns(&self) -> String {
        self.columns
            .iter()
            .filter(|c| c.source.starts_with(KEY_PREFIX))
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn not_null(&self, slot: usize) -> RecordError {
        let column = &self.columns[slot];
        RecordError::Convert {
            field: column.source.clone(),
            column: column.name.clone(),
            column_type: column.pg_type.to_string(),
            value: "null".into(),
            reason: "the column is NOT NULL".into(),
        }
    }

    fn run(
        &self,
        schema: &WriterSchema,
        step: &Step,
        reader: &mut Reader<'_>,
        scratch: &mut RowScratch,
        depth: usize,
    ) -> Result<(), RecordError> {
        if depth > MAX_DEPTH {
            return Err(crate::error::DecodeError::TooDeep { max: MAX_DEPTH }.into());
        }
        match step {
            Step::Skip(node) => json::skip(schema, *node, reader, depth)?,
            Step::Record(fields) => {
                for field in fields {
                    self.run(schema, field, reader, scratch, depth + 1)?;
                }
            }
            Step::Union(branches) => {
                let index = reader.read_index(branches.len(), IndexKind::UnionBranch)?;
                self.run(schema, &branches[index], reader, scratch, depth + 1)?;
            }
            Step::Emit { slot, node, conv } => {
                let start = scratch.buf.len();
                crate::convert::emit(schema, *node, conv, &self.options, reader, &mut scratch.buf)
                    .map_err(|e| self.convert_error(*slot, e))?;
                scratch.slots[*slot] = Some((start, scratch.buf.len()));
            }
            Step::Tee(steps) => {
                let start = reader.position();
                let mut end = start;
                for step in steps {
                    reader.set_position(start);
                    self.run(schema, step, reader, scratch, depth + 1)?;
                    end = reader.position();
                }
                reader.set_position(end);
            }
        }
        Ok(())
    }

    fn convert_error(&self, slot: usize, error: ConvError) -> RecordError {
        let column = &self.columns[slot];
        match error {
            ConvError::Decode(e) => RecordError::Decode(e),
            ConvError::Value { value, reason } => RecordError::Convert {
                field: column.source.clone(),
                column: column.name.clone(),
                column_type: column.pg_type.to_string(),
                value: crate::error::shorten(&value),
                reason,
            },
        }
    }
}

fn check_meta(field: KafkaField, column: &TableColumn) -> Result<(), PlanError> {
    let ok = match field {
        KafkaField::Topic => matches!(column.pg_type, PgType::Text | PgType::Varchar(_)),
        KafkaField::Partition => matches!(column.pg_type, PgType::Int4 | PgType::Int8),
        KafkaField::Offset => matches!(column.pg_type, PgType::Int8),
        KafkaField::Timestamp => matches!(
            column.pg_type,
            PgType::Timestamptz | PgType::Timestamp | PgType::Int8
        ),
        KafkaField::Key => matches!(column.pg_type, PgType::Bytea | PgType::Text),
        KafkaField::Headers => matches!(column.pg_type, PgType::Jsonb),
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

struct Compiler<'a> {
    schema: &'a WriterSchema,
    columns: &'a [PlannedColumn],
    options: &'a PlanOptions,
}

impl Compiler<'_> {
    fn step(&self, node: NodeId, demands: Vec<Demand>, path: &str) -> Result<Step, PlanError> {
        if demands.is_empty() {
            return Ok(Step::Skip(node));
        }
        let (here, deeper): (Vec<_>, Vec<_>) =
            demands.into_iter().partition(|d| d.segments.is_empty());
        let mut steps = Vec::new();
        for demand in here {
            steps.push(self.terminal(node, demand.slot, path)?);
        }
        if !deeper.is_empty() {
            steps.push(self.descend(node, deeper, path)?);
        }
        Ok(if steps.len() == 1 {
            steps.remove(0)
        } else {
            Step::Tee(steps)
        })
    }

    /// A branch of a multi-type union that does not convert: say which union, and how
    /// such a union can be mapped instead.
    fn branch_error(&self, error: PlanError, union: NodeId, path: &str) -> PlanError {
        match error {
            PlanError::Incompatible {
                column,
                column_type,
                field,
                avro_type,
                ..
            } if self.schema.nullable(union).is_none() => PlanError::Incompatible {
                column,
                column_type,
                field,
                avro_type: format!("{avro_type} (a branch of {})", self.schema.type_name(union)),
                hint: format!(
                    ": map the union to jsonb, or one branch per column with {path}[type]"
                ),
            },
            other => other,
        }
    }

    /// The value at `node` fills `slot`.
    fn terminal(&self, node: NodeId, slot: usize, path: &str) -> Result<Step, PlanError> {
        let column = &self.columns[slot];
        if *self.schema.node(node) == AvroType::Null {
            return Ok(Step::Skip(node));
        }
        if let AvroType::Union(branches) = self.schema.node(node) {
            // One step per branch; a null branch leaves the slot NULL. A nullable union
            // converts like its other branch; the branches of a multi-type union go into a
            // jsonb column as JSON values, or into any other column when each converts (a
            // common type).
            let multi_type = self.schema.nullable(node).is_none();
            let mut steps = Vec::with_capacity(branches.len());
            for &branch in branches {
                if *self.schema.node(branch) == AvroType::Null {
                    steps.push(Step::Skip(branch));
                } else if multi_type && column.pg_type == PgType::Jsonb {
                    steps.push(Step::Emit {
                        slot,
                        node: branch,
                        conv: Conv::Jsonb,
                    });
                } else {
                    let step = self
                        .terminal(branch, slot, path)
                        .map_err(|e| self.branch_error(e, node, path))?;
                    steps.push(step);
                }
            }
            return Ok(Step::Union(steps));
        }
        let conv =
            conversion(self.schema, node, &column.pg_type, self.options).ok_or_else(|| {
                PlanError::Incompatible {
                    column: column.name.clone(),
                    column_type: column.pg_type.to_string(),
                    field: path.to_owned(),
                    avro_type: self.schema.type_name(node),
                    hint: crate::convert::hint(self.schema, node),
                }
            })?;
        Ok(Step::Emit { slot, node, conv })
    }

    fn descend(&self, node: NodeId, demands: Vec<Demand>, path: &str) -> Result<Step, PlanError> {
        match self.schema.node(node) {
            AvroType::Record { fields, .. } => {
                for demand in &demands {
                    let name = match &demand.segments[0] {
                        Segment::Field(name) => name,
                        Segment::Branch(branch) => {
                            return Err(self.no_such(demand, &format!("{path}[{branch}]"), node));
                        }
                    };
                    if !fields.iter().any(|(f, _)| f == name) {
                        return Err(self.no_such(demand, &join(path, name), node));
                    }
                }
                let mut steps = Vec::with_capacity(fields.len());
                let mut demands = demands;
                for (name, field) in fields {
                    let (mine, rest): (Vec<_>, Vec<_>) = demands
                        .into_iter()
                        .partition(|d| d.segments[0] == Segment::Field(name.clone()));
                    demands = rest;
                    let mine = mine
                        .into_iter()
                        .map(|mut d| {
                            d.segments.remove(0);
                            d
                        })
                        .collect();
                    steps.push(self.step(*field, mine, &join(path, name))?);
                }
                Ok(Step::Record(steps))
            }
            AvroType::Union(branches) => {
                // A short name two branches share (`a.Click`, `b.Click`) names neither.
                for demand in &demands {
                    if let Segment::Branch(b) = &demand.segments[0] {
                        let named: Vec<String> = branches
                            .iter()
                            .map(|&br| self.schema.type_name(br))
                            .filter(|n| names_branch(n, b))
                            .collect();
                        if named.len() > 1 {
                            return Err(PlanError::NoSuchField {
                                column: self.columns[demand.slot].name.clone(),
                                field: format!("{path}[{b}]"),
                                hint: format!(
                                    " as one branch: {b} names {}; write the full name",
                                    named.join(" and ")
                                ),
                            });
                        }
                    }
                }
                let mut steps = Vec::with_capacity(branches.len());
                for &branch in branches {
                    let type_name = self.schema.type_name(branch);
                    let mut mine = Vec::new();
                    for demand in &demands {
                        match &demand.segments[0] {
                            Segment::Branch(b) if names_branch(&type_name, b) => {
                                let mut d = demand.clone();
                                d.segments.remove(0);
                                mine.push(d);
                            }
                            Segment::Branch(_) => {}
                            // A path through a union goes through the record branches
                            // that have the whole path; the others leave the column NULL.
                            Segment::Field(_) if self.resolves(branch, &demand.segments, 0) => {
                                mine.push(demand.clone())
                            }
                            Segment::Field(_) => {}
                        }
                    }
                    steps.push(self.step(branch, mine, path)?);
                }
                for demand in &demands {
                    let known = match &demand.segments[0] {
                        Segment::Branch(b) => branches
                            .iter()
                            .any(|&br| names_branch(&self.schema.type_name(br), b)),
                        Segment::Field(_) => branches
                            .iter()
                            .any(|&br| self.resolves(br, &demand.segments, 0)),
                    };
                    if !known {
                        let field = match &demand.segments[0] {
                            Segment::Branch(b) => format!("{path}[{b}]"),
                            Segment::Field(name) => join(path, name),
                        };
                        return Err(self.no_such(demand, &field, node));
                    }
                }
                Ok(Step::Union(steps))
            }
            _ => Err(self.no_such(
                &demands[0],
                &join(path, &segment_text(&demands[0].segments[0])),
                node,
            )),
        }
    }

    /// Whether `segments` lead somewhere from `node`: through records by field name, and
    /// through unions by a branch's name or, for a field, any record branch that has it.
    fn resolves(&self, node: NodeId, segments: &[Segment], depth: usize) -> bool {
        let Some((segment, rest)) = segments.split_first() else {
            return true;
        };
        if depth > MAX_DEPTH {
            return false;
        }
        match (self.schema.node(node), segment) {
            (AvroType::Record { fields, .. }, Segment::Field(name)) => fields
                .iter()
                .find(|(f, _)| f == name)
                .is_some_and(|(_, field)| self.resolves(*field, rest, depth + 1)),
            (AvroType::Union(branches), Segment::Branch(b)) => branches.iter().any(|&br| {
                names_branch(&self.schema.type_name(br), b) && self.resolves(br, rest, depth + 1)
            }),
            (AvroType::Union(branches), Segment::Field(_)) => branches
                .iter()
                .any(|&br| self.resolves(br, segments, depth + 1)),
            _ => false,
        }
    }

    fn no_such(&self, demand: &Demand, field: &str, node: NodeId) -> PlanError {
        let hint = match self.schema.node(node) {
            AvroType::Record { fields, .. } => format!(
                " (fields here: {})",
                fields
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            AvroType::Union(_) => format!(" (branches: {})", self.schema.type_name(node)),
            _ => format!(" ({} has no fields)", self.schema.type_name(node)),
        };
        PlanError::NoSuchField {
            column: self.columns[demand.slot].name.clone(),
            field: field.to_owned(),
            hint,
        }
    }
}

fn segment_text(segment: &Segment) -> String {
    match segment {
        Segment::Field(f) => f.clone(),
        Segment::Branch(b) => format!("[{b}]"),
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        let mut joined = String::with_capacity(path.len() + name.len() + 1);
        let _ = write!(joined, "{path}.{name}");
        joined
    }
}

/// Whether `wanted` (a path's `[branch]`) names the branch of this type name: `string`,
/// or a record's full (`a.b.C`) or short (`C`) name.
fn names_branch(type_name: &str, wanted: &str) -> bool {
    let name = type_name.strip_prefix("record ").unwrap_or(type_name);
    name == wanted || name.rsplit('.').next() == Some(wanted)
}

/// Writes a complete COPY BINARY stream of `rows` (already encoded rows) to a buffer.
pub fn copy_stream(rows: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(copy::COPY_HEADER);
    out.extend_from_slice(rows);
    out.extend_from_slice(copy::COPY_TRAILER);
}

/// Used by convert: a field of `bytes`.
#[inline]
pub(crate) fn bytes_field(out: &mut Vec<u8>, bytes: &[u8]) {
    field(out, bytes);
}
