//! Avro values rendered as JSON text, for `jsonb` columns (records, maps, arrays, multi-type
//! unions, recursive types), straight from the Avro bytes.
//!
//! Choices, documented in docs/avro.md: a union is its branch's value; bytes and fixed are
//! `"\x…"` hex strings as PostgreSQL prints bytea; NaN and infinities are the strings
//! `"NaN"`, `"Infinity"`, `"-Infinity"`; decimals are exact JSON numbers; dates, times and
//! timestamps are ISO 8601 strings (UTC timestamps end in `Z`); a duration is
//! `{"months":…,"days":…,"milliseconds":…}`. PostgreSQL's jsonb refuses the character
//! U+0000, so a string containing it is a conversion error.

use std::collections::HashMap;

use std::fmt::Write as _;

use crate::copy::{float_digits, twos_complement_digits};
use crate::error::DecodeError;
use crate::reader::{IndexKind, Reader};
use crate::schema::{AvroType, NodeId, TimeUnit, WriterSchema};

/// How deep values may nest (recursive types) before a record is refused.
pub(crate) const MAX_DEPTH: usize = 64;

/// How deep arrays and objects nest in valid JSON `text` (`1` → 0, `[]` → 1, `{"a":[1]}` →
/// 2); brackets inside strings do not count. One pass, no allocation.
pub(crate) fn depth(text: &[u8]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0, false, false);
    for &byte in text {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Why a value could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum JsonError {
    Decode(DecodeError),
    /// A value jsonb cannot hold, or a decimal inlet cannot convert.
    Value(String),
}

impl From<DecodeError> for JsonError {
    fn from(e: DecodeError) -> Self {
        JsonError::Decode(e)
    }
}

/// Reads one value of type `node` and appends its JSON text to `out`.
pub(crate) fn write_json(
    schema: &WriterSchema,
    node: NodeId,
    reader: &mut Reader<'_>,
    out: &mut Vec<u8>,
    depth: usize,
) -> Result<(), JsonError> {
    if depth > MAX_DEPTH {
        return Err(DecodeError::TooDeep { max: MAX_DEPTH }.into());
    }
    match schema.node(node) {
        AvroType::Null => out.extend_from_slice(b"null"),
        AvroType::Boolean => out.extend_from_slice(if reader.read_bool()? {
            b"true"
        } else {
            b"false"
        }),
        AvroType::Int => push_display(out, reader.read_int()?),
        AvroType::Long => push_display(out, reader.read_long()?),
        AvroType::Float => {
            let value = reader.read_float()?;
            write_float(f64::from(value), float_digits(value), out);
        }
        AvroType::Double => {
            let value = reader.read_double()?;
            write_float(value, float_digits(value), out);
        }
        AvroType::Bytes => write_hex(reader.read_bytes()?, out),
        AvroType::Fixed(size) => write_hex(reader.read_fixed(*size)?, out),
        AvroType::String | AvroType::UuidString => write_string(reader.read_str()?, out)?,
        AvroType::Enum(symbols) => {
            let index = reader.read_index(symbols.len(), IndexKind::EnumSymbol)?;
            write_string(&symbols[index], out)?;
        }
        AvroType::Array(item) => {
            out.push(b'[');
            let mut first = true;
            let min = min_size(schema, *item);
            loop {
                let count = reader.read_block_count(min)?;
                if count == 0 {
                    break;
                }
                for _ in 0..count {
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    write_json(schema, *item, reader, out, depth + 1)?;
                }
            }
            out.push(b']');
        }
        AvroType::Map(value) => {
            out.push(b'{');
            let mut first = true;
            loop {
                let count = reader.read_block_count(1)?;
                if count == 0 {
                    break;
                }
                for _ in 0..count {
                    if !first {
                        out.push(b',');
                    }
                    first = false;
                    write_string(reader.read_str()?, out)?;
                    out.push(b':');
                    write_json(schema, *value, reader, out, depth + 1)?;
                }
            }
            out.push(b'}');
        }
        AvroType::Record { fields, .. } => {
            out.push(b'{');
            for (i, (name, field)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(name, out)?;
                out.push(b':');
                write_json(schema, *field, reader, out, depth + 1)?;
            }
            out.push(b'}');
        }
        AvroType::Union(branches) => {
            let index = reader.read_index(branches.len(), IndexKind::UnionBranch)?;
            write_json(schema, branches[index], reader, out, depth + 1)?;
        }
        AvroType::Decimal { scale, fixed, .. } => {
            let bytes = match fixed {
                Some(size) => reader.read_fixed(*size)?,
                None => reader.read_bytes()?,
            };
            write_decimal(bytes, *scale, out)?;
        }
        AvroType::BigDecimal => {
            let (unscaled, scale) = read_big_decimal(reader)?;
            let (negative, digits) =
                twos_complement_digits(unscaled).map_err(|e| JsonError::Value(e.to_string()))?;
            let (digits, scale) = unscale(digits, scale);
            out.extend_from_slice(decimal_text(negative, &digits, scale).as_bytes());
        }
        AvroType::UuidFixed => {
            let bytes = reader.read_fixed(16)?;
            out.push(b'"');
            out.extend_from_slice(format_uuid(bytes).as_bytes());
            out.push(b'"');
        }
        AvroType::Date => {
            let days = i64::from(reader.read_int()?);
            out.push(b'"');
            out.extend_from_slice(format_date(days).as_bytes());
            out.push(b'"');
        }
        AvroType::Time(unit) => {
            let value = match unit {
                TimeUnit::Millis => i64::from(reader.read_int()?),
                _ => reader.read_long()?,
            };
            let nanos = to_nanos(value, *unit);
            // As a time column takes it: 00:00:00 to 24:00:00, else refused (not wrapped).
            if !(0..=86_400_000_000_000).contains(&nanos) {
                return Err(JsonError::Value(format!(
                    "{value}: not a time of day (00:00:00 to 24:00:00)"
                )));
            }
            out.push(b'"');
            out.extend_from_slice(format_time(nanos).as_bytes());
            out.push(b'"');
        }
        AvroType::Timestamp { unit, local } => {
            let value = reader.read_long()?;
            let nanos = to_nanos(value, *unit);
            let days = nanos.div_euclid(86_400_000_000_000);
            let time = nanos.rem_euclid(86_400_000_000_000);
            let mut text = format!("{}T{}", format_date(days as i64), format_time(time));
            if *unit == TimeUnit::Nanos {
                // format_time prints microseconds; nanosecond values keep all nine digits.
                let _ = write!(text, "{:03}", time % 1000);
            }
            if !local {
                text.push('Z');
            }
            out.push(b'"');
            out.extend_from_slice(text.as_bytes());
            out.push(b'"');
        }
        AvroType::Duration => {
            let (months, days, millis) = read_duration(reader)?;
            let _ = write!(
                Buf(out),
                "{{\"months\":{months},\"days\":{days},\"milliseconds\":{millis}}}"
            );
        }
    }
    Ok(())
}

/// Skips one value of type `node`.
pub(crate) fn skip(
    schema: &WriterSchema,
    node: NodeId,
    reader: &mut Reader<'_>,
    depth: usize,
) -> Result<(), DecodeError> {
    if depth > MAX_DEPTH {
        return Err(DecodeError::TooDeep { max: MAX_DEPTH });
    }
    match schema.node(node) {
        AvroType::Null => {}
        AvroType::Boolean => {
            reader.read_bool()?;
        }
        AvroType::Int | AvroType::Date => {
            reader.read_int()?;
        }
        AvroType::Time(TimeUnit::Millis) => {
            reader.read_int()?;
        }
        AvroType::Long | AvroType::Time(_) | AvroType::Timestamp { .. } => {
            reader.read_long()?;
        }
        AvroType::Float => {
            reader.read_float()?;
        }
        AvroType::Double => {
            reader.read_double()?;
        }
        AvroType::Bytes | AvroType::BigDecimal | AvroType::Decimal { fixed: None, .. } => {
            reader.read_bytes()?;
        }
        AvroType::String | AvroType::UuidString => {
            reader.read_str()?;
        }
        AvroType::Fixed(size)
        | AvroType::Decimal {
            fixed: Some(size), ..
        } => {
            reader.read_fixed(*size)?;
        }
        AvroType::UuidFixed => {
            reader.read_fixed(16)?;
        }
        AvroType::Duration => {
            reader.read_fixed(12)?;
        }
        AvroType::Enum(symbols) => {
            reader.read_index(symbols.len(), IndexKind::EnumSymbol)?;
        }
        AvroType::Array(item) => {
            let min = min_size(schema, *item);
            loop {
                let count = reader.read_block_count(min)?;
                if count == 0 {
                    break;
                }
                for _ in 0..count {
                    skip(schema, *item, reader, depth + 1)?;
                }
            }
        }
        AvroType::Map(value) => loop {
            let count = reader.read_block_count(1)?;
            if count == 0 {
                break;
            }
            for _ in 0..count {
                reader.read_str()?;
                skip(schema, *value, reader, depth + 1)?;
            }
        },
        AvroType::Record { fields, .. } => {
            for (_, field) in fields {
                skip(schema, *field, reader, depth + 1)?;
            }
        }
        AvroType::Union(branches) => {
            let index = reader.read_index(branches.len(), IndexKind::UnionBranch)?;
            skip(schema, branches[index], reader, depth + 1)?;
        }
    }
    Ok(())
}

/// The fewest bytes a value of `node` can take: 0 for `null`, `fixed(0)` and records whose
/// fields all take none (an array of empty records is a count and nothing else), else 1.
/// Each named record is looked at once (a deep tree of records costs its size, not 2^depth).
pub(crate) fn min_size(schema: &WriterSchema, node: NodeId) -> usize {
    let mut known = HashMap::new();
    min_size_at(schema, node, &mut known)
}

/// [`min_size`] with the records already sized in `known`; a record being sized (one that
/// holds itself, which only a union or array can make writable) counts as 1.
fn min_size_at(schema: &WriterSchema, node: NodeId, known: &mut HashMap<NodeId, usize>) -> usize {
    match schema.node(node) {
        AvroType::Null | AvroType::Fixed(0) => 0,
        AvroType::Record { fields, .. } => {
            if let Some(&size) = known.get(&node) {
                return size;
            }
            known.insert(node, 1);
            let size = usize::from(
                fields
                    .iter()
                    .any(|(_, f)| min_size_at(schema, *f, known) > 0),
            );
            known.insert(node, size);
            size
        }
        _ => 1,
    }
}

/// `big-decimal`: bytes holding a length-prefixed unscaled value and then the scale (which
/// may be negative; see [`unscale`]).
pub(crate) fn read_big_decimal<'a>(reader: &mut Reader<'a>) -> Result<(&'a [u8], i64), JsonError> {
    let outer = reader.read_bytes()?;
    let mut inner = Reader::new(outer);
    let unscaled = inner.read_bytes()?;
    let scale = inner.read_long()?;
    if !(-1000..=1000).contains(&scale) {
        return Err(JsonError::Value(format!(
            "big-decimal scale {scale} is out of range (-1000 to 1000)"
        )));
    }
    Ok((unscaled, scale))
}

