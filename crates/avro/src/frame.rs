//! The Confluent wire frame: `0x00`, a 4-byte big-endian schema id, then the Avro binary body.

use std::fmt;

/// The first byte of every Confluent-framed record.
pub const MAGIC_BYTE: u8 = 0;

/// Length of the frame header: the magic byte and the schema id.
const HEADER_LEN: usize = 5;

/// A schema id as assigned by a Confluent-compatible schema registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SchemaId(pub u32);

impl fmt::Display for SchemaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A record value split into its schema id and its Avro body, borrowed from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// The registry id of the writer schema.
    pub schema_id: SchemaId,
    /// The Avro binary encoding of the value, written with that schema.
    pub body: &'a [u8],
}

/// Why a record value is not a Confluent frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// Fewer bytes than the 5-byte header.
    #[error(
        "value is {len} bytes, shorter than the 5-byte Confluent header (magic byte + schema id): it was not written by a schema-registry serializer"
    )]
    TooShort {
        /// The length of the value.
        len: usize,
    },
    /// The first byte is not 0.
    #[error(
        "value starts with byte {found:#04x}, not the Confluent magic byte 0x00: it was not written by a schema-registry serializer{}", json_hint(*.found)
    )]
    WrongMagic {
        /// The first byte found.
        found: u8,
    },
}

impl inlet_fault::Classify for FrameError {
    /// Whose fault it is: the producer's, which did not write the Confluent wire format.
    fn fault(&self) -> inlet_fault::Fault {
        inlet_fault::Fault::Config
    }
}

impl<'a> Frame<'a> {
    /// Splits a record value into schema id and body.
    pub fn parse(value: &'a [u8]) -> Result<Self, FrameError> {
        let Some((header, body)) = value.split_first_chunk::<HEADER_LEN>() else {
            return Err(FrameError::TooShort { len: value.len() });
        };
        let [magic, id @ ..] = *header;
        if magic != MAGIC_BYTE {
            return Err(FrameError::WrongMagic { found: magic });
        }
        Ok(Frame {
            schema_id: SchemaId(u32::from_be_bytes(id)),
            body,
        })
    }
}

/// Appends the frame of `body` written with schema `schema_id` to `out`.
pub fn encode_frame(schema_id: SchemaId, body: &[u8], out: &mut Vec<u8>) {
    out.reserve(HEADER_LEN + body.len());
    out.push(MAGIC_BYTE);
    out.extend_from_slice(&schema_id.0.to_be_bytes());
    out.extend_from_slice(body);
}

/// What a value that is not a frame but starts as JSON does is likely to be.
fn json_hint(first: u8) -> &'static str {
    if matches!(first, b'{' | b'[') {
        " (it looks like JSON: a topic of JSON documents is format = \"json\", and `inlet peek --format json` prints them)"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_id_and_body() {
        let frame = Frame::parse(&[0, 0, 0, 1, 2, 0xAA, 0xBB]).unwrap();
        assert_eq!(frame.schema_id, SchemaId(258));
        assert_eq!(frame.body, &[0xAA, 0xBB]);
    }

    #[test]
    fn empty_body_is_a_frame() {
        let frame = Frame::parse(&[0, 0xFF, 0xFF, 0xFF, 0xFF]).unwrap();
        assert_eq!(frame.schema_id, SchemaId(u32::MAX));
        assert!(frame.body.is_empty());
    }

    #[test]
    fn short_values_are_rejected_with_their_length() {
        for len in 0..5 {
            let value = vec![0u8; len];
            assert_eq!(Frame::parse(&value), Err(FrameError::TooShort { len }));
        }
    }

    #[test]
    fn wrong_magic_names_the_byte() {
        let err = Frame::parse(b"{\"json\":1}").unwrap_err();
        assert_eq!(err, FrameError::WrongMagic { found: b'{' });
        assert!(err.to_string().contains("0x7b"), "{err}");
    }

    #[test]
    fn encode_then_parse_round_trips() {
        let mut out = Vec::new();
        encode_frame(SchemaId(7), b"body", &mut out);
        assert_eq!(out, [0, 0, 0, 0, 7, b'b', b'o', b'd', b'y']);
        let frame = Frame::parse(&out).unwrap();
        assert_eq!((frame.schema_id, frame.body), (SchemaId(7), &b"body"[..]));
    }
}
