//! The shape of documents a JSON Schema describes (Confluent's schemaType `JSON`): the
//! registry's schema read into a [`Shape`], so a JSON Schema topic's documents are read as a
//! plain JSON topic's are, with the schema's types instead of a sample's.

use std::collections::HashMap;

use serde_json::Value;

use crate::{MAX_DEPTH, Shape, avro_name, shape::Leaf};

/// Why a JSON Schema cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// The schema (or a reference's) is not JSON.
    #[error("the JSON Schema is not JSON: {0}")]
    NotJson(String),
    /// A `$ref` names nothing the schema or its references define.
    #[error("$ref {0:?} names nothing the schema or its references define")]
    UnknownRef(String),
}

impl Shape {
    /// The shape of documents of the JSON Schema `schema`, with `references`: (the name a
    /// `$ref` uses for it, its text), as the registry's references give them.
    ///
    /// Read: `type` (a list with `"null"` is the other type, nullable; any other list is
    /// jsonb), `properties` (an object's keys, in name order, as Avro names; an
    /// object without them, a map of `additionalProperties`, is jsonb), `items` (an array),
    /// string `format`s `date-time` (timestamptz), `date`, `time`, `uuid`, `integer`
    /// (bigint), `number` (double precision), `boolean`, `$ref` (`#/$defs/…`,
    /// `#/definitions/…`, a reference's name with an optional `#/…` pointer), `oneOf` and
    /// `anyOf` of one schema and `null` (that schema), `enum` and `const` of strings (text).
    /// Anything else (other unions, `allOf`, no `type`, nesting deeper than
    /// [`MAX_DEPTH`], a recursive `$ref`) is one jsonb value.
    ///
    /// # Errors
    /// [`SchemaError`]: a text that is not JSON, a `$ref` to nothing.
    pub fn from_json_schema(
        schema: &str,
        references: &[(String, String)],
    ) -> Result<Shape, SchemaError> {
        let parse = |text: &str| {
            serde_json::from_str::<Value>(text).map_err(|e| SchemaError::NotJson(e.to_string()))
        };
        let root = parse(schema)?;
        let mut documents = HashMap::new();
        for (name, text) in references {
            documents.insert(name.clone(), parse(text)?);
        }
        let reader = Reader {
            root: &root,
            documents: &documents,
        };
        reader.shape(&root, &root, 0, &mut Vec::new())
    }
}

struct Reader<'a> {
    root: &'a Value,
    documents: &'a HashMap<String, Value>,
}

impl<'a> Reader<'a> {
    /// The shape of `node`, a part of the document `doc`, `depth` objects deep; `seen`: the
    /// `$ref`s being followed (one met again is recursion).
    fn shape(
        &self,
        doc: &'a Value,
        node: &'a Value,
        depth: usize,
        seen: &mut Vec<String>,
    ) -> Result<Shape, SchemaError> {
        let Some(object) = node.as_object() else {
            // `true` (anything) or `false` (nothing).
            return Ok(Shape::Json);
        };
        if let Some(Value::String(reference)) = object.get("$ref") {
            if seen.contains(reference) {
                return Ok(Shape::Json);
            }
            let (target_doc, target) = self.resolve(doc, reference)?;
            seen.push(reference.clone());
            let shape = self.shape(target_doc, target, depth, seen);
            seen.pop();
            return shape;
        }
        for union in ["oneOf", "anyOf"] {
            if let Some(Value::Array(branches)) = object.get(union) {
                let others: Vec<&Value> = branches.iter().filter(|b| !is_null(b)).collect();
                return match others.as_slice() {
                    [one] => self.shape(doc, one, depth, seen),
                    _ => Ok(Shape::Json),
                };
            }
        }
        if let Some(Value::Array(values)) = object.get("enum") {
            return Ok(if values.iter().all(|v| v.is_string() || v.is_null()) {
                Shape::Leaf(Leaf::Text)
            } else {
                Shape::Json
            });
        }
        if let Some(value) = object.get("const") {
            return Ok(if value.is_string() {
                Shape::Leaf(Leaf::Text)
            } else {
                Shape::Json
            });
        }
        let kind = match object.get("type") {
            Some(Value::String(kind)) => kind.as_str(),
            Some(Value::Array(kinds)) => {
                let others: Vec<&str> = kinds
                    .iter()
                    .filter_map(Value::as_str)
                    .filter(|k| *k != "null")
                    .collect();
                match others.as_slice() {
                    [one] => one,
                    [] => "null",
                    _ => return Ok(Shape::Json),
                }
            }
            _ => return Ok(Shape::Json),
        };
        Ok(match kind {
            "null" => Shape::Null,
            "boolean" => Shape::Leaf(Leaf::Boolean),
            "integer" => Shape::Leaf(Leaf::Integer),
            "number" => Shape::Leaf(Leaf::Double),
            "string" => Shape::Leaf(match object.get("format").and_then(Value::as_str) {
                Some("date-time") => Leaf::Timestamptz,
                Some("date") => Leaf::Date,
                Some("time") => Leaf::Time,
                Some("uuid") => Leaf::Uuid,
                _ => Leaf::Text,
            }),
            "array" => match object.get("items") {
                Some(items) => match self.shape(doc, items, depth + 1, seen)? {
                    // Arrays of objects or arrays are jsonb, as a sample's are.
                    Shape::Object(_) | Shape::Array(_) | Shape::Json | Shape::Null => Shape::Json,
                    item => Shape::Array(Box::new(item)),
                },
                None => Shape::Json,
            },
            "object" => match object.get("properties") {
                Some(Value::Object(properties)) if depth < MAX_DEPTH && !properties.is_empty() => {
                    let mut fields: Vec<(String, Shape)> = Vec::with_capacity(properties.len());
                    for (key, property) in properties {
                        let name = avro_name(key).into_owned();
                        // Two properties of one Avro name are one field (the first kept).
                        if fields.iter().any(|(n, _)| *n == name) {
                            continue;
                        }
                        fields.push((name, self.shape(doc, property, depth + 1, seen)?));
                    }
                    Shape::Object(fields)
                }
                _ => Shape::Json,
            },
            _ => Shape::Json,
        })
    }