/// The digits of `digits` × 10^-`scale` with a scale of 0 or more: a negative scale (Java's
/// `BigDecimal` writes 5000 as 5E+3 after `stripTrailingZeros()`) appends its zeros.
pub(crate) fn unscale(digits: String, scale: i64) -> (String, usize) {
    match usize::try_from(scale) {
        Ok(scale) => (digits, scale),
        Err(_) if digits.bytes().all(|d| d == b'0') => (digits, 0),
        Err(_) => {
            let zeros = usize::try_from(scale.unsigned_abs()).unwrap_or(0);
            let mut digits = digits;
            digits.extend(std::iter::repeat_n('0', zeros));
            (digits, 0)
        }
    }
}

/// `duration`: three little-endian u32: months, days, milliseconds.
pub(crate) fn read_duration(reader: &mut Reader<'_>) -> Result<(u32, u32, u32), DecodeError> {
    let bytes = reader.read_fixed(12)?;
    let word = |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    Ok((word(0), word(4), word(8)))
}

pub(crate) fn to_nanos(value: i64, unit: TimeUnit) -> i128 {
    let value = i128::from(value);
    match unit {
        TimeUnit::Millis => value * 1_000_000,
        TimeUnit::Micros => value * 1_000,
        TimeUnit::Nanos => value,
    }
}

