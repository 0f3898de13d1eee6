//! PostgreSQL's COPY BINARY format: the stream header and trailer, and the binary encodings
//! of the values plans write (numeric, date/time, interval, arrays).

/// The 19 bytes that open a COPY BINARY stream: signature, flags, header-extension length.
pub const COPY_HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The 2 bytes that close it: a field count of -1.
pub const COPY_TRAILER: &[u8] = &[0xff, 0xff];

/// Writes a complete COPY BINARY stream of `rows` (already encoded rows) to a buffer.
pub fn copy_stream(rows: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(COPY_HEADER);
    out.extend_from_slice(rows);
    out.extend_from_slice(COPY_TRAILER);
}

/// Microseconds from 1970-01-01 to PostgreSQL's epoch, 2000-01-01.
pub(crate) const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;
/// Days from 1970-01-01 to 2000-01-01.
pub(crate) const PG_EPOCH_DAYS: i64 = 10_957;
/// PostgreSQL's timestamp range, microseconds since 2000-01-01: 4713-01-01 BC ..
/// 294276-12-31 AD (exclusive end).
pub(crate) const PG_TIMESTAMP_MIN: i64 = -211_813_488_000_000_000;
pub(crate) const PG_TIMESTAMP_END: i64 = 9_223_371_331_200_000_000;
/// PostgreSQL's date range, days since 2000-01-01.
pub(crate) const PG_DATE_MIN: i64 = -2_451_545;
pub(crate) const PG_DATE_END: i64 = 2_145_031_949;
/// Microseconds in a day (the largest `time` value, 24:00:00, included).
pub(crate) const MICROS_PER_DAY: i64 = 86_400_000_000;

/// Writes a field's 4-byte length placeholder; returns where to patch it.
pub(crate) fn begin_field(out: &mut Vec<u8>) -> usize {
    let at = out.len();
    out.extend_from_slice(&[0, 0, 0, 0]);
    at
}

/// Patches the length written by [`begin_field`] with the bytes written since.
pub(crate) fn end_field(out: &mut [u8], at: usize) {
    let len = (out.len() - at - 4) as i32;
    out[at..at + 4].copy_from_slice(&len.to_be_bytes());
}

/// A NULL field.
pub(crate) fn null_field(out: &mut Vec<u8>) {
    out.extend_from_slice(&(-1i32).to_be_bytes());
}

/// A field of `bytes`.
#[inline]
pub(crate) fn field(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as i32).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// Why a decimal value does not fit a column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NumericError {
    /// More fractional digits than the column's scale, and they are not zeros.
    Scale { needed: usize, allowed: u16 },
    /// More integer digits than the column's precision leaves room for.
    Precision { digits: usize, allowed: usize },
    /// Larger than inlet converts (a forged length).
    TooLarge,
}

impl std::fmt::Display for NumericError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NumericError::Scale { needed, allowed } => write!(
                f,
                "it has {needed} digits after the point, the column keeps {allowed} (rounding would change the value)"
            ),
            NumericError::Precision { digits, allowed } => write!(
                f,
                "it has {digits} digits before the point, the column allows {allowed}"
            ),
            NumericError::TooLarge => f.write_str("the unscaled value is longer than 1024 bytes"),
        }
    }
}

/// The most bytes of an unscaled decimal inlet converts (≈ 2,466 digits).
const MAX_DECIMAL_BYTES: usize = 1024;

/// Decimal digits (ASCII, most significant first, no sign) of a big-endian two's-complement
/// integer, and whether it is negative.
pub(crate) fn twos_complement_digits(bytes: &[u8]) -> Result<(bool, String), NumericError> {
    if bytes.len() > MAX_DECIMAL_BYTES {
        return Err(NumericError::TooLarge);
    }
    if bytes.len() <= 16 {
        let negative = bytes.first().is_some_and(|b| b & 0x80 != 0);
        let mut value: i128 = if negative { -1 } else { 0 };
        for &b in bytes {
            value = (value << 8) | i128::from(b);
        }
        return Ok((value < 0, value.unsigned_abs().to_string()));
    }
    let negative = bytes[0] & 0x80 != 0;
    let mut magnitude: Vec<u8> = if negative {
        // Two's complement: invert and add one.
        let mut m: Vec<u8> = bytes.iter().map(|b| !b).collect();
        for byte in m.iter_mut().rev() {
            let (sum, carry) = byte.overflowing_add(1);
            *byte = sum;
            if !carry {
                break;
            }
        }
        m
    } else {
        bytes.to_vec()
    };
    // Repeated division by 10^9 of the big-endian magnitude.
    let mut chunks = Vec::new();
    while magnitude.iter().any(|&b| b != 0) {
        let mut remainder: u64 = 0;
        for byte in magnitude.iter_mut() {
            let current = (remainder << 8) | u64::from(*byte);
            *byte = (current / 1_000_000_000) as u8;
            remainder = current % 1_000_000_000;
        }
        chunks.push(remainder as u32);
    }
    let mut digits = String::new();
    for (i, chunk) in chunks.iter().rev().enumerate() {
        if i == 0 {
            digits.push_str(&chunk.to_string());
        } else {
            digits.push_str(&format!("{chunk:09}"));
        }
    }
    if digits.is_empty() {
        digits.push('0');
    }
    Ok((negative, digits))
}

