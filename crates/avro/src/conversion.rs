//! Which conversion takes each Avro type into each column type (`Conv`, chosen once when a
//! plan compiles), what a type can be stored as when none does (`hint`, for plan errors),
//! and which of them a direct plan writes inline (`Fast`). `convert` runs them.

use crate::mapping::PlanOptions;
use crate::pg_type::PgType;
use crate::schema::{AvroType, NodeId, TimeUnit, WriterSchema};

/// The conversion of one Avro type to one column type, chosen when the plan is compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Conv {
    Bool,
    Int2,
    Int4,
    Int8,
    Float4,
    Float8,
    Numeric {
        limit: Option<(u16, u16)>,
    },
    Text {
        max_chars: Option<u32>,
    },
    Bytea,
    /// The value rendered as JSON.
    Jsonb,
    /// A string holding JSON text (`logicalType: json` and the like), checked.
    JsonbText,
    Uuid,
    Date,
    Time,
    /// timestamptz and timestamp: microseconds since 2000-01-01.
    Timestamp,
    Interval,
    /// An Avro array, or arrays nested `levels.len()` deep, into a PostgreSQL array of
    /// that many dimensions (at most [`MAX_DIMENSIONS`]).
    Array {
        /// The item type of each level, outermost first (a `["null", T]` union, or T).
        levels: Vec<NodeId>,
        /// The conversion of the innermost items.
        element: Box<Conv>,
        /// The element type's OID, as the array's binary form names it.
        oid: u32,
    },
}

/// PostgreSQL's most array dimensions (MAXDIM).
pub(crate) const MAX_DIMENSIONS: usize = 6;

/// The conversion of `node` into `pg`, if there is one.
pub(crate) fn conversion(
    schema: &WriterSchema,
    node: NodeId,
    pg: &PgType,
    options: &PlanOptions,
) -> Option<Conv> {
    let _ = options;
    // A domain's values are its base type's.
    let pg = pg.base();
    let avro = schema.node(node);
    let text = |pg: &PgType| match pg {
        PgType::Text | PgType::Enum { .. } => Some(Conv::Text { max_chars: None }),
        PgType::Varchar(n) => Some(Conv::Text { max_chars: *n }),
        _ => None,
    };
    let numeric_limit = |pg: &PgType| match pg {
        PgType::Numeric {
            precision: Some(p),
            scale,
        } => Some((*p, scale.unwrap_or(0))),
        _ => None,
    };
    use AvroType as A;
    use PgType as P;
    Some(match (avro, pg) {
        (A::Null | A::Union(_), _) => return None,
        (A::String, P::Jsonb) => Conv::JsonbText,
        (_, P::Jsonb) => Conv::Jsonb,
        (A::Boolean, P::Bool) => Conv::Bool,
        (A::Boolean, P::Text | P::Varchar(_)) => text(pg)?,
        (A::Int | A::Long, P::Int2) => Conv::Int2,
        (A::Int | A::Long, P::Int4) => Conv::Int4,
        (A::Int | A::Long, P::Int8) => Conv::Int8,
        (A::Int | A::Long, P::Float8) => Conv::Float8,
        // double into real: rounded to the nearest real, as PostgreSQL's cast does; a
        // finite value beyond real's range is a per-record error (schema evolution float →
        // double keeps flowing into the table made for the float).
        (A::Float | A::Double, P::Float4) => Conv::Float4,
        (A::Float | A::Double, P::Float8) => Conv::Float8,
        (A::Int | A::Long | A::Float | A::Double, P::Numeric { .. }) => Conv::Numeric {
            limit: numeric_limit(pg),
        },
        (A::Int | A::Long | A::Float | A::Double, P::Text | P::Varchar(_)) => text(pg)?,
        (A::String, P::Text | P::Varchar(_) | P::Enum { .. }) => text(pg)?,
        (A::String | A::UuidString, P::Uuid) => Conv::Uuid,
        (A::UuidString, P::Text | P::Varchar(_)) => text(pg)?,
        (A::UuidFixed, P::Uuid) => Conv::Uuid,
        (A::UuidFixed, P::Text | P::Varchar(_)) => text(pg)?,
        (A::UuidFixed, P::Bytea) => Conv::Bytea,
        (A::Bytes | A::Fixed(_), P::Bytea) => Conv::Bytea,
        (A::Bytes | A::Fixed(_), P::Text | P::Varchar(_)) => text(pg)?,
        (A::Enum(_), P::Text | P::Varchar(_) | P::Enum { .. }) => text(pg)?,
        (A::Decimal { .. } | A::BigDecimal, P::Numeric { .. }) => Conv::Numeric {
            limit: numeric_limit(pg),
        },
        (A::Decimal { .. } | A::BigDecimal, P::Text | P::Varchar(_)) => text(pg)?,
        (A::Date, P::Date) => Conv::Date,
        (A::Time(_), P::Time) => Conv::Time,
        (A::Timestamp { .. }, P::Timestamptz | P::Timestamp) => Conv::Timestamp,
        (A::Timestamp { .. }, P::Int8) => Conv::Int8,
        (A::Duration, P::Interval) => Conv::Interval,
        (A::Array(item), P::Array(element)) => {
            // Arrays of arrays are one array of more dimensions: PostgreSQL's `integer[]`
            // holds `{{1,2},{3,4}}`; into `jsonb[]` each item is one JSON value.
            let mut levels = vec![*item];
            let mut inner = schema.nullable(*item).map_or(*item, |(_, t)| t);
            while let (A::Array(next), false) = (schema.node(inner), *element.base() == P::Jsonb) {
                if levels.len() == MAX_DIMENSIONS {
                    return None;
                }
                levels.push(*next);
                inner = schema.nullable(*next).map_or(*next, |(_, t)| t);
            }
            let element_conv = conversion(schema, inner, element, options)?;
            Conv::Array {
                levels,
                element: Box::new(element_conv),
                oid: element.oid(),
            }
        }
        _ => return None,
    })
}

