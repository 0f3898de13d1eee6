//! Text into typed values, as PostgreSQL's input functions read it, within the forms JSON
//! documents carry. Each function takes the whole text and gives the value, or `None` when
//! PostgreSQL would refuse it or it is outside the forms read here (then the record is a
//! dead letter that quotes the text).
//!
//! - timestamps: ISO 8601 / RFC 3339, `YYYY-MM-DD[(T| )HH:MM[:SS[.fraction]]][offset]`,
//!   the offset `Z`, `±HH`, `±HHMM` or `±HH:MM[:SS]` (at most 15:59:59, as PostgreSQL);
//!   a fraction beyond microseconds is rounded as PostgreSQL rounds it (read as a double,
//!   times a million, half to even); years 0001 to 9999. Without an offset a timestamptz
//!   is taken as UTC, where PostgreSQL would take its session's `TimeZone` (the tests
//!   compare with `TimeZone = UTC`). PostgreSQL also reads `now`, `epoch`, `infinity`,
//!   month names, `24:00:00`, leap seconds and other orders of the fields: those are
//!   refused here.
//! - booleans: PostgreSQL's `boolin` (`t`, `true`, `yes`, `on`, `1` and their unique
//!   prefixes, the same for false), from a string or the numbers 1 and 0.
//! - dates `YYYY-MM-DD`; times `HH:MM[:SS[.fraction]]` with an offset ignored.
//! - integers: optional spaces, a sign, digits, optional spaces (int8in of PostgreSQL 15).
//! - reals: a decimal number with an exponent, or `NaN`, `Infinity`, `inf` with a sign, in
//!   any case (float8in); out of range (overflow, or underflow to zero) is refused.
//! - numerics: a decimal number with an exponent, at most 1000 digits before the point
//!   and 1000 after it (PostgreSQL: 131072 and 16383); `NaN` and `Infinity` are refused (Avro's
//!   decimals, which the value travels as, have neither). A column `numeric(p,s)` refuses
//!   digits past its scale, as for Avro decimals (PostgreSQL rounds them).
//! - bytea: `\x` then pairs of hex digits (spaces between pairs), or the escape form
//!   (`\\` a backslash, `\ooo` an octal byte, any other character its UTF-8 bytes).

/// Microseconds in a day.
const DAY_MICROS: i64 = 86_400_000_000;

