// NOT BUILT (kept for the formats issue's next step): a helper's differential and
// adversarial test of the transcoder, as it stood at this stop. 15 of its 20 tests pass;
// 5 fail, one per bug still open (each marked `BUG:`): a key met twice whose earlier value
// does not fit; 202-207 levels of arrays sampled then refused; invalid UTF-8 inside a part
// inference skips; a refused value hiding a syntax error after it. Fix them, then move it to
// tests/.
//! The transcoder against serde_json, and against hostile bytes.
//!
//! Differential: thousands of generated documents (a seeded xorshift, the same every run),
//! a shape inferred from a sample of each kind of them, every document transcoded and read
//! back by inlet-avro (`value_json`), and compared with what serde_json reads the document
//! as, projected onto the shape: a missing key is null, an unknown key is dropped, a key met
//! twice is the later, keys match fields by `avro_name`. A refusal must be one the
//! projection finds (at the same path); a sampled document must never be refused. What
//! serde_json cannot tell apart stays out of the generator and is tested on its own: two
//! spellings of one Avro name in one object (its map keeps no order), `-0` (a float to
//! it), numbers beyond double's range (it refuses them).
//!
//! Adversarial: deep nesting, huge strings and numbers, bad escapes and bytes, many keys,
//! long arrays: each gives Ok or a `JsonError` of the kind it must be, never a panic or a
//! stack overflow (the deep cases run in a child process, so an overflow fails one test).
//! No test asserts a duration: work out of proportion to the input shows as a slow run.
//!
//! Tests that fail until a bug of the crate is fixed say so (`BUG:`).

use std::collections::BTreeMap;
use std::process::{Command, Stdio};

use inlet_avro::PgType;
use inlet_json::{JsonError, JsonReading, Leaf, Scratch, Shape, avro_name};
use serde_json::Value;

// ---------------------------------------------------------------------------------------
// The generator.

/// xorshift64: the same documents every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn percent(&mut self, p: u64) -> bool {
        self.next() % 100 < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A generated document, as it is written: numbers as their text, keys repeated as met.
enum Gen {
    Null,
    Bool(bool),
    Number(String),
    Str(String),
    Array(Vec<Gen>),
    Object(Vec<(String, Gen)>),
}

/// What a template's field holds.
#[derive(Clone, Debug)]
enum Kind {
    Integer,
    /// Integers beyond bigint (numeric).
    BigInteger,
    Float,
    Boolean,
    Text,
    /// Strings that read as numbers or booleans.
    Numberish,
    Date,
    Timestamp,
    Timestamptz,
    Uuid,
    Null,
    /// Any scalar, a different kind each time.
    Mixed,
    Array(Box<Kind>),
    Object(Vec<Field>),
    /// Objects nested this deep (past `MAX_DEPTH`, some of them).
    Deep(usize),
    /// Any JSON value.
    Any,
}

#[derive(Clone, Debug)]
struct Field {
    /// Spellings of one Avro name: a document uses one of them.
    spellings: &'static [&'static str],
    kind: Kind,
    /// Percent of the sample's values that are of another kind (widening the field).
    off: u64,
}

/// Keys in groups of one Avro name each.
const KEYS: &[&[&str]] = &[
    &["id"],
    &["name"],
    &["user-id", "user_id", "user.id", "user id"],
    &["2fa", "_2fa"],
    &["deviceId"],
    &["temp"],
    &["geo"],
    &["tags"],
    &["ts"],
    &["", "_", "é", "😀"],
    &["日本", "__"],
    &["a b", "a_b", "a.b"],
    &["count"],
    &["ratio"],
    &["big"],
    &["flag"],
    &["when"],
    &["day"],
    &["uid"],
    &["note"],
    &["x"],
    &["Y"],
    &["3d", "_3d"],
    &["list"],
];

/// Keys no template has (their Avro names are none of [`KEYS`]'): dropped.
const UNKNOWN: &[&str] = &["extra", "zz-top", "9lives", "ünknown", "id2", "ID"];

/// Pieces of random text: no digits, so no random text is a number, date or time.
const PIECES: &[&str] = &[
    "a",
    "b",
    "Z",
    "é",
    "ß",
    "日本",
    "😀",
    "\"",
    "\\",
    "/",
    "\n",
    "\t",
    "\r",
    "\u{1}",
    "\u{1f}",
    "\u{7f}",
    " ",
    "-",
    "_",
    "\u{2028}",
    "\u{fffd}",
    "\u{10ffff}",
    "{",
    "]",
    ":",
    ",",
];

/// Strings that read as numbers or booleans (or nearly).
const NUMBERISH: &[&str] = &[
    "42",
    " -7 ",
    "+3",
    "1.50",
    "-0.001",
    "1e3",
    "2.5E-3",
    ".5",
    "1.",
    "NaN",
    "-Infinity",
    "inf",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "0x1F",
    "12abc",
    "",
    "yes",
    "no",
    "t",
    "f",
    "on",
    "off",
    "TRUE",
    " false ",
    "y",
    "n",
    "of",
    "o",
    "1",
    "0",
];

/// A string of a date or time and what each time column reads it as (None: refused), as
/// `value_json` writes the value; `proposes`: the kind inference proposes for it.
struct Dated {
    text: &'static str,
    proposes: Option<Leaf>,
    date: Option<&'static str>,
    timestamp: Option<&'static str>,
    timestamptz: Option<&'static str>,
}

const fn dated(
    text: &'static str,
    proposes: Option<Leaf>,
    date: Option<&'static str>,
    timestamp: Option<&'static str>,
    timestamptz: Option<&'static str>,
) -> Dated {
    Dated {
        text,
        proposes,
        date,
        timestamp,
        timestamptz,
    }
}

const DATED: &[Dated] = &[
    dated(
        "2024-05-01",
        Some(Leaf::Date),
        Some("2024-05-01"),
        Some("2024-05-01T00:00:00.000000"),
        Some("2024-05-01T00:00:00.000000Z"),
    ),
    dated(
        "2024-02-29",
        Some(Leaf::Date),
        Some("2024-02-29"),
        Some("2024-02-29T00:00:00.000000"),
        Some("2024-02-29T00:00:00.000000Z"),
    ),
    dated(
        "1969-12-31",
        Some(Leaf::Date),
        Some("1969-12-31"),
        Some("1969-12-31T00:00:00.000000"),
        Some("1969-12-31T00:00:00.000000Z"),
    ),
    dated(
        "0001-01-01",
        Some(Leaf::Date),
        Some("0001-01-01"),
        Some("0001-01-01T00:00:00.000000"),
        Some("0001-01-01T00:00:00.000000Z"),
    ),
    dated(
        "9999-12-31",
        Some(Leaf::Date),
        Some("9999-12-31"),
        Some("9999-12-31T00:00:00.000000"),
        Some("9999-12-31T00:00:00.000000Z"),
    ),
    dated(
        "2024-05-01T10:00:00",
        Some(Leaf::Timestamp),
        None,
        Some("2024-05-01T10:00:00.000000"),
        Some("2024-05-01T10:00:00.000000Z"),
    ),
    dated(
        "2024-05-01 23:59:59.999999",
        Some(Leaf::Timestamp),
        None,
        Some("2024-05-01T23:59:59.999999"),
        Some("2024-05-01T23:59:59.999999Z"),
    ),
    dated(
        "1999-12-31T23:59:59.9999999",
        Some(Leaf::Timestamp),
        None,
        Some("2000-01-01T00:00:00.000000"),
        Some("2000-01-01T00:00:00.000000Z"),
    ),
    dated(
        "2000-01-01 00:00:00.0000005",
        Some(Leaf::Timestamp),
        None,
        Some("2000-01-01T00:00:00.000000"),
        Some("2000-01-01T00:00:00.000000Z"),
    ),
    dated(
        "2024-05-01T10:00:00Z",
        Some(Leaf::Timestamptz),
        None,
        Some("2024-05-01T10:00:00.000000"),
        Some("2024-05-01T10:00:00.000000Z"),
    ),
    dated(
        "2024-05-01T10:00:00.5+02:00",
        Some(Leaf::Timestamptz),
        None,
        Some("2024-05-01T10:00:00.500000"),
        Some("2024-05-01T08:00:00.500000Z"),
    ),
    dated(
        "2024-05-01 23:30:00-05",
        Some(Leaf::Timestamptz),
        None,
        Some("2024-05-01T23:30:00.000000"),
        Some("2024-05-02T04:30:00.000000Z"),
    ),
    dated(
        "2024-01-01t00:00:00.000001z",
        Some(Leaf::Timestamptz),
        None,
        Some("2024-01-01T00:00:00.000001"),
        Some("2024-01-01T00:00:00.000001Z"),
    ),
    dated(
        "1970-01-01T00:00:00+15:59",
        Some(Leaf::Timestamptz),
        None,
        Some("1970-01-01T00:00:00.000000"),
        Some("1969-12-31T08:01:00.000000Z"),
    ),
    dated("2023-02-29", None, None, None, None),
    dated("2024-13-01", None, None, None, None),
    dated("2024-05-01T24:00:00Z", None, None, None, None),
    dated("2024-05-01T10:00:00+16:00", None, None, None, None),
    dated("2024-5-1", None, None, None, None),
    dated("0000-01-01", None, None, None, None),
    dated("2024-05-01T10:00:00 junk", None, None, None, None),
];

