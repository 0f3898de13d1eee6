//! Conversions from Avro values to PostgreSQL binary fields, each with its check: integer
//! range, numeric precision and scale, NUL in text, varchar length, timestamp range, the
//! nanosecond policy, UUID syntax, JSON validity. `conversion` chose them when the plan
//! compiled; these run them, value by value.

use crate::conversion::{Conv, Fast};
use crate::copy::{
    MICROS_PER_DAY, NumericError, PG_DATE_END, PG_DATE_MIN, PG_EPOCH_DAYS, PG_EPOCH_MICROS,
    PG_TIMESTAMP_END, PG_TIMESTAMP_MIN, begin_field, end_field, field as bytes_field, float_digits,
    null_field, twos_complement_digits, write_numeric, write_numeric_special,
};
use crate::error::DecodeError;
use crate::json::{
    self, JsonError, decimal_text, format_uuid, read_big_decimal, read_duration, write_json,
};
use crate::mapping::{NanosPolicy, PlanOptions};
use crate::reader::{IndexKind, Reader};
use crate::schema::{AvroType, NodeId, TimeUnit, WriterSchema};

/// Why one value could not be converted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ConvError {
    Decode(DecodeError),
    Value { value: String, reason: String },
}

impl From<DecodeError> for ConvError {
    fn from(e: DecodeError) -> Self {
        ConvError::Decode(e)
    }
}

impl From<JsonError> for ConvError {
    fn from(e: JsonError) -> Self {
        match e {
            JsonError::Decode(d) => ConvError::Decode(d),
            JsonError::Value(reason) => ConvError::Value {
                value: "(nested value)".into(),
                reason,
            },
        }
    }
}

/// A value refused, and why.
pub(crate) fn bad(value: impl ToString, reason: impl Into<String>) -> ConvError {
    ConvError::Value {
        value: value.to_string(),
        reason: reason.into(),
    }
}

/// [`emit`] for a [`Fast`] conversion other than `Other`.
#[inline]
pub(crate) fn emit_fast(
    fast: Fast,
    reader: &mut Reader<'_>,
    out: &mut Vec<u8>,
) -> Result<(), ConvError> {
    match fast {
        Fast::Bool => bytes_field(out, &[u8::from(reader.read_bool()?)]),
        Fast::Int4FromInt => bytes_field(out, &reader.read_int()?.to_be_bytes()),
        Fast::Int8FromLong => bytes_field(out, &reader.read_long()?.to_be_bytes()),
        Fast::Float4 => bytes_field(out, &reader.read_float()?.to_be_bytes()),
        Fast::Float8 => bytes_field(out, &reader.read_double()?.to_be_bytes()),
        Fast::Text => {
            let text = reader.read_str()?;
            if text.as_bytes().contains(&0) {
                return Err(bad(
                    text.replace('\0', "\\0"),
                    "text cannot contain the NUL character (0x00)",
                ));
            }
            bytes_field(out, text.as_bytes());
        }
        Fast::Timestamp(unit) => {
            let micros = timestamp_micros(reader.read_long()?, unit, NanosPolicy::Truncate)?;
            bytes_field(out, &micros.to_be_bytes());
        }
        Fast::Other => {
            return Err(bad("", "internal error: no fast conversion"));
        }
    }
    Ok(())
}

