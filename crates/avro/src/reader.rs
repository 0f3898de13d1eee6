//! A bounds-checked reader of Avro binary encoding.
//!
//! Every read checks the remaining length first; lengths and counts from the input are
//! validated against what is left, so no input can make the reader panic or allocate more
//! than the input's own size.

use crate::error::DecodeError;

/// A cursor over an Avro binary body.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    /// Items of zero bytes claimed so far by the blocks of this body.
    empty_items: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            pos: 0,
            empty_items: 0,
        }
    }

    /// Bytes read so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Moves back (or forward) to a position previously returned by [`Reader::position`].
    pub(crate) fn set_position(&mut self, pos: usize) {
        self.pos = pos.min(self.bytes.len());
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len())
            .ok_or(DecodeError::Truncated {
                at: self.pos,
                wanted: n,
            })?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    /// A zig-zag varint of at most 10 bytes (Avro `long`).
    pub fn read_long(&mut self) -> Result<i64, DecodeError> {
        let start = self.pos;
        let mut value: u64 = 0;
        for i in 0..10 {
            let Some(&byte) = self.bytes.get(self.pos) else {
                return Err(DecodeError::Truncated {
                    at: self.pos,
                    wanted: 1,
                });
            };
            self.pos += 1;
            if i == 9 && byte > 1 {
                return Err(DecodeError::VarintOverflow { at: start });
            }
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(((value >> 1) as i64) ^ -((value & 1) as i64));
            }
        }
        Err(DecodeError::VarintOverflow { at: start })
    }

    /// An Avro `int`: a zig-zag varint that must fit 32 bits.
    pub fn read_int(&mut self) -> Result<i32, DecodeError> {
        let at = self.pos;
        let value = self.read_long()?;
        i32::try_from(value).map_err(|_| DecodeError::IntOutOfRange { at, value })
    }

    /// A length or count: non-negative and no larger than what is left to read times
    /// `min_item_size` allows (an item takes at least one byte, except `null`s).
    fn read_len(&mut self) -> Result<usize, DecodeError> {
        let at = self.pos;
        let len = self.read_long()?;
        let len = usize::try_from(len).map_err(|_| DecodeError::NegativeLength { at, len })?;
        if len > self.remaining() {
            return Err(DecodeError::Truncated { at, wanted: len });
        }
        Ok(len)
    }

    /// Avro `boolean`: one byte, 0 or 1.
    pub fn read_bool(&mut self) -> Result<bool, DecodeError> {
        let at = self.pos;
        match self.take(1)?[0] {
            0 => Ok(false),
            1 => Ok(true),
            byte => Err(DecodeError::InvalidBool { at, byte }),
        }
    }

    /// Avro `float`: 4 bytes little-endian.
    pub fn read_float(&mut self) -> Result<f32, DecodeError> {
        let bytes = self.take(4)?;
        Ok(f32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    /// Avro `double`: 8 bytes little-endian.
    pub fn read_double(&mut self) -> Result<f64, DecodeError> {
        let bytes = self.take(8)?;
        let mut array = [0u8; 8];
        array.copy_from_slice(bytes);
        Ok(f64::from_le_bytes(array))
    }

    /// Avro `bytes`: a length, then that many bytes.
    pub fn read_bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let len = self.read_len()?;
        self.take(len)
    }

    /// Avro `string`: `bytes` that must be UTF-8.
    pub fn read_str(&mut self) -> Result<&'a str, DecodeError> {
        let at = self.pos;
        let bytes = self.read_bytes()?;
        std::str::from_utf8(bytes).map_err(|_| DecodeError::InvalidUtf8 { at })
    }

    /// Avro `fixed` of `size` bytes.
    pub fn read_fixed(&mut self, size: usize) -> Result<&'a [u8], DecodeError> {
        self.take(size)
    }

    /// An index into `count` choices (union branch or enum symbol).
    pub fn read_index(&mut self, count: usize, what: IndexKind) -> Result<usize, DecodeError> {
        let at = self.pos;
        let index = self.read_long()?;
        usize::try_from(index)
            .ok()
            .filter(|&i| i < count)
            .ok_or(DecodeError::IndexOutOfRange {
                at,
                what,
                index,
                count,
            })
    }

    /// The item count of the next array or map block; 0 ends the array or map. A negative
    /// count is followed by the block's size in bytes, which is read and checked.
    /// `min_item_size` is the fewest bytes one item can take: the count is checked against
    /// the bytes left, so a forged count cannot make a caller loop or allocate for long.
    pub fn read_block_count(&mut self, min_item_size: usize) -> Result<usize, DecodeError> {
        let at = self.pos;
        let count = self.read_long()?;
        let count = if count < 0 {
            let _size = self.read_len()?;
            count.unsigned_abs()
        } else {
            count as u64
        };
        let count = usize::try_from(count).map_err(|_| DecodeError::BlockTooLarge { at, count })?;
        if min_item_size > 0 && count > self.remaining() / min_item_size {
            return Err(DecodeError::BlockTooLarge {
                at,
                count: count as u64,
            });
        }
        // Items of zero bytes (null, empty records): they cost no bytes, so their count is
        // capped over the whole body, so that the loops over them (and what they write)
        // stay short whatever the blocks claim.
        if min_item_size == 0 {
            self.empty_items = self.empty_items.saturating_add(count);
            if self.empty_items > MAX_EMPTY_ITEMS {
                return Err(DecodeError::BlockTooLarge {
                    at,
                    count: count as u64,
                });
            }
        }
        Ok(count)
    }
}

