//! A Confluent-compatible schema registry for inlet's development and tests.
//!
//! No Confluent Schema Registry can be installed on the project's machines, so inlet carries
//! this small one. It serves the REST paths that serializers, deserializers and inlet use —
//! subjects, versions, global ids, schema references, lookups, soft and hard deletes — with
//! Confluent's error codes and content type, optional HTTP basic auth, and state kept in
//! memory or in a JSON file. It validates schemas as Avro, compiles them as Protobuf
//! (`schemaType: "PROTOBUF"`, imports as references), or checks a JSON Schema is JSON
//! (`"JSON"`). It is not a product component: it checks no compatibility.

mod error;
mod http;
mod store;

pub use error::RegistryError;
pub use http::{BasicAuth, CONTENT_TYPE, app};
pub use store::{Reference, SchemaKind, Store, StoredSchema, SubjectVersion, VersionSelector};