/// Reads one value of `node` and writes it as a field (length included) converted by `conv`.
pub(crate) fn emit(
    schema: &WriterSchema,
    node: NodeId,
    conv: &Conv,
    options: &PlanOptions,
    reader: &mut Reader<'_>,
    out: &mut Vec<u8>,
) -> Result<(), ConvError> {
    use AvroType as A;
    let avro = schema.node(node);
    match (conv, avro) {
        (Conv::JsonbText, _) => {
            let text = reader.read_str()?;
            check_json(text)?;
            let at = begin_field(out);
            out.push(1);
            out.extend_from_slice(text.as_bytes());
            end_field(out, at);
        }
        (Conv::Jsonb, _) => {
            let at = begin_field(out);
            out.push(1);
            write_json(schema, node, reader, out, 0)?;
            end_field(out, at);
        }
        (Conv::Bool, _) => bytes_field(out, &[u8::from(reader.read_bool()?)]),
        (Conv::Int2 | Conv::Int4 | Conv::Int8 | Conv::Float8, A::Int | A::Long) => {
            let value = read_integer(avro, reader)?;
            match conv {
                Conv::Int2 => {
                    let v = i16::try_from(value)
                        .map_err(|_| bad(value, "out of smallint's range (-32768..32767)"))?;
                    bytes_field(out, &v.to_be_bytes());
                }
                Conv::Int4 => {
                    let v =
                        i32::try_from(value).map_err(|_| bad(value, "out of integer's range"))?;
                    bytes_field(out, &v.to_be_bytes());
                }
                Conv::Float8 => bytes_field(out, &(value as f64).to_be_bytes()),
                _ => bytes_field(out, &value.to_be_bytes()),
            }
        }
        (Conv::Int8, A::Timestamp { .. }) => bytes_field(out, &reader.read_long()?.to_be_bytes()),
        (Conv::Float4, A::Double) => {
            let value = reader.read_double()?;
            let narrowed = value as f32;
            // As PostgreSQL's float8 → float4 cast: overflow and underflow (a non-zero value
            // that rounds to zero) are errors; a value that rounds to a subnormal is kept.
            if value.is_finite() && narrowed.is_infinite() {
                return Err(bad(value, "out of real's range (use double precision)"));
            }
            if narrowed == 0.0 && value != 0.0 {
                return Err(bad(
                    value,
                    "too close to zero for real: underflow (use double precision)",
                ));
            }
            bytes_field(out, &narrowed.to_be_bytes())
        }
        (Conv::Float4, _) => bytes_field(out, &reader.read_float()?.to_be_bytes()),
        (Conv::Float8, A::Float) => {
            bytes_field(out, &f64::from(reader.read_float()?).to_be_bytes())
        }
        (Conv::Float8, _) => bytes_field(out, &reader.read_double()?.to_be_bytes()),
        (Conv::Numeric { limit }, _) => emit_numeric(avro, *limit, reader, out)?,
        (Conv::Text { max_chars }, _) => {
            let at = begin_field(out);
            write_text(avro, reader, out)?;
            let text = &out[at + 4..];
            if text.contains(&0) {
                let shown = String::from_utf8_lossy(text).replace('\0', "\\0");
                return Err(bad(shown, "text cannot contain the NUL character (0x00)"));
            }
            if let Some(max) = max_chars {
                // write_text wrote valid UTF-8: count characters by their first bytes.
                let chars = text.iter().filter(|&&b| (b & 0xC0) != 0x80).count();
                if chars > *max as usize {
                    // As PostgreSQL stores into varchar(n): excess characters that are all
                    // spaces are cut; any other excess is an error.
                    let cut = text
                        .iter()
                        .enumerate()
                        .filter(|(_, b)| (**b & 0xC0) != 0x80)
                        .nth(*max as usize)
                        .map_or(text.len(), |(i, _)| i);
                    if text[cut..].iter().all(|&b| b == b' ') {
                        out.truncate(at + 4 + cut);
                    } else {
                        let shown = String::from_utf8_lossy(text).into_owned();
                        return Err(bad(
                            shown,
                            format!("{chars} characters, longer than varchar({max})"),
                        ));
                    }
                }
            }
            end_field(out, at);
        }
        (Conv::Bytea, A::Bytes) => bytes_field(out, reader.read_bytes()?),
        (Conv::Bytea, A::Fixed(size)) => bytes_field(out, reader.read_fixed(*size)?),
        (Conv::Bytea, _) => bytes_field(out, reader.read_fixed(16)?),
        (Conv::Uuid, A::UuidFixed) => bytes_field(out, reader.read_fixed(16)?),
        (Conv::Uuid, _) => {
            let text = reader.read_str()?;
            let bytes = parse_uuid(text).ok_or_else(|| bad(text, "not a UUID"))?;
            bytes_field(out, &bytes);
        }
        (Conv::Date, _) => {
            let days = i64::from(reader.read_int()?);
            let pg = days - PG_EPOCH_DAYS;
            if !(PG_DATE_MIN..PG_DATE_END).contains(&pg) {
                return Err(bad(
                    json::format_date(days),
                    "outside PostgreSQL's date range",
                ));
            }
            bytes_field(out, &(pg as i32).to_be_bytes());
        }
        (Conv::Time, A::Time(unit)) => {
            let raw = match unit {
                TimeUnit::Millis => i64::from(reader.read_int()?),
                _ => reader.read_long()?,
            };
            // Negative first: -500 ns is not a time of day, though it truncates to 0 µs.
            let micros = match unit {
                TimeUnit::Millis => raw.checked_mul(1000),
                TimeUnit::Micros => Some(raw),
                TimeUnit::Nanos => Some(raw / 1000),
            }
            .filter(|m| raw >= 0 && (0..=MICROS_PER_DAY).contains(m))
            .ok_or_else(|| bad(raw, "not a time of day (00:00:00 to 24:00:00)"))?;
            bytes_field(out, &micros.to_be_bytes());
        }
        (Conv::Timestamp, A::Timestamp { unit, .. }) => {
            let raw = reader.read_long()?;
            let micros = timestamp_micros(raw, *unit, options.nanos)?;
            bytes_field(out, &micros.to_be_bytes());
        }
        (Conv::Interval, _) => {
            let (months, days, millis) = read_duration(reader)?;
            let micros = i64::from(millis) * 1000;
            let days = i32::try_from(days).map_err(|_| bad(days, "too many days for interval"))?;
            let months =
                i32::try_from(months).map_err(|_| bad(months, "too many months for interval"))?;
            let at = begin_field(out);
            out.extend_from_slice(&micros.to_be_bytes());
            out.extend_from_slice(&days.to_be_bytes());
            out.extend_from_slice(&months.to_be_bytes());
            end_field(out, at);
        }
        (
            Conv::Array {
                levels,
                element,
                oid,
            },
            _,
        ) => {
            emit_array(schema, levels, element, *oid, options, reader, out)?;
        }
        (conv, avro) => {
            // compile() only pairs conversions with the types they read.
            return Err(bad(
                format!("{avro:?}"),
                format!("internal error: no conversion {conv:?} for this type"),
            ));
        }
    }
    Ok(())
}

