//! PostgreSQL column types that plans write, with their typmods and binary-format OIDs.

use std::fmt;

/// A column type, as `format_type()` prints it (typmods included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PgType {
    /// `boolean`
    Bool,
    /// `smallint`
    Int2,
    /// `integer`
    Int4,
    /// `bigint`
    Int8,
    /// `real`
    Float4,
    /// `double precision`
    Float8,
    /// `numeric` or `numeric(precision, scale)`
    Numeric {
        /// Total significant digits, when constrained.
        precision: Option<u16>,
        /// Digits after the point, when constrained.
        scale: Option<u16>,
    },
    /// `text`
    Text,
    /// `character varying` or `character varying(n)`
    Varchar(Option<u32>),
    /// `bytea`
    Bytea,
    /// `jsonb`
    Jsonb,
    /// `uuid`
    Uuid,
    /// `date`
    Date,
    /// `time without time zone`
    Time,
    /// `timestamp without time zone`
    Timestamp,
    /// `timestamp with time zone`
    Timestamptz,
    /// `interval`
    Interval,
    /// A user-defined enum type (written as its label).
    Enum {
        /// The type's name, as SQL shows it.
        name: String,
        /// Its OID (needed for arrays of it).
        oid: u32,
    },
    /// An array of the element type: PostgreSQL's arrays of one type have any number of
    /// dimensions (`integer[]` holds `{1,2}` and `{{1,2},{3,4}}` alike).
    Array(Box<PgType>),
    /// A domain (`CREATE DOMAIN name AS base CHECK (…)`): written as its base type; the
    /// domain's constraints are PostgreSQL's to check when the row is stored.
    Domain {
        /// The domain's name, as `format_type()` prints it.
        name: String,
        /// Its OID (an array of a domain names the domain as its element type).
        oid: u32,
        /// The type it is over, followed through domains of domains.
        base: Box<PgType>,
    },
}

impl PgType {
    /// Parses the common spellings: `int`, `int4`, `integer`, `bigint`, `numeric(10,2)`,
    /// `varchar(20)`, `character varying(20)`, `timestamptz`, `timestamp with time zone`,
    /// `text[]`, `double precision` … Enum types are not known by name alone: `None`.
    pub fn parse(sql: &str) -> Option<PgType> {
        let lower = sql.trim().to_ascii_lowercase();
        if let Some(element) = lower.strip_suffix("[]") {
            return PgType::parse(element).map(|e| PgType::Array(Box::new(e)));
        }
        let (base, args) = match lower.split_once('(') {
            Some((base, rest)) => (base.trim(), rest.strip_suffix(')').map(str::trim)),
            None => (lower.as_str(), None),
        };
        let numbers: Vec<u32> = args
            .map(|a| a.split(',').filter_map(|n| n.trim().parse().ok()).collect())
            .unwrap_or_default();
        Some(match base {
            "bool" | "boolean" => PgType::Bool,
            "int2" | "smallint" => PgType::Int2,
            "int" | "int4" | "integer" => PgType::Int4,
            "int8" | "bigint" => PgType::Int8,
            "float4" | "real" => PgType::Float4,
            "float8" | "double precision" => PgType::Float8,
            "numeric" | "decimal" => PgType::Numeric {
                precision: numbers.first().and_then(|&p| u16::try_from(p).ok()),
                scale: numbers
                    .get(1)
                    .and_then(|&s| u16::try_from(s).ok())
                    .or(numbers.first().map(|_| 0)),
            },
            "text" => PgType::Text,
            "varchar" | "character varying" => PgType::Varchar(numbers.first().copied()),
            "bytea" => PgType::Bytea,
            "jsonb" => PgType::Jsonb,
            "uuid" => PgType::Uuid,
            "date" => PgType::Date,
            "time" | "time without time zone" => PgType::Time,
            "timestamp" | "timestamp without time zone" => PgType::Timestamp,
            "timestamptz" | "timestamp with time zone" => PgType::Timestamptz,
            "interval" => PgType::Interval,
            _ => return None,
        })
    }

    /// The type values are written as: a domain's base type, any other type itself.
    pub fn base(&self) -> &PgType {
        match self {
            PgType::Domain { base, .. } => base.base(),
            other => other,
        }
    }

