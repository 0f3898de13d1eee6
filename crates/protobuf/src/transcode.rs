//! A message's bytes as the Avro binary of the schema inlet made for its message.

use std::borrow::Cow;

use inlet_avro::{WriterSchema, write_long};
use prost_reflect::{
    DynamicMessage, MapKey, MessageDescriptor, ReflectMessage as _, SerializeOptions, Value,
};

use crate::ProtoError;
use crate::layout::{Layout, Node};

/// How a message's records are read: the Avro writer schema inlet made for the message,
/// and the transcoder of its bytes into that schema's binary.
#[derive(Debug)]
pub struct ProtoReading {
    layout: Layout,
    avro: String,
    writer: WriterSchema,
}

impl ProtoReading {
    /// The reading of `message`'s records.
    ///
    /// # Errors
    /// The Avro schema inlet made does not parse: a bug, said as such by the caller.
    pub fn new(message: &MessageDescriptor) -> Result<Self, inlet_avro::PlanError> {
        let layout = Layout::of(message);
        let avro = layout.avro_schema();
        let writer = WriterSchema::parse(&avro, &[])?;
        Ok(ProtoReading {
            layout,
            avro,
            writer,
        })
    }

    /// The message's full name (`acme.Order`).
    pub fn message_name(&self) -> &str {
        self.layout.messages[0].descriptor.full_name()
    }

    /// The Avro schema (JSON text) records are transcoded into.
    pub fn avro_schema(&self) -> &str {
        &self.avro
    }

    /// [`avro_schema`](Self::avro_schema), parsed.
    pub fn writer(&self) -> &WriterSchema {
        &self.writer
    }

    /// Appends `message` (the bytes after a frame's message indexes) to `out` as the Avro
    /// binary of [`writer`](Self::writer).
    ///
    /// # Errors
    /// [`ProtoError::Decode`] for bytes that are not the message; [`ProtoError::Value`] for
    /// a value no column takes (a `uint64` above bigint's range, a `Timestamp` whose nanos
    /// are outside 0..=999,999,999). `out` then holds part of the record: the caller
    /// truncates it.
    pub fn transcode(&self, message: &[u8], out: &mut Vec<u8>) -> Result<(), ProtoError> {
        let root = &self.layout.messages[0].descriptor;
        let decoded =
            DynamicMessage::decode(root.clone(), message).map_err(|e| ProtoError::Decode {
                message: root.full_name().to_owned(),
                reason: e.to_string(),
            })?;
        self.message(0, &decoded, out)
    }

    fn message(&self, i: usize, m: &DynamicMessage, out: &mut Vec<u8>) -> Result<(), ProtoError> {
        for field in &self.layout.messages[i].fields {
            let value = m.get_field(&field.descriptor);
            if field.nullable {
                // A closed enum's number it does not define leaves the field unset, as
                // the official parsers read it (they keep it among the unknown fields).
                if !m.has_field(&field.descriptor) || unknown_of_closed(&field.node, &value) {
                    write_long(0, out);
                    continue;
                }
                write_long(1, out);
            }
            self.value(&field.node, &value, out)
                .map_err(|e| e.within(field.descriptor.name()))?;
        }
        Ok(())
    }