fn write_decimal(unscaled: &[u8], scale: usize, out: &mut Vec<u8>) -> Result<(), JsonError> {
    let (negative, digits) =
        twos_complement_digits(unscaled).map_err(|e| JsonError::Value(e.to_string()))?;
    out.extend_from_slice(decimal_text(negative, &digits, scale).as_bytes());
    Ok(())
}

/// `-12.345` from (negative, "12345", 3).
pub(crate) fn decimal_text(negative: bool, digits: &str, scale: usize) -> String {
    let mut text = String::with_capacity(digits.len() + 3);
    if negative && digits.bytes().any(|d| d != b'0') {
        text.push('-');
    }
    if scale == 0 {
        text.push_str(digits);
    } else if digits.len() > scale {
        let (int, frac) = digits.split_at(digits.len() - scale);
        text.push_str(int);
        text.push('.');
        text.push_str(frac);
    } else {
        text.push_str("0.");
        text.extend(std::iter::repeat_n('0', scale - digits.len()));
        text.push_str(digits);
    }
    text
}

/// `value` (widened, for NaN and infinities) as JSON, with its `digits` from `float_digits`.
fn write_float(value: f64, digits: (bool, String, usize), out: &mut Vec<u8>) {
    if value.is_nan() {
        out.extend_from_slice(b"\"NaN\"");
    } else if value.is_infinite() {
        out.extend_from_slice(if value > 0.0 {
            b"\"Infinity\""
        } else {
            b"\"-Infinity\""
        });
    } else {
        let (negative, digits, scale) = digits;
        out.extend_from_slice(decimal_text(negative, &digits, scale).as_bytes());
    }
}