const UUIDS: &[&str] = &[
    "6f1c0a52-1f5e-4c57-9d53-2a4f4c1b2d3e",
    "00000000-0000-0000-0000-000000000000",
    "6F1C0A52-1F5E-4C57-9D53-2A4F4C1B2D3E",
];

fn template(rng: &mut Rng, depth: usize) -> Vec<Field> {
    let n = 2 + rng.below(6);
    let mut groups: Vec<&'static [&'static str]> = Vec::new();
    while groups.len() < n {
        let group = *rng.pick(KEYS);
        if !groups.contains(&group) {
            groups.push(group);
        }
    }
    groups
        .into_iter()
        .map(|spellings| Field {
            spellings,
            kind: kind(rng, depth),
            off: if rng.percent(25) { 3 } else { 0 },
        })
        .collect()
}

fn kind(rng: &mut Rng, depth: usize) -> Kind {
    match rng.below(20) {
        16 => Kind::Array(Box::new(scalar_kind(rng))),
        17 | 18 if depth < 3 => Kind::Object(template(rng, depth + 1)),
        17 => Kind::Deep(4 + rng.below(6)),
        18 | 19 => Kind::Any,
        _ => scalar_kind(rng),
    }
}

fn scalar_kind(rng: &mut Rng) -> Kind {
    use Kind as K;
    rng.pick(&[
        K::Integer,
        K::Integer,
        K::Integer,
        K::BigInteger,
        K::Float,
        K::Float,
        K::Boolean,
        K::Text,
        K::Text,
        K::Numberish,
        K::Date,
        K::Timestamp,
        K::Timestamptz,
        K::Uuid,
        K::Null,
        K::Mixed,
    ])
    .clone()
}

fn value(rng: &mut Rng, kind: &Kind, wild: bool) -> Gen {
    match kind {
        Kind::Integer => Gen::Number(integer(rng)),
        Kind::BigInteger => Gen::Number(big_integer(rng)),
        Kind::Float => Gen::Number(float(rng)),
        Kind::Boolean => Gen::Bool(rng.percent(50)),
        Kind::Text => Gen::Str(text(rng)),
        Kind::Numberish => Gen::Str((*rng.pick(NUMBERISH)).to_owned()),
        Kind::Date | Kind::Timestamp | Kind::Timestamptz => {
            let leaf = match kind {
                Kind::Date => Leaf::Date,
                Kind::Timestamp => Leaf::Timestamp,
                _ => Leaf::Timestamptz,
            };
            let of: Vec<&Dated> = DATED.iter().filter(|d| d.proposes == Some(leaf)).collect();
            Gen::Str(rng.pick(&of).text.to_owned())
        }
        Kind::Uuid => Gen::Str((*rng.pick(UUIDS)).to_owned()),
        Kind::Null => Gen::Null,
        Kind::Mixed => {
            if rng.percent(20) {
                Gen::Str(rng.pick(DATED).text.to_owned())
            } else {
                let kind = scalar_kind(rng);
                value(rng, &kind, wild)
            }
        }
        Kind::Array(item) => Gen::Array(
            (0..rng.below(6))
                .map(|_| {
                    if rng.percent(10) {
                        Gen::Null
                    } else {
                        value(rng, item, wild)
                    }
                })
                .collect(),
        ),
        Kind::Object(fields) => object(rng, fields, wild),
        Kind::Deep(levels) => {
            let mut g = Gen::Number(integer(rng));
            for _ in 0..*levels {
                g = Gen::Object(vec![("deep".to_owned(), g)]);
            }
            g
        }
        Kind::Any => any(rng, 2),
    }
}

/// An object of `fields`; `wild` (a document not in the sample): values of other kinds,
/// and unknown keys.
fn object(rng: &mut Rng, fields: &[Field], wild: bool) -> Gen {
    let mut entries = Vec::new();
    for field in fields {
        if !rng.percent(85) {
            continue;
        }
        let key = (*rng.pick(field.spellings)).to_owned();
        let off = if wild { 5 } else { field.off };
        let v = if rng.percent(4) {
            Gen::Null
        } else if rng.percent(off) {
            stray(rng)
        } else {
            value(rng, &field.kind, wild)
        };
        if rng.percent(8) {
            // The same key twice (spelled the same: serde_json keeps the later).
            let first = if rng.percent(50) {
                stray(rng)
            } else {
                value(rng, &field.kind, wild)
            };
            entries.push((key.clone(), first));
        }
        entries.push((key, v));
    }
    if wild && rng.percent(15) {
        for _ in 0..1 + rng.below(2) {
            entries.push(((*rng.pick(UNKNOWN)).to_owned(), any(rng, 2)));
        }
    }
    if rng.percent(50) {
        for i in (1..entries.len()).rev() {
            entries.swap(i, rng.below(i + 1));
        }
    }
    Gen::Object(entries)
}

/// A value of any kind but the field's.
fn stray(rng: &mut Rng) -> Gen {
    if rng.percent(10) {
        any(rng, 2)
    } else {
        let kind = scalar_kind(rng);
        value(rng, &kind, true)
    }
}

/// Any JSON value, `depth` levels at most; an object's keys are of distinct Avro names.
fn any(rng: &mut Rng, depth: usize) -> Gen {
    match rng.below(if depth == 0 { 5 } else { 7 }) {
        0 => Gen::Null,
        1 => Gen::Bool(rng.percent(50)),
        2 => Gen::Number(if rng.percent(50) {
            integer(rng)
        } else {
            float(rng)
        }),
        3 | 4 => Gen::Str(text(rng)),
        5 => Gen::Array((0..rng.below(4)).map(|_| any(rng, depth - 1)).collect()),
        _ => {
            let mut entries: Vec<(String, Gen)> = Vec::new();
            for _ in 0..rng.below(4) {
                let key = if rng.percent(70) {
                    let group = rng_group(rng);
                    *rng.pick(group)
                } else {
                    *rng.pick(UNKNOWN)
                };
                if !entries.iter().any(|(k, _)| avro_name(k) == avro_name(key)) {
                    entries.push((key.to_owned(), any(rng, depth - 1)));
                }
            }
            Gen::Object(entries)
        }
    }
}