/// A float or double, widened for the NaN and infinity checks, with its shortest decimal
/// digits at its own width (see [`float_digits`]).
fn read_float_digits(
    avro: &AvroType,
    reader: &mut Reader<'_>,
) -> Result<(f64, (bool, String, usize)), DecodeError> {
    Ok(match avro {
        AvroType::Float => {
            let value = reader.read_float()?;
            (f64::from(value), float_digits(value))
        }
        _ => {
            let value = reader.read_double()?;
            (value, float_digits(value))
        }
    })
}

fn read_integer(avro: &AvroType, reader: &mut Reader<'_>) -> Result<i64, DecodeError> {
    match avro {
        AvroType::Int => reader.read_int().map(i64::from),
        _ => reader.read_long(),
    }
}

/// Microseconds since 2000-01-01 for a timestamp in `unit` since 1970, range-checked.
pub(crate) fn timestamp_micros(
    raw: i64,
    unit: TimeUnit,
    nanos: NanosPolicy,
) -> Result<i64, ConvError> {
    let micros: Option<i128> = match unit {
        TimeUnit::Millis => Some(i128::from(raw) * 1000),
        TimeUnit::Micros => Some(i128::from(raw)),
        TimeUnit::Nanos => {
            let rest = raw.rem_euclid(1000);
            match nanos {
                NanosPolicy::Truncate => Some(i128::from(raw.div_euclid(1000))),
                NanosPolicy::Round => {
                    Some(i128::from(raw.div_euclid(1000)) + i128::from(rest >= 500))
                }
                NanosPolicy::Reject if rest != 0 => {
                    return Err(bad(
                        raw,
                        "nanoseconds would be lost (nanosecond policy: reject)",
                    ));
                }
                NanosPolicy::Reject => Some(i128::from(raw / 1000)),
            }
        }
    };
    // In i128: a millisecond value near i64::MAX is a timestamp PostgreSQL holds once it is
    // moved to its epoch, though its microseconds since 1970 overflow an i64.
    micros
        .map(|m| m - i128::from(PG_EPOCH_MICROS))
        .filter(|m| (i128::from(PG_TIMESTAMP_MIN)..i128::from(PG_TIMESTAMP_END)).contains(m))
        .and_then(|m| i64::try_from(m).ok())
        .ok_or_else(|| {
            bad(
                raw,
                "outside PostgreSQL's timestamp range (4713 BC to 294276 AD)",
            )
        })
}

