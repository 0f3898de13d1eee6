//! A shape inferred from documents: each value's kind, widened across the sample.

use jiter::{Jiter, Peek};

use crate::shape::{Leaf, Shape};
use crate::{MAX_DEPTH, MAX_OBJECT_KEYS, text};

impl Shape {
    /// The shape that holds every document of `docs` (a topic's sample): objects' keys (as
    /// Avro names) in the order first met, each value's kind widened across the documents
    /// ([`Shape::widen`]); strings that are all timestamps with an offset propose
    /// timestamptz, without one timestamp, dates date, UUIDs uuid; integers beyond bigint,
    /// and numbers beyond double precision's range, numeric. Objects nested deeper than
    /// [`MAX_DEPTH`], arrays of objects or arrays, and keys only ever null are jsonb.
    /// Documents that are not JSON are left out, and so are documents that are not objects
    /// when some are (one stray `[1,2]` does not make the table one jsonb column: it will
    /// be a dead letter); the count of those left is returned beside the shape.
    pub fn infer<'a>(docs: impl IntoIterator<Item = &'a [u8]>) -> (Shape, usize) {
        let (mut objects, mut others) = (Shape::Null, Shape::Null);
        let (mut refused, mut other_count) = (0, 0);
        for doc in docs {
            let mut jiter = Jiter::new(doc);
            match value(&mut jiter, 0).and_then(|s| jiter.finish().map(|()| s)) {
                Ok(s @ Shape::Object(_)) => objects = objects.widen(s),
                Ok(Shape::Null) => {}
                Ok(s) => {
                    others = others.widen(s);
                    other_count += 1;
                }
                Err(_) => refused += 1,
            }
        }
        if objects == Shape::Null {
            (others.finish(), refused)
        } else {
            (objects.finish(), refused + other_count)
        }
    }

    /// The shape once the sample ends: arrays only ever empty (or of nulls) are jsonb,
    /// what they hold not being known.
    fn finish(self) -> Shape {
        match self {
            Shape::Array(item) if *item == Shape::Null => Shape::Json,
            Shape::Object(fields) => {
                Shape::Object(fields.into_iter().map(|(k, s)| (k, s.finish())).collect())
            }
            other => other,
        }
    }
}

/// The shape of the value at the cursor, `depth` objects deep.
fn value(jiter: &mut Jiter<'_>, depth: usize) -> jiter::JiterResult<Shape> {
    let peek = jiter.peek()?;
    Ok(match peek {
        Peek::Null => {
            jiter.known_null()?;
            Shape::Null
        }
        Peek::True | Peek::False => {
            jiter.known_bool(peek)?;
            Shape::Leaf(Leaf::Boolean)
        }
        Peek::String => Shape::Leaf(string_leaf(jiter.known_str()?)),
        // Nested deeper than a table flattens: jsonb, skipped by jiter (which bounds its
        // own recursion), so a document of 100,000 brackets is no deeper a recursion here.
        Peek::Array | Peek::Object if depth >= MAX_DEPTH => {
            jiter.known_skip(peek)?;
            Shape::Json
        }
        Peek::Array => {
            let mut item = Shape::Null;
            let mut next = jiter.known_array()?;
            while next.is_some() {
                item = item.widen(value(jiter, depth + 1)?);
                next = jiter.array_step()?;
            }
            // Only empty arrays, or arrays of nulls, stay Array(Null) until the sample ends.
            Shape::array(item)
        }
        Peek::Object => {
            let mut fields: Vec<(String, Shape)> = Vec::new();
            let mut key = jiter
                .known_object()?
                .map(|k| crate::avro_name(k).into_owned());
            while let Some(k) = key {
                if fields.len() == MAX_OBJECT_KEYS {
                    // A map rather than a record: jsonb, the rest skipped unread.
                    jiter.next_skip()?;
                    while jiter.next_key()?.is_some() {
                        jiter.next_skip()?;
                    }
                    return Ok(Shape::Json);
                }
                let v = value(jiter, depth + 1)?;
                match fields.iter_mut().find(|(have, _)| *have == k) {
                    Some((_, shape)) => *shape = v,
                    None => fields.push((k, v)),
                }
                key = jiter.next_key()?.map(|k| crate::avro_name(k).into_owned());
            }
            Shape::Object(fields)
        }
        _ => Shape::Leaf(number_leaf(jiter.known_number_bytes(peek)?)),
    })
}

/// The leaf a JSON number's text proposes.
fn number_leaf(number: &[u8]) -> Leaf {
    let text = std::str::from_utf8(number).unwrap_or_default();
    if text.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        if text::integer(text).is_some() {
            return Leaf::Integer;
        }
    } else if text::float(text).is_some() {
        return Leaf::Double;
    }
    // Beyond what numeric is read with here (1000 digits each side): text takes it as written.
    if text::numeric(text).is_some() {
        Leaf::Numeric
    } else {
        Leaf::Text
    }
}

/// The leaf a JSON string proposes.
fn string_leaf(s: &str) -> Leaf {
    if s.len() == 10 && text::date_days(s).is_some() {
        Leaf::Date
    } else if s.len() > 10 && text::timestamp_micros(s, true).is_some() {
        if has_offset(s) {
            Leaf::Timestamptz
        } else {
            Leaf::Timestamp
        }
    } else if text::is_uuid(s) {
        Leaf::Uuid
    } else {
        Leaf::Text
    }
}