/// The target scale of a numeric column: `column_scale` when constrained, else the value's.
/// Checks precision and scale and writes the numeric field (length included).
pub(crate) fn write_numeric(
    negative: bool,
    digits: &str,
    scale: usize,
    precision_limit: Option<(u16, u16)>,
    out: &mut Vec<u8>,
) -> Result<(), NumericError> {
    let digits = digits.as_bytes();
    let (int_part, frac_part) = if digits.len() > scale {
        digits.split_at(digits.len() - scale)
    } else {
        (&b""[..], digits)
    };
    let frac_pad = scale - frac_part.len(); // leading zeros of the fraction
    let int_part = strip_leading_zeros(int_part);
    let mut dscale = scale;
    let mut frac: Vec<u8> = std::iter::repeat_n(b'0', frac_pad)
        .chain(frac_part.iter().copied())
        .collect();
    if let Some((precision, column_scale)) = precision_limit {
        let column_scale_usize = usize::from(column_scale);
        if frac.len() > column_scale_usize {
            if frac[column_scale_usize..].iter().any(|&d| d != b'0') {
                let significant = frac.iter().rposition(|&d| d != b'0').map_or(0, |p| p + 1);
                return Err(NumericError::Scale {
                    needed: significant,
                    allowed: column_scale,
                });
            }
            frac.truncate(column_scale_usize);
        } else {
            frac.resize(column_scale_usize, b'0');
        }
        dscale = column_scale_usize;
        let allowed = usize::from(precision).saturating_sub(column_scale_usize);
        if int_part.len() > allowed {
            return Err(NumericError::Precision {
                digits: int_part.len(),
                allowed,
            });
        }
    }
    // Base-10000 groups aligned on the decimal point.
    let int_pad = (4 - int_part.len() % 4) % 4;
    let mut groups: Vec<i16> = Vec::with_capacity((int_part.len() + frac.len()) / 4 + 2);
    let int_digits: Vec<u8> = std::iter::repeat_n(b'0', int_pad)
        .chain(int_part.iter().copied())
        .collect();
    for chunk in int_digits.chunks(4) {
        groups.push(group_value(chunk));
    }
    let int_groups = groups.len() as i32;
    let mut frac_digits = frac.clone();
    frac_digits.resize(frac.len().div_ceil(4) * 4, b'0');
    for chunk in frac_digits.chunks(4) {
        groups.push(group_value(chunk));
    }
    let mut weight = int_groups - 1;
    let leading = groups.iter().take_while(|&&g| g == 0).count();
    groups.drain(..leading);
    weight -= leading as i32;
    while groups.last() == Some(&0) {
        groups.pop();
    }
    let (weight, sign) = if groups.is_empty() {
        (0, 0x0000u16)
    } else {
        (weight, if negative { 0x4000 } else { 0x0000 })
    };
    let len = 8 + 2 * groups.len();
    out.extend_from_slice(&(len as i32).to_be_bytes());
    out.extend_from_slice(&(groups.len() as i16).to_be_bytes());
    out.extend_from_slice(&(weight as i16).to_be_bytes());
    out.extend_from_slice(&sign.to_be_bytes());
    out.extend_from_slice(&(dscale as u16).to_be_bytes());
    for g in groups {
        out.extend_from_slice(&g.to_be_bytes());
    }
    Ok(())
}

/// A numeric special value: NaN or ±Infinity (PostgreSQL 14+).
pub(crate) fn write_numeric_special(value: f64, out: &mut Vec<u8>) {
    let sign: u16 = if value.is_nan() {
        0xC000
    } else if value > 0.0 {
        0xD000
    } else {
        0xF000
    };
    out.extend_from_slice(&8i32.to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&sign.to_be_bytes());
    out.extend_from_slice(&[0, 0]);
}

