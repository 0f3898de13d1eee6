//! Conversions that parse or narrow, against PostgreSQL itself: the same inputs (edge cases
//! and seeded random ones) converted by inlet's plan and stored by the database from the
//! source value (its own input function or assignment cast, as an `INSERT` would). Accepted
//! values must be equal (compared as PostgreSQL's `::text`), refused values refused by both.
//!
//! Needs `scripts/services up` (PostgreSQL on 127.0.0.1:5432).

use apache_avro::Schema;
use apache_avro::types::Value;
use inlet_avro::{
    ColumnMapping, ColumnSource, DecodePlan, PlanOptions, RecordError, RecordMeta, RowScratch,
    WriterSchema,
};
use inlet_postgres::TableName;
use inlet_testkit::TestDatabase;

#[path = "support/pg.rs"]
mod pg;
use pg::copy_rows;

/// One conversion: the Avro type of field `v`, the column's type, how PostgreSQL stores the
/// source (an expression of `$2`, the source as text), and the inputs with their text.
struct Case {
    name: &'static str,
    avro: &'static str,
    column: &'static str,
    /// The value PostgreSQL stores from `$2::text` into a column of `column`.
    pg: &'static str,
    inputs: Vec<(Value, String)>,
    /// Inputs inlet refuses on purpose where PostgreSQL stores something (with why).
    stricter: Option<fn(&str) -> bool>,
    /// Whether inlet leaves refusing to PostgreSQL's COPY (the record is then dead-lettered
    /// with the database's own message after the batch is split).
    refused_by_copy: bool,
    /// What COPY's refusal must name (a domain's constraint), when it refuses.
    copy_refusal: Option<&'static str>,
}

impl Case {
    fn new(
        name: &'static str,
        avro: &'static str,
        column: &'static str,
        pg: &'static str,
        inputs: Vec<(Value, String)>,
    ) -> Self {
        Case {
            name,
            avro,
            column,
            pg,
            inputs,
            stricter: None,
            refused_by_copy: false,
            copy_refusal: None,
        }
    }
}

/// xorshift64: the same inputs on every run, so a failure names inputs that reproduce it.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn strings(values: &[String]) -> Vec<(Value, String)> {
    values
        .iter()
        .map(|s| (Value::String(s.clone()), s.clone()))
        .collect()
}

