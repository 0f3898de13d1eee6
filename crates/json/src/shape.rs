//! The shape of a topic's JSON documents: objects whose keys are columns, and the kind of
//! value each leaf holds. Inferred from a sample, or read from a table's columns; written as
//! the Avro schema the documents are transcoded into.

use inlet_avro::PgType;
use serde_json::{Value, json};

use crate::MAX_OBJECT_KEYS;

/// What a document (or a part of one) holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// Only nulls (or nothing) were met: stored as jsonb, whatever comes later.
    Null,
    /// One value of a column type.
    Leaf(Leaf),
    /// An array of values of the item shape, into a PostgreSQL array.
    Array(Box<Shape>),
    /// An object whose keys (as Avro names, [`crate::avro_name`]) are read one by one, in
    /// this order.
    Object(Vec<(String, Shape)>),
    /// Any JSON value, stored as it is (jsonb).
    Json,
}

/// The kind of a leaf value, named after the column type it proposes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leaf {
    /// `true` or `false` → boolean.
    Boolean,
    /// An integer (a JSON number without fraction or exponent, or a string of one) → bigint.
    Integer,
    /// A number → real (the text is read as a real, as PostgreSQL's `float4in`).
    Real,
    /// A number → double precision.
    Double,
    /// A number's exact text → numeric.
    Numeric,
    /// Any value → text: a string's characters, anything else its JSON text.
    Text,
    /// A string of a date and time with an offset → timestamp with time zone.
    Timestamptz,
    /// A string of a date and time (an offset is ignored, as PostgreSQL does) → timestamp.
    Timestamp,
    /// A string `YYYY-MM-DD` → date.
    Date,
    /// A string `HH:MM[:SS[.ffffff]]` → time.
    Time,
    /// A string of a UUID → uuid.
    Uuid,
    /// A string in bytea's input forms (`\x0102…`, or escaped text) → bytea.
    Bytea,
}

/// A table's columns that JSON cannot fill as they are paired with paths.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ShapeError {
    /// A path is not a JSON field path.
    #[error(
        "column {column}: {path:?} is not a field path of a JSON document (keys separated by dots, e.g. order.id; the empty path is the whole document)"
    )]
    Path {
        /// The column.
        column: String,
        /// Its path.
        path: String,
    },
    /// Two columns' paths make a key both a value and an object (`a` and `a.b`).
    #[error(
        "column {column}: its path {path:?} overlaps another column's: a key cannot be both a value and an object, and the whole document (the empty path) cannot be mapped beside its fields yet"
    )]
    Overlap {
        /// The column.
        column: String,
        /// Its path.
        path: String,
    },
    /// A column type no JSON value is read into.
    #[error(
        "column {column} is {pg_type}, which inlet does not fill from JSON (map it from another source, or make it text or jsonb)"
    )]
    Type {
        /// The column.
        column: String,
        /// Its type, as SQL writes it.
        pg_type: String,
    },
}