/// Splits a finite float's shortest decimal representation into (negative, digits, scale).
pub(crate) fn float_digits(value: impl std::fmt::LowerExp) -> (bool, String, usize) {
    // `{:e}` gives the shortest digits that round-trip at the value's own width (an Avro
    // float 0.1 is "1e-1", not the f64 widening's 1.0000000149011612e-1): "1.2345e-5".
    let text = format!("{value:e}");
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    let exponent: i64 = exponent.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let mantissa = mantissa.trim_start_matches('-');
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits = format!("{int}{frac}");
    // value = digits × 10^(exponent - frac.len())
    let shift = exponent - frac.len() as i64;
    if shift >= 0 {
        digits.extend(std::iter::repeat_n('0', shift as usize));
        (negative, digits, 0)
    } else {
        (negative, digits, shift.unsigned_abs() as usize)
    }
}

fn strip_leading_zeros(digits: &[u8]) -> &[u8] {
    let zeros = digits.iter().take_while(|&&d| d == b'0').count();
    &digits[zeros..]
}

fn group_value(chunk: &[u8]) -> i16 {
    chunk
        .iter()
        .fold(0i16, |acc, &d| acc * 10 + i16::from(d.wrapping_sub(b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric(negative: bool, digits: &str, scale: usize, limit: Option<(u16, u16)>) -> Vec<u8> {
        let mut out = Vec::new();
        write_numeric(negative, digits, scale, limit, &mut out).unwrap();
        out[4..].to_vec()
    }

    fn header(ndigits: i16, weight: i16, sign: u16, dscale: u16) -> Vec<u8> {
        [
            ndigits.to_be_bytes(),
            weight.to_be_bytes(),
            sign.to_be_bytes(),
            dscale.to_be_bytes(),
        ]
        .concat()
    }

    #[test]
    fn numerics_are_grouped_on_the_point() {
        // 12345.678 = 1 2345 . 6780
        let mut want = header(3, 1, 0, 3);
        for g in [1i16, 2345, 6780] {
            want.extend(g.to_be_bytes());
        }
        assert_eq!(numeric(false, "12345678", 3, None), want);
        // -0.0005 = 0000 . 0005 -> weight -1
        let mut want = header(1, -1, 0x4000, 4);
        want.extend(5i16.to_be_bytes());
        assert_eq!(numeric(true, "5", 4, None), want);
        // zero
        assert_eq!(numeric(true, "0", 2, None), header(0, 0, 0, 2));
        // 1000000 = 100 0000 -> groups [100], weight 1
        let mut want = header(1, 1, 0, 0);
        want.extend(100i16.to_be_bytes());
        assert_eq!(numeric(false, "1000000", 0, None), want);
    }

    #[test]
    fn column_scale_and_precision_are_enforced() {
        // 1.50 into numeric(5,1): trailing zero dropped
        assert_eq!(
            numeric(false, "150", 2, Some((5, 1))),
            numeric(false, "15", 1, None)
        );
        let mut out = Vec::new();
        assert_eq!(
            write_numeric(false, "155", 2, Some((5, 1)), &mut out),
            Err(NumericError::Scale {
                needed: 2,
                allowed: 1
            })
        );
        assert_eq!(
            write_numeric(false, "123456", 0, Some((5, 0)), &mut out),
            Err(NumericError::Precision {
                digits: 6,
                allowed: 5
            })
        );
    }

    #[test]
    fn twos_complement_of_any_length() {
        assert_eq!(
            twos_complement_digits(&[0xff, 0x85]).unwrap(),
            (true, "123".into())
        );
        assert_eq!(twos_complement_digits(&[]).unwrap(), (false, "0".into()));
        let mut big = vec![0u8; 20];
        big[0] = 0x01; // 2^152
        assert_eq!(
            twos_complement_digits(&big).unwrap().1,
            "5708990770823839524233143877797980545530986496"
        );
        let minus_one = vec![0xffu8; 20];
        assert_eq!(
            twos_complement_digits(&minus_one).unwrap(),
            (true, "1".into())
        );
    }

    #[test]
    fn floats_split_into_exact_digits() {
        assert_eq!(float_digits(1.5), (false, "15".into(), 1));
        assert_eq!(float_digits(-0.001), (true, "1".into(), 3));
        assert_eq!(
            float_digits(1e20),
            (false, "100000000000000000000".into(), 0)
        );
        assert_eq!(
            float_digits(0.1 + 0.2),
            (false, "30000000000000004".into(), 17)
        );
    }
}