fn uuid_case(rng: &mut Rng) -> Case {
    let mut inputs: Vec<String> = [
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        "A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A12",
        "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a13}",
        "a0eebc999c0b4ef8bb6d6bb9bd380a14",
        "a0ee-bc99-9c0b-4ef8-bb6d-6bb9-bd38-0a15",
        "{a0eebc999c0b4ef8bb6d6bb9bd380a16}",
        "a0eebc99-9c0b4ef8-bb6d6bb9-bd380a17",
        // refused by both
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1",
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111",
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1-",
        "a0eebc9-99c0b-4ef8-bb6d-6bb9bd380a11",
        "-a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        "a0eebc99--9c0b-4ef8-bb6d-6bb9bd380a11",
        "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}",
        " a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 ",
        "g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
        "",
        "{}",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    // Random: 32 hex digits, a hyphen or not after each group of four, braces or not, and
    // now and then a character dropped or doubled.
    for _ in 0..300 {
        let mut text = String::new();
        let braces = rng.next().is_multiple_of(4);
        if braces {
            text.push('{');
        }
        for group in 0..8 {
            for _ in 0..4 {
                let d = (rng.next() % 16) as u32;
                let c = char::from_digit(d, 16).unwrap_or('0');
                text.push(if rng.next().is_multiple_of(2) {
                    c
                } else {
                    c.to_ascii_uppercase()
                });
            }
            if group < 7 && rng.next().is_multiple_of(3) {
                text.push('-');
            }
        }
        if braces {
            text.push('}');
        }
        match rng.next() % 10 {
            0 => {
                let at = (rng.next() as usize) % text.len();
                text.remove(at);
            }
            1 => {
                let at = (rng.next() as usize) % text.len();
                let c = text.as_bytes()[at] as char;
                text.insert(at, c);
            }
            _ => {}
        }
        inputs.push(text);
    }
    Case::new(
        "uuid",
        r#""string""#,
        "uuid",
        "$2::text::uuid",
        strings(&inputs),
    )
}

fn real_case(rng: &mut Rng) -> Case {
    let mut values = vec![
        0.0,
        -0.0,
        1.0,
        0.1,
        1e-50,
        -1e-50,
        1e-38,
        1.1754943508222875e-38, // real's smallest normal
        1.401298464324817e-45,  // real's smallest subnormal
        7e-46,                  // rounds to zero
        8e-46,                  // rounds to the smallest subnormal
        3.4028234663852886e38,  // real's largest
        3.4028235677973366e38,  // rounds to infinity
        1e39,
        -1e39,
        f64::MAX,
        f64::MIN_POSITIVE,
        123_456_789.123_456_79,
    ];
    for _ in 0..300 {
        // Random bit patterns that are finite: every exponent, both signs.
        let v = f64::from_bits(rng.next());
        if v.is_finite() {
            values.push(v);
        }
    }
    Case::new(
        "double into real",
        r#""double""#,
        "real",
        "$2::text::float8",
        values
            .into_iter()
            .map(|v| (Value::Double(v), format!("{v:e}")))
            .collect(),
    )
}

fn integer_case(rng: &mut Rng) -> Case {
    let mut values = vec![
        0i64,
        i64::from(i32::MAX),
        i64::from(i32::MAX) + 1,
        i64::from(i32::MIN),
        i64::from(i32::MIN) - 1,
        i64::MAX,
        i64::MIN,
    ];
    for _ in 0..200 {
        let shift = rng.next() % 64;
        values.push((rng.next() as i64) >> shift);
    }
    Case::new(
        "long into integer",
        r#""long""#,
        "integer",
        "$2::text::bigint",
        values
            .into_iter()
            .map(|v| (Value::Long(v), v.to_string()))
            .collect(),
    )
}

fn smallint_case(rng: &mut Rng) -> Case {
    let mut values = vec![0i32, 32767, 32768, -32768, -32769, i32::MAX, i32::MIN];
    for _ in 0..200 {
        let shift = rng.next() % 32;
        values.push((rng.next() as i32) >> shift);
    }
    Case::new(
        "int into smallint",
        r#""int""#,
        "smallint",
        "$2::text::integer",
        values
            .into_iter()
            .map(|v| (Value::Int(v), v.to_string()))
            .collect(),
    )
}

fn varchar_case(rng: &mut Rng) -> Case {
    let mut inputs: Vec<String> = [
        "",
        "abcde",
        "abcdef",
        "abcde\t",
        "abcde\u{a0}",
        "héllo",
        "héllo!",
        "ab   ",
        "abcde ",
        "abcde  x",
        "日本語です",
        "日本語ですか",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let alphabet = ['a', 'é', ' ', '日', 'z'];
    for _ in 0..200 {
        let len = rng.next() % 9;
        inputs.push(
            (0..len)
                .map(|_| alphabet[(rng.next() % 5) as usize])
                .collect(),
        );
    }
    // Assignment to varchar(5) from text: an error when too long, unless the excess is
    // spaces, which are cut.
    Case::new(
        "string into varchar(5)",
        r#""string""#,
        "varchar(5)",
        "$2::text",
        strings(&inputs),
    )
}

fn jsonb_case(rng: &mut Rng) -> Case {
    let mut inputs: Vec<String> = [
        r#"{"a": 1}"#,
        r#"[1, 2.50, "x"]"#,
        "1e400",
        "-0",
        r#""\u0000""#,
        r#""\u00e9""#,
        r#"{"a": 1, "a": 2}"#,
        "  true  ",
        "nul",
        "{",
        "",
        r#"{"k": "\ud83d\ude00"}"#,
        r#""\ud83d""#,
        r#""\ude00""#,
        r#""\ud83d\u0041""#,
        r#""\ud83d\u0000""#,
        r#"{"\ud83d": 1}"#,
        r#"{"\ud83d\ude00": 1}"#,
        r#""\\ud800""#,
        r#""\ud83d\ud83d\ude00""#,
        "0.1000000000000000000000000001",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let pieces = [
        "{",
        "}",
        "[",
        "]",
        "\"a\"",
        ":",
        ",",
        "1",
        "-2.5e3",
        "true",
        "null",
        " ",
        "\"\\n\"",
        "\"\\ud83d\"",
        "\"\\ude00\"",
        "\"\\ud83d\\ude00\"",
    ];
    for _ in 0..200 {
        let len = 1 + rng.next() % 6;
        inputs.push(
            (0..len)
                .map(|_| pieces[(rng.next() % pieces.len() as u64) as usize])
                .collect(),
        );
    }
    // Nesting: up to 128 levels stored as PostgreSQL stores them, deeper refused by inlet
    // (PostgreSQL stores 129 and 200 and fails the statement at 100,000: its stack).
    for depth in [127, 128, 129, 200, 100_000] {
        inputs.push(format!("{}{}", "[".repeat(depth), "]".repeat(depth)));
        inputs.push(format!(
            "{}1{}",
            r#"{"a":"#.repeat(depth),
            "}".repeat(depth)
        ));
    }
    inputs.push(format!(r#"[{}]"#, r#""[[[[""#.repeat(200)));
    let mut case = Case::new(
        "string into jsonb",
        r#""string""#,
        "jsonb",
        "$2::text::jsonb",
        strings(&inputs),
    );
    case.stricter = Some(|text| nesting(text) > 128);
    case
}

/// How deep arrays and objects nest in `text` (which holds no brackets inside strings but
/// for the one input made to check that such brackets do not count).
fn nesting(text: &str) -> usize {
    let (mut depth, mut deepest, mut in_string) = (0usize, 0, false);
    for c in text.chars() {
        match c {
            '"' => in_string = !in_string,
            '[' | '{' if !in_string => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ']' | '}' if !in_string => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

fn date_case(rng: &mut Rng) -> Case {
    // PostgreSQL's dates: 4714-11-24 BC to 5874897-12-31, in days since 1970-01-01.
    let mut values = vec![
        0i32,
        -2_440_588,
        -2_440_589,
        2_145_031_948,
        2_145_031_949,
        i32::MAX,
        i32::MIN,
    ];
    for _ in 0..200 {
        values.push(rng.next() as i32 >> (rng.next() % 32));
    }
    Case::new(
        "date",
        r#"{"type": "int", "logicalType": "date"}"#,
        "date",
        "'1970-01-01'::date + $2::text::integer",
        values
            .into_iter()
            .map(|v| (Value::Date(v), v.to_string()))
            .collect(),
    )
}

/// Micros since 1970 (a numeric expression) moved onto `base` exactly: whole days, then
/// the rest in microseconds (each factor exact in float8, so no rounding on PostgreSQL's
/// side), with PostgreSQL's own range checks on the way.
macro_rules! since_epoch {
    ($base:literal, $micros:literal) => {
        concat!(
            $base,
            " + trunc(",
            $micros,
            " / 86400000000)::float8 * interval '1 day'",
            " + (",
            $micros,
            " - trunc(",
            $micros,
            " / 86400000000) * 86400000000)::float8 * interval '1 microsecond'"
        )
    };
}

/// Long values around both ends of PostgreSQL's timestamp range, in `unit`s per second,
/// with seeded random ones of every magnitude.
fn timestamp_inputs(rng: &mut Rng, per_second: i64) -> Vec<(i64, String)> {
    // PostgreSQL's range, in seconds since 1970: 4714-11-24 00:00:00 BC to 294277-01-01.
    let (min, end) = (-210_866_803_200i64, 9_224_318_016_000i64);
    let mut values = vec![0, 1, -1, i64::MAX, i64::MIN, i64::MAX - 1, i64::MIN + 1];
    for edge in [min, end] {
        if let Some(at) = edge.checked_mul(per_second) {
            values.extend([at - 1, at, at + 1]);
        }
    }
    for _ in 0..200 {
        values.push((rng.next() as i64) >> (rng.next() % 64));
    }
    values.into_iter().map(|v| (v, v.to_string())).collect()
}

fn timestamp_cases(rng: &mut Rng) -> Vec<Case> {
    let micros = timestamp_inputs(rng, 1_000_000);
    let millis = timestamp_inputs(rng, 1_000);
    let nanos = timestamp_inputs(rng, 1_000_000_000);
    vec![
        Case::new(
            "timestamp-micros into timestamptz",
            r#"{"type": "long", "logicalType": "timestamp-micros"}"#,
            "timestamptz",
            since_epoch!("'1970-01-01 00:00:00+00'::timestamptz", "$2::text::numeric"),
            micros
                .iter()
                .map(|(v, t)| (Value::TimestampMicros(*v), t.clone()))
                .collect(),
        ),
        Case::new(
            "local-timestamp-micros into timestamp",
            r#"{"type": "long", "logicalType": "local-timestamp-micros"}"#,
            "timestamp",
            since_epoch!("'1970-01-01 00:00:00'::timestamp", "$2::text::numeric"),
            micros
                .iter()
                .map(|(v, t)| (Value::LocalTimestampMicros(*v), t.clone()))
                .collect(),
        ),
        Case::new(
            "timestamp-millis into timestamptz",
            r#"{"type": "long", "logicalType": "timestamp-millis"}"#,
            "timestamptz",
            since_epoch!(
                "'1970-01-01 00:00:00+00'::timestamptz",
                "($2::text::numeric * 1000)"
            ),
            millis
                .iter()
                .map(|(v, t)| (Value::TimestampMillis(*v), t.clone()))
                .collect(),
        ),
        // The default nanosecond policy, truncate: towards the earlier instant (floor).
        Case::new(
            "timestamp-nanos into timestamptz",
            r#"{"type": "long", "logicalType": "timestamp-nanos"}"#,
            "timestamptz",
            since_epoch!(
                "'1970-01-01 00:00:00+00'::timestamptz",
                "floor($2::text::numeric / 1000)"
            ),
            nanos
                .iter()
                .map(|(v, t)| (Value::TimestampNanos(*v), t.clone()))
                .collect(),
        ),
    ]
}

/// A time of day from its microseconds by PostgreSQL's `make_time`, which refuses what is
/// not one (negative, or past 24:00:00).
macro_rules! time_of_day {
    ($micros:literal) => {
        concat!(
            "make_time(div(",
            $micros,
            ", 3600000000)::int, mod(div(",
            $micros,
            ", 60000000), 60)::int, (mod(",
            $micros,
            ", 60000000) / 1000000)::float8)"
        )
    };
}

fn time_cases(rng: &mut Rng) -> Vec<Case> {
    const DAY: i64 = 86_400_000_000;
    let mut micros = vec![
        0i64,
        1,
        -1,
        DAY - 1,
        DAY,
        DAY + 1,
        i64::MAX,
        i64::MIN,
        3_600_000_000,
    ];
    let mut millis = vec![
        0i32,
        1,
        -1,
        86_399_999,
        86_400_000,
        86_400_001,
        i32::MAX,
        i32::MIN,
    ];
    for _ in 0..200 {
        micros.push((rng.next() % (DAY as u64 + 2)) as i64 - 1);
        micros.push((rng.next() as i64) >> (rng.next() % 64));
        millis.push((rng.next() % 86_400_002) as i32 - 1);
    }
    vec![
        Case::new(
            "time-micros into time",
            r#"{"type": "long", "logicalType": "time-micros"}"#,
            "time",
            time_of_day!("$2::text::numeric"),
            micros
                .into_iter()
                .map(|v| (Value::TimeMicros(v), v.to_string()))
                .collect(),
        ),
        Case::new(
            "time-millis into time",
            r#"{"type": "int", "logicalType": "time-millis"}"#,
            "time",
            time_of_day!("($2::text::numeric * 1000)"),
            millis
                .into_iter()
                .map(|v| (Value::TimeMillis(v), v.to_string()))
                .collect(),
        ),
    ]
}

fn numeric_case(rng: &mut Rng) -> Case {
    let mut values: Vec<i64> = vec![
        0,
        1,
        -1,
        100,
        123_456_789_900,
        99_999_999_900,
        100_000_000_000,
        -99_999_999_900,
        99_999_999_949,
        99_999_999_950,
        99_999_999_999,
        12_345,
        -5,
        50,
    ];
    for _ in 0..200 {
        let v = (rng.next() as i64) >> (rng.next() % 64);
        values.push(v % 1_000_000_000_000);
        // Most random values end in two zeros, so that they fit scale 2.
        values.push(v % 10_000_000_000 * 100);
    }
    let mut case = Case::new(
        "decimal(12,4) into numeric(8,2)",
        r#"{"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 4}"#,
        "numeric(8,2)",
        "$2::text::numeric",
        values
            .into_iter()
            .map(|v| {
                let bytes = v.to_be_bytes();
                // The shortest two's-complement big-endian bytes, as Avro writes them.
                let skip = (0..7)
                    .take_while(|&i| {
                        (bytes[i] == 0 && bytes[i + 1] & 0x80 == 0)
                            || (bytes[i] == 0xff && bytes[i + 1] & 0x80 != 0)
                    })
                    .count();
                let unscaled = v.unsigned_abs();
                let text = format!(
                    "{}{}.{:04}",
                    if v < 0 { "-" } else { "" },
                    unscaled / 10_000,
                    unscaled % 10_000
                );
                (
                    Value::Decimal(apache_avro::Decimal::from(bytes[skip..].to_vec())),
                    text,
                )
            })
            .collect(),
    );
    // PostgreSQL rounds a value with more decimals than the column's scale (1.2345 →
    // 1.23); inlet refuses it, so that no digit of a record is lost without a word.
    case.stricter = Some(|text| !text.ends_with("00"));
    case
}

/// An Avro enum into a PostgreSQL enum type of other labels: a label the type lacks is
/// refused by PostgreSQL's COPY (inlet does not read the type's labels), and the record is
/// dead-lettered with its message.
fn enum_case(rng: &mut Rng) -> Case {
    let symbols = ["sad", "ok", "happy", "Happy", "meh"];
    let mut inputs: Vec<String> = symbols.iter().map(|s| (*s).to_owned()).collect();
    for _ in 0..50 {
        inputs.push(symbols[(rng.next() % 5) as usize].to_owned());
    }
    let mut case = Case::new(
        "enum into an enum type",
        r#"{"type": "enum", "name": "Mood", "symbols": ["sad", "ok", "happy", "Happy", "meh"]}"#,
        "mood",
        // The enum's input function (text has no assignment cast to an enum).
        "$2::text::mood",
        inputs
            .into_iter()
            .map(|s| {
                let index = symbols.iter().position(|x| *x == s).unwrap() as u32;
                (Value::Enum(index, s.clone()), s)
            })
            .collect(),
    );
    case.refused_by_copy = true;
    case
}

/// An array of an enum type: each element by its label, the array sent with the enum as
/// its element type; a label the type lacks refused by COPY.
fn enum_array_case(rng: &mut Rng) -> Case {
    let symbols = ["sad", "ok", "happy", "meh"];
    let mut inputs = vec![(Value::Array(vec![]), "{}".to_owned())];
    for _ in 0..60 {
        let picked: Vec<usize> = (0..rng.next() % 4)
            .map(|_| (rng.next() % 4) as usize)
            .collect();
        inputs.push((
            Value::Array(
                picked
                    .iter()
                    .map(|&i| Value::Enum(i as u32, symbols[i].into()))
                    .collect(),
            ),
            format!(
                "{{{}}}",
                picked
                    .iter()
                    .map(|&i| symbols[i])
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        ));
    }
    let mut case = Case::new(
        "array<enum> into mood[]",
        r#"{"type": "array", "items": {"type": "enum", "name": "Mood", "symbols": ["sad", "ok", "happy", "meh"]}}"#,
        "mood[]",
        "$2::text::mood[]",
        inputs,
    );
    case.refused_by_copy = true;
    case.copy_refusal = Some("invalid input value for enum mood");
    case
}

/// A random nested array `depth` levels deep of nullable ints, with its PostgreSQL text:
/// mostly rectangular (each level's length drawn once), now and then ragged, empty at some
/// level, or (with `null_subarrays`) a null sub-array.
fn nested_array(rng: &mut Rng, depth: usize, null_subarrays: bool) -> (Value, String) {
    let lengths: Vec<u64> = (0..depth).map(|_| rng.next() % 4).collect();
    let ragged = rng.next().is_multiple_of(5);
    fn build(
        rng: &mut Rng,
        lengths: &[u64],
        ragged: bool,
        null_subarrays: bool,
    ) -> (Value, String) {
        let mut length = lengths[0];
        if ragged && rng.next().is_multiple_of(3) {
            length = rng.next() % 4;
        }
        let mut items = Vec::new();
        let mut texts = Vec::new();
        for _ in 0..length {
            if lengths.len() == 1 {
                if rng.next().is_multiple_of(6) {
                    items.push(Value::Union(0, Box::new(Value::Null)));
                    texts.push("NULL".to_owned());
                } else {
                    let v = (rng.next() % 2000) as i32 - 1000;
                    items.push(Value::Union(1, Box::new(Value::Int(v))));
                    texts.push(v.to_string());
                }
            } else if null_subarrays && rng.next().is_multiple_of(8) {
                items.push(Value::Union(0, Box::new(Value::Null)));
                texts.push("NULL".to_owned());
            } else {
                let (item, text) = build(rng, &lengths[1..], ragged, null_subarrays);
                items.push(if null_subarrays {
                    Value::Union(1, Box::new(item))
                } else {
                    item
                });
                texts.push(text);
            }
        }
        (Value::Array(items), format!("{{{}}}", texts.join(",")))
    }
    build(rng, &lengths, ragged, null_subarrays)
}

/// Avro arrays of arrays into `integer[]`: rectangular values stored as PostgreSQL's
/// multi-dimensional arrays (what an INSERT of `'{{1,2},{3,4}}'` stores), the empty array
/// as `{}`, ragged ones, empty sub-arrays and null sub-arrays refused as PostgreSQL's
/// array input refuses them.
fn nested_array_cases(rng: &mut Rng) -> Vec<Case> {
    let ints = r#"["null", "int"]"#;
    let two = format!(r#"{{"type": "array", "items": {{"type": "array", "items": {ints}}}}}"#);
    let three = format!(
        r#"{{"type": "array", "items": {{"type": "array", "items": {{"type": "array", "items": {ints}}}}}}}"#
    );
    let nullable =
        format!(r#"{{"type": "array", "items": ["null", {{"type": "array", "items": {ints}}}]}}"#);
    let mut cases = Vec::new();
    for (name, avro, depth, null_subarrays) in [
        ("array<array<int>> into integer[]", two, 2, false),
        ("array<array<array<int>>> into integer[]", three, 3, false),
        (
            "array<[null, array<int>]> into integer[]",
            nullable,
            2,
            true,
        ),
    ] {
        let mut inputs = vec![
            (Value::Array(vec![]), "{}".to_owned()),
            nested_array(&mut Rng(7), depth, null_subarrays),
        ];
        for _ in 0..200 {
            inputs.push(nested_array(rng, depth, null_subarrays));
        }
        let mut case = Case::new(
            name,
            Box::leak(avro.into_boxed_str()),
            "integer[]",
            "$2::text::integer[]",
            inputs,
        );
        if null_subarrays {
            // Sub-arrays that are all null (`[null, null]`) read in PostgreSQL's text as a
            // one-dimensional array of nulls, `{NULL,NULL}`: another shape, so inlet refuses
            // the value (a null sub-array) rather than store that.
            case.stricter = Some(|text| text != "{}" && !text[1..].contains('{'));
        }
        cases.push(case);
    }
    cases
}

/// A domain over numeric(8,2) with a CHECK: the base type's conversion (and inlet's
/// stricter scale), the domain's constraint applied by COPY, which names it.
fn numeric_domain_case(rng: &mut Rng) -> Case {
    let mut case = numeric_case(rng);
    case.name = "decimal(12,4) into a domain over numeric(8,2) CHECK (VALUE > 0)";
    case.column = "price";
    case.refused_by_copy = true;
    case.copy_refusal = Some("value for domain price violates check constraint \"price_check\"");
    case
}

fn codes(rng: &mut Rng) -> Vec<String> {
    let mut inputs: Vec<String> = [
        "", "ABC", "ABCDE", "ABCDEF", "ABC  ", "ABCDE ", "abc", "AB C",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    let alphabet = ['A', 'B', 'Z', 'a', ' ', 'É'];
    for _ in 0..200 {
        let len = rng.next() % 8;
        inputs.push(
            (0..len)
                .map(|_| alphabet[(rng.next() % 6) as usize])
                .collect(),
        );
    }
    inputs
}

/// A domain over varchar(5) with a CHECK: varchar's length rule (inlet's), then the
/// domain's constraint (PostgreSQL's, at COPY).
fn text_domain_case(rng: &mut Rng) -> Case {
    let mut case = Case::new(
        "string into a domain over varchar(5) CHECK (VALUE ~ '^[A-Z]+$')",
        r#""string""#,
        "code",
        "$2::text",
        strings(&codes(rng)),
    );
    case.refused_by_copy = true;
    case.copy_refusal = Some("value for domain code violates check constraint \"code_check\"");
    case
}

/// An array of that domain: each element converted as the domain's base type, the array
/// sent with the domain as its element type, the constraint checked per element by COPY.
fn domain_array_case(rng: &mut Rng) -> Case {
    let all = codes(rng);
    let mut inputs = vec![(Value::Array(vec![]), "{}".to_owned())];
    for _ in 0..150 {
        let len = rng.next() % 4;
        let elements: Vec<String> = (0..len)
            .map(|_| all[(rng.next() % all.len() as u64) as usize].clone())
            .collect();
        let text = format!(
            "{{{}}}",
            elements
                .iter()
                .map(|e| format!("\"{e}\""))
                .collect::<Vec<_>>()
                .join(",")
        );
        inputs.push((
            Value::Array(elements.into_iter().map(Value::String).collect()),
            text,
        ));
    }
    let mut case = Case::new(
        "array<string> into code[] (an array of the domain)",
        r#"{"type": "array", "items": "string"}"#,
        "code[]",
        "$2::text::code[]",
        inputs,
    );
    case.refused_by_copy = true;
    case.copy_refusal = Some("value for domain code violates check constraint \"code_check\"");
    case
}

/// What became of an input.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// Stored: PostgreSQL's text of the value.
    Stored(String),
    /// Refused (by inlet's conversion, or by PostgreSQL's INSERT).
    Refused,
    /// inlet converted it, and PostgreSQL refused the row inlet sent.
    RefusedByCopy(String),
}

/// inlet's outcome for each input, into the table's columns as inlet's catalog reads them.
async fn inlet_side(client: &tokio_postgres::Client, table: &str, case: &Case) -> Vec<Outcome> {
    let schema_json = format!(
        r#"{{"type":"record","name":"R","fields":[{{"name":"id","type":"int"}},{{"name":"v","type":{}}}]}}"#,
        case.avro
    );
    let schema = Schema::parse_str(&schema_json).unwrap();
    let writer = WriterSchema::parse(&schema_json, &[]).unwrap();
    let columns = inlet_postgres::table_columns(client, &TableName::parse(table).unwrap())
        .await
        .unwrap()
        .unwrap();
    let mapping: Vec<ColumnMapping> = ["id", "v"]
        .iter()
        .map(|c| ColumnMapping {
            column: (*c).into(),
            source: ColumnSource::Field((*c).into()),
        })
        .collect();
    let plan = DecodePlan::compile(&writer, &columns, &mapping, &PlanOptions::default()).unwrap();
    let writer_datum = apache_avro::writer::datum::GenericDatumWriter::builder(&schema)
        .build()
        .unwrap();
    let mut scratch = RowScratch::default();
    let mut out = Vec::new();
    for (id, (value, _)) in case.inputs.iter().enumerate() {
        let body = writer_datum
            .write_value_to_vec(Value::Record(vec![
                ("id".into(), Value::Int(id as i32)),
                ("v".into(), value.clone()),
            ]))
            .unwrap();
        let mut row = Vec::new();
        match plan.write_row(&body, &RecordMeta::default(), &mut scratch, &mut row) {
            Ok(()) => {}
            Err(RecordError::Convert { .. }) => {
                out.push(Outcome::Refused);
                continue;
            }
            Err(other) => panic!("{}: input {id}: {other}", case.name),
        }
        // One row per COPY: a row the server refuses is the difference to report.
        out.push(match copy_rows(client, table, &plan, &row).await {
            Ok(_) => Outcome::Stored(
                client
                    .query_one(
                        &format!("SELECT v::text FROM {table} WHERE id = $1"),
                        &[&(id as i32)],
                    )
                    .await
                    .unwrap()
                    .get::<_, Option<String>>(0)
                    .unwrap_or_default(),
            ),
            Err(e) => Outcome::RefusedByCopy(
                e.as_db_error()
                    .map_or(e.to_string(), |d| d.message().to_owned()),
            ),
        });
    }
    out
}

/// PostgreSQL's outcome for each input: the value an INSERT of the source stores, or refused.
async fn pg_side(client: &tokio_postgres::Client, table: &str, case: &Case) -> Vec<Outcome> {
    let insert = format!("INSERT INTO {table} (id, v) VALUES ($1, {})", case.pg);
    let mut out = Vec::new();
    for (id, (_, text)) in case.inputs.iter().enumerate() {
        let id = id as i32;
        out.push(match client.execute(&insert, &[&id, text]).await {
            Ok(_) => Outcome::Stored(
                client
                    .query_one(
                        &format!("SELECT v::text FROM {table} WHERE id = $1"),
                        &[&id],
                    )
                    .await
                    .unwrap()
                    .get::<_, Option<String>>(0)
                    .unwrap_or_default(),
            ),
            Err(_) => Outcome::Refused,
        });
    }
    out
}

#[tokio::test]
async fn conversions_accept_and_refuse_what_postgresql_does() {
    let db = TestDatabase::create("avro_casts").await;
    let client = db.connect().await;
    client
        .batch_execute("SET TIME ZONE 'UTC'; SET extra_float_digits = 3")
        .await
        .unwrap();
    client
        .batch_execute(
            "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
             CREATE DOMAIN price AS numeric(8,2) CHECK (VALUE > 0);
             CREATE DOMAIN code AS varchar(5) CHECK (VALUE ~ '^[A-Z]+$')",
        )
        .await
        .unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut cases = vec![
        uuid_case(&mut rng),
        real_case(&mut rng),
        integer_case(&mut rng),
        smallint_case(&mut rng),
        varchar_case(&mut rng),
        jsonb_case(&mut rng),
        date_case(&mut rng),
        numeric_case(&mut rng),
        enum_case(&mut rng),
        enum_array_case(&mut rng),
        numeric_domain_case(&mut rng),
        text_domain_case(&mut rng),
        domain_array_case(&mut rng),
    ];
    cases.extend(nested_array_cases(&mut rng));
    cases.extend(timestamp_cases(&mut rng));
    cases.extend(time_cases(&mut rng));
    let mut differences = Vec::new();
    for (n, case) in cases.iter().enumerate() {
        let (ours, theirs) = (format!("inlet_{n}"), format!("pg_{n}"));
        for table in [&ours, &theirs] {
            client
                .batch_execute(&format!(
                    "CREATE TABLE {table} (id integer PRIMARY KEY, v {})",
                    case.column
                ))
                .await
                .unwrap();
        }
        let inlet = inlet_side(&client, &ours, case).await;
        let pg = pg_side(&client, &theirs, case).await;
        let mut stricter = 0;
        for (id, ((_, text), (a, b))) in case.inputs.iter().zip(inlet.iter().zip(&pg)).enumerate() {
            let same = match (a, b) {
                (Outcome::Refused, Outcome::Stored(_))
                    if case.stricter.is_some_and(|on_purpose| on_purpose(text)) =>
                {
                    stricter += 1;
                    true
                }
                (Outcome::RefusedByCopy(why), Outcome::Refused) => {
                    case.refused_by_copy && case.copy_refusal.is_none_or(|says| why.contains(says))
                }
                _ => a == b,
            };
            if !same {
                differences.push(format!(
                    "{} input {id} {text:?}: inlet {a:?}, PostgreSQL {b:?}",
                    case.name
                ));
            }
        }
        let refused = pg.iter().filter(|v| **v == Outcome::Refused).count();
        eprintln!(
            "{}: {} inputs, {} refused by PostgreSQL, {} stored by it ({} of them refused by inlet on purpose)",
            case.name,
            case.inputs.len(),
            refused,
            case.inputs.len() - refused,
            stricter
        );
    }
    assert!(
        differences.is_empty(),
        "{} inputs differ:\n{}",
        differences.len(),
        differences.join("\n")
    );
}
