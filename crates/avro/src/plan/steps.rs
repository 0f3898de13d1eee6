//! The tree of steps a plan walks an Avro body with (`Step`), and how it is compiled: each
//! column's field path (`parse_path`) resolved through the writer schema's records and unions
//! (`Compiler`), each value it reaches given its conversion, and the errors that say where a
//! path does not resolve or a value does not convert.

use std::fmt::Write as _;

use crate::conversion::{Conv, conversion};
use crate::error::PlanError;
use crate::json::MAX_DEPTH;
use crate::mapping::PlanOptions;
use crate::pg_type::PgType;
use crate::schema::{AvroType, NodeId, WriterSchema};

/// One step of a plan over a value of the writer schema.
#[derive(Debug, Clone)]
pub(super) enum Step {
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

/// A column a plan fills, in COPY order.
#[derive(Debug, Clone)]
pub(super) struct PlannedColumn {
    pub(super) name: String,
    pub(super) pg_type: PgType,
    pub(super) nullable: bool,
    /// The field path or metadata name, for messages.
    pub(super) source: String,
}

/// A field path demanded by a column: the segments left and the slot it fills.
#[derive(Debug, Clone)]
pub(super) struct Demand {
    pub(super) segments: Vec<Segment>,
    pub(super) slot: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Segment {
    Field(String),
    Branch(String),
}

/// `a.b[string].c` → field a, field b, branch string, field c. A branch in brackets may
/// be a full name with dots (`[com.acme.Click]`); the empty path is the root value.
pub(super) fn parse_path(path: &str) -> Vec<Segment> {
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

/// Compiles the demands of a plan's columns against one writer schema (the value's or the
/// key's) into a [`Step`] tree.
pub(super) struct Compiler<'a> {
    pub(super) schema: &'a WriterSchema,
    pub(super) columns: &'a [PlannedColumn],
    pub(super) options: &'a PlanOptions,
}

impl Compiler<'_> {
    /// The step for the value at `node` (reached by `path`), which `demands` read.
    pub(super) fn step(
        &self,
        node: NodeId,
        demands: Vec<Demand>,
        path: &str,
    ) -> Result<Step, PlanError> {
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
                } else if multi_type && *column.pg_type.base() == PgType::Jsonb {
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
                    hint: crate::conversion::hint(self.schema, node),
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