impl Shape {
    /// The shape of a value that holds what `self` and `other` hold: numbers widen
    /// (integer → double → numeric), dates into timestamps, other mixed scalars into text,
    /// objects merge their keys (one with more than [`MAX_OBJECT_KEYS`] becomes jsonb),
    /// and anything else mixed is jsonb.
    pub fn widen(self, other: Shape) -> Shape {
        use Shape as S;
        match (self, other) {
            (S::Null, x) | (x, S::Null) => x,
            (S::Json, _) | (_, S::Json) => S::Json,
            (S::Leaf(a), S::Leaf(b)) => S::Leaf(a.widen(b)),
            (S::Array(a), S::Array(b)) => S::array(a.widen(*b)),
            (S::Object(mut a), S::Object(b)) => {
                for (key, shape) in b {
                    match a.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, have)) => {
                            let had = std::mem::replace(have, S::Null);
                            *have = had.widen(shape);
                        }
                        None => a.push((key, shape)),
                    }
                }
                if a.len() > MAX_OBJECT_KEYS {
                    S::Json
                } else {
                    S::Object(a)
                }
            }
            _ => S::Json,
        }
    }

    /// An array of `item`: items that are objects or arrays make the array one jsonb value.
    pub(crate) fn array(item: Shape) -> Shape {
        match item {
            Shape::Object(_) | Shape::Array(_) | Shape::Json => Shape::Json,
            item => Shape::Array(Box::new(item)),
        }
    }

    /// The shape that fills `columns`: each (column, path, type), the path a field path of
    /// the document (`a.b` through objects, by the keys' Avro names; the empty path for a
    /// whole document that is one value) and the type the column has.
    ///
    /// # Errors
    /// [`ShapeError`]: a path that is not a field path, paths that overlap, a column type
    /// JSON does not fill (interval).
    pub fn for_columns<'a>(
        columns: impl IntoIterator<Item = (&'a str, &'a str, &'a PgType)>,
    ) -> Result<Shape, ShapeError> {
        let mut root = Shape::Object(Vec::new());
        for (column, path, pg_type) in columns {
            let leaf = Shape::of_type(pg_type).ok_or_else(|| ShapeError::Type {
                column: column.to_owned(),
                pg_type: pg_type.to_string(),
            })?;
            let bad_path = || ShapeError::Path {
                column: column.to_owned(),
                path: path.to_owned(),
            };
            if path.is_empty() {
                match &root {
                    Shape::Object(fields) if fields.is_empty() => root = leaf,
                    _ => {
                        return Err(ShapeError::Overlap {
                            column: column.to_owned(),
                            path: path.to_owned(),
                        });
                    }
                }
                continue;
            }
            let keys: Vec<&str> = path.split('.').collect();
            if keys
                .iter()
                .any(|k| k.is_empty() || crate::avro_name(k) != *k)
            {
                return Err(bad_path());
            }
            let overlap = || ShapeError::Overlap {
                column: column.to_owned(),
                path: path.to_owned(),
            };
            let mut at = &mut root;
            for (i, key) in keys.iter().enumerate() {
                let Shape::Object(fields) = at else {
                    return Err(overlap());
                };
                let last = i + 1 == keys.len();
                let index = match fields.iter().position(|(k, _)| k == key) {
                    Some(index) if last => {
                        // Two columns of one path: each takes the value (the wider type).
                        let had = std::mem::replace(&mut fields[index].1, Shape::Null);
                        if matches!(had, Shape::Object(_)) {
                            return Err(overlap());
                        }
                        fields[index].1 = had.widen(leaf.clone());
                        index
                    }
                    Some(index) => index,
                    None => {
                        let next = if last {
                            leaf.clone()
                        } else {
                            Shape::Object(Vec::new())
                        };
                        fields.push(((*key).to_owned(), next));
                        fields.len() - 1
                    }
                };
                at = &mut fields[index].1;
            }
        }
        Ok(root)
    }

    /// Whether a column of `pg_type` is filled from JSON values (interval is not).
    pub fn fills(pg_type: &PgType) -> bool {
        Shape::of_type(pg_type).is_some()
    }

    /// The shape a column of `pg_type` reads (None: no JSON value goes into it).
    fn of_type(pg_type: &PgType) -> Option<Shape> {
        use PgType as P;
        Some(Shape::Leaf(match pg_type.base() {
            P::Bool => Leaf::Boolean,
            P::Int2 | P::Int4 | P::Int8 => Leaf::Integer,
            P::Float4 => Leaf::Real,
            P::Float8 => Leaf::Double,
            P::Numeric { .. } => Leaf::Numeric,
            P::Text | P::Varchar(_) | P::Enum { .. } => Leaf::Text,
            P::Bytea => Leaf::Bytea,
            P::Jsonb => return Some(Shape::Json),
            P::Uuid => Leaf::Uuid,
            P::Date => Leaf::Date,
            P::Time => Leaf::Time,
            P::Timestamp => Leaf::Timestamp,
            P::Timestamptz => Leaf::Timestamptz,
            P::Array(element) => {
                return match Shape::of_type(element)? {
                    Shape::Json => Some(Shape::Array(Box::new(Shape::Json))),
                    item => Some(Shape::Array(Box::new(item))),
                };
            }
            P::Interval | P::Domain { .. } => return None,
        }))
    }

    /// The Avro schema (JSON text) documents of this shape are transcoded into: an object
    /// is a record, every value a `["null", T]` union defaulting to null; a leaf is its
    /// Avro type (a numeric is a big-decimal, a timestamptz a timestamp-micros, a jsonb
    /// value a string of its JSON text).
    pub fn avro_schema(&self) -> String {
        let mut records = 0;
        let root = match self {
            Shape::Object(_) => self.avro(&mut records),
            other => json!(["null", other.avro(&mut records)]),
        };
        root.to_string()
    }

    fn avro(&self, records: &mut usize) -> Value {
        match self {
            Shape::Null | Shape::Json => json!("string"),
            Shape::Leaf(leaf) => leaf.avro(),
            Shape::Array(item) => json!({"type": "array", "items": ["null", item.avro(records)]}),
            Shape::Object(fields) => {
                *records += 1;
                let name = format!("Object{records}");
                let fields: Vec<Value> = fields
                    .iter()
                    .map(|(key, shape)| {
                        let mut field = json!({"name": key, "type": ["null", shape.avro(records)], "default": null});
                        // JSON text, proposed as jsonb by any reader of the schema.
                        if matches!(shape, Shape::Null | Shape::Json) {
                            field[inlet_avro::JSON_FIELD] = json!(true);
                        }
                        field
                    })
                    .collect();
                json!({"type": "record", "name": name, "namespace": "inlet.json", "fields": fields})
            }
        }
    }

    /// The field paths (`a.b`) whose values are stored as JSON (jsonb): a proposal makes
    /// their columns jsonb rather than text.
    pub fn json_paths(&self) -> Vec<String> {
        let mut paths = Vec::new();
        self.collect_json_paths("", &mut paths);
        paths
    }

    fn collect_json_paths(&self, path: &str, paths: &mut Vec<String>) {
        match self {
            Shape::Null | Shape::Json => paths.push(path.to_owned()),
            Shape::Object(fields) => {
                for (key, shape) in fields {
                    let path = if path.is_empty() {
                        key.clone()
                    } else {
                        format!("{path}.{key}")
                    };
                    shape.collect_json_paths(&path, paths);
                }
            }
            Shape::Leaf(_) | Shape::Array(_) => {}
        }
    }
}

