//! A schema from the registry as inlet reads records of it: Avro's as it is; a Protobuf
//! schema through the Avro schema inlet makes of a message ([`inlet_protobuf`]).

use inlet_avro::WriterSchema;
use inlet_protobuf::ProtoSchema;
use inlet_registry::{ResolvedSchema, SchemaType};

/// The writer schema a table is proposed from (and its columns checked against) for the
/// registered schema `resolved`, a value's or a key's: an Avro schema as it is; a Protobuf
/// schema as inlet reads its main message ([`ProtoSchema::main_message`]); a JSON Schema as
/// inlet reads its documents.
///
/// # Errors
/// What is wrong, in a sentence: the schema does not parse or compile.
pub(crate) fn writer_of(resolved: &ResolvedSchema) -> Result<WriterSchema, String> {
    match resolved.schema_type {
        SchemaType::Avro => {
            WriterSchema::parse(&resolved.schema, &resolved.dependencies).map_err(|e| e.to_string())
        }
        SchemaType::Protobuf => proto_schema(resolved)
            .and_then(|schema| schema.main_reading().map_err(|e| e.to_string()))
            .map(|reading| reading.writer().clone()),
        SchemaType::Json => json_reading(resolved).map(|reading| reading.writer().clone()),
    }
}

/// Why values of a `schema_type` schema cannot be read with the topic's `format`: all its
/// records would be dead letters (None: the format reads it).
pub(crate) fn format_mismatch(
    schema_type: SchemaType,
    format: crate::config::Format,
) -> Option<String> {
    use crate::config::Format;
    let reads = match format {
        Format::Protobuf => SchemaType::Protobuf,
        Format::JsonSchema => SchemaType::Json,
        _ => SchemaType::Avro,
    };
    (schema_type != reads).then(|| {
        format!(
            "is a {schema_type} schema, and the topic's format is {}: its records would all be dead letters; set the topic's format = \"{}\"",
            format.as_str(),
            format_of(schema_type)
        )
    })
}

/// The `format` setting that reads values of schemas of `schema_type`.
pub(crate) fn format_of(schema_type: SchemaType) -> &'static str {
    match schema_type {
        SchemaType::Avro => "avro",
        SchemaType::Protobuf => "protobuf",
        SchemaType::Json => "json-schema",
    }
}

/// (name, text) of each of `resolved`'s references, as imports or `$ref` targets.
fn references(resolved: &ResolvedSchema) -> Vec<(String, String)> {
    resolved
        .dependency_names
        .iter()
        .cloned()
        .zip(resolved.dependencies.iter().cloned())
        .collect()
}

/// How documents of the JSON Schema `resolved` are read: as plain JSON of the shape it
/// gives ([`Shape::from_json_schema`](inlet_json::Shape::from_json_schema)).
///
/// # Errors
/// The schema is not JSON or names a `$ref` it lacks.
pub(crate) fn json_reading(resolved: &ResolvedSchema) -> Result<inlet_json::JsonReading, String> {
    let shape = inlet_json::Shape::from_json_schema(&resolved.schema, &references(resolved))
        .map_err(|e| e.to_string())?;
    inlet_json::JsonReading::new(shape)
        .map_err(|e| format!("the Avro schema inlet makes of it does not parse (a bug): {e}"))
}

/// The Protobuf schema of `resolved`, compiled with its references as imports.
///
/// # Errors
/// What protox said of it.
pub(crate) fn proto_schema(resolved: &ResolvedSchema) -> Result<ProtoSchema, String> {
    ProtoSchema::compile(&resolved.schema, &references(resolved)).map_err(|e| e.to_string())
}

/// A Confluent-framed value (Avro or Protobuf, by its schema's type) as JSON text, for
/// people to read: Avro's JSON encoding of it, or Protobuf's JSON mapping (`inlet peek`,
/// the console's dead letters).
///
/// # Errors
/// Why it cannot be shown: not a frame, the registry does not have or does not answer for
/// its schema, the bytes do not decode.
pub async fn framed_value_json(
    registry: &inlet_registry::RegistryClient,
    bytes: &[u8],
) -> Result<String, String> {
    let frame =
        inlet_avro::Frame::parse(bytes).map_err(|e| format!("not a Confluent frame: {e}"))?;
    let id = frame.schema_id.0;
    let resolved = registry.resolve(id).await.map_err(|e| e.to_string())?;
    match resolved.schema_type {
        SchemaType::Avro => {
            let schema = WriterSchema::parse(&resolved.schema, &resolved.dependencies)
                .map_err(|e| format!("schema id {id}: {e}"))?;
            inlet_avro::value_json(&schema, frame.body)
        }
        SchemaType::Protobuf => {
            let schema = proto_schema(&resolved).map_err(|e| format!("schema id {id}: {e}"))?;
            let (indexes, message) =
                inlet_protobuf::split_message_indexes(frame.body).map_err(|e| e.to_string())?;
            schema
                .message_json(&indexes, message)
                .map_err(|e| e.to_string())
        }
        // The document itself, checked to be JSON.
        SchemaType::Json => serde_json::from_slice::<serde_json::Value>(frame.body)
            .map(|doc| doc.to_string())
            .map_err(|e| format!("not a JSON document: {e}")),
    }
}
