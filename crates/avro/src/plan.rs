//! Compiled decode plans: a writer schema × a table mapping, compiled once, that read an
//! Avro body and write a PostgreSQL COPY BINARY row directly — no generic value tree.
//! Compiling resolves the mapping into a tree of steps (`steps`); a plan whose columns are
//! the top-level fields in writer order also gets a flat direct program.

mod steps;

use crate::conversion::{Conv, Fast};
use crate::convert::ConvError;
use crate::copy::null_field;
use crate::error::{PlanError, RecordError};
use crate::json::{self, MAX_DEPTH};
use crate::mapping::{
    ColumnMapping, ColumnSource, KEY_PREFIX, KafkaField, PlanOptions, TableColumn,
};
use crate::meta::{RecordMeta, check_meta};
use crate::reader::{IndexKind, Reader};
use crate::schema::{NodeId, WriterSchema};
use steps::{Compiler, Demand, PlannedColumn, Step, parse_path};

/// Reusable per-row buffers; keep one per decoding thread.
#[derive(Debug, Default)]
pub struct RowScratch {
    buf: Vec<u8>,
    slots: Vec<Option<(usize, usize)>>,
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
            match table.iter().find(|c| c.name == m.column) {
                None => {
                    return Err(PlanError::NoSuchColumn {
                        column: m.column.clone(),
                    });
                }
                Some(TableColumn {
                    generated: Some(kind),
                    ..
                }) => {
                    return Err(PlanError::Generated {
                        column: m.column.clone(),
                        kind: *kind,
                    });
                }
                Some(_) => {}
            }
        }
        let mut columns = Vec::new();
        let mut demands = Vec::new();
        let mut key_demands = Vec::new();
        let mut meta = Vec::new();
        // A generated column is PostgreSQL's to fill: never in the rows.
        for column in table.iter().filter(|c| c.generated.is_none()) {
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
            self.run_key(key, meta.key_avro.or(meta.key), scratch)?;
        }
        for &(slot, field) in &self.meta {
            let start = scratch.buf.len();
            let column = &self.columns[slot];
            let written =
                crate::meta::write_meta(field, column.pg_type.base(), meta, &mut scratch.buf)
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