/// The most zero-byte items (arrays of `null` or of empty records) one body may claim, over
/// all its blocks.
const MAX_EMPTY_ITEMS: usize = 1 << 20;

/// What an out-of-range index was choosing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexKind {
    /// A union branch.
    UnionBranch,
    /// An enum symbol.
    EnumSymbol,
}

impl std::fmt::Display for IndexKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            IndexKind::UnionBranch => "union branch",
            IndexKind::EnumSymbol => "enum symbol",
        })
    }
}

/// Appends `v` as an Avro long (or int): a zigzag varint. The one encoder of the crate,
/// for callers that build bodies (a text Kafka key read as an Avro string, generators).
pub fn write_long(v: i64, out: &mut Vec<u8>) {
    let mut n = ((v << 1) ^ (v >> 63)) as u64;
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zigzag(v: i64) -> Vec<u8> {
        let mut out = Vec::new();
        write_long(v, &mut out);
        out
    }

    #[test]
    fn longs_round_trip_at_the_edges() {
        for v in [
            0,
            -1,
            1,
            63,
            -64,
            64,
            i32::MAX as i64,
            i32::MIN as i64,
            i64::MAX,
            i64::MIN,
        ] {
            let bytes = zigzag(v);
            let mut r = Reader::new(&bytes);
            assert_eq!(r.read_long().unwrap(), v);
            assert_eq!(r.remaining(), 0);
        }
    }

    #[test]
    fn overlong_varints_are_rejected() {
        let eleven = [0xffu8; 11];
        assert!(matches!(
            Reader::new(&eleven).read_long(),
            Err(DecodeError::VarintOverflow { .. })
        ));
        // 10th byte carrying more than the 64th bit
        let mut bad = vec![0xffu8; 9];
        bad.push(0x02);
        assert!(matches!(
            Reader::new(&bad).read_long(),
            Err(DecodeError::VarintOverflow { .. })
        ));
        assert!(matches!(
            Reader::new(&[0x80]).read_long(),
            Err(DecodeError::Truncated { .. })
        ));
    }

    #[test]
    fn ints_must_fit_32_bits() {
        let bytes = zigzag(i64::from(i32::MAX) + 1);
        assert!(matches!(
            Reader::new(&bytes).read_int(),
            Err(DecodeError::IntOutOfRange { .. })
        ));
    }

    #[test]
    fn lengths_are_checked_against_the_input() {
        let mut bytes = zigzag(-1);
        assert!(matches!(
            Reader::new(&bytes).read_bytes(),
            Err(DecodeError::NegativeLength { .. })
        ));
        bytes = zigzag(1 << 40);
        assert!(matches!(
            Reader::new(&bytes).read_bytes(),
            Err(DecodeError::Truncated { .. })
        ));
        bytes = zigzag(3);
        bytes.extend_from_slice(b"ab");
        assert!(matches!(
            Reader::new(&bytes).read_str(),
            Err(DecodeError::Truncated { .. })
        ));
    }

    #[test]
    fn strings_must_be_utf8() {
        let mut bytes = zigzag(2);
        bytes.extend_from_slice(&[0xc3, 0x28]);
        assert!(matches!(
            Reader::new(&bytes).read_str(),
            Err(DecodeError::InvalidUtf8 { .. })
        ));
    }

    #[test]
    fn block_counts_cannot_claim_more_items_than_bytes() {
        let bytes = zigzag(1 << 33);
        assert!(matches!(
            Reader::new(&bytes).read_block_count(1),
            Err(DecodeError::BlockTooLarge { .. })
        ));
        let bytes = zigzag(1 << 30);
        assert!(matches!(
            Reader::new(&bytes).read_block_count(0),
            Err(DecodeError::BlockTooLarge { .. })
        ));
        let mut bytes = zigzag(-2);
        bytes.extend(zigzag(2));
        bytes.extend([1, 1]);
        assert_eq!(Reader::new(&bytes).read_block_count(1).unwrap(), 2);
    }

    #[test]
    fn indexes_must_be_in_range() {
        let bytes = zigzag(2);
        let err = Reader::new(&bytes)
            .read_index(2, IndexKind::UnionBranch)
            .unwrap_err();
        assert!(err.to_string().contains("union branch 2"), "{err}");
        let bytes = zigzag(-1);
        assert!(
            Reader::new(&bytes)
                .read_index(2, IndexKind::EnumSymbol)
                .is_err()
        );
    }
}