fn write_hex(bytes: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(b"\"\\\\x");
    for b in bytes {
        let _ = write!(Buf(out), "{b:02x}");
    }
    out.push(b'"');
}

/// A JSON string; U+0000 is refused because PostgreSQL's jsonb cannot store it.
pub(crate) fn write_string(text: &str, out: &mut Vec<u8>) -> Result<(), JsonError> {
    out.push(b'"');
    for c in text.chars() {
        match c {
            '\0' => {
                return Err(JsonError::Value(
                    "it contains the character U+0000, which jsonb cannot store".into(),
                ));
            }
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(Buf(out), "\\u{:04x}", c as u32);
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
    Ok(())
}

fn push_display(out: &mut Vec<u8>, value: impl std::fmt::Display) {
    let _ = write!(Buf(out), "{value}");
}

/// `8-4-4-4-12` lower-case hex.
pub(crate) fn format_uuid(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(36);
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            text.push('-');
        }
        let _ = write!(text, "{b:02x}");
    }
    text
}

/// `YYYY-MM-DD` (proleptic Gregorian) for days since 1970-01-01.
pub(crate) fn format_date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    // ISO 8601's expanded years: a sign and at least four digits outside 0000..9999.
    if (0..=9999).contains(&y) {
        format!("{y:04}-{m:02}-{d:02}")
    } else if y < 0 {
        format!("-{:04}-{m:02}-{d:02}", -y)
    } else {
        format!("+{y:04}-{m:02}-{d:02}")
    }
}

/// `HH:MM:SS.ffffff` for nanoseconds since midnight.
fn format_time(nanos: i128) -> String {
    let micros = nanos / 1000;
    let seconds = micros / 1_000_000;
    format!(
        "{:02}:{:02}:{:02}.{:06}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60,
        micros % 1_000_000
    )
}

/// Year, month, day of the proleptic Gregorian calendar for days since 1970-01-01: the
/// era-based method (400-year cycles of 146,097 days, years starting in March).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `fmt::Write` over a byte vector.
struct Buf<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for Buf<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// The Avro binary `body` of a value of `schema`, as the JSON text a jsonb column would hold
/// (the rendering above): what the console shows of a dead letter that decodes.
///
/// # Errors
/// A message: the bytes do not decode with the schema, a value JSON cannot hold, or bytes
/// left over after the value.
pub fn value_json(schema: &WriterSchema, body: &[u8]) -> Result<String, String> {
    let mut reader = Reader::new(body);
    let mut out = Vec::new();
    write_json(schema, schema.root(), &mut reader, &mut out, 0).map_err(|e| match e {
        JsonError::Decode(e) => e.to_string(),
        JsonError::Value(m) => m,
    })?;
    if reader.remaining() > 0 {
        return Err(format!(
            "{} byte(s) left after the value: not written with this schema",
            reader.remaining()
        ));
    }
    String::from_utf8(out).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_cover_the_calendar() {
        assert_eq!(format_date(0), "1970-01-01");
        assert_eq!(format_date(-1), "1969-12-31");
        assert_eq!(format_date(19_782), "2024-02-29");
        assert_eq!(format_date(11_016), "2000-02-29");
        assert_eq!(format_date(-719_528), "0000-01-01");
    }

    #[test]
    fn decimals_are_exact() {
        assert_eq!(decimal_text(true, "12345", 3), "-12.345");
        assert_eq!(decimal_text(false, "5", 3), "0.005");
        assert_eq!(decimal_text(true, "0", 2), "0.00");
    }

    #[test]
    fn strings_escape_and_refuse_nul() {
        let mut out = Vec::new();
        write_string("a\"b\\c\n\u{1}é", &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), r#""a\"b\\c\n\u0001é""#);
        assert!(write_string("x\0y", &mut Vec::new()).is_err());
    }
}
