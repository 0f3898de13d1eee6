//! A registry's Protobuf schema compiled into descriptors, and the message a record's
//! message indexes name in it.

use std::collections::HashMap;

use base64::Engine as _;
use prost::Message as _;
use prost_reflect::{DescriptorPool, FileDescriptor, MessageDescriptor};
use protox::file::{ChainFileResolver, File, FileResolver, GoogleFileResolver};

use crate::ProtoError;

/// The file name the root schema is compiled under when it is `.proto` text (the registry
/// names imports, not the root).
const ROOT_FILE: &str = "inlet-registered-schema.proto";

/// A compiled Protobuf schema: its file's descriptors, with every file it imports.
#[derive(Debug, Clone)]
pub struct ProtoSchema {
    file: FileDescriptor,
}

/// The schema and its imports by file name, each `.proto` text or a serialized
/// `FileDescriptorProto`; then protox's own copies of the well-known types.
struct Files(HashMap<String, File>);

impl FileResolver for Files {
    fn open_file(&self, name: &str) -> Result<File, protox::Error> {
        self.0
            .get(name)
            .cloned()
            .ok_or_else(|| protox::Error::file_not_found(name))
    }
}

impl ProtoSchema {
    /// Compiles `schema` with `imports`: (file name as the schema imports it, its text),
    /// as the registry's references give them. Each text is a `.proto` file, or the base64
    /// of a serialized `FileDescriptorProto` (what Confluent's Python serializer registers).
    /// The well-known types (`google/protobuf/timestamp.proto`, ...) need no reference.
    ///
    /// # Errors
    /// [`ProtoError::Schema`] with protox's words: a syntax error, an import not given, a
    /// type not defined.
    pub fn compile(schema: &str, imports: &[(String, String)]) -> Result<Self, ProtoError> {
        let mut files = HashMap::new();
        for (name, text) in imports {
            files.insert(name.clone(), file(name, text)?);
        }
        let root = file(ROOT_FILE, schema)?;
        let root_name = root.name().to_owned();
        files.insert(root_name.clone(), root);
        let mut resolver = ChainFileResolver::new();
        resolver.add(Files(files));
        resolver.add(GoogleFileResolver::new());
        let mut compiler = protox::Compiler::with_file_resolver(resolver);
        compiler.include_imports(true);
        compiler
            .open_file(&root_name)
            .map_err(|e| ProtoError::Schema(e.to_string()))?;
        let pool: DescriptorPool = compiler.descriptor_pool();
        let file = pool
            .get_file_by_name(&root_name)
            .ok_or_else(|| ProtoError::Schema(format!("{root_name} was not compiled")))?;
        check_map_entries(&pool)?;
        Ok(ProtoSchema { file })
    }

    /// The message `indexes` names: the file's top-level message at the first index, then
    /// nested messages at the others (`[0]` is the first message of the file).
    ///
    /// # Errors
    /// [`ProtoError::NoMessage`], listing the file's top-level messages.
    pub fn message(&self, indexes: &[i32]) -> Result<MessageDescriptor, ProtoError> {
        let missing = || ProtoError::NoMessage {
            indexes: indexes.to_vec(),
            messages: self.listing(),
        };
        let mut found: Option<MessageDescriptor> = None;
        for index in indexes {
            let index = usize::try_from(*index).map_err(|_| missing())?;
            let next = match &found {
                None => self.file.messages().nth(index),
                Some(parent) => parent.child_messages().nth(index),
            };
            found = Some(next.ok_or_else(missing)?);
        }
        found.ok_or_else(missing)
    }

    /// How records of the message `indexes` names are read.
    ///
    /// # Errors
    /// [`ProtoError::NoMessage`]; [`ProtoError::Schema`] if the Avro schema inlet makes of
    /// the message does not parse (a bug, said as one).
    pub fn reading(&self, indexes: &[i32]) -> Result<crate::ProtoReading, ProtoError> {
        let message = self.message(indexes)?;
        crate::ProtoReading::new(&message).map_err(|e| {
            ProtoError::Schema(format!(
                "the Avro schema inlet makes of message {} does not parse (a bug): {e}",
                message.full_name()
            ))
        })
    }

    /// The reading of [`main_message`](Self::main_message)'s records.
    ///
    /// # Errors
    /// As [`reading`](Self::reading); [`ProtoError::Schema`] when the file defines no
    /// message.
    pub fn main_reading(&self) -> Result<crate::ProtoReading, ProtoError> {
        let main = self
            .main_message()
            .ok_or_else(|| ProtoError::Schema("the file defines no message".into()))?;
        self.reading(&main)
    }