/// Text of a value: strings and enum labels as they are, bytes checked as UTF-8, numbers
/// in their shortest exact form.
fn write_text(
    avro: &AvroType,
    reader: &mut Reader<'_>,
    out: &mut Vec<u8>,
) -> Result<(), ConvError> {
    use AvroType as A;
    match avro {
        A::String | A::UuidString => out.extend_from_slice(reader.read_str()?.as_bytes()),
        A::Bytes | A::Fixed(_) => {
            let bytes = match avro {
                A::Fixed(size) => reader.read_fixed(*size)?,
                _ => reader.read_bytes()?,
            };
            let text = std::str::from_utf8(bytes).map_err(|_| {
                bad(
                    format!("{:x?}", &bytes[..bytes.len().min(16)]),
                    "bytes are not UTF-8 text",
                )
            })?;
            out.extend_from_slice(text.as_bytes());
        }
        A::Enum(symbols) => {
            let index = reader.read_index(symbols.len(), IndexKind::EnumSymbol)?;
            out.extend_from_slice(symbols[index].as_bytes());
        }
        A::Boolean => out.extend_from_slice(if reader.read_bool()? {
            b"true"
        } else {
            b"false"
        }),
        A::Int | A::Long => {
            out.extend_from_slice(read_integer(avro, reader)?.to_string().as_bytes())
        }
        A::Float | A::Double => {
            let (value, (negative, digits, scale)) = read_float_digits(avro, reader)?;
            let text = if value.is_nan() {
                "NaN".to_owned()
            } else if value.is_infinite() {
                if value > 0.0 { "Infinity" } else { "-Infinity" }.to_owned()
            } else {
                decimal_text(negative, &digits, scale)
            };
            out.extend_from_slice(text.as_bytes());
        }
        A::UuidFixed => out.extend_from_slice(format_uuid(reader.read_fixed(16)?).as_bytes()),
        A::Decimal { .. } | A::BigDecimal => {
            let (negative, digits, scale) = read_decimal(avro, reader)?;
            out.extend_from_slice(decimal_text(negative, &digits, scale).as_bytes());
        }
        other => return Err(bad(format!("{other:?}"), "internal error: no text form")),
    }
    Ok(())
}

/// (negative, digits, scale) of a decimal or big-decimal value.
fn read_decimal(
    avro: &AvroType,
    reader: &mut Reader<'_>,
) -> Result<(bool, String, usize), ConvError> {
    let (unscaled, scale) = match avro {
        AvroType::Decimal {
            scale,
            fixed: Some(size),
            ..
        } => (reader.read_fixed(*size)?, *scale),
        AvroType::Decimal { scale, .. } => (reader.read_bytes()?, *scale),
        _ => {
            let (unscaled, scale) = read_big_decimal(reader)?;
            let (negative, digits) =
                twos_complement_digits(unscaled).map_err(|e| bad("(decimal)", e.to_string()))?;
            let (digits, scale) = json::unscale(digits, scale);
            return Ok((negative, digits, scale));
        }
    };
    let (negative, digits) =
        twos_complement_digits(unscaled).map_err(|e| bad("(decimal)", e.to_string()))?;
    Ok((negative, digits, scale))
}