fn rng_group(rng: &mut Rng) -> &'static [&'static str] {
    KEYS[rng.below(KEYS.len())]
}

fn integer(rng: &mut Rng) -> String {
    const EDGES: &[i64] = &[
        0,
        1,
        -1,
        i64::MAX,
        i64::MIN,
        i64::MAX - 1,
        i64::MIN + 1,
        1 << 53,
        (1 << 53) + 1,
        -(1 << 53) - 1,
        i32::MAX as i64 + 1,
    ];
    match rng.below(4) {
        0 => *rng.pick(EDGES),
        1 => rng.next() as i64,
        _ => rng.below(2001) as i64 - 1000,
    }
    .to_string()
}

fn big_integer(rng: &mut Rng) -> String {
    match rng.below(3) {
        0 => (rng.next() | 1 << 63).to_string(),
        1 => u64::MAX.to_string(),
        _ => {
            let mut digits = if rng.percent(30) { "-" } else { "" }.to_owned();
            digits.push(char::from(b'1' + rng.below(9) as u8));
            for _ in 0..19 + rng.below(20) {
                digits.push(char::from(b'0' + rng.below(10) as u8));
            }
            digits
        }
    }
}

fn float(rng: &mut Rng) -> String {
    const EDGES: &[f64] = &[
        f64::MAX,
        f64::MIN,
        f64::MIN_POSITIVE,
        5e-324,
        -0.0,
        0.1,
        1e300,
        -1e-300,
        9007199254740992.0,
        0.5,
    ];
    let v = match rng.below(5) {
        0 => loop {
            let v = f64::from_bits(rng.next());
            if v.is_finite() {
                break v;
            }
        },
        1 => *rng.pick(EDGES),
        _ => (rng.below(200_001) as f64 - 100_000.0) / 100.0,
    };
    let text = match rng.below(4) {
        0 => format!("{v}"),
        1 => format!("{v:e}"),
        2 => format!("{v:E}"),
        _ => format!("{v:?}"),
    };
    // serde_json reads "-0" as a float: an integer column takes it, the projection could
    // not tell it from "-0.0".
    if text == "-0" {
        "-0.0".to_owned()
    } else {
        text
    }
}

fn text(rng: &mut Rng) -> String {
    (0..rng.below(9)).map(|_| *rng.pick(PIECES)).collect()
}

/// `g` as JSON text, with whitespace between tokens and escapes chosen at random.
fn write(g: &Gen, rng: &mut Rng, out: &mut String) {
    space(rng, out);
    match g {
        Gen::Null => out.push_str("null"),
        Gen::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Gen::Number(text) => out.push_str(text),
        Gen::Str(s) => write_str(s, rng, out),
        Gen::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, rng, out);
            }
            space(rng, out);
            out.push(']');
        }
        Gen::Object(entries) => {
            out.push('{');
            for (i, (key, v)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                space(rng, out);
                write_str(key, rng, out);
                space(rng, out);
                out.push(':');
                write(v, rng, out);
            }
            space(rng, out);
            out.push('}');
        }
    }
    space(rng, out);
}

fn space(rng: &mut Rng, out: &mut String) {
    if rng.percent(25) {
        const SPACES: &[&str] = &[" ", "\n", "\t", "\r\n", "  "];
        out.push_str(SPACES[rng.below(SPACES.len())]);
    }
}