    fn value(&self, node: &Node, value: &Value, out: &mut Vec<u8>) -> Result<(), ProtoError> {
        match (node, value) {
            (Node::Bool, Value::Bool(b)) => out.push(u8::from(*b)),
            (Node::Int, Value::I32(v)) => write_long(i64::from(*v), out),
            (Node::Long, Value::I64(v)) => write_long(*v, out),
            (Node::Long, Value::U32(v)) => write_long(i64::from(*v), out),
            (Node::UnsignedLong, Value::U64(v)) => {
                let v = i64::try_from(*v).map_err(|_| {
                    value_error(format!(
                        "{v} is above bigint's range (a uint64 goes into bigint, whose largest value is 9223372036854775807)"
                    ))
                })?;
                write_long(v, out);
            }
            (Node::Float, Value::F32(v)) => out.extend_from_slice(&v.to_le_bytes()),
            (Node::Double, Value::F64(v)) => out.extend_from_slice(&v.to_le_bytes()),
            (Node::String, Value::String(s)) => bytes(s.as_bytes(), out),
            (Node::Bytes, Value::Bytes(b)) => bytes(b, out),
            (Node::Enum(e), Value::EnumNumber(n)) => match e.get_value(*n) {
                Some(v) => bytes(v.name().as_bytes(), out),
                None => bytes(n.to_string().as_bytes(), out),
            },
            (Node::Timestamp, Value::Message(m)) => write_long(timestamp_micros(m)?, out),
            (Node::Json, Value::Message(m)) => bytes(json_text(m)?.as_bytes(), out),
            // Its JSON form is a string (`"1.500s"`): its characters.
            (Node::Duration, Value::Message(m)) => {
                let text = json_text(m)?;
                let text = serde_json::from_str::<String>(&text).unwrap_or(text);
                bytes(text.as_bytes(), out);
            }
            (Node::JsonList, Value::List(items)) => {
                let items = items
                    .iter()
                    .map(|item| match item {
                        Value::Message(m) => json_value(m),
                        other => Err(value_error(format!("a list item {other:?} (a bug)"))),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                bytes(serde_json::Value::Array(items).to_string().as_bytes(), out);
            }
            (Node::JsonMap, Value::Map(map)) => {
                let mut object = serde_json::Map::new();
                for (key, value) in map {
                    let Value::Message(m) = value else {
                        return Err(value_error(format!("a map value {value:?} (a bug)")));
                    };
                    object.insert(key_text(key), json_value(m)?);
                }
                bytes(
                    serde_json::Value::Object(object).to_string().as_bytes(),
                    out,
                );
            }
            (Node::Wrapper(inner), Value::Message(m)) => {
                let value = m
                    .get_field_by_number(1)
                    .unwrap_or(Cow::Owned(Value::Bool(false)));
                self.value(inner, &value, out)?;
            }
            (Node::Message(i), Value::Message(m)) => self.message(*i, m, out)?,
            (Node::List(item), Value::List(items)) => {
                // A closed enum's numbers it does not define are left out of the list.
                let kept = items.iter().filter(|v| !unknown_of_closed(item, v));
                let count = kept.clone().count();
                if count > 0 {
                    write_long(count as i64, out);
                    for value in kept {
                        self.value(item, value, out)?;
                    }
                }
                write_long(0, out);
            }
            (Node::Map(values), Value::Map(map)) => {
                if !map.is_empty() {
                    write_long(map.len() as i64, out);
                    // In key order: the same message is the same bytes.
                    let mut entries: Vec<(&MapKey, &Value)> = map.iter().collect();
                    entries.sort_by(|a, b| a.0.cmp(b.0));
                    for (key, value) in entries {
                        bytes(key_text(key).as_bytes(), out);
                        self.value(values, value, out)
                            .map_err(|e| e.within(&key_text(key)))?;
                    }
                }
                write_long(0, out);
            }
            (node, value) => {
                return Err(value_error(format!(
                    "the decoder gave {value:?} where the layout has {node:?} (a bug)"
                )));
            }
        }
        Ok(())
    }
}

impl ProtoError {
    /// This error, at a field of `name` of the message it was met in.
    fn within(self, name: &str) -> Self {
        match self {
            ProtoError::Value { path, reason } => ProtoError::Value {
                path: if path.is_empty() {
                    name.to_owned()
                } else {
                    format!("{name}.{path}")
                },
                reason,
            },
            other => other,
        }
    }
}

fn value_error(reason: String) -> ProtoError {
    ProtoError::Value {
        path: String::new(),
        reason,
    }
}

fn bytes(b: &[u8], out: &mut Vec<u8>) {
    write_long(b.len() as i64, out);
    out.extend_from_slice(b);
}

/// How deep `Any`s may hold `Any`s (or messages holding them) when a value is written as
/// JSON: prost-reflect decodes an `Any`'s bytes as it serializes it, each with a fresh
/// recursion limit, so the depth is checked here first.
const MAX_ANY_DEPTH: usize = 16;

/// Refuses `m` when `Any`s nest in it more than [`MAX_ANY_DEPTH`] deep; `depth`: the `Any`s
/// around it.
pub(crate) fn any_depth(m: &DynamicMessage, depth: usize) -> Result<(), ProtoError> {
    let descriptor = m.descriptor();
    if descriptor.full_name() == "google.protobuf.Any" {
        if depth >= MAX_ANY_DEPTH {
            return Err(value_error(format!(
                "Anys nest more than {MAX_ANY_DEPTH} deep"
            )));
        }
        let url = match m.get_field_by_number(1).as_deref() {
            Some(Value::String(s)) => s.clone(),
            _ => return Ok(()),
        };
        let name = url.rsplit('/').next().unwrap_or_default();
        let value = m.get_field_by_number(2);
        let (Some(inner), Some(Value::Bytes(bytes))) = (
            descriptor.parent_pool().get_message_by_name(name),
            value.as_deref(),
        ) else {
            return Ok(());
        };
        // Bytes that do not decode are the serializer's to refuse.
        return match DynamicMessage::decode(inner, bytes.clone()) {
            Ok(inner) => any_depth(&inner, depth + 1),
            Err(_) => Ok(()),
        };
    }
    for (_, value) in m.fields() {
        let mut values = vec![value];
        while let Some(value) = values.pop() {
            match value {
                Value::Message(inner) => any_depth(inner, depth)?,
                Value::List(items) => values.extend(items),
                Value::Map(map) => values.extend(map.values()),
                _ => {}
            }
        }
    }
    Ok(())
}

/// Whether `value` is a number its proto2 (closed) enum `node` does not define.
fn unknown_of_closed(node: &Node, value: &Value) -> bool {
    match (node, value) {
        (Node::Enum(e), Value::EnumNumber(n)) => {
            e.get_value(*n).is_none() && e.parent_file().syntax() == prost_reflect::Syntax::Proto2
        }
        _ => false,
    }
}

/// A map key as text, as Protobuf's JSON mapping writes it.
fn key_text(key: &MapKey) -> String {
    match key {
        MapKey::Bool(b) => b.to_string(),
        MapKey::I32(v) => v.to_string(),
        MapKey::I64(v) => v.to_string(),
        MapKey::U32(v) => v.to_string(),
        MapKey::U64(v) => v.to_string(),
        MapKey::String(s) => s.clone(),
    }
}

/// A `google.protobuf.Timestamp` in microseconds since the epoch, its nanos rounded as
/// PostgreSQL rounds the fraction of the timestamp's text (to the nearest microsecond, a
/// tie to even, reading the fraction as a double as its input function does).
fn timestamp_micros(m: &DynamicMessage) -> Result<i64, ProtoError> {
    let seconds = match m.get_field_by_number(1).as_deref() {
        Some(Value::I64(s)) => *s,
        _ => 0,
    };
    let nanos = match m.get_field_by_number(2).as_deref() {
        Some(Value::I32(n)) => *n,
        _ => 0,
    };
    if !(0..=999_999_999).contains(&nanos) {
        return Err(value_error(format!(
            "a Timestamp's nanos must be 0 to 999999999, this one's are {nanos}"
        )));
    }
    let fraction: f64 = format!("0.{nanos:09}").parse().unwrap_or(0.0);
    let micros = (fraction * 1e6).round_ties_even() as i64;
    seconds
        .checked_mul(1_000_000)
        .and_then(|s| s.checked_add(micros))
        .ok_or_else(|| {
            value_error(format!(
                "a Timestamp {seconds} seconds from 1970 is beyond timestamptz's range"
            ))
        })
}

/// [`json_text`], parsed.
fn json_value(m: &DynamicMessage) -> Result<serde_json::Value, ProtoError> {
    serde_json::from_str(&json_text(m)?)
        .map_err(|e| value_error(format!("its JSON does not parse (a bug): {e}")))
}

/// A message's canonical JSON (Protobuf's JSON mapping); an `Any` whose type the schema
/// does not define is `{"@type": url, "value": base64}`.
///
/// # Errors
/// A value the JSON mapping has no form for (a `Value` of NaN, a `Duration` out of its
/// range): the record is refused rather than stored as something else.
fn json_text(m: &DynamicMessage) -> Result<String, ProtoError> {
    any_depth(m, 0)?;
    let mut serializer = serde_json::Serializer::new(Vec::new());
    let options = SerializeOptions::new();
    let serialized = m.serialize_with_options(&mut serializer, &options);
    match serialized {
        Ok(()) => {
            return String::from_utf8(serializer.into_inner())
                .map_err(|e| value_error(format!("its JSON is not UTF-8 (a bug): {e}")));
        }
        Err(e) if m.descriptor().full_name() != "google.protobuf.Any" => {
            return Err(value_error(format!(
                "a {} that Protobuf's JSON mapping cannot write: {e}",
                m.descriptor().full_name()
            )));
        }
        Err(_) => {}
    }
    let url = match m.get_field_by_number(1).as_deref() {
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    let value = match m.get_field_by_number(2).as_deref() {
        Some(Value::Bytes(b)) => {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.encode(b)
        }
        _ => String::new(),
    };
    Ok(serde_json::json!({"@type": url, "value": value}).to_string())
}