fn emit_numeric(
    avro: &AvroType,
    limit: Option<(u16, u16)>,
    reader: &mut Reader<'_>,
    out: &mut Vec<u8>,
) -> Result<(), ConvError> {
    use AvroType as A;
    let (negative, digits, scale) = match avro {
        A::Int | A::Long => {
            let value = read_integer(avro, reader)?;
            (value < 0, value.unsigned_abs().to_string(), 0)
        }
        A::Float | A::Double => {
            let (value, digits) = read_float_digits(avro, reader)?;
            if !value.is_finite() {
                if limit.is_some() && value.is_infinite() {
                    return Err(bad(value, "a numeric(p,s) column cannot hold infinity"));
                }
                write_numeric_special(value, out);
                return Ok(());
            }
            digits
        }
        _ => read_decimal(avro, reader)?,
    };
    write_numeric(negative, &digits, scale, limit, out).map_err(|e| {
        let value = decimal_text(negative, &digits, scale);
        match e {
            NumericError::Scale { .. }
            | NumericError::Precision { .. }
            | NumericError::TooLarge => bad(value, e.to_string()),
        }
    })
}

/// Writes an Avro array (arrays nested `levels.len()` deep) as a PostgreSQL array of that
/// many dimensions: the lengths of each dimension, then the innermost items in row-major
/// order. An empty array is `{}` (no dimension); a ragged value (sub-arrays of different
/// lengths), an empty or a null sub-array are refused, as PostgreSQL refuses
/// `'{{1,2},{3}}'`, `'{{}}'` and `'{{1,2},NULL}'`.
fn emit_array(
    schema: &WriterSchema,
    levels: &[NodeId],
    element: &Conv,
    oid: u32,
    options: &PlanOptions,
    reader: &mut Reader<'_>,
    out: &mut Vec<u8>,
) -> Result<(), ConvError> {
    let at = begin_field(out);
    let ndim = levels.len();
    out.extend_from_slice(&(ndim as i32).to_be_bytes());
    let flags_at = out.len();
    out.extend_from_slice(&0i32.to_be_bytes()); // has nulls
    out.extend_from_slice(&oid.to_be_bytes());
    let dims_at = out.len();
    for _ in 0..ndim {
        out.extend_from_slice(&0i32.to_be_bytes()); // length, patched below
        out.extend_from_slice(&1i32.to_be_bytes()); // lower bound
    }
    let mut shape = Shape {
        lengths: vec![None; ndim],
        has_nulls: false,
        elements: 0,
    };
    let count = emit_level(schema, levels, 0, element, options, &mut shape, reader, out)?;
    if count == 0 {
        // An empty array has no dimensions.
        out.truncate(at + 4);
        out.extend_from_slice(&0i32.to_be_bytes());
        out.extend_from_slice(&0i32.to_be_bytes());
        out.extend_from_slice(&oid.to_be_bytes());
    } else {
        for (i, length) in shape.lengths.iter().enumerate() {
            let length = length.unwrap_or(0);
            let length =
                i32::try_from(length).map_err(|_| bad(length, "too many array elements"))?;
            out[dims_at + 8 * i..dims_at + 8 * i + 4].copy_from_slice(&length.to_be_bytes());
        }
        out[flags_at..flags_at + 4].copy_from_slice(&i32::from(shape.has_nulls).to_be_bytes());
    }
    end_field(out, at);
    Ok(())
}

/// What the levels of an array read so far say about its shape.
struct Shape {
    /// Each dimension's length, from the first (sub-)array met at that level.
    lengths: Vec<Option<u64>>,
    has_nulls: bool,
    /// Innermost items written.
    elements: u64,
}

/// PostgreSQL's most elements in one array (MaxArraySize).
const MAX_ARRAY_ELEMENTS: u64 = (1 << 30) / 8 - 1;