impl Leaf {
    /// The leaf that holds both: numbers widen, a date into a timestamp, the rest into text.
    fn widen(self, other: Leaf) -> Leaf {
        use Leaf as L;
        match (self, other) {
            (a, b) if a == b => a,
            (L::Integer | L::Real | L::Double, L::Numeric)
            | (L::Numeric, L::Integer | L::Real | L::Double) => L::Numeric,
            (L::Integer | L::Real, L::Double) | (L::Double, L::Integer | L::Real) => L::Double,
            (L::Integer, L::Real) | (L::Real, L::Integer) => L::Real,
            (L::Date | L::Timestamp, L::Timestamptz) | (L::Timestamptz, L::Date | L::Timestamp) => {
                L::Timestamptz
            }
            (L::Date, L::Timestamp) | (L::Timestamp, L::Date) => L::Timestamp,
            _ => L::Text,
        }
    }

    fn avro(self) -> Value {
        match self {
            Leaf::Boolean => json!("boolean"),
            Leaf::Integer => json!("long"),
            Leaf::Real => json!("float"),
            Leaf::Double => json!("double"),
            Leaf::Numeric => json!({"type": "bytes", "logicalType": "big-decimal"}),
            Leaf::Text => json!("string"),
            Leaf::Timestamptz => json!({"type": "long", "logicalType": "timestamp-micros"}),
            Leaf::Timestamp => json!({"type": "long", "logicalType": "local-timestamp-micros"}),
            Leaf::Date => json!({"type": "int", "logicalType": "date"}),
            Leaf::Time => json!({"type": "long", "logicalType": "time-micros"}),
            Leaf::Uuid => json!({"type": "string", "logicalType": "uuid"}),
            Leaf::Bytea => json!("bytes"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(l: Leaf) -> Shape {
        Shape::Leaf(l)
    }

    #[test]
    fn numbers_widen_and_mixed_values_become_text_or_json() {
        use Leaf as L;
        assert_eq!(leaf(L::Integer).widen(leaf(L::Double)), leaf(L::Double));
        assert_eq!(leaf(L::Double).widen(leaf(L::Numeric)), leaf(L::Numeric));
        assert_eq!(
            leaf(L::Date).widen(leaf(L::Timestamptz)),
            leaf(L::Timestamptz)
        );
        assert_eq!(leaf(L::Boolean).widen(leaf(L::Integer)), leaf(L::Text));
        assert_eq!(leaf(L::Uuid).widen(leaf(L::Text)), leaf(L::Text));
        assert_eq!(Shape::Null.widen(leaf(L::Uuid)), leaf(L::Uuid));
        assert_eq!(leaf(L::Text).widen(Shape::Object(vec![])), Shape::Json);
        assert_eq!(
            Shape::array(Shape::Object(vec![])),
            Shape::Json,
            "arrays of objects are jsonb"
        );
        let a = Shape::Object(vec![("x".into(), leaf(L::Integer))]);
        let b = Shape::Object(vec![
            ("y".into(), leaf(L::Text)),
            ("x".into(), leaf(L::Double)),
        ]);
        assert_eq!(
            a.widen(b),
            Shape::Object(vec![
                ("x".into(), leaf(L::Double)),
                ("y".into(), leaf(L::Text))
            ])
        );
    }

    #[test]
    fn columns_give_the_shape_they_read() {
        let int = PgType::Int8;
        let ts = PgType::Timestamptz;
        let doc = PgType::Jsonb;
        let shape = Shape::for_columns([
            ("id", "id", &int),
            ("geo_lat", "geo.lat", &PgType::Float8),
            ("at", "ts", &ts),
            ("rest", "geo.extra", &doc),
        ])
        .unwrap();
        assert_eq!(
            shape,
            Shape::Object(vec![
                ("id".into(), leaf(Leaf::Integer)),
                (
                    "geo".into(),
                    Shape::Object(vec![
                        ("lat".into(), leaf(Leaf::Double)),
                        ("extra".into(), Shape::Json)
                    ])
                ),
                ("ts".into(), leaf(Leaf::Timestamptz)),
            ])
        );
        assert_eq!(shape.json_paths(), ["geo.extra"]);
        assert!(matches!(
            Shape::for_columns([("a", "a", &int), ("b", "a.b", &int)]),
            Err(ShapeError::Overlap { .. })
        ));
        assert!(matches!(
            Shape::for_columns([("a", "a[string]", &int)]),
            Err(ShapeError::Path { .. })
        ));
        assert!(matches!(
            Shape::for_columns([("a", "a", &PgType::Interval)]),
            Err(ShapeError::Type { .. })
        ));
        assert_eq!(
            Shape::for_columns([("value", "", &PgType::Text)]).unwrap(),
            leaf(Leaf::Text)
        );
    }
}