    /// A message of `indexes` as its canonical JSON (Protobuf's JSON mapping), as the
    /// official implementations print it: what `inlet peek` shows.
    ///
    /// # Errors
    /// [`ProtoError::NoMessage`]; [`ProtoError::Decode`] for bytes that are not the message.
    pub fn message_json(&self, indexes: &[i32], bytes: &[u8]) -> Result<String, ProtoError> {
        let message = self.message(indexes)?;
        let decoded =
            prost_reflect::DynamicMessage::decode(message.clone(), bytes).map_err(|e| {
                ProtoError::Decode {
                    message: message.full_name().to_owned(),
                    reason: e.to_string(),
                }
            })?;
        crate::transcode::any_depth(&decoded, 0)?;
        let mut out = serde_json::Serializer::new(Vec::new());
        decoded
            .serialize_with_options(&mut out, &prost_reflect::SerializeOptions::new())
            .map_err(|e| ProtoError::Decode {
                message: message.full_name().to_owned(),
                reason: e.to_string(),
            })?;
        Ok(String::from_utf8_lossy(&out.into_inner()).into_owned())
    }

    /// The message a table is proposed for before a record names one: the first top-level
    /// message that no other message of the file has as a field's type (the file's
    /// "record", where helper messages come before or after it); the first one when each
    /// is some other's field. None when the file defines no message.
    pub fn main_message(&self) -> Option<Vec<i32>> {
        // Every message type a field of the file has: of its messages, nested ones and map
        // entries (whose value field names the map's values) included.
        let mut used = std::collections::HashSet::new();
        let mut stack: Vec<MessageDescriptor> = self.file.messages().collect();
        while let Some(m) = stack.pop() {
            for f in m.fields() {
                if let prost_reflect::Kind::Message(t) = f.kind()
                    && t.full_name() != m.full_name()
                {
                    used.insert(t.full_name().to_owned());
                }
            }
            stack.extend(m.child_messages());
        }
        let messages: Vec<MessageDescriptor> = self.file.messages().collect();
        let index = messages
            .iter()
            .position(|m| !used.contains(m.full_name()))
            .or((!messages.is_empty()).then_some(0))?;
        Some(vec![i32::try_from(index).ok()?])
    }

    /// The message indexes of the message whose full name is `name` (`acme.Order`,
    /// `acme.Order.Line`), top-level or nested; None when the file defines no such message.
    pub fn indexes_of(&self, name: &str) -> Option<Vec<i32>> {
        fn find(messages: Vec<MessageDescriptor>, name: &str, path: &mut Vec<i32>) -> bool {
            for (i, m) in messages.into_iter().enumerate() {
                path.push(i32::try_from(i).unwrap_or(i32::MAX));
                if m.full_name() == name || find(m.child_messages().collect(), name, path) {
                    return true;
                }
                path.pop();
            }
            false
        }
        let mut path = Vec::new();
        find(self.file.messages().collect(), name, &mut path).then_some(path)
    }

    /// The file's top-level messages with their indexes, for errors: `[0] acme.Order, [1]
    /// acme.Line`.
    pub fn listing(&self) -> String {
        let names: Vec<String> = self
            .file
            .messages()
            .enumerate()
            .map(|(i, m)| format!("[{i}] {}", m.full_name()))
            .collect();
        if names.is_empty() {
            "none".into()
        } else {
            names.join(", ")
        }
    }
}

/// Refuses a map entry message (`option map_entry = true`, which protoc allows only for the
/// entries it makes of `map<K, V>`) without an integral, bool or string key field 1 and a
/// value field 2: prost-reflect's decoder assumes both.
fn check_map_entries(pool: &DescriptorPool) -> Result<(), ProtoError> {
    use prost_reflect::Kind as K;
    for m in pool.all_messages().filter(MessageDescriptor::is_map_entry) {
        let key = m.get_field(1).map(|f| f.kind());
        let key_ok = matches!(
            key,
            Some(
                K::Int32
                    | K::Int64
                    | K::Uint32
                    | K::Uint64
                    | K::Sint32
                    | K::Sint64
                    | K::Fixed32
                    | K::Fixed64
                    | K::Sfixed32
                    | K::Sfixed64
                    | K::Bool
                    | K::String
            )
        );
        if !key_ok || m.get_field(2).is_none() || m.fields().len() != 2 {
            return Err(ProtoError::Schema(format!(
                "message {} is a map entry (option map_entry) but not one of key = 1 (an integer, bool or string) and value = 2",
                m.full_name()
            )));
        }
    }
    Ok(())
}