    /// The type's OID, as the binary array format needs for elements (a domain's own OID:
    /// PostgreSQL checks an array's element type against the column's).
    pub fn oid(&self) -> u32 {
        match self {
            PgType::Domain { oid, .. } => *oid,
            PgType::Bool => 16,
            PgType::Int2 => 21,
            PgType::Int4 => 23,
            PgType::Int8 => 20,
            PgType::Float4 => 700,
            PgType::Float8 => 701,
            PgType::Numeric { .. } => 1700,
            PgType::Text => 25,
            PgType::Varchar(_) => 1043,
            PgType::Bytea => 17,
            PgType::Jsonb => 3802,
            PgType::Uuid => 2950,
            PgType::Date => 1082,
            PgType::Time => 1083,
            PgType::Timestamp => 1114,
            PgType::Timestamptz => 1184,
            PgType::Interval => 1186,
            PgType::Enum { oid, .. } => *oid,
            PgType::Array(element) => match element.as_ref() {
                PgType::Bool => 1000,
                PgType::Int2 => 1005,
                PgType::Int4 => 1007,
                PgType::Int8 => 1016,
                PgType::Float4 => 1021,
                PgType::Float8 => 1022,
                PgType::Numeric { .. } => 1231,
                PgType::Text => 1009,
                PgType::Varchar(_) => 1015,
                PgType::Bytea => 1001,
                PgType::Jsonb => 3807,
                PgType::Uuid => 2951,
                PgType::Date => 1182,
                PgType::Time => 1183,
                PgType::Timestamp => 1115,
                PgType::Timestamptz => 1185,
                PgType::Interval => 1187,
                // Arrays of enums and nested arrays: the caller's catalog knows; 0 is "unknown".
                _ => 0,
            },
        }
    }
}

impl fmt::Display for PgType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PgType::Bool => f.write_str("boolean"),
            PgType::Int2 => f.write_str("smallint"),
            PgType::Int4 => f.write_str("integer"),
            PgType::Int8 => f.write_str("bigint"),
            PgType::Float4 => f.write_str("real"),
            PgType::Float8 => f.write_str("double precision"),
            PgType::Numeric {
                precision: Some(p),
                scale,
            } => write!(f, "numeric({p},{})", scale.unwrap_or(0)),
            PgType::Numeric { .. } => f.write_str("numeric"),
            PgType::Text => f.write_str("text"),
            PgType::Varchar(Some(n)) => write!(f, "character varying({n})"),
            PgType::Varchar(None) => f.write_str("character varying"),
            PgType::Bytea => f.write_str("bytea"),
            PgType::Jsonb => f.write_str("jsonb"),
            PgType::Uuid => f.write_str("uuid"),
            PgType::Date => f.write_str("date"),
            PgType::Time => f.write_str("time without time zone"),
            PgType::Timestamp => f.write_str("timestamp without time zone"),
            PgType::Timestamptz => f.write_str("timestamp with time zone"),
            PgType::Interval => f.write_str("interval"),
            PgType::Enum { name, .. } | PgType::Domain { name, .. } => f.write_str(name),
            PgType::Array(element) => write!(f, "{element}[]"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_spellings_and_prints_format_type() {
        for (input, printed) in [
            ("INT", "integer"),
            ("bigint", "bigint"),
            ("numeric(10, 2)", "numeric(10,2)"),
            ("numeric(5)", "numeric(5,0)"),
            ("numeric", "numeric"),
            ("varchar(20)", "character varying(20)"),
            ("timestamptz", "timestamp with time zone"),
            ("timestamp with time zone", "timestamp with time zone"),
            ("double precision", "double precision"),
            ("text[]", "text[]"),
            ("int8[]", "bigint[]"),
        ] {
            assert_eq!(
                PgType::parse(input).unwrap().to_string(),
                printed,
                "{input}"
            );
        }
        assert_eq!(PgType::parse("mood"), None);
    }

    #[test]
    fn array_oids_follow_their_elements() {
        assert_eq!(PgType::parse("int4[]").unwrap().oid(), 1007);
        assert_eq!(PgType::parse("text").unwrap().oid(), 25);
    }
}
