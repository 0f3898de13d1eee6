//! Plain JSON for inlet: a topic whose values are JSON documents with no schema registry.
//!
//! inlet has one compiled path from a record to a COPY BINARY row, Avro's: a plan compiled
//! from a writer schema and the table's columns, whose conversions are proven against
//! PostgreSQL's own. A JSON topic goes through it too. Its documents have a [`Shape`]:
//! inferred from a sample of the topic ([`Shape::infer`]) when inlet proposes or creates
//! the table, or read from the table's columns and the paths they are filled from
//! ([`Shape::for_columns`]) when it exists. A [`JsonReading`] of the shape is an Avro
//! writer schema inlet makes (every field a `["null", T]` union) and a transcoder that
//! writes each document as the Avro binary of that schema, in one pass over its bytes;
//! the Avro plan of (that schema, the table) then writes the row.
//!
//! What a document's values become is PostgreSQL's input functions' business: a number's
//! exact text goes into numeric, a string into timestamptz, date, time, uuid or bytea as
//! PostgreSQL reads such text (within the forms [`text`] documents), any value into text
//! (a string's characters, anything else its JSON text) or jsonb. A document that does not
//! fit is a [`JsonError`] that says where and why; it is never a panic. Pure: no I/O.

mod infer;
mod names;
mod schema;
mod shape;
pub mod text;
mod transcode;

pub use names::avro_name;
pub use schema::SchemaError;
pub use shape::{Leaf, Shape, ShapeError};
pub use transcode::{JsonError, JsonReading, Scratch};

/// How deep a document's objects are read as columns: an object nested deeper is one jsonb
/// value (the proposal flattens `a.b.c` into `a_b_c` columns).
pub const MAX_DEPTH: usize = 6;

/// The most keys an object may have, across a sample, to be read as columns: one with more
/// (a map keyed by ids, say) is one jsonb value.
pub const MAX_OBJECT_KEYS: usize = 200;
