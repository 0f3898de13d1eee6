//! A file of Kafka records of one topic as the broker served them (partition, offset,
//! timestamp, raw key and value; no headers), for replaying them without a broker: the
//! benchmark isolates inlet's write path with it.
//!
//! Format: the line `inlet-records 1\n`, then per record, little-endian: partition (i32),
//! offset (i64), timestamp in ms (i64, `i64::MIN`: none), key length (i32, -1: null), value
//! length (i32, -1: null), the key's bytes, the value's bytes.

use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};

const MAGIC: &[u8] = b"inlet-records 1\n";
/// The longest key or value read back (Kafka's own limits are far lower by default).
const MAX_PART: usize = 64 << 20;
const FIXED: usize = 4 + 8 + 8 + 4 + 4;

/// One record read back; its key and value borrow the reader's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileRecord<'a> {
    /// The partition.
    pub partition: i32,
    /// The offset.
    pub offset: i64,
    /// The timestamp, ms since 1970.
    pub timestamp_ms: Option<i64>,
    /// The raw key.
    pub key: Option<&'a [u8]>,
    /// The raw value (None: a tombstone).
    pub value: Option<&'a [u8]>,
}

/// Writes a record file.
pub struct RecordFileWriter<W: Write> {
    out: BufWriter<W>,
}

impl<W: Write> RecordFileWriter<W> {
    /// A new file on `out`.
    pub fn new(out: W) -> io::Result<Self> {
        let mut out = BufWriter::with_capacity(1 << 20, out);
        out.write_all(MAGIC)?;
        Ok(RecordFileWriter { out })
    }

    /// Appends one record.
    pub fn write(&mut self, record: &FileRecord<'_>) -> io::Result<()> {
        let length = |part: Option<&[u8]>| -> io::Result<i32> {
            match part {
                None => Ok(-1),
                Some(b) if b.len() <= MAX_PART => Ok(b.len() as i32),
                Some(b) => Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("a record part of {} bytes is over {MAX_PART}", b.len()),
                )),
            }
        };
        self.out.write_all(&record.partition.to_le_bytes())?;
        self.out.write_all(&record.offset.to_le_bytes())?;
        self.out
            .write_all(&record.timestamp_ms.unwrap_or(i64::MIN).to_le_bytes())?;
        self.out.write_all(&length(record.key)?.to_le_bytes())?;
        self.out.write_all(&length(record.value)?.to_le_bytes())?;
        self.out.write_all(record.key.unwrap_or_default())?;
        self.out.write_all(record.value.unwrap_or_default())
    }

    /// Flushes and returns the output.
    pub fn finish(self) -> io::Result<W> {
        self.out
            .into_inner()
            .map_err(io::IntoInnerError::into_error)
    }
}

/// Reads a record file back, one record at a time, without allocating per record.
pub struct RecordFileReader<R: Read> {
    input: BufReader<R>,
    buffer: Vec<u8>,
    /// Records read so far, for error messages.
    read: u64,
}

impl<R: Read> RecordFileReader<R> {
    /// Checks the file's first line.
    pub fn new(input: R) -> io::Result<Self> {
        let mut input = BufReader::with_capacity(1 << 20, input);
        let mut magic = [0u8; MAGIC.len()];
        input.read_exact(&mut magic).map_err(|_| not_a_file())?;
        if magic != MAGIC {
            return Err(not_a_file());
        }
        Ok(RecordFileReader {
            input,
            buffer: Vec::new(),
            read: 0,
        })
    }