/// Reads the array of level `level` (its items of type `levels[level]`), writing its
/// innermost items; its item count.
#[allow(clippy::too_many_arguments)]
fn emit_level(
    schema: &WriterSchema,
    levels: &[NodeId],
    level: usize,
    element: &Conv,
    options: &PlanOptions,
    shape: &mut Shape,
    reader: &mut Reader<'_>,
    out: &mut Vec<u8>,
) -> Result<u64, ConvError> {
    let item = levels[level];
    let nullable = schema.nullable(item);
    let inner = nullable.map_or(item, |(_, t)| t);
    let innermost = level + 1 == levels.len();
    let min = json::min_size(schema, item);
    let mut count: u64 = 0;
    loop {
        let block = reader.read_block_count(min)?;
        if block == 0 {
            break;
        }
        for _ in 0..block {
            count += 1;
            if let Some((null_index, _)) = nullable {
                let index = reader.read_index(2, IndexKind::UnionBranch)?;
                if index == null_index {
                    if !innermost {
                        return Err(bad(
                            "(nested array)",
                            format!(
                                "a null where an array of dimension {} is expected: PostgreSQL's multi-dimensional arrays hold no null sub-array (map the field to jsonb to keep such values)",
                                level + 2
                            ),
                        ));
                    }
                    shape.has_nulls = true;
                    shape.elements += 1;
                    null_field(out);
                    continue;
                }
            }
            if innermost {
                shape.elements += 1;
                if shape.elements > MAX_ARRAY_ELEMENTS {
                    return Err(bad(
                        "(array)",
                        format!("more than PostgreSQL's {MAX_ARRAY_ELEMENTS} array elements"),
                    ));
                }
                emit(schema, inner, element, options, reader, out)?;
            } else {
                emit_level(
                    schema,
                    levels,
                    level + 1,
                    element,
                    options,
                    shape,
                    reader,
                    out,
                )?;
            }
        }
    }
    match shape.lengths[level] {
        // An empty sub-array has no place in a rectangle of elements (PostgreSQL refuses
        // '{{}}'); only the whole array may be empty.
        None if count == 0 && level > 0 => Err(bad(
            "(nested array)",
            format!(
                "an empty array at dimension {}: PostgreSQL's multi-dimensional arrays have no empty sub-array (map the field to jsonb to keep such values)",
                level + 1
            ),
        )),
        None => {
            shape.lengths[level] = Some(count);
            Ok(count)
        }
        Some(first) if first == count => Ok(count),
        Some(first) => Err(bad(
            "(nested array)",
            format!(
                "a ragged array: at dimension {} an array of {count} items where the first had {first}; PostgreSQL's multi-dimensional arrays are rectangular (map the field to jsonb to keep such values)",
                level + 1
            ),
        )),
    }
}

/// How deep a JSON text may nest (arrays and objects) to go into a jsonb column. PostgreSQL's
/// own limit is its stack (`max_stack_depth`): past it, the whole statement fails with SQLSTATE
/// 54001, so inlet refuses deeper documents itself, record by record.
pub(crate) const MAX_JSON_DEPTH: usize = 128;

