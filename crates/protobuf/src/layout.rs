//! What each field of a message becomes in the Avro schema inlet makes for it: one tree,
//! walked both to write the schema and to transcode messages, so the two cannot disagree.

use std::collections::HashMap;

use prost_reflect::{EnumDescriptor, FieldDescriptor, Kind, MessageDescriptor};
use serde_json::{Value as Json, json};

/// A value's Avro form.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// `boolean`
    Bool,
    /// `int`: int32, sint32, sfixed32.
    Int,
    /// `long`: int64, sint64, sfixed64, uint32, fixed32.
    Long,
    /// `long`, refusing values above i64::MAX: uint64, fixed64.
    UnsignedLong,
    /// `float`
    Float,
    /// `double`
    Double,
    /// `string`
    String,
    /// `bytes`
    Bytes,
    /// `string`: the value's name, or the number of one the enum does not define.
    Enum(EnumDescriptor),
    /// `google.protobuf.Timestamp`: a timestamp-micros.
    Timestamp,
    /// `google.protobuf.Duration`: its JSON text (`"1.500s"`), a string.
    Duration,
    /// A wrapper (`google.protobuf.Int64Value`...): its field 1's value.
    Wrapper(Box<Node>),
    /// A message kept as its canonical JSON text (Struct, Value, ListValue, Any, FieldMask,
    /// Empty), or one nested deeper than [`MAX_MESSAGE_DEPTH`]: a string marked as JSON,
    /// proposed as jsonb.
    Json,
    /// `repeated` of [`Node::Json`] messages: one JSON array, marked as JSON.
    JsonList,
    /// `map<K, V>` of [`Node::Json`] messages: one JSON object, marked as JSON.
    JsonMap,
    /// A message: the record at this index of [`Layout::messages`].
    Message(usize),
    /// `repeated`: an array.
    List(Box<Node>),
    /// `map<K, V>`: a map of V by K's text.
    Map(Box<Node>),
}

/// How deep messages nest in a layout before a message is one JSON value (a chain of
/// message types as long as a registry answer can hold must not exhaust the stack, and
/// the Avro schema's JSON must stay within its parser's depth).
pub(crate) const MAX_MESSAGE_DEPTH: usize = 24;

/// A message's fields, in declaration order (the record's field order).
#[derive(Debug)]
pub(crate) struct MessageLayout {
    pub(crate) descriptor: MessageDescriptor,
    pub(crate) fields: Vec<FieldLayout>,
}

/// A field: its descriptor, Avro form, and whether it is `["null", T]` (it has presence).
#[derive(Debug)]
pub(crate) struct FieldLayout {
    pub(crate) descriptor: FieldDescriptor,
    pub(crate) node: Node,
    pub(crate) nullable: bool,
}

/// Every message reachable from a root, each laid out once (recursive messages refer to
/// their record by name).
#[derive(Debug)]
pub(crate) struct Layout {
    pub(crate) messages: Vec<MessageLayout>,
}

impl Layout {
    /// The layout of `root` (at index 0) and every message its fields reach.
    pub(crate) fn of(root: &MessageDescriptor) -> Layout {
        let mut layout = Layout {
            messages: Vec::new(),
        };
        let mut index = HashMap::new();
        layout.message(root, &mut index, 0);
        layout
    }

    fn message(
        &mut self,
        m: &MessageDescriptor,
        index: &mut HashMap<String, usize>,
        depth: usize,
    ) -> usize {
        if let Some(&i) = index.get(m.full_name()) {
            return i;
        }
        let i = self.messages.len();
        index.insert(m.full_name().to_owned(), i);
        self.messages.push(MessageLayout {
            descriptor: m.clone(),
            fields: Vec::new(),
        });
        let fields = m
            .fields()
            .map(|f| {
                let node = match f.kind() {
                    // A map field's kind is its entry message (key = 1, value = 2).
                    Kind::Message(entry) if f.is_map() => {
                        match self.single(&entry.map_entry_value_field().kind(), index, depth) {
                            Node::Json => Node::JsonMap,
                            value => Node::Map(Box::new(value)),
                        }
                    }
                    _ => self.single(&f.kind(), index, depth),
                };
                let node = match node {
                    Node::Json if f.is_list() => Node::JsonList,
                    node if f.is_list() => Node::List(Box::new(node)),
                    node => node,
                };
                FieldLayout {
                    nullable: !f.is_list() && !f.is_map() && f.supports_presence(),
                    descriptor: f,
                    node,
                }
            })
            .collect();
        self.messages[i].fields = fields;
        i
    }