/// Whether a timestamp's text (past its date) ends with an offset.
fn has_offset(s: &str) -> bool {
    let s = s.trim_matches(' ');
    let time = s.get(10..).unwrap_or_default();
    time.ends_with(['Z', 'z']) || time.contains(['+', '-'])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn infer(docs: &[&str]) -> Shape {
        let (shape, refused) = Shape::infer(docs.iter().map(|d| d.as_bytes()));
        assert_eq!(refused, 0);
        shape
    }

    fn object(fields: &[(&str, Shape)]) -> Shape {
        Shape::Object(
            fields
                .iter()
                .map(|(k, s)| ((*k).to_owned(), s.clone()))
                .collect(),
        )
    }

    #[test]
    fn a_sample_proposes_columns_widened_across_its_documents() {
        use Leaf as L;
        let shape = infer(&[
            r#"{"ts":"2024-05-01T10:00:00Z","device-id":"d1","temp":21,"geo":{"lat":1.5},"tags":["a"],"n":null}"#,
            r#"{"ts":"2024-05-01T10:00:01+02:00","device-id":"d2","temp":21.5,"geo":{"lat":2,"lon":3},"tags":[],"extra":{"deep":{"a":{"b":{"c":{"d":{"e":1}}}}}},"big":123456789012345678901}"#,
        ]);
        assert_eq!(
            shape,
            object(&[
                ("ts", Shape::Leaf(L::Timestamptz)),
                ("device_id", Shape::Leaf(L::Text)),
                ("temp", Shape::Leaf(L::Double)),
                (
                    "geo",
                    object(&[
                        ("lat", Shape::Leaf(L::Double)),
                        ("lon", Shape::Leaf(L::Integer))
                    ])
                ),
                ("tags", Shape::Array(Box::new(Shape::Leaf(L::Text)))),
                ("n", Shape::Null),
                (
                    "extra",
                    object(&[(
                        "deep",
                        object(&[(
                            "a",
                            object(&[("b", object(&[("c", object(&[("d", Shape::Json)]))]))])
                        )])
                    )])
                ),
                ("big", Shape::Leaf(L::Numeric)),
            ])
        );
        assert_eq!(shape.json_paths(), ["n", "extra.deep.a.b.c.d"]);
    }

    #[test]
    fn strings_propose_their_types_only_when_every_one_is_of_it() {
        use Leaf as L;
        assert_eq!(infer(&[r#""2024-05-01""#]), Shape::Leaf(L::Date));
        assert_eq!(
            infer(&[r#""2024-05-01 10:00:00""#]),
            Shape::Leaf(L::Timestamp)
        );
        assert_eq!(
            infer(&[r#""2024-05-01""#, r#""2024-05-01T10:00:00Z""#]),
            Shape::Leaf(L::Timestamptz)
        );
        assert_eq!(
            infer(&[r#""6f1c0a52-1f5e-4c57-9d53-2a4f4c1b2d3e""#]),
            Shape::Leaf(L::Uuid)
        );
        assert_eq!(
            infer(&[r#""6f1c0a52-1f5e-4c57-9d53-2a4f4c1b2d3e""#, r#""x""#]),
            Shape::Leaf(L::Text)
        );
        assert_eq!(infer(&["1", "true"]), Shape::Leaf(L::Text));
        assert_eq!(infer(&["[[1]]"]), Shape::Json);
        assert_eq!(infer(&[r#"[{"a":1}]"#]), Shape::Json);
    }

    #[test]
    fn deep_or_wide_documents_are_jsonb_without_deep_recursion_or_every_key_compared() {
        let deep = format!("{}1{}", "[".repeat(150), "]".repeat(150));
        assert_eq!(infer(&[&deep]), Shape::Json);
        let deeper = format!("{{\"a\":{}1{}}}", "[".repeat(100_000), "]".repeat(100_000));
        // Beyond jiter's own limit: not a document inlet reads, counted, no crash.
        let (_, refused) = Shape::infer([deeper.as_bytes()]);
        assert_eq!(refused, 1);
        let wide: Vec<String> = (0..50_000).map(|i| format!("\"k{i}\":{i}")).collect();
        let wide = format!("{{\"m\":{{{}}}}}", wide.join(","));
        assert_eq!(
            infer(&[&wide]),
            object(&[("m", Shape::Json)]),
            "a map of 50,000 keys"
        );
    }

    #[test]
    fn a_stray_document_that_is_not_an_object_is_left_out_of_objects() {
        let (shape, refused) =
            Shape::infer([&b"{\"a\":1}"[..], b"[1,2,3]", b"{\"b\":\"x\"}", b"null"]);
        assert_eq!(refused, 1, "the array");
        assert_eq!(
            shape,
            object(&[
                ("a", Shape::Leaf(Leaf::Integer)),
                ("b", Shape::Leaf(Leaf::Text))
            ])
        );
        assert_eq!(infer(&["1", "2.5"]), Shape::Leaf(Leaf::Double));
    }

    #[test]
    fn documents_that_are_not_json_are_counted_and_left_out() {
        let docs: [&[u8]; 3] = [b"{\"a\":1}", b"{\"a\":", b"not json"];
        let (shape, refused) = Shape::infer(docs);
        assert_eq!(refused, 2);
        assert_eq!(shape, object(&[("a", Shape::Leaf(Leaf::Integer))]));
    }
}