/// JSON text that PostgreSQL's jsonb accepts: valid JSON, nested at most [`MAX_JSON_DEPTH`]
/// deep, no `\u0000` escape.
fn check_json(text: &str) -> Result<(), ConvError> {
    if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(text) {
        return Err(bad(text, format!("not valid JSON: {e}")));
    }
    if json::depth(text.as_bytes()) > MAX_JSON_DEPTH {
        return Err(bad(
            text,
            format!("JSON nested deeper than {MAX_JSON_DEPTH} levels, which inlet does not store"),
        ));
    }
    // What jsonb refuses beyond JSON's grammar: \u0000, and UTF-16 surrogates that are not
    // a high one followed by a low one (PostgreSQL's JSON lexer).
    let bytes = text.as_bytes();
    let escape = |i: usize| -> Option<u32> {
        let hex = bytes.get(i + 2..i + 6)?;
        u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
    };
    let mut i = 0;
    let mut high = false;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            if high {
                return Err(bad(
                    text,
                    "JSON with a lone UTF-16 high surrogate, which jsonb refuses",
                ));
            }
            i += 1;
            continue;
        }
        match (bytes.get(i + 1), escape(i)) {
            (Some(b'u'), Some(0)) => {
                return Err(bad(text, "JSON with \\u0000, which jsonb cannot store"));
            }
            (Some(b'u'), Some(unit)) if (0xD800..0xDC00).contains(&unit) => {
                if high {
                    return Err(bad(
                        text,
                        "JSON with a UTF-16 high surrogate after another, which jsonb refuses",
                    ));
                }
                high = true;
                i += 6;
            }
            (Some(b'u'), Some(unit)) if (0xDC00..0xE000).contains(&unit) => {
                if !high {
                    return Err(bad(
                        text,
                        "JSON with a UTF-16 low surrogate not after a high one, which jsonb refuses",
                    ));
                }
                high = false;
                i += 6;
            }
            (Some(b'u'), _) => {
                if high {
                    return Err(bad(
                        text,
                        "JSON with a lone UTF-16 high surrogate, which jsonb refuses",
                    ));
                }
                i += 6;
            }
            _ => {
                if high {
                    return Err(bad(
                        text,
                        "JSON with a lone UTF-16 high surrogate, which jsonb refuses",
                    ));
                }
                i += 2;
            }
        }
    }
    if high {
        return Err(bad(
            text,
            "JSON with a lone UTF-16 high surrogate, which jsonb refuses",
        ));
    }
    Ok(())
}