    /// The form of one value of `kind` (not a list or map).
    fn single(&mut self, kind: &Kind, index: &mut HashMap<String, usize>, depth: usize) -> Node {
        match kind {
            Kind::Bool => Node::Bool,
            Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 => Node::Int,
            Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 | Kind::Uint32 | Kind::Fixed32 => {
                Node::Long
            }
            Kind::Uint64 | Kind::Fixed64 => Node::UnsignedLong,
            Kind::Float => Node::Float,
            Kind::Double => Node::Double,
            Kind::String => Node::String,
            Kind::Bytes => Node::Bytes,
            Kind::Enum(e) => Node::Enum(e.clone()),
            Kind::Message(m) => match m.full_name() {
                "google.protobuf.Timestamp" => Node::Timestamp,
                "google.protobuf.Duration" => Node::Duration,
                "google.protobuf.Struct"
                | "google.protobuf.Value"
                | "google.protobuf.ListValue"
                | "google.protobuf.Any"
                | "google.protobuf.FieldMask"
                | "google.protobuf.Empty" => Node::Json,
                "google.protobuf.DoubleValue"
                | "google.protobuf.FloatValue"
                | "google.protobuf.Int64Value"
                | "google.protobuf.UInt64Value"
                | "google.protobuf.Int32Value"
                | "google.protobuf.UInt32Value"
                | "google.protobuf.BoolValue"
                | "google.protobuf.StringValue"
                | "google.protobuf.BytesValue"
                    // A wrapper wraps a scalar: one a schema defines otherwise (wrapping
                    // itself, say) is a message like any other.
                    if m.get_field(1).is_some_and(|v| !matches!(v.kind(), Kind::Message(_))) =>
                {
                    match m.get_field(1) {
                        Some(value) => {
                            Node::Wrapper(Box::new(self.single(&value.kind(), index, depth)))
                        }
                        None => Node::Json,
                    }
                }
                _ if depth >= MAX_MESSAGE_DEPTH => Node::Json,
                _ => Node::Message(self.message(m, index, depth + 1)),
            },
        }
    }

    /// The Avro schema (JSON text) of the root message's records.
    pub(crate) fn avro_schema(&self) -> String {
        let mut defined = vec![false; self.messages.len()];
        self.record(0, &mut defined).to_string()
    }

    fn record(&self, i: usize, defined: &mut [bool]) -> Json {
        let m = &self.messages[i];
        // Every record in a namespace of its own (`pb.` and the message's full name's
        // parents): a package-less message is never taken for one of its enclosing
        // record's namespace, and a reference by full name names it alone.
        let full = format!("pb.{}", m.descriptor.full_name());
        if defined[i] {
            return json!(full);
        }
        defined[i] = true;
        let fields: Vec<Json> = m
            .fields
            .iter()
            .map(|f| {
                let avro = self.avro(&f.node, defined);
                let mut field = if f.nullable {
                    json!({"name": f.descriptor.name(), "type": ["null", avro], "default": null})
                } else {
                    json!({"name": f.descriptor.name(), "type": avro})
                };
                if matches!(f.node, Node::Json | Node::JsonList | Node::JsonMap) {
                    field[inlet_avro::JSON_FIELD] = json!(true);
                }
                field
            })
            .collect();
        let (namespace, name) = full.rsplit_once('.').unwrap_or(("pb", &full));
        json!({"type": "record", "name": name, "namespace": namespace, "fields": fields})
    }

    fn avro(&self, node: &Node, defined: &mut [bool]) -> Json {
        match node {
            Node::Bool => json!("boolean"),
            Node::Int => json!("int"),
            Node::Long | Node::UnsignedLong => json!("long"),
            Node::Float => json!("float"),
            Node::Double => json!("double"),
            Node::String
            | Node::Enum(_)
            | Node::Duration
            | Node::Json
            | Node::JsonList
            | Node::JsonMap => json!("string"),
            Node::Bytes => json!("bytes"),
            Node::Timestamp => json!({"type": "long", "logicalType": "timestamp-micros"}),
            Node::Wrapper(inner) => self.avro(inner, defined),
            Node::Message(i) => self.record(*i, defined),
            Node::List(item) => json!({"type": "array", "items": self.avro(item, defined)}),
            Node::Map(value) => json!({"type": "map", "values": self.avro(value, defined)}),
        }
    }
}
