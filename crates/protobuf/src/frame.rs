//! The message-index array of Confluent's Protobuf wire format: after the magic byte and
//! the schema id, which message of the schema's file the record is. A count, then that
//! many indexes, each a zig-zag varint: `[1, 0]` is the file's second top-level message's
//! first nested message. The common `[0]` (the first message) is written as one byte, 0.

use crate::{MAX_MESSAGE_INDEXES, ProtoError};

/// The message indexes at the start of `body` (a Confluent frame's bytes after the schema
/// id) and the message bytes after them.
///
/// # Errors
/// [`ProtoError::Frame`]: the bytes end inside the array, a varint is longer than ten
/// bytes or beyond 32 bits, the count is negative or above [`MAX_MESSAGE_INDEXES`].
pub fn split_message_indexes(body: &[u8]) -> Result<(Vec<i32>, &[u8]), ProtoError> {
    let mut rest = body;
    let count = read_zigzag(&mut rest)?;
    if count == 0 {
        return Ok((vec![0], rest));
    }
    let count = usize::try_from(count)
        .ok()
        .filter(|c| *c <= MAX_MESSAGE_INDEXES)
        .ok_or_else(|| {
            ProtoError::Frame(format!(
                "it names {count} message indexes (at most {MAX_MESSAGE_INDEXES} are read)"
            ))
        })?;
    let mut indexes = Vec::with_capacity(count);
    for _ in 0..count {
        let index = read_zigzag(&mut rest)?;
        indexes.push(
            i32::try_from(index).map_err(|_| {
                ProtoError::Frame(format!("message index {index} is beyond 32 bits"))
            })?,
        );
    }
    Ok((indexes, rest))
}

/// Appends the message-index array of `indexes` to `out`, as Confluent's serializers write
/// it (`[0]`, and the empty list too, as the single byte 0, which reads as `[0]`).
pub fn encode_message_indexes(indexes: &[i32], out: &mut Vec<u8>) {
    if indexes.is_empty() || indexes == [0] {
        out.push(0);
        return;
    }
    write_zigzag(indexes.len() as i64, out);
    for index in indexes {
        write_zigzag(i64::from(*index), out);
    }
}

/// A zig-zag varint: Avro's long is the same encoding.
fn read_zigzag(rest: &mut &[u8]) -> Result<i64, ProtoError> {
    let mut reader = inlet_avro::Reader::new(rest);
    let value = reader
        .read_long()
        .map_err(|e| ProtoError::Frame(format!("a varint of the message-index array: {e}")))?;
    *rest = &rest[reader.position()..];
    Ok(value)
}

fn write_zigzag(value: i64, out: &mut Vec<u8>) {
    inlet_avro::write_long(value, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_round_trip_and_the_first_message_is_one_zero_byte() {
        for indexes in [vec![0], vec![1], vec![2, 0, 5], vec![0, 0], vec![300]] {
            let mut bytes = Vec::new();
            encode_message_indexes(&indexes, &mut bytes);
            bytes.extend_from_slice(b"msg");
            let (read, rest) = split_message_indexes(&bytes).unwrap();
            assert_eq!((read, rest), (indexes.clone(), &b"msg"[..]));
        }
        // Confluent's bytes: [0] is 0x00; [1] is count 1 (0x02), index 1 (0x02).
        assert_eq!(split_message_indexes(&[0, 9]).unwrap(), (vec![0], &[9][..]));
        assert_eq!(split_message_indexes(&[2, 2]).unwrap(), (vec![1], &[][..]));
    }

    #[test]
    fn broken_arrays_are_frame_errors() {
        for bytes in [
            &[][..],
            &[4, 2][..],       // two indexes, one given
            &[1][..],          // a negative count
            &[0x80, 0x80][..], // ends inside a varint
            &[0xff; 11][..],   // longer than a varint
            &[200, 1][..],     // 100 indexes
        ] {
            let error = split_message_indexes(bytes).unwrap_err();
            assert!(matches!(error, ProtoError::Frame(_)), "{bytes:?}: {error}");
        }
    }
}