/// The days from 1970-01-01 to `year-month-day` (proleptic Gregorian), when it is a date.
pub fn days_from_civil(year: i64, month: u32, day: u32) -> Option<i64> {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month[month as usize - 1] {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// A cursor over ASCII text.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Self {
        Cursor {
            bytes: text.as_bytes(),
            at: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    /// Exactly `n` digits as a number.
    fn digits(&mut self, n: usize) -> Option<u32> {
        let slice = self.bytes.get(self.at..self.at + n)?;
        if !slice.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.at += n;
        Some(slice.iter().fold(0, |v, d| v * 10 + u32::from(d - b'0')))
    }

    fn done(&self) -> bool {
        self.at == self.bytes.len()
    }
}

/// `YYYY-MM-DD` at the cursor, as days since 1970-01-01.
fn date_at(c: &mut Cursor<'_>) -> Option<i64> {
    let year = c.digits(4)?;
    if year == 0 || !c.eat(b'-') {
        return None;
    }
    let month = c.digits(2)?;
    if !c.eat(b'-') {
        return None;
    }
    let day = c.digits(2)?;
    days_from_civil(i64::from(year), month, day)
}

/// `HH:MM[:SS[.fraction]]` at the cursor, as microseconds since midnight (a fraction
/// rounded to microseconds: 23:59:59.9999999 is 24:00:00, which the caller's day
/// arithmetic carries into the next day).
fn time_at(c: &mut Cursor<'_>) -> Option<i64> {
    let hour = c.digits(2)?;
    if !c.eat(b':') {
        return None;
    }
    let minute = c.digits(2)?;
    let mut second = 0;
    let mut micros = 0i64;
    if c.eat(b':') {
        second = c.digits(2)?;
        if c.eat(b'.') {
            let start = c.at;
            while c.peek().is_some_and(|b| b.is_ascii_digit()) {
                c.at += 1;
            }
            let fraction = &c.bytes[start..c.at];
            if fraction.is_empty() {
                return None;
            }
            micros = fraction_micros(fraction)?;
        }
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    Some((i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second)) * 1_000_000 + micros)
}

/// The digits after a second's point as microseconds, as PostgreSQL's
/// ParseFractionalSecond takes them: the fraction read as a double, times a million,
/// rounded half to even (up to 6 digits that is the digits themselves, without the double).
fn fraction_micros(digits: &[u8]) -> Option<i64> {
    if digits.len() <= 6 {
        let value = digits
            .iter()
            .fold(0i64, |v, d| v * 10 + i64::from(d - b'0'));
        return Some(value * 10i64.pow(6 - digits.len() as u32));
    }
    let text = std::str::from_utf8(digits).ok()?;
    let seconds: f64 = format!("0.{text}").parse().ok()?;
    Some((seconds * 1_000_000.0).round_ties_even() as i64)
}

/// An offset at the cursor (`Z`, `±HH`, `±HHMM`, `±HH:MM`, `±HH:MM:SS`), in seconds east of
/// UTC; None when there is none; Some(Err) when one starts but is not an offset.
fn offset_at(c: &mut Cursor<'_>) -> Option<Result<i64, ()>> {
    if c.eat(b'Z') || c.eat(b'z') {
        return Some(Ok(0));
    }
    let sign = match c.peek()? {
        b'+' => 1,
        b'-' => -1,
        _ => return Some(Err(())),
    };
    c.at += 1;
    let parse = |c: &mut Cursor<'_>| {
        let hours = c.digits(2)?;
        let mut minutes = 0;
        let mut seconds = 0;
        if c.eat(b':') {
            minutes = c.digits(2)?;
            if c.eat(b':') {
                seconds = c.digits(2)?;
            }
        } else if c.peek().is_some_and(|b| b.is_ascii_digit()) {
            minutes = c.digits(2)?;
        }
        // PostgreSQL's limit on a time zone offset: 15:59:59.
        (hours <= 15 && minutes <= 59 && seconds <= 59).then(|| {
            sign * (i64::from(hours) * 3600 + i64::from(minutes) * 60 + i64::from(seconds))
        })
    };
    Some(parse(c).ok_or(()))
}

/// A timestamp's text as microseconds since 1970-01-01 00:00 UTC (`local`: the wall-clock
/// time as written, any offset ignored, as PostgreSQL's `timestamp` input does; else the
/// instant, a text without an offset taken as UTC).
pub fn timestamp_micros(text: &str, local: bool) -> Option<i64> {
    let mut c = Cursor::new(text.trim_matches(' '));
    let days = date_at(&mut c)?;
    let mut micros = 0;
    let mut offset = 0;
    if c.eat(b'T') || c.eat(b't') || c.eat(b' ') {
        micros = time_at(&mut c)?;
        c.eat(b' ');
        if let Some(parsed) = offset_at(&mut c) {
            offset = parsed.ok()?;
        }
    }
    if !c.done() {
        return None;
    }
    if local {
        offset = 0;
    }
    days.checked_mul(DAY_MICROS)?
        .checked_add(micros)?
        .checked_sub(offset * 1_000_000)
}

/// A date's text `YYYY-MM-DD` as days since 1970-01-01.
pub fn date_days(text: &str) -> Option<i32> {
    let mut c = Cursor::new(text.trim_matches(' '));
    let days = date_at(&mut c)?;
    c.done().then_some(i32::try_from(days).ok()?)
}

/// A time's text as microseconds since midnight (an offset after it is ignored, as
/// PostgreSQL's `time` input does; 24:00:00 is refused).
pub fn time_micros(text: &str) -> Option<i64> {
    let mut c = Cursor::new(text.trim_matches(' '));
    let micros = time_at(&mut c)?;
    c.eat(b' ');
    if let Some(parsed) = offset_at(&mut c) {
        parsed.ok()?;
    }
    (c.done() && micros < DAY_MICROS).then_some(micros)
}

/// A boolean's text as PostgreSQL's `boolin` reads it: spaces around, any case, `true`,
/// `yes`, `false`, `no` or a prefix of one that no other shares, `on`, `off`, `1`, `0`.
pub fn boolean(text: &str) -> Option<bool> {
    let t = text
        .trim_matches(|c: char| c.is_ascii_whitespace())
        .to_ascii_lowercase();
    let prefix_of = |word: &str| !t.is_empty() && word.starts_with(t.as_str());
    match t.as_str() {
        "1" | "on" => Some(true),
        "0" | "of" | "off" => Some(false),
        _ if prefix_of("true") || prefix_of("yes") => Some(true),
        _ if prefix_of("false") || prefix_of("no") => Some(false),
        _ => None,
    }
}

/// Whether `text` is a UUID as inference proposes a uuid column for: 32 hex digits, in
/// the 8-4-4-4-12 groups with hyphens.
pub fn is_uuid(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// An integer's text (spaces around, a sign, decimal digits) as an i64.
pub fn integer(text: &str) -> Option<i64> {
    let t = text.trim_matches(|c: char| c.is_ascii_whitespace());
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.strip_prefix('+').unwrap_or(t).parse().ok()
}

/// Whether `text` is a decimal number: digits with an optional point and exponent, a sign
/// first (JSON's numbers and PostgreSQL's numeric text alike).
fn decimal_parts(text: &str) -> Option<(bool, &str, &str, i64)> {
    let (negative, t) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(at) => {
            let e = &t[at + 1..];
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            // More digits than this is out of any range read here.
            let significant = digits.trim_start_matches('0');
            let e: i64 = if significant.len() > 6 {
                if e.starts_with('-') {
                    -10_000_000
                } else {
                    10_000_000
                }
            } else {
                e.parse().ok()?
            };
            (&t[..at], e)
        }
        None => (t, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if (whole.is_empty() && fraction.is_empty())
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    Some((negative, whole, fraction, exponent))
}

/// The most digits before the point read here: an exponent is expanded into digits, so a
/// bound keeps `1e131071` (8 bytes) from becoming 131072 digits (PostgreSQL: 131072).
const MAX_WHOLE_DIGITS: i64 = 1000;

/// The most digits after the point read here: Avro's big-decimal, which the value travels
/// as, keeps a scale of at most 1000 (PostgreSQL: 16383).
const MAX_SCALE: i64 = 1000;

/// A number's text as (negative, digits of the unscaled value, scale): `-12.50` is
/// (true, "1250", 2), `5e3` is (false, "5000", 0). Spaces around are allowed; more than
/// 1000 digits before the point or after it (PostgreSQL: 131072 and 16383), NaN and the
/// infinities are refused.
pub fn numeric(text: &str) -> Option<(bool, String, u32)> {
    let t = text.trim_matches(|c: char| c.is_ascii_whitespace());
    let (negative, whole, fraction, exponent) = decimal_parts(t)?;
    // numeric's most digits before the point; the scale is bounded below.
    if !(-MAX_SCALE..=MAX_WHOLE_DIGITS).contains(&exponent) {
        return None;
    }
    let mut digits = format!("{whole}{fraction}");
    let mut scale = fraction.len() as i64 - exponent;
    if scale < 0 {
        digits.extend(std::iter::repeat_n('0', scale.unsigned_abs() as usize));
        scale = 0;
    }
    let trimmed = digits.trim_start_matches('0');
    let digits = if trimmed.is_empty() { "0" } else { trimmed }.to_owned();
    if scale > MAX_SCALE || digits.len() as i64 - scale > MAX_WHOLE_DIGITS {
        return None;
    }
    let negative = negative && digits != "0";
    Some((negative, digits, u32::try_from(scale).ok()?))
}

/// A real's text as an f64 (float8in): refused when it overflows, or underflows to zero
/// from digits that are not all zero.
pub fn float(text: &str) -> Option<f64> {
    let t = text.trim_matches(|c: char| c.is_ascii_whitespace());
    if let Some(special) = special_float(t) {
        return Some(special);
    }
    let (_, whole, fraction, _) = decimal_parts(t)?;
    let value: f64 = t.parse().ok()?;
    let zero_digits = whole.bytes().chain(fraction.bytes()).all(|b| b == b'0');
    (value.is_finite() && (value != 0.0 || zero_digits)).then_some(value)
}

/// A real's text as an f32 (float4in), with [`float`]'s rules.
pub fn float4(text: &str) -> Option<f32> {
    let t = text.trim_matches(|c: char| c.is_ascii_whitespace());
    if let Some(special) = special_float(t) {
        return Some(special as f32);
    }
    let (_, whole, fraction, _) = decimal_parts(t)?;
    let value: f32 = t.parse().ok()?;
    let zero_digits = whole.bytes().chain(fraction.bytes()).all(|b| b == b'0');
    (value.is_finite() && (value != 0.0 || zero_digits)).then_some(value)
}

/// NaN and the infinities as float8in spells them.
fn special_float(t: &str) -> Option<f64> {
    let (sign, rest) = match t.as_bytes().first()? {
        b'-' => (-1.0, &t[1..]),
        b'+' => (1.0, &t[1..]),
        _ => (1.0, t),
    };
    if rest.eq_ignore_ascii_case("nan") {
        return Some(f64::NAN);
    }
    (rest.eq_ignore_ascii_case("infinity") || rest.eq_ignore_ascii_case("inf"))
        .then_some(sign * f64::INFINITY)
}

/// bytea's input: `\x` and hex pairs (spaces between pairs allowed), or the escape form.
pub fn bytea(text: &str) -> Option<Vec<u8>> {
    if let Some(hex) = text
        .strip_prefix("\\x")
        .or_else(|| text.strip_prefix("\\X"))
    {
        let digits: Vec<u8> = hex.bytes().collect();
        let mut out = Vec::with_capacity(digits.len() / 2);
        let mut i = 0;
        while i < digits.len() {
            if digits[i].is_ascii_whitespace() {
                i += 1;
                continue;
            }
            let high = (digits[i] as char).to_digit(16)?;
            let low = (*digits.get(i + 1)? as char).to_digit(16)?;
            out.push((high * 16 + low) as u8);
            i += 2;
        }
        return Some(out);
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            out.push(bytes[i]);
            i += 1;
        } else if bytes.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
        } else {
            let octal = bytes.get(i + 1..i + 4)?;
            if !(b'0'..=b'3').contains(&octal[0])
                || !octal[1..].iter().all(|d| (b'0'..=b'7').contains(d))
            {
                return None;
            }
            out.push(octal.iter().fold(0u8, |v, d| (v << 3) | (d - b'0')));
            i += 4;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_their_iso_forms() {
        let t = |s| timestamp_micros(s, false);
        assert_eq!(t("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(t("1970-01-01 00:00:01+00"), Some(1_000_000));
        assert_eq!(t("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(t("1970-01-01T01:30:00+0130"), Some(0));
        assert_eq!(t("1970-01-01"), Some(0));
        // Half to even, as PostgreSQL (the database tests compare them).
        assert_eq!(t("2000-01-01T00:00:00.0000005Z"), Some(946_684_800_000_000));
        assert_eq!(t("2000-01-01T00:00:00.0000015Z"), Some(946_684_800_000_002));
        assert_eq!(
            t("2000-01-01T00:00:00.0000005001Z"),
            Some(946_684_800_000_001)
        );
        assert_eq!(t("1969-12-31T23:59:59.999999Z"), Some(-1));
        assert_eq!(
            timestamp_micros("2024-01-01T05:00:00+05", true),
            t("2024-01-01T05:00:00Z")
        );
        for bad in [
            "now",
            "2024-13-01",
            "2024-02-30",
            "2024-01-01T25:00",
            "2024-01-01T10:00:00+16",
            "0000-01-01",
            "2024-1-1",
            "2024-01-01T10:00:00 junk",
            "",
        ] {
            assert_eq!(t(bad), None, "{bad}");
        }
    }

    #[test]
    fn numbers_as_postgresql_reads_them() {
        assert_eq!(numeric("-12.50"), Some((true, "1250".into(), 2)));
        assert_eq!(numeric("5e3"), Some((false, "5000".into(), 0)));
        assert_eq!(numeric("1.5E-2"), Some((false, "15".into(), 3)));
        assert_eq!(numeric("-0.0"), Some((false, "0".into(), 1)));
        assert_eq!(numeric(" 7 "), Some((false, "7".into(), 0)));
        assert_eq!(numeric("1e131071"), None, "8 bytes, not 131072 digits");
        assert_eq!(numeric("1e999").map(|(_, d, _)| d.len()), Some(1000));
        assert_eq!(numeric("1e1000"), None);
        assert_eq!(numeric("1e-1001"), None);
        assert_eq!(numeric("NaN"), None);
        assert_eq!(numeric("."), None);
        assert_eq!(integer(" -42 "), Some(-42));
        assert_eq!(integer("1.0"), None);
        assert_eq!(integer("9223372036854775808"), None);
        assert_eq!(float("1e400"), None);
        assert_eq!(float("1e-400"), None);
        assert_eq!(float("0e-400"), Some(0.0));
        assert_eq!(float("-Infinity"), Some(f64::NEG_INFINITY));
        assert!(float("nan").unwrap().is_nan());
        assert_eq!(float4("3.4e39"), None);
    }

    #[test]
    fn booleans_as_boolin_reads_them() {
        for (text, want) in [
            ("t", Some(true)),
            (" YES ", Some(true)),
            ("of", Some(false)),
            ("o", None),
            ("1", Some(true)),
            ("n", Some(false)),
            ("", None),
            ("2", None),
        ] {
            assert_eq!(boolean(text), want, "{text:?}");
        }
    }

    #[test]
    fn bytea_in_both_forms() {
        assert_eq!(bytea("\\x01ff"), Some(vec![1, 255]));
        assert_eq!(bytea("\\x01 ff"), Some(vec![1, 255]));
        assert_eq!(bytea("\\x1"), None);
        assert_eq!(bytea("a\\\\b\\001"), Some(vec![b'a', b'\\', b'b', 1]));
        assert_eq!(bytea("a\\b"), None);
    }
}
