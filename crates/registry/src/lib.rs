//! Confluent Schema Registry client for inlet.
//!
//! inlet reads Confluent-framed Avro: each record carries the id of its writer schema. This
//! crate fetches a schema by id together with every schema it references (Confluent schema
//! references, transitively, in dependency order), caches it by id, and registers schemas
//! for the producers of tests and demos. The registry is an external system: its answers are
//! size-limited, its errors say whether a retry can help, and credentials never reach a log.

mod client;
mod error;

pub use client::{
    BasicCredentials, RegisteredSchema, RegistryClient, RegistryConfig, ResolvedSchema,
    SchemaReference, SchemaType,
};
pub use error::{Error, Result};
pub use inlet_secret::Secret;