/// A UUID as PostgreSQL's `uuid` input reads one: 32 hex digits in any case, optionally in
/// braces, with an optional hyphen after any group of four digits (but not after the last):
/// `a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11`, `{a0eebc99…}`, `a0ee-bc99-…`, `a0eebc999c0b…`.
/// Nothing else (no spaces, no other separators).
fn parse_uuid(text: &str) -> Option<[u8; 16]> {
    let mut src = text.as_bytes();
    let braces = src.first() == Some(&b'{');
    if braces {
        src = &src[1..];
    }
    let digit = |c: u8| (c as char).to_digit(16);
    let mut out = [0u8; 16];
    for (i, byte) in out.iter_mut().enumerate() {
        let (&high, &low) = (src.first()?, src.get(1)?);
        *byte = (digit(high)? * 16 + digit(low)?) as u8;
        src = &src[2..];
        if src.first() == Some(&b'-') && i % 2 == 1 && i < 15 {
            src = &src[1..];
        }
    }
    if braces {
        src = src.strip_prefix(b"}")?;
    }
    src.is_empty().then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_parse_in_both_spellings() {
        let a = parse_uuid("123E4567-e89b-12d3-a456-426614174000").unwrap();
        let b = parse_uuid("123e4567e89b12d3a456426614174000").unwrap();
        assert_eq!(a, b);
        assert_eq!(format_uuid(&a), "123e4567-e89b-12d3-a456-426614174000");
        assert!(parse_uuid("123e4567-e89b-12d3-a456-42661417400g").is_none());
        assert!(parse_uuid("123e4567+e89b-12d3-a456-426614174000").is_none());
        assert!(parse_uuid("").is_none());
    }

    #[test]
    fn json_checks() {
        assert!(
            check_json(r#"{"a":[1,2,"x\\u0000"]}"#).is_ok(),
            "an escaped backslash is not NUL"
        );
        assert!(check_json(r#"{"a":"\u0000"}"#).is_err());
        assert!(check_json("{not json").is_err());
    }

    #[test]
    fn nanosecond_policy() {
        let ns = 1_700_000_000_123_456_789i64;
        let base = 1_700_000_000_123_456i64 - PG_EPOCH_MICROS;
        assert_eq!(
            timestamp_micros(ns, TimeUnit::Nanos, NanosPolicy::Truncate).unwrap(),
            base
        );
        assert_eq!(
            timestamp_micros(ns, TimeUnit::Nanos, NanosPolicy::Round).unwrap(),
            base + 1
        );
        assert!(timestamp_micros(ns, TimeUnit::Nanos, NanosPolicy::Reject).is_err());
        assert_eq!(
            timestamp_micros(ns - 789, TimeUnit::Nanos, NanosPolicy::Reject).unwrap(),
            base
        );
        // before 1970, truncation goes to the earlier microsecond
        assert_eq!(
            timestamp_micros(-1, TimeUnit::Nanos, NanosPolicy::Truncate).unwrap(),
            -1 - PG_EPOCH_MICROS
        );
        assert!(timestamp_micros(i64::MAX, TimeUnit::Millis, NanosPolicy::Truncate).is_err());
    }

    /// Every unit at the edges of PostgreSQL's range and of the Avro long: the last instant
    /// PostgreSQL holds is accepted whatever the unit (in milliseconds its microseconds since
    /// 1970 overflow an i64), the next one is refused, and no input overflows or panics.
    #[test]
    fn timestamps_at_the_extremes() {
        // 294276-12-31 23:59:59.999999 UTC is past i64 in Unix microseconds: the largest
        // microsecond value (294247-01-10) is a timestamp PostgreSQL holds.
        let t = NanosPolicy::Truncate;
        assert_eq!(
            timestamp_micros(i64::MAX, TimeUnit::Micros, t).unwrap(),
            i64::MAX - PG_EPOCH_MICROS
        );
        // 4713-11-24 BC 00:00:00 UTC, the first instant, in Unix µs.
        let first_micros = PG_TIMESTAMP_MIN + PG_EPOCH_MICROS;
        assert_eq!(
            timestamp_micros(first_micros, TimeUnit::Micros, t).unwrap(),
            PG_TIMESTAMP_MIN
        );
        assert!(timestamp_micros(first_micros - 1, TimeUnit::Micros, t).is_err());
        // In milliseconds PostgreSQL's last one, 294276-12-31 23:59:59.999, is reachable.
        let last_millis =
            i64::try_from((i128::from(PG_TIMESTAMP_END) - 1 + i128::from(PG_EPOCH_MICROS)) / 1000)
                .unwrap();
        assert_eq!(
            i128::from(timestamp_micros(last_millis, TimeUnit::Millis, t).unwrap()),
            i128::from(last_millis) * 1000 - i128::from(PG_EPOCH_MICROS)
        );
        assert!(timestamp_micros(last_millis + 1, TimeUnit::Millis, t).is_err());
        for unit in [TimeUnit::Millis, TimeUnit::Micros, TimeUnit::Nanos] {
            for raw in [i64::MIN, i64::MIN + 1, -1, 0, 1, i64::MAX - 1, i64::MAX] {
                for policy in [
                    NanosPolicy::Truncate,
                    NanosPolicy::Round,
                    NanosPolicy::Reject,
                ] {
                    if let Ok(m) = timestamp_micros(raw, unit, policy) {
                        assert!((PG_TIMESTAMP_MIN..PG_TIMESTAMP_END).contains(&m), "{raw}");
                    }
                }
            }
        }
        // Nanoseconds reach PostgreSQL's end only past i64: its largest value is accepted.
        assert!(timestamp_micros(i64::MAX, TimeUnit::Nanos, t).is_ok());
    }

    #[test]
    fn negative_big_decimal_scales_append_zeros() {
        assert_eq!(json::unscale("5".into(), -3), ("5000".to_owned(), 0));
        assert_eq!(json::unscale("12".into(), -1), ("120".to_owned(), 0));
        assert_eq!(json::unscale("0".into(), -5), ("0".to_owned(), 0));
        assert_eq!(json::unscale("12345".into(), 2), ("12345".to_owned(), 2));
        assert_eq!(decimal_text(true, "5000", 0), "-5000");
    }
}