fn write_str(s: &str, rng: &mut Rng, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if rng.percent(50) => out.push_str("\\/"),
            c if (c as u32) < 0x20 || rng.percent(10) => {
                let short = match c {
                    '\n' => Some("\\n"),
                    '\t' => Some("\\t"),
                    '\r' => Some("\\r"),
                    '\u{8}' => Some("\\b"),
                    '\u{c}' => Some("\\f"),
                    _ => None,
                };
                match short {
                    Some(short) if rng.percent(50) => out.push_str(short),
                    _ => {
                        let mut units = [0u16; 2];
                        for unit in c.encode_utf16(&mut units) {
                            if rng.percent(50) {
                                out.push_str(&format!("\\u{unit:04x}"));
                            } else {
                                out.push_str(&format!("\\u{unit:04X}"));
                            }
                        }
                    }
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn serialize(g: &Gen, rng: &mut Rng) -> String {
    let mut out = String::new();
    write(g, rng, &mut out);
    out
}

// ---------------------------------------------------------------------------------------
// The projection: what a document should read back as, from serde_json's reading of it.

/// A value as `value_json` should give it back.
#[derive(Debug)]
enum Want {
    Null,
    Bool(bool),
    Int(i64),
    Double(f64),
    /// A numeric: its exact digits when known (`-12.5`, no trailing zeros), else its value
    /// as serde_json reads it (a double).
    Decimal {
        exact: Option<String>,
        approx: f64,
    },
    Str(String),
    /// A string holding this value's JSON text (jsonb, or a non-string into text).
    Raw(Value),
    Array(Vec<Want>),
    Object(Vec<(String, Want)>),
}

#[derive(Debug, Default)]
struct Projection {
    /// The paths of the values the shape does not take.
    refused: Vec<String>,
    /// Keys that no field of their object takes.
    dropped: Vec<String>,
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn project_document(shape: &Shape, doc: &Value, p: &mut Projection) -> Want {
    if matches!(shape, Shape::Object(_)) && !doc.is_object() {
        p.refused.push(String::new());
        return Want::Null;
    }
    nullable(shape, doc, "", p)
}

fn nullable(shape: &Shape, v: &Value, path: &str, p: &mut Projection) -> Want {
    if v.is_null() {
        Want::Null
    } else {
        project(shape, v, path, p)
    }
}

fn project(shape: &Shape, v: &Value, path: &str, p: &mut Projection) -> Want {
    match (shape, v) {
        (Shape::Null | Shape::Json, v) => Want::Raw(v.clone()),
        (Shape::Leaf(leaf), v) => leaf_value(*leaf, v).unwrap_or_else(|| {
            p.refused.push(path.to_owned());
            Want::Null
        }),
        (Shape::Array(item), Value::Array(items)) => Want::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| nullable(item, v, &format!("{path}[{i}]"), p))
                .collect(),
        ),
        (Shape::Object(fields), Value::Object(map)) => {
            for key in map.keys() {
                if !fields.iter().any(|(name, _)| *name == avro_name(key)) {
                    p.dropped.push(join(path, key));
                }
            }
            Want::Object(
                fields
                    .iter()
                    .map(|(name, shape)| {
                        let mut of_name = map.iter().filter(|(k, _)| avro_name(k) == *name);
                        let v = of_name.next().map(|(_, v)| v);
                        assert!(
                            of_name.next().is_none(),
                            "the generator spells a field one way in an object"
                        );
                        let want = match v {
                            Some(v) => nullable(shape, v, &join(path, name), p),
                            None => Want::Null,
                        };
                        (name.clone(), want)
                    })
                    .collect(),
            )
        }
        _ => {
            p.refused.push(path.to_owned());
            Want::Null
        }
    }
}

/// What a leaf column reads from `v` (None: refused).
fn leaf_value(leaf: Leaf, v: &Value) -> Option<Want> {
    use Leaf as L;
    let dated = |s: &str| DATED.iter().find(|d| d.text == s);
    Some(match (leaf, v) {
        (L::Text, Value::String(s)) => Want::Str(s.clone()),
        (L::Text, v) => Want::Raw(v.clone()),
        (L::Boolean, Value::Bool(b)) => Want::Bool(*b),
        (L::Boolean, Value::Number(n)) => Want::Bool(match n.as_u64()? {
            1 => true,
            0 => false,
            _ => return None,
        }),
        (L::Boolean, Value::String(s)) => Want::Bool(boolean_text(s)?),
        (L::Integer, Value::Number(n)) => Want::Int(n.as_i64()?),
        (L::Integer, Value::String(s)) => Want::Int(integer_text(s)?),
        (L::Double, Value::Number(n)) => Want::Double(n.as_f64()?),
        (L::Double, Value::String(s)) => float_text(s)?,
        (L::Numeric, Value::Number(n)) => Want::Decimal {
            exact: (n.is_i64() || n.is_u64()).then(|| n.to_string()),
            approx: n.as_f64()?,
        },
        (L::Numeric, Value::String(s)) => numeric_text(s)?,
        (L::Date, Value::String(s)) => Want::Str(dated(s)?.date?.to_owned()),
        (L::Timestamp, Value::String(s)) => Want::Str(dated(s)?.timestamp?.to_owned()),
        (L::Timestamptz, Value::String(s)) => Want::Str(dated(s)?.timestamptz?.to_owned()),
        // Any string: the transcoder does not check a UUID's form (the plan does).
        (L::Uuid, Value::String(s)) => Want::Str(s.clone()),
        (L::Time | L::Real | L::Bytea, _) => unreachable!("inference proposes no {leaf:?}"),
        _ => return None,
    })
}

fn trimmed(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_ascii_whitespace())
}

/// boolin: `t`, `true`, `yes`, `false`, `no` and their prefixes no other shares, `on`,
/// `off`, `1`, `0`; any case, spaces around.
fn boolean_text(s: &str) -> Option<bool> {
    let t = trimmed(s).to_ascii_lowercase();
    let prefix_of = |word: &str| !t.is_empty() && word.starts_with(&t);
    match t.as_str() {
        "on" | "1" => Some(true),
        "of" | "off" | "0" => Some(false),
        _ if prefix_of("true") || prefix_of("yes") => Some(true),
        _ if prefix_of("false") || prefix_of("no") => Some(false),
        _ => None,
    }
}

/// int8in: spaces around, a sign, decimal digits, in bigint's range.
fn integer_text(s: &str) -> Option<i64> {
    let t = trimmed(s);
    let (negative, digits) = match t.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    if digits.is_empty() || digits.len() > 30 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let magnitude: i128 = digits.parse().ok()?;
    i64::try_from(if negative { -magnitude } else { magnitude }).ok()
}

/// A decimal number's parts: (negative, digits before the point, after it, exponent).
fn decimal(t: &str) -> Option<(bool, &str, &str, i64)> {
    let (negative, t) = match t.strip_prefix('-') {
        Some(t) => (true, t),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (mantissa, exponent) = match t.split_once(['e', 'E']) {
        Some((m, e)) => {
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (m, e.parse().ok()?)
        }
        None => (t, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    (!(whole.is_empty() && fraction.is_empty()) && all_digits(whole) && all_digits(fraction))
        .then_some((negative, whole, fraction, exponent))
}

/// float8in: a decimal number, or NaN and the infinities; refused out of range.
fn float_text(s: &str) -> Option<Want> {
    let t = trimmed(s);
    let (sign, rest) = match t.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", t.strip_prefix('+').unwrap_or(t)),
    };
    if rest.eq_ignore_ascii_case("nan") {
        return Some(Want::Str("NaN".into()));
    }
    if rest.eq_ignore_ascii_case("inf") || rest.eq_ignore_ascii_case("infinity") {
        return Some(Want::Str(format!("{sign}Infinity")));
    }
    let (_, whole, fraction, _) = decimal(t)?;
    let value: f64 = t.parse().ok()?;
    let zero = whole.bytes().chain(fraction.bytes()).all(|b| b == b'0');
    (value.is_finite() && (value != 0.0 || zero)).then_some(Want::Double(value))
}

/// numeric_in: a decimal number (no NaN or Infinity here, at most 1000 digits before the
/// point and 1000 after it), its exact digits.
fn numeric_text(s: &str) -> Option<Want> {
    let (negative, whole, fraction, exponent) = decimal(trimmed(s))?;
    let mut digits = format!("{whole}{fraction}");
    let mut scale = fraction.len() as i64 - exponent;
    if scale < 0 {
        digits.push_str(&"0".repeat(scale.unsigned_abs() as usize));
        scale = 0;
    }
    if scale > 1000 {
        return None;
    }
    let scale = scale as usize;
    if digits.trim_start_matches('0').len() > 1000 + scale {
        return None;
    }
    let (int, frac) = digits.split_at(digits.len() - scale.min(digits.len()));
    let frac = format!("{}{frac}", "0".repeat(scale.saturating_sub(digits.len())));
    let int = int.trim_start_matches('0');
    let frac = frac.trim_end_matches('0');
    let mut exact = String::new();
    if negative && (!int.is_empty() || !frac.is_empty()) {
        exact.push('-');
    }
    exact.push_str(if int.is_empty() { "0" } else { int });
    if !frac.is_empty() {
        exact.push('.');
        exact.push_str(frac);
    }
    let approx = exact.parse().ok()?;
    Some(Want::Decimal {
        exact: Some(exact),
        approx,
    })
}

/// Whether `got` (serde_json's reading of `value_json`'s text) is `want`.
fn matches(want: &Want, got: &Value) -> bool {
    match (want, got) {
        (Want::Null, Value::Null) => true,
        (Want::Bool(a), Value::Bool(b)) => a == b,
        (Want::Int(a), Value::Number(n)) => n.as_i64() == Some(*a),
        (Want::Double(a), Value::Number(n)) => n.as_f64() == Some(*a),
        (Want::Decimal { exact, approx }, Value::Number(n)) => match exact {
            Some(exact) if n.is_i64() || n.is_u64() => n.to_string() == *exact,
            _ => n.as_f64() == Some(*approx),
        },
        (Want::Str(a), Value::String(b)) => a == b,
        (Want::Raw(v), Value::String(text)) => {
            serde_json::from_str::<Value>(text).is_ok_and(|read| read == *v)
        }
        (Want::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(w, g)| matches(w, g))
        }
        (Want::Object(fields), Value::Object(map)) => {
            fields.len() == map.len()
                && fields
                    .iter()
                    .all(|(k, w)| map.get(k).is_some_and(|g| matches(w, g)))
        }
        _ => false,
    }
}

/// Failures by kind: how many, and the shortest document of each.
#[derive(Default)]
struct Failures(BTreeMap<&'static str, (usize, String, String)>);

impl Failures {
    fn add(&mut self, what: &'static str, doc: &str, detail: String) {
        let entry = self
            .0
            .entry(what)
            .or_insert_with(|| (0, doc.to_owned(), detail.clone()));
        entry.0 += 1;
        if doc.len() < entry.1.len() {
            entry.1 = doc.to_owned();
            entry.2 = detail;
        }
    }
}

fn cut(text: &str) -> String {
    text.chars().take(600).collect()
}

/// Templates, documents of each, and how many of those are the sample.
const TEMPLATES: usize = 150;
const DOCS: usize = 150;
const SAMPLE: usize = 50;

#[test]
fn generated_documents_read_back_as_serde_json_projects_them() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut failures = Failures::default();
    let (mut taken, mut refused, mut sampled_count) = (0, 0, 0);
    let mut kinds = std::collections::BTreeSet::new();
    for _ in 0..TEMPLATES {
        let root = if rng.percent(12) {
            kind(&mut rng, 3)
        } else {
            Kind::Object(template(&mut rng, 0))
        };
        let mut docs: Vec<(String, bool)> = (0..DOCS)
            .map(|i| {
                let sampled = i < SAMPLE;
                let g = if rng.percent(if sampled { 2 } else { 3 }) {
                    any(&mut rng, 2)
                } else {
                    value(&mut rng, &root, !sampled)
                };
                (serialize(&g, &mut rng), sampled)
            })
            .collect();
        let (shape, left_out) = Shape::infer(docs[..SAMPLE].iter().map(|(d, _)| d.as_bytes()));
        // All are JSON; when some are objects, the sample's others are left out (and
        // counted, but null).
        let read: Vec<Value> = docs[..SAMPLE]
            .iter()
            .map(|(d, _)| serde_json::from_str(d).unwrap())
            .collect();
        if read.iter().any(Value::is_object) {
            for (doc, v) in docs.iter_mut().zip(&read) {
                doc.1 = v.is_object();
            }
            let others = read.iter().filter(|v| !v.is_object() && !v.is_null());
            assert_eq!(left_out, others.count(), "documents left out of the sample");
        } else {
            assert_eq!(left_out, 0, "documents left out of the sample");
        }
        kinds_of(&shape, 0, &mut kinds);
        let reading = JsonReading::new(shape.clone()).expect("the schema of a shape parses");
        let mut scratch = Scratch::default();
        let mut out = Vec::new();
        for (doc, sampled) in &docs {
            let value: Value = serde_json::from_str(doc)
                .unwrap_or_else(|e| panic!("the generator wrote {doc:?}, which is not JSON: {e}"));
            let mut p = Projection::default();
            let want = project_document(&shape, &value, &mut p);
            let show = |detail: String| cut(&format!("{detail}\n      shape: {shape:?}"));
            if *sampled {
                sampled_count += 1;
                if !p.dropped.is_empty() {
                    failures.add(
                        "a key of a sampled document is in no field of the inferred shape",
                        doc,
                        show(format!("dropped {:?}", p.dropped)),
                    );
                }
                if !p.refused.is_empty() {
                    failures.add(
                        "inference proposed a shape a sampled document does not fit",
                        doc,
                        show(format!("at {:?}", p.refused)),
                    );
                }
            }
            out.clear();
            match reading.transcode(doc.as_bytes(), &mut out, &mut scratch) {
                Ok(()) if p.refused.is_empty() => {
                    taken += 1;
                    match inlet_avro::value_json(reading.writer(), &out) {
                        Ok(text) => {
                            let got: Value = serde_json::from_str(&text).unwrap();
                            if !matches(&want, &got) {
                                failures.add(
                                    "read back other than serde_json's projection",
                                    doc,
                                    show(format!("got {text}, want {want:?}")),
                                );
                            }
                        }
                        Err(e) => failures.add(
                            "transcoded, but the Avro does not read back",
                            doc,
                            show(e),
                        ),
                    }
                }
                Ok(()) => failures.add(
                    "taken, though the projection refuses a value",
                    doc,
                    show(format!("refused at {:?}", p.refused)),
                ),
                Err(JsonError::Value { path, .. }) if p.refused.contains(&path) => refused += 1,
                // Until the transcoder takes the later of a key met twice (see
                // a_key_met_twice_is_the_later_even_when_the_earlier_does_not_fit), the
                // documents with an earlier value that does not fit fail here.
                Err(e) => failures.add(
                    if *sampled {
                        "a sampled document is refused"
                    } else {
                        "refused, though not where the projection refuses"
                    },
                    doc,
                    show(format!("{e} (projection refuses at {:?})", p.refused)),
                ),
            }
        }
    }
    let report: Vec<String> = failures
        .0
        .iter()
        .map(|(what, (n, doc, detail))| format!("{what}: {n}, e.g.\n  {doc:?}\n  {detail}"))
        .collect();
    assert!(report.is_empty(), "{}", report.join("\n"));
    println!(
        "{} documents ({sampled_count} sampled): {taken} read back as projected, {refused} refused where the projection refuses",
        TEMPLATES * DOCS
    );
    assert!(
        taken > TEMPLATES * DOCS / 2 && refused > 100,
        "the generator makes both"
    );
    let every = [
        "Boolean",
        "Integer",
        "Double",
        "Numeric",
        "Text",
        "Timestamptz",
        "Timestamp",
        "Date",
        "Uuid",
        "Json",
        "Array",
        "Object",
        "Object in an object",
        "Object in an object in an object",
    ];
    let missing: Vec<&str> = every.into_iter().filter(|k| !kinds.contains(*k)).collect();
    assert!(missing.is_empty(), "no shape inferred has {missing:?}");
}

/// The kinds of values `shape` holds, for the generator's coverage.
fn kinds_of(shape: &Shape, depth: usize, kinds: &mut std::collections::BTreeSet<String>) {
    match shape {
        Shape::Null | Shape::Json => {
            kinds.insert("Json".into());
        }
        Shape::Leaf(leaf) => {
            kinds.insert(format!("{leaf:?}"));
        }
        Shape::Array(item) => {
            kinds.insert("Array".into());
            kinds_of(item, depth, kinds);
        }
        Shape::Object(fields) => {
            kinds.insert(format!("Object{}", " in an object".repeat(depth)));
            for (_, field) in fields {
                kinds_of(field, depth + 1, kinds);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Targeted cases the differential finds (each the smallest input that shows it).

fn reading(sample: &[&str]) -> JsonReading {
    let (shape, not_json) = Shape::infer(sample.iter().map(|d| d.as_bytes()));
    assert_eq!(not_json, 0);
    JsonReading::new(shape).unwrap()
}

fn read_back(reading: &JsonReading, doc: &[u8]) -> Result<String, JsonError> {
    let mut out = Vec::new();
    reading.transcode(doc, &mut out, &mut Scratch::default())?;
    Ok(inlet_avro::value_json(reading.writer(), &out)
        .unwrap_or_else(|e| panic!("transcoded, but does not read back: {e}")))
}

#[test]
fn a_key_met_twice_is_the_later_even_when_the_earlier_does_not_fit() {
    // BUG: the transcoder reads the earlier value as the field's type and refuses the
    // document, though the later is the field's value (and inference, which keeps the
    // later, proposes a shape its own sample then does not fit).
    let r = reading(&[r#"{"i":1}"#]);
    assert_eq!(
        read_back(&r, br#"{"i":"x","i":2}"#).map_err(|e| e.to_string()),
        Ok(r#"{"i":2}"#.to_owned())
    );
    let r = reading(&[r#"{"i":"x","i":1}"#]);
    assert_eq!(
        read_back(&r, br#"{"i":"x","i":1}"#).map_err(|e| e.to_string()),
        Ok(r#"{"i":1}"#.to_owned()),
        "a sampled document transcodes"
    );
}

#[test]
fn a_sampled_document_transcodes_or_is_left_out() {
    // BUG: inference skips what it does not read (objects past depth 6, an object's keys
    // past MAX_OBJECT_KEYS) with jiter, which checks no UTF-8 there; the transcoder checks
    // the whole document. Such a document is sampled, then refused as not JSON.
    let wide: String = (0..200).map(|k| format!(r#""k{k}":{k},"#)).collect();
    let docs: [Vec<u8>; 2] = [
        [
            &br#"{"a":{"b":{"c":{"d":{"e":{"f":{"g":""#[..],
            b"\xff",
            br#""}}}}}}}"#,
        ]
        .concat(),
        [
            format!("{{{wide}").as_bytes(),
            br#""k200":""#,
            b"\xff",
            br#""}"#,
        ]
        .concat(),
    ];
    let mut kept_refused = Vec::new();
    for doc in &docs {
        let (shape, left_out) = Shape::infer([&doc[..]]);
        let r = JsonReading::new(shape).unwrap();
        if left_out == 0
            && let Err(e) = r.transcode(doc, &mut Vec::new(), &mut Scratch::default())
        {
            kept_refused.push(format!("{}: {e}", cut(&String::from_utf8_lossy(doc))));
        }
    }
    assert!(
        kept_refused.is_empty(),
        "sampled, then refused:\n{}",
        kept_refused.join("\n")
    );
}

#[test]
fn keys_of_one_avro_name_are_one_field_and_the_later_wins() {
    let r = reading(&[r#"{"user-id":1,"2fa":true}"#]);
    for (doc, want) in [
        (
            r#"{"user_id":1,"user-id":2}"#,
            r#"{"user_id":2,"_2fa":null}"#,
        ),
        (
            r#"{"user-id":1,"user.id":3}"#,
            r#"{"user_id":3,"_2fa":null}"#,
        ),
        (
            r#"{"_2fa":false,"2fa":true,"user id":4}"#,
            r#"{"user_id":4,"_2fa":true}"#,
        ),
        (
            r#"{"user-id":5,"user-id":null}"#,
            r#"{"user_id":null,"_2fa":null}"#,
        ),
    ] {
        assert_eq!(read_back(&r, doc.as_bytes()).unwrap(), want, "{doc}");
    }
}

#[test]
fn numbers_in_a_sample_are_proposed_as_a_type_that_takes_them() {
    // A number beyond numeric's limits here (1000 digits before the point, 1000 after it)
    // was proposed as numeric, which then refused the sample's own document (before
    // 8c9abb8); text takes it as written.
    for number in ["1e1000", "1e-1001", "1e999999999", "-1e-999999999"] {
        let doc = format!(r#"{{"x":{number}}}"#);
        let r = reading(&[&doc]);
        assert_eq!(
            read_back(&r, doc.as_bytes()).map(|_| ()),
            Ok(()),
            "{doc} (shape {:?})",
            r.shape()
        );
    }
    // Within them, numeric is exact.
    let r = reading(&[r#"{"x":1e400}"#]);
    let back = read_back(&r, br#"{"x":-1e999}"#).unwrap();
    assert_eq!(back, format!(r#"{{"x":-1{}}}"#, "0".repeat(999)));
    let back = read_back(&r, br#"{"x":1.50e-998}"#).unwrap();
    assert_eq!(back, format!(r#"{{"x":0.{}150}}"#, "0".repeat(997)));
}

#[test]
fn numeric_columns_refuse_what_the_plan_cannot_write() {
    let numeric = PgType::parse("numeric").unwrap();
    let r = JsonReading::new(Shape::for_columns([("n", "n", &numeric)]).unwrap()).unwrap();
    // Never Avro that does not read back: inlet-avro reads a big-decimal of at most 1024
    // bytes (2,466 digits).
    for doc in [
        &br#"{"n":1e2466}"#[..],
        br#"{"n":1e1000}"#,
        br#"{"n":1e131071}"#,
    ] {
        assert_value_error(&r, doc, "n");
    }
    // An exponent is not expanded into digits before it is checked (20 of 1e131071, a
    // 181-byte document, were 131,072-digit integers each before f0aaa9d).
    let doc = format!(r#"{{"n":[{}]}}"#, ["1e131071"; 20].join(","));
    let array = PgType::parse("numeric[]").unwrap();
    let r = JsonReading::new(Shape::for_columns([("n", "n", &array)]).unwrap()).unwrap();
    assert_value_error(&r, doc.as_bytes(), "n[0]");
}

#[test]
fn numeric_exponents_may_have_leading_zeros() {
    // An exponent of more than 6 digits was taken as out of range before its leading zeros
    // were dropped: numeric refused 1e0000001 (10) before 8c9abb8.
    let numeric = PgType::parse("numeric").unwrap();
    let r = JsonReading::new(Shape::for_columns([("n", "n", &numeric)]).unwrap()).unwrap();
    assert_eq!(
        read_back(&r, br#"{"n":1e0000001}"#).map_err(|e| e.to_string()),
        Ok(r#"{"n":10}"#.to_owned())
    );
    assert_eq!(
        read_back(&r, br#"{"n":1e-0000001}"#).map_err(|e| e.to_string()),
        Ok(r#"{"n":0.1}"#.to_owned())
    );
}

#[test]
fn spaces_before_a_timestamp_do_not_make_it_one_with_an_offset() {
    // Whether a timestamp has an offset was read from byte 10 of the untrimmed text, where
    // three leading spaces put the date's own '-' (before 8c9abb8).
    let (shape, _) = Shape::infer([&b"\"   2024-05-01T10:00:00\""[..]]);
    assert_eq!(shape, Shape::Leaf(Leaf::Timestamp));
}

#[test]
fn a_scratch_does_not_grow_with_refused_documents() {
    // An object's field ranges stayed in the scratch when a value inside it was refused: a
    // consumer reusing one scratch grew it with every refused record (before 8c9abb8).
    let r = reading(&[r#"{"a":1,"geo":{"lat":1.5,"lon":2.5}}"#]);
    let mut s = Scratch::default();
    let mut out = Vec::new();
    for _ in 0..10_000 {
        out.clear();
        assert!(
            r.transcode(br#"{"geo":{"lat":"x"}}"#, &mut out, &mut s)
                .is_err()
        );
    }
    out.clear();
    r.transcode(br#"{"a":2}"#, &mut out, &mut s).unwrap();
    // Debug is the scratch's one window: it lists what it holds.
    let held = format!("{s:?}").len();
    assert!(held < 1_000, "the scratch holds {held} bytes of Debug");
}

// ---------------------------------------------------------------------------------------
// Adversarial inputs.

/// A reading of one column of each kind.
fn columns() -> JsonReading {
    let types = [
        ("n", "numeric"),
        ("f", "double precision"),
        ("r", "real"),
        ("i", "bigint"),
        ("t", "text"),
        ("j", "jsonb"),
        ("b", "boolean"),
        ("d", "date"),
        ("ts", "timestamptz"),
        ("arr", "bigint[]"),
    ];
    let types: Vec<(&str, PgType)> = types
        .iter()
        .map(|(c, t)| (*c, PgType::parse(t).unwrap()))
        .collect();
    let shape = Shape::for_columns(types.iter().map(|(c, t)| (*c, *c, t))).unwrap();
    JsonReading::new(shape).unwrap()
}

/// The transcoding of `doc`, read back when it is Ok: never a panic, and never Avro that
/// does not read back (but for U+0000, which `value_json` refuses as jsonb does).
fn transcode(r: &JsonReading, doc: &[u8]) -> Result<String, JsonError> {
    let mut out = Vec::new();
    r.transcode(doc, &mut out, &mut Scratch::default())?;
    match inlet_avro::value_json(r.writer(), &out) {
        Ok(text) => Ok(text),
        Err(e) if e.contains("U+0000") => Ok(e),
        Err(e) => panic!(
            "{:?} transcoded, but does not read back: {e}",
            cut(&String::from_utf8_lossy(doc))
        ),
    }
}

/// Why `doc`, which serde_json does not read either, is not refused as a syntax error (None:
/// it is).
fn not_syntax(r: &JsonReading, doc: &[u8]) -> Option<String> {
    let shown = cut(&String::from_utf8_lossy(doc));
    assert!(
        serde_json::from_slice::<Value>(doc).is_err(),
        "serde_json reads {shown:?}"
    );
    let mut out = Vec::new();
    match r.transcode(doc, &mut out, &mut Scratch::default()) {
        Err(e) if e.is_syntax() => None,
        Err(e) => Some(format!("{shown:?}: refused as a value: {e}")),
        Ok(()) => Some(format!(
            "{shown:?}: taken, read back as {:?}",
            inlet_avro::value_json(r.writer(), &out)
        )),
    }
}

fn assert_syntax(r: &JsonReading, doc: &[u8]) {
    assert_all_syntax(r, [doc.to_vec()]);
}

fn assert_all_syntax(r: &JsonReading, docs: impl IntoIterator<Item = Vec<u8>>) {
    let problems: Vec<String> = docs.into_iter().filter_map(|d| not_syntax(r, &d)).collect();
    assert!(
        problems.is_empty(),
        "{} not syntax errors:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

fn assert_value_error(r: &JsonReading, doc: &[u8], at: &str) {
    let shown = cut(&String::from_utf8_lossy(doc));
    match transcode(r, doc) {
        Err(JsonError::Value { path, .. }) if path == at => {}
        other => panic!("{shown:?}: {other:?}, not a value refused at {at}"),
    }
}

/// Runs the test `name` again in a child process of this binary and asserts it passes: a
/// stack overflow aborts the process, and would end the whole run. Returns true in the
/// child, which then runs the test's body.
fn in_child(name: &str) -> bool {
    const VAR: &str = "INLET_JSON_DIFFERENTIAL_CHILD";
    if std::env::var(VAR).as_deref() == Ok(name) {
        return true;
    }
    let child = Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--test-threads=1"])
        .env(VAR, name)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert!(
        child.status.success(),
        "{name} in a child process: {}\n{}{}",
        child.status,
        String::from_utf8_lossy(&child.stdout),
        String::from_utf8_lossy(&child.stderr)
    );
    false
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    // Run in a child process: before f0aaa9d, Shape::infer recursed once per nested array
    // and 1,000 `[` overflowed a test thread's stack (2 MiB, debug), aborting the process.
    //
    // BUG: inference skips what is nested past depth 6, so jiter's limit of 200 levels
    // starts there; the transcoder skips a jsonb value from where it starts. A document of
    // 202 to 207 nested arrays (`[`×202 `]`×202) is sampled, then refused as not JSON.
    if !in_child("deep_nesting_is_refused_without_overflowing_the_stack") {
        return;
    }
    let n = 10_000;
    let docs = [
        format!("{}{}", "[".repeat(n), "]".repeat(n)),
        format!("{}1{}", r#"{"a":"#.repeat(n), "}".repeat(n)),
        format!(r#"{{"arr":{}{}}}"#, "[".repeat(n), "]".repeat(n)),
        format!(r#"{{"j":{}{}}}"#, "[".repeat(n), "]".repeat(n)),
        format!(r#"{{"t":{}1{}}}"#, r#"{"a":"#.repeat(n), "}".repeat(n)),
        format!(r#"{{"zz":{}{}}}"#, "[{\"a\":".repeat(n), "}]".repeat(n)),
    ];
    let r = columns();
    for doc in &docs {
        // Deeper than any parser's limit: not read (jiter's limit is 200).
        assert_syntax(&r, doc.as_bytes());
    }
    // A sampled document is read by the transcoder too, or left out of the sample.
    let mut kept_refused = Vec::new();
    let near_the_limit = (195..=215).flat_map(|n| {
        [
            format!("{}{}", "[".repeat(n), "]".repeat(n)),
            format!(r#"{{"a":{}{}}}"#, "[".repeat(n), "]".repeat(n)),
            format!("{}1{}", r#"{"a":"#.repeat(n), "}".repeat(n)),
        ]
    });
    for doc in docs.iter().cloned().chain(near_the_limit) {
        let (shape, not_json) = Shape::infer([doc.as_bytes()]);
        if not_json == 0 {
            let r = JsonReading::new(shape).unwrap();
            if let Err(e) = transcode(&r, doc.as_bytes()) {
                kept_refused.push(format!("{} deep {}…: {e}", json_depth(&doc), &doc[..12]));
            }
        }
    }
    assert!(
        kept_refused.is_empty(),
        "sampled, then refused:\n{}",
        kept_refused.join("\n")
    );
}

/// How deeply `doc`'s brackets nest (no strings hold any here).
fn json_depth(doc: &str) -> usize {
    let (mut depth, mut deepest) = (0usize, 0);
    for b in doc.bytes() {
        match b {
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth -= 1,
            _ => {}
        }
    }
    deepest
}

#[test]
fn a_five_megabyte_string_is_read_or_refused_by_its_column() {
    let big = "é\\n日本a".repeat(500_000);
    let read: String = serde_json::from_str(&format!("\"{big}\"")).unwrap();
    assert!(big.len() > 5_000_000);
    let r = columns();
    let back = transcode(&r, format!(r#"{{"t":"{big}"}}"#).as_bytes()).unwrap();
    let back: Value = serde_json::from_str(&back).unwrap();
    assert_eq!(back["t"].as_str(), Some(read.as_str()));
    let back = transcode(&r, format!(r#"{{"j":"{big}"}}"#).as_bytes()).unwrap();
    let back: Value = serde_json::from_str(&back).unwrap();
    assert_eq!(back["j"].as_str().map(str::len), Some(big.len() + 2));
    // Refused by a column that reads it, quoting a little of it (one numeric and one time
    // column: each refusal escapes the whole string before cutting it, ~1 s in debug).
    for column in ["i", "d"] {
        let doc = format!(r#"{{"{column}":"{big}"}}"#);
        match transcode(&r, doc.as_bytes()) {
            Err(e @ JsonError::Value { .. }) => {
                assert!(e.to_string().len() < 400, "the error quotes a little of it")
            }
            other => panic!("{column}: {other:?}"),
        }
    }
    let (shape, _) = Shape::infer([format!(r#"{{"t":"{big}"}}"#).as_bytes()]);
    assert_eq!(
        shape,
        Shape::Object(vec![("t".into(), Shape::Leaf(Leaf::Text))])
    );
}

#[test]
fn numbers_of_a_million_digits() {
    let r = columns();
    let digits = "7".repeat(1_000_000);
    // jiter refuses an integer of more than 4,300 digits as out of range, wherever it is
    // (serde_json too), though JSON's grammar has no limit.
    for column in ["n", "f", "i", "t", "j", "zz"] {
        let doc = format!(r#"{{"{column}":{digits}}}"#);
        assert!(transcode(&r, doc.as_bytes()).is_err_and(|e| e.is_syntax()));
    }
    let fraction = format!("0.{digits}");
    for column in ["n", "i"] {
        assert_value_error(
            &r,
            format!(r#"{{"{column}":{fraction}}}"#).as_bytes(),
            column,
        );
    }
    let back = transcode(
        &r,
        format!(r#"{{"f":{fraction},"t":{fraction}}}"#).as_bytes(),
    );
    let back: Value = serde_json::from_str(&back.unwrap()).unwrap();
    assert_eq!(back["f"].as_f64(), Some(7.0 / 9.0));
    assert_eq!(back["t"].as_str(), Some(fraction.as_str()));
}

#[test]
fn exponents_out_of_every_range_are_refused_by_number_columns() {
    let r = columns();
    for number in [
        "1e999999999",
        "-1e-999999999",
        "1E+999999999",
        "1e-999999999",
        "-1e999999999",
    ] {
        for column in ["n", "f", "r", "i"] {
            assert_value_error(&r, format!(r#"{{"{column}":{number}}}"#).as_bytes(), column);
        }
        assert_value_error(
            &r,
            format!(r#"{{"arr":[1,{number}]}}"#).as_bytes(),
            "arr[1]",
        );
        // Text and jsonb take the number's text.
        let back = transcode(&r, format!(r#"{{"t":{number},"j":{number}}}"#).as_bytes()).unwrap();
        let back: Value = serde_json::from_str(&back).unwrap();
        assert_eq!(back["t"], number);
        assert_eq!(back["j"], number);
    }
    // Zero is zero however large its exponent (float8in's reading).
    let back = transcode(&r, br#"{"f":0e-999999999,"i":1}"#).unwrap();
    assert!(back.starts_with(r#"{"n":null,"f":0,"#), "{back}");
}

#[test]
fn nul_and_surrogate_escapes() {
    let r = columns();
    // U+0000 is a character of a JSON string: the transcoder takes it, and text and jsonb
    // refuse it downstream (the plan; `value_json` here).
    let back = transcode(&r, br#"{"t":"\u0000"}"#).unwrap();
    assert!(back.contains("U+0000"), "{back}");
    let back = transcode(&r, br#"{"j":"a\u0000"}"#).unwrap();
    let back: Value = serde_json::from_str(&back).unwrap();
    assert_eq!(
        back["j"], r#""a\u0000""#,
        "jsonb takes the escape as written"
    );
    // A lone surrogate is no character: not JSON, as serde_json reads it.
    for bad in [
        r#""\ud800""#,
        r#""\udc00""#,
        r#""\ud800\u0041""#,
        r#""\ud800\ud800""#,
    ] {
        for column in ["t", "j", "i", "zz"] {
            assert_syntax(&r, format!(r#"{{"{column}":{bad}}}"#).as_bytes());
        }
    }
    let back = transcode(&r, br#"{"t":"\ud83d\ude00\u00e9","j":"\uD83D\uDE00"}"#).unwrap();
    let back: Value = serde_json::from_str(&back).unwrap();
    assert_eq!(back["t"], "😀é");
    assert_eq!(back["j"], r#""\uD83D\uDE00""#);
}

#[test]
fn bytes_that_are_not_utf8_are_not_json() {
    // Before 8c9abb8 invalid UTF-8 was refused only in strings the transcoder reads: an
    // unknown key's value was skipped and taken, and jsonb (or text from a non-string)
    // became an Avro string that is not UTF-8, which inlet-avro cannot read.
    let mut docs = Vec::new();
    for bad in [
        &b"\xff"[..],
        b"\xc0\xaf",
        b"\xed\xa0\x80",
        b"\xe6\x97",
        b"\xf4\x90\x80\x80",
    ] {
        for (before, after) in [
            (r#"{"t":""#, r#""}"#),
            (r#"{"i":""#, r#""}"#),
            (r#"{"zz":""#, r#""}"#),
            (r#"{"j":""#, r#""}"#),
            (r#"{"j":[""#, r#""]}"#),
            (r#"{"t":[""#, r#""]}"#),
            (r#"{""#, r#"":1}"#),
        ] {
            docs.push([before.as_bytes(), bad, after.as_bytes()].concat());
        }
    }
    assert_all_syntax(&columns(), docs);
}

#[test]
fn malformed_documents_are_syntax_errors() {
    let r = columns();
    let docs = [
        &b""[..],
        b" \n\t ",
        b"\xEF\xBB\xBF{\"i\":1}",
        b"{\"i\":1} x",
        b"{\"i\":1}{}",
        b"{\"i\":1},",
        b"{\"i\":1",
        b"{\"i\" 1}",
        b"{\"i\":1,}",
        b"{'i':1}",
        b"{i:1}",
    ];
    assert_all_syntax(&r, docs.map(<[u8]>::to_vec));
    let mut docs = Vec::new();
    for number in [
        "01",
        "-",
        "1.",
        ".5",
        "NaN",
        "Infinity",
        "-Infinity",
        "+1",
        "1e",
        "1e+",
        "0x10",
        "1_000",
        "--1",
        "-01",
    ] {
        // Columns that read a number (a date column refuses one, and ends there: see
        // trailing_garbage_after_a_refused_value_is_a_syntax_error).
        for column in ["n", "f", "r", "i", "b", "t", "j", "zz"] {
            docs.push(format!(r#"{{"{column}":{number}}}"#));
        }
        docs.push(format!(r#"{{"arr":[{number}]}}"#));
        docs.push(format!(r#"{{"j":[{number}]}}"#));
    }
    assert_all_syntax(&r, docs.into_iter().map(String::into_bytes));
    // Whitespace after the document is fine.
    assert!(transcode(&r, b"{\"i\":1}\n \r\t").is_ok());
}

#[test]
fn trailing_garbage_after_a_refused_value_is_a_syntax_error() {
    // BUG (minor): a value the shape refuses ends the reading, so bytes that are not one
    // JSON document are reported as that value's refusal (the dead letter's reason says
    // the number 1 is not an object, when the record is not JSON at all).
    let r = columns();
    assert_all_syntax(
        &r,
        [
            &b"1 x"[..],
            br#"{"i":"x"} x"#,
            br#"{"d":0x10}"#,
            br#"{"d":1.5.2}"#,
        ]
        .map(<[u8]>::to_vec),
    );
}

#[test]
fn an_object_of_100000_keys_is_read() {
    let n = 100_000;
    let mut doc = String::from("{");
    for k in 0..n {
        doc.push_str(&format!(r#""k{k}":{k},"#));
    }
    doc.push_str(r#""i":7}"#);
    let r = columns();
    let back: Value = serde_json::from_str(&transcode(&r, doc.as_bytes()).unwrap()).unwrap();
    assert_eq!(back["i"], 7);
}

#[test]
fn a_sample_object_of_100000_keys_is_inferred_as_jsonb() {
    // Before f0aaa9d inference compared each key with every key met before it: 100,000
    // keys took ~100 s in debug. Past MAX_OBJECT_KEYS the rest is skipped.
    let mut doc = String::from("{");
    for k in 0..100_000 {
        doc.push_str(&format!(r#""k{k}":{k},"#));
    }
    doc.push_str(r#""i":7}"#);
    let (shape, not_json) = Shape::infer([doc.as_bytes()]);
    assert_eq!((shape, not_json), (Shape::Json, 0));
}

#[test]
fn an_array_of_a_million_small_ints() {
    let n = 1_000_000;
    let items: Vec<String> = (0..n).map(|i| (i % 100).to_string()).collect();
    let doc = format!(r#"{{"arr":[{0}],"j":[{0}]}}"#, items.join(","));
    let r = columns();
    let back: Value = serde_json::from_str(&transcode(&r, doc.as_bytes()).unwrap()).unwrap();
    let arr = back["arr"].as_array().unwrap();
    assert_eq!(arr.len(), n);
    assert_eq!(
        arr.iter().map(|v| v.as_i64().unwrap()).sum::<i64>(),
        (0..n as i64).map(|i| i % 100).sum::<i64>()
    );
    assert_eq!(
        back["j"].as_str().map(str::len),
        Some(items.join(",").len() + 2)
    );
    let (shape, _) = Shape::infer([doc.as_bytes()]);
    assert_eq!(
        shape,
        Shape::Object(vec![
            (
                "arr".into(),
                Shape::Array(Box::new(Shape::Leaf(Leaf::Integer)))
            ),
            (
                "j".into(),
                Shape::Array(Box::new(Shape::Leaf(Leaf::Integer)))
            ),
        ])
    );
}