    /// The next record; None at the end of the file.
    pub fn next_record(&mut self) -> io::Result<Option<FileRecord<'_>>> {
        if self.input.fill_buf()?.is_empty() {
            return Ok(None);
        }
        let mut fixed = [0u8; FIXED];
        self.input
            .read_exact(&mut fixed)
            .map_err(|e| self.truncated(e))?;
        let field = |at: usize, n: usize| &fixed[at..at + n];
        let partition = i32::from_le_bytes(field(0, 4).try_into().unwrap_or_default());
        let offset = i64::from_le_bytes(field(4, 8).try_into().unwrap_or_default());
        let timestamp = i64::from_le_bytes(field(12, 8).try_into().unwrap_or_default());
        let key_len = i32::from_le_bytes(field(20, 4).try_into().unwrap_or_default());
        let value_len = i32::from_le_bytes(field(24, 4).try_into().unwrap_or_default());
        let key = self.part_length(key_len)?;
        let value = self.part_length(value_len)?;
        let total = key.unwrap_or(0) + value.unwrap_or(0);
        self.buffer.resize(total, 0);
        self.input
            .read_exact(&mut self.buffer)
            .map_err(|e| self.truncated(e))?;
        self.read += 1;
        let (key_bytes, value_bytes) = self.buffer.split_at(key.unwrap_or(0));
        Ok(Some(FileRecord {
            partition,
            offset,
            timestamp_ms: (timestamp != i64::MIN).then_some(timestamp),
            key: key.map(|_| key_bytes),
            value: value.map(|_| value_bytes),
        }))
    }

    fn part_length(&self, length: i32) -> io::Result<Option<usize>> {
        match length {
            -1 => Ok(None),
            n if n >= 0 && (n as usize) <= MAX_PART => Ok(Some(n as usize)),
            n => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "record {} of the record file has a part length of {n} bytes (at most {MAX_PART}): the file is damaged",
                    self.read + 1
                ),
            )),
        }
    }

    fn truncated(&self, error: io::Error) -> io::Error {
        io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!(
                "the record file ends inside record {} ({error}): it is truncated",
                self.read + 1
            ),
        )
    }
}

fn not_a_file() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        "not an inlet record file (it does not start with `inlet-records 1`)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<u8> {
        let mut writer = RecordFileWriter::new(Vec::new()).unwrap();
        writer
            .write(&FileRecord {
                partition: 3,
                offset: 41,
                timestamp_ms: Some(1_700_000_000_000),
                key: Some(b"dev-1"),
                value: Some(b"\0\0\0\0\x01abc"),
            })
            .unwrap();
        writer
            .write(&FileRecord {
                partition: 0,
                offset: 7,
                timestamp_ms: None,
                key: None,
                value: None,
            })
            .unwrap();
        writer.finish().unwrap()
    }

    #[test]
    fn records_come_back_as_written() {
        let bytes = sample();
        let mut reader = RecordFileReader::new(bytes.as_slice()).unwrap();
        let first = reader.next_record().unwrap().unwrap();
        assert_eq!(
            (first.partition, first.offset, first.timestamp_ms),
            (3, 41, Some(1_700_000_000_000))
        );
        assert_eq!(first.key, Some(&b"dev-1"[..]));
        assert_eq!(first.value, Some(&b"\0\0\0\0\x01abc"[..]));
        let second = reader.next_record().unwrap().unwrap();
        assert_eq!(
            second,
            FileRecord {
                partition: 0,
                offset: 7,
                timestamp_ms: None,
                key: None,
                value: None
            }
        );
        assert!(reader.next_record().unwrap().is_none());
    }

    #[test]
    fn damage_is_an_error_not_a_panic_or_a_huge_allocation() {
        let bytes = sample();
        // Cut between the two records: a file of one record.
        let boundary = MAGIC.len() + FIXED + b"dev-1".len() + b"\0\0\0\0\x01abc".len();
        let mut reader = RecordFileReader::new(&bytes[..boundary]).unwrap();
        assert!(reader.next_record().unwrap().is_some());
        assert!(reader.next_record().unwrap().is_none());
        // Cut anywhere inside a record: an error naming the truncation.
        for cut in (MAGIC.len() + 1..bytes.len()).filter(|&c| c != boundary) {
            let mut reader = RecordFileReader::new(&bytes[..cut]).unwrap();
            let mut result = Ok(());
            while let Some(r) = reader.next_record().transpose() {
                if let Err(e) = r {
                    result = Err(e);
                    break;
                }
            }
            let error = result.expect_err("a cut file must fail").to_string();
            assert!(error.contains("truncated"), "{error}");
        }
        // A huge length is refused before anything is allocated.
        let mut huge = bytes.clone();
        let at = MAGIC.len() + 24;
        huge[at..at + 4].copy_from_slice(&i32::MAX.to_le_bytes());
        let mut reader = RecordFileReader::new(huge.as_slice()).unwrap();
        let error = reader.next_record().unwrap_err().to_string();
        assert!(error.contains("damaged"), "{error}");
        // Not a record file at all.
        assert!(RecordFileReader::new(&b"hello"[..]).is_err());
    }
}