/// A file of the schema: `.proto` text, or the base64 of a `FileDescriptorProto` (then
/// named as the descriptor names itself, so a root of one keeps its imports' names).
fn file(name: &str, text: &str) -> Result<File, ProtoError> {
    let trimmed = text.trim();
    if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(trimmed)
        && let Ok(mut proto) = prost_types::FileDescriptorProto::decode(bytes.as_slice())
    {
        if name != ROOT_FILE || proto.name.as_deref().unwrap_or_default().is_empty() {
            proto.name = Some(name.to_owned());
        }
        return Ok(File::from_file_descriptor_proto(proto));
    }
    File::from_source(name, text).map_err(|e| ProtoError::Schema(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORDER: &str = r#"
        syntax = "proto3";
        package acme;
        import "line.proto";
        import "google/protobuf/timestamp.proto";
        message Address { string city = 1; }
        message Order {
            int64 id = 1;
            Address ship_to = 2;
            repeated Line lines = 3;
            google.protobuf.Timestamp at = 4;
            message Note { string text = 1; }
        }
    "#;
    const LINE: &str = r#"syntax = "proto3"; package acme; message Line { string sku = 1; }"#;

    fn order() -> ProtoSchema {
        ProtoSchema::compile(ORDER, &[("line.proto".into(), LINE.into())]).unwrap()
    }

    #[test]
    fn messages_are_found_by_their_indexes() {
        let schema = order();
        assert_eq!(schema.message(&[0]).unwrap().full_name(), "acme.Address");
        assert_eq!(schema.message(&[1]).unwrap().full_name(), "acme.Order");
        assert_eq!(
            schema.message(&[1, 0]).unwrap().full_name(),
            "acme.Order.Note"
        );
        let error = schema.message(&[2]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the message indexes [2] name no message of the schema (its messages: [0] acme.Address, [1] acme.Order)"
        );
        assert!(schema.message(&[-1]).is_err());
        assert!(schema.message(&[0, 3]).is_err());
        assert_eq!(schema.indexes_of("acme.Order.Note"), Some(vec![1, 0]));
        assert_eq!(schema.indexes_of("acme.Address"), Some(vec![0]));
        assert_eq!(
            schema.indexes_of("acme.Line"),
            None,
            "an import's is not the file's"
        );
    }

    #[test]
    fn the_main_message_is_the_one_no_other_uses() {
        assert_eq!(order().main_message(), Some(vec![1]));
        // Used only inside a nested message, or as a map's values: not the main one.
        let nested = ProtoSchema::compile(
            "syntax = \"proto3\"; message Money { int64 cents = 1; }
             message Tag { string t = 1; }
             message Order { message Line { Money price = 1; } repeated Line lines = 1;
                             map<string, Tag> tags = 2; }",
            &[],
        )
        .unwrap();
        assert_eq!(nested.main_message(), Some(vec![2]));
        let one =
            ProtoSchema::compile("syntax = \"proto3\"; message A { int32 x = 1; }", &[]).unwrap();
        assert_eq!(one.main_message(), Some(vec![0]));
    }

    #[test]
    fn a_descriptor_in_base64_compiles_like_its_text() {
        let schema = order();
        let proto = schema.file.file_descriptor_proto().clone();
        let text = base64::engine::general_purpose::STANDARD.encode(proto.encode_to_vec());
        let line = ProtoSchema::compile(LINE, &[]).unwrap();
        let line_text = base64::engine::general_purpose::STANDARD
            .encode(line.file.file_descriptor_proto().encode_to_vec());
        let again = ProtoSchema::compile(&text, &[("line.proto".into(), line_text)]).unwrap();
        assert_eq!(again.message(&[1]).unwrap().full_name(), "acme.Order");
    }

    #[test]
    fn a_schema_that_does_not_compile_says_why() {
        let error = ProtoSchema::compile(ORDER, &[]).unwrap_err().to_string();
        assert!(error.contains("line.proto"), "{error}");
        let error = ProtoSchema::compile("message {", &[])
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("the Protobuf schema does not compile"),
            "{error}"
        );
    }
}