    /// The document and node `reference` names from `doc`: `#/…` within it, `name` or
    /// `name#/…` in a reference.
    fn resolve(
        &self,
        doc: &'a Value,
        reference: &str,
    ) -> Result<(&'a Value, &'a Value), SchemaError> {
        let unknown = || SchemaError::UnknownRef(reference.to_owned());
        let (name, pointer) = reference.split_once('#').unwrap_or((reference, ""));
        let target_doc = if name.is_empty() {
            if std::ptr::eq(doc, self.root) {
                self.root
            } else {
                doc
            }
        } else {
            self.documents.get(name).ok_or_else(unknown)?
        };
        let node = if pointer.is_empty() {
            target_doc
        } else {
            target_doc.pointer(pointer).ok_or_else(unknown)?
        };
        Ok((target_doc, node))
    }
}

fn is_null(schema: &Value) -> bool {
    schema.get("type").and_then(Value::as_str) == Some("null")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(schema: &str) -> Shape {
        Shape::from_json_schema(schema, &[]).unwrap()
    }

    #[test]
    fn types_formats_refs_and_nullable_forms() {
        let s = shape(
            r##"{"type":"object","properties":{
                "id":{"type":"integer"},
                "at":{"type":"string","format":"date-time"},
                "day":{"type":["string","null"],"format":"date"},
                "price":{"type":"number"},
                "ok":{"oneOf":[{"type":"null"},{"type":"boolean"}]},
                "user-id":{"type":"string","format":"uuid"},
                "geo":{"$ref":"#/$defs/Geo"},
                "tags":{"type":"array","items":{"type":"string"}},
                "attrs":{"type":"object","additionalProperties":{"type":"string"}},
                "either":{"type":["string","integer"]},
                "kind":{"enum":["a","b"]}
            },"$defs":{"Geo":{"type":"object","properties":{"lat":{"type":"number"}}}}}"##,
        );
        let leaf = Shape::Leaf;
        assert_eq!(
            s,
            Shape::Object(vec![
                ("at".into(), leaf(Leaf::Timestamptz)),
                ("attrs".into(), Shape::Json),
                ("day".into(), leaf(Leaf::Date)),
                ("either".into(), Shape::Json),
                (
                    "geo".into(),
                    Shape::Object(vec![("lat".into(), leaf(Leaf::Double))])
                ),
                ("id".into(), leaf(Leaf::Integer)),
                ("kind".into(), leaf(Leaf::Text)),
                ("ok".into(), leaf(Leaf::Boolean)),
                ("price".into(), leaf(Leaf::Double)),
                ("tags".into(), Shape::Array(Box::new(leaf(Leaf::Text)))),
                ("user_id".into(), leaf(Leaf::Uuid)),
            ])
        );
    }

    #[test]
    fn recursion_references_and_bad_refs() {
        let tree =
            r##"{"type":"object","properties":{"label":{"type":"string"},"child":{"$ref":"#"}}}"##;
        let Shape::Object(fields) = shape(tree) else {
            panic!("an object")
        };
        assert_eq!(
            fields[0].1,
            Shape::Object(vec![
                ("child".into(), Shape::Json),
                ("label".into(), Shape::Leaf(Leaf::Text)),
            ])
        );
        let other = (
            "address.json".to_owned(),
            r#"{"type":"object","properties":{"city":{"type":"string"}}}"#.to_owned(),
        );
        let s = Shape::from_json_schema(
            r#"{"type":"object","properties":{"home":{"$ref":"address.json"}}}"#,
            &[other],
        )
        .unwrap();
        assert_eq!(
            s,
            Shape::Object(vec![(
                "home".into(),
                Shape::Object(vec![("city".into(), Shape::Leaf(Leaf::Text))])
            )])
        );
        assert_eq!(
            Shape::from_json_schema(r##"{"$ref":"#/$defs/Nope"}"##, &[]),
            Err(SchemaError::UnknownRef("#/$defs/Nope".into()))
        );
        assert!(matches!(
            Shape::from_json_schema("{", &[]),
            Err(SchemaError::NotJson(_))
        ));
    }
}