/// What a field of this type can be stored as, for plan errors.
pub(crate) fn hint(schema: &WriterSchema, node: NodeId) -> String {
    let targets = match schema.node(node) {
        AvroType::Null => "any nullable column (always NULL)",
        AvroType::Boolean => "boolean, text, jsonb",
        AvroType::Int | AvroType::Long => {
            "smallint, integer, bigint, numeric, double precision, text, jsonb"
        }
        AvroType::Float => "real, double precision, numeric, text, jsonb",
        AvroType::Double => "double precision, numeric, text, jsonb",
        AvroType::String => "text, varchar(n), jsonb, uuid, an enum type",
        AvroType::Bytes | AvroType::Fixed(_) => "bytea, text, jsonb",
        AvroType::Enum(_) => "text, varchar(n), an enum type, jsonb",
        AvroType::Array(_) => "an array of a compatible element type, or jsonb",
        AvroType::Map(_) | AvroType::Record { .. } | AvroType::Union(_) => "jsonb",
        AvroType::Decimal { .. } | AvroType::BigDecimal => "numeric, text, jsonb",
        AvroType::UuidString | AvroType::UuidFixed => "uuid, text, jsonb",
        AvroType::Date => "date, jsonb",
        AvroType::Time(_) => "time, jsonb",
        AvroType::Timestamp { .. } => "timestamptz, timestamp, bigint, jsonb",
        AvroType::Duration => "interval, jsonb",
    };
    format!(" (it can be stored as {targets})")
}

/// The conversions of the event-shaped hot path, written inline by a direct plan; the rest
/// go through [`emit`](crate::convert::emit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fast {
    Bool,
    Int4FromInt,
    Int8FromLong,
    Float4,
    Float8,
    Text,
    Timestamp(TimeUnit),
    Other,
}

impl Fast {
    pub(crate) fn of(schema: &WriterSchema, node: NodeId, conv: &Conv) -> Self {
        use AvroType as A;
        match (conv, schema.node(node)) {
            (Conv::Bool, A::Boolean) => Fast::Bool,
            (Conv::Int4, A::Int) => Fast::Int4FromInt,
            (Conv::Int8, A::Long) => Fast::Int8FromLong,
            (Conv::Float4, A::Float) => Fast::Float4,
            (Conv::Float8, A::Double) => Fast::Float8,
            (Conv::Text { max_chars: None }, A::String) => Fast::Text,
            (Conv::Timestamp, A::Timestamp { unit, .. }) if *unit != TimeUnit::Nanos => {
                Fast::Timestamp(*unit)
            }
            _ => Fast::Other,
        }
    }
}
