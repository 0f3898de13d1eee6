//! Differential test: 1,000 random schemas (every Avro type and logical type, nested
//! records, arrays, maps, nullable and multi-type unions, named references across
//! namespaces, recursion) with random values encoded by apache-avro. Each record is decoded
//! twice: by inlet's plan for the proposed table, and by apache-avro's own reader followed
//! by the plain conversion below, written independently of inlet's code. Every column of
//! every row must agree.

use std::collections::HashMap;
use std::str::FromStr;

use apache_avro::types::Value;
use apache_avro::{BigDecimal, Days, Decimal, Duration, Millis, Months, Schema, Uuid};
use inlet_avro::{
    ColumnMapping, ColumnSource, DecodePlan, KafkaField, PgType, PlanOptions, Proposal, RecordMeta,
    RowScratch, TableColumn, WriterSchema,
};
use serde_json::{Value as Json, json};

const SCHEMAS: u64 = 1_000;
const RECORDS_PER_SCHEMA: usize = 4;

/// xorshift64*: deterministic, so a failure names a seed that reproduces it.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn range(&mut self, low: i64, high: i64) -> i64 {
        low + (self.next() % (high - low + 1) as u64) as i64
    }
}

/// Random schemas. Named types get unique names in one of three namespaces and are
/// referenced by full name once defined.
struct SchemaGen {
    rng: Rng,
    named: Vec<(String, Json)>,
    counter: usize,
}

/// The kind of a union branch: Avro forbids two branches of one unnamed kind.
fn kind(schema: &Json) -> String {
    match schema {
        Json::String(name) => match name.as_str() {
            "null" | "boolean" | "int" | "long" | "float" | "double" | "bytes" | "string" => {
                name.clone()
            }
            other => format!("named {other}"),
        },
        Json::Object(o) => match o["type"].as_str().unwrap_or("") {
            "record" | "enum" | "fixed" => format!("named {}", o["name"]),
            other => other.to_owned(),
        },
        _ => "union".into(),
    }
}

impl SchemaGen {
    fn name(&mut self, prefix: &str) -> (String, String) {
        self.counter += 1;
        let namespace = ["inlet.a", "inlet.b", "other.ns"][self.rng.below(3)];
        (format!("{prefix}{}", self.counter), namespace.to_owned())
    }

    fn root(&mut self) -> Json {
        self.record(0)
    }

    fn record(&mut self, depth: usize) -> Json {
        let (name, namespace) = self.name("R");
        let full = format!("{namespace}.{name}");
        let count = 1 + self.rng.below(6);
        let mut fields: Vec<Json> = (0..count)
            .map(|i| json!({"name": format!("f{i}"), "type": self.any(depth + 1)}))
            .collect();
        if depth < 2 && self.rng.chance(10) {
            // Recursion through a nullable union.
            fields.push(json!({"name": "again", "type": ["null", full.clone()]}));
        }
        let schema =
            json!({"type": "record", "name": name, "namespace": namespace, "fields": fields});
        self.named.push((full, schema.clone()));
        schema
    }

    fn any(&mut self, depth: usize) -> Json {
        if !self.named.is_empty() && self.rng.chance(8) {
            // A reference to a named type defined earlier, by its full name.
            let (full, _) = &self.named[self.rng.below(self.named.len())];
            return Json::String(full.clone());
        }
        let choice = if depth >= 4 {
            self.rng.below(20)
        } else {
            self.rng.below(26)
        };
        match choice {
            0..=19 => self.leaf(),
            20 | 21 => json!({"type": "array", "items": self.any(depth + 1)}),
            22 => json!({"type": "map", "values": self.any(depth + 1)}),
            23 => self.record(depth),
            _ => self.union(depth),
        }
    }

    fn union(&mut self, depth: usize) -> Json {
        let mut branches = Vec::new();
        let mut kinds = Vec::new();
        if self.rng.chance(60) {
            branches.push(json!("null"));
            kinds.push("null".to_owned());
        }
        let wanted = 1 + self.rng.below(3);
        while branches.len() < wanted + usize::from(kinds.first().is_some_and(|k| k == "null")) {
            let branch = match self.rng.below(10) {
                0..=7 => self.leaf(),
                8 => json!({"type": "array", "items": self.leaf()}),
                _ => self.record(depth + 1),
            };
            let k = kind(&branch);
            if k != "null" && !kinds.contains(&k) {
                kinds.push(k);
                branches.push(branch);
            }
        }
        Json::Array(branches)
    }

    fn leaf(&mut self) -> Json {
        let logical = |base: &str, logical: &str| json!({"type": base, "logicalType": logical});
        match self.rng.below(30) {
            0 => json!("boolean"),
            1 | 2 => json!("int"),
            3 | 4 => json!("long"),
            5 => json!("float"),
            6 => json!("double"),
            7 => json!("bytes"),
            8..=10 => json!("string"),
            11 => {
                let (name, namespace) = self.name("E");
                let symbols: Vec<String> = (0..1 + self.rng.below(4))
                    .map(|i| format!("S{i}"))
                    .collect();
                let schema = json!({"type": "enum", "name": name, "namespace": namespace, "symbols": symbols});
                self.named
                    .push((format!("{namespace}.{name}"), schema.clone()));
                schema
            }
            12 => {
                let (name, namespace) = self.name("F");
                let schema = json!({"type": "fixed", "name": name, "namespace": namespace, "size": self.rng.below(9)});
                self.named
                    .push((format!("{namespace}.{name}"), schema.clone()));
                schema
            }
            13 => {
                let precision = 1 + self.rng.below(30);
                let scale = self.rng.below(precision + 1);
                json!({"type": "bytes", "logicalType": "decimal", "precision": precision, "scale": scale})
            }
            14 => {
                let (name, namespace) = self.name("D");
                let size = 1 + self.rng.below(16);
                // The largest precision `size` bytes hold.
                let max = ((8 * size - 1) as f64 * 2f64.log10()).floor() as usize;
                let precision = 1 + self.rng.below(max.max(1));
                let scale = self.rng.below(precision + 1);
                json!({"type": "fixed", "name": name, "namespace": namespace, "size": size,
                       "logicalType": "decimal", "precision": precision, "scale": scale})
            }
            15 => logical("bytes", "big-decimal"),
            16 => logical("string", "uuid"),
            17 => {
                let (name, namespace) = self.name("U");
                json!({"type": "fixed", "name": name, "namespace": namespace, "size": 16, "logicalType": "uuid"})
            }
            18 => logical("int", "date"),
            19 => logical("int", "time-millis"),
            20 => logical("long", "time-micros"),
            21 => logical("long", "timestamp-millis"),
            22 => logical("long", "timestamp-micros"),
            23 => logical("long", "timestamp-nanos"),
            24 => logical("long", "local-timestamp-millis"),
            25 => logical("long", "local-timestamp-micros"),
            26 => logical("long", "local-timestamp-nanos"),
            27 => {
                let (name, namespace) = self.name("Dur");
                json!({"type": "fixed", "name": name, "namespace": namespace, "size": 12, "logicalType": "duration"})
            }
            // Unknown logical types read as their base type.
            28 => logical("string", "custom-type"),
            _ => logical("long", "date-time"),
        }
    }
}

/// Random values for a schema; named types are looked up in `named`.
struct ValueGen<'a> {
    rng: &'a mut Rng,
    named: &'a HashMap<String, Json>,
}

impl ValueGen<'_> {
    fn value(&mut self, schema: &Json, depth: usize) -> Value {
        match schema {
            Json::String(name) => match name.as_str() {
                "null" => Value::Null,
                "boolean" => Value::Boolean(self.rng.chance(50)),
                "int" => Value::Int(self.int() as i32),
                "long" => Value::Long(self.int()),
                "float" => Value::Float(self.float() as f32),
                "double" => Value::Double(self.float()),
                "bytes" => Value::Bytes(self.bytes(6)),
                "string" => Value::String(self.string()),
                other => {
                    let definition = self.named[other].clone();
                    self.value(&definition, depth)
                }
            },
            Json::Array(branches) => {
                // Deep down, take null when there is one, so that recursion ends.
                let index = match branches.iter().position(|b| b == "null") {
                    Some(null) if depth > 3 => null,
                    _ => self.rng.below(branches.len()),
                };
                Value::Union(
                    index as u32,
                    Box::new(self.value(&branches[index], depth + 1)),
                )
            }
            Json::Object(o) => self.complex(o, depth),
            _ => unreachable!("schemas are strings, arrays or objects"),
        }
    }

    fn complex(&mut self, o: &serde_json::Map<String, Json>, depth: usize) -> Value {
        let logical = o.get("logicalType").and_then(Json::as_str).unwrap_or("");
        let ty = o["type"].as_str().unwrap_or("");
        let day = 86_400_000_000i64;
        match (ty, logical) {
            ("record", _) => Value::Record(
                o["fields"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| {
                        (
                            f["name"].as_str().unwrap().to_owned(),
                            self.value(&f["type"], depth + 1),
                        )
                    })
                    .collect(),
            ),
            ("enum", _) => {
                let symbols = o["symbols"].as_array().unwrap();
                let i = self.rng.below(symbols.len());
                Value::Enum(i as u32, symbols[i].as_str().unwrap().to_owned())
            }
            ("array", _) => {
                let n = if depth > 4 { 0 } else { self.rng.below(4) };
                Value::Array((0..n).map(|_| self.value(&o["items"], depth + 1)).collect())
            }
            ("map", _) => {
                let n = if depth > 4 { 0 } else { self.rng.below(4) };
                Value::Map(
                    (0..n)
                        .map(|i| (format!("k{i}é"), self.value(&o["values"], depth + 1)))
                        .collect(),
                )
            }
            ("fixed", "decimal") | ("bytes", "decimal") => {
                let precision = o["precision"].as_u64().unwrap() as u32;
                let digits = self.rng.range(1, i64::from(precision.min(38)));
                let magnitude =
                    (0..digits).fold(0i128, |acc, _| acc * 10 + self.rng.below(10) as i128);
                let unscaled = if self.rng.chance(50) {
                    -magnitude
                } else {
                    magnitude
                };
                let size = o.get("size").and_then(Json::as_u64).unwrap_or(16) as usize;
                let bytes = unscaled.to_be_bytes()[16 - size..].to_vec();
                Value::Decimal(Decimal::from(bytes))
            }
            ("fixed", "uuid") | ("string", "uuid") => {
                Value::Uuid(Uuid::from_u64_pair(self.rng.next(), self.rng.next()))
            }
            ("fixed", "duration") => Value::Duration(Duration::new(
                Months::new(self.rng.below(10_000) as u32),
                Days::new(self.rng.below(100_000) as u32),
                Millis::new(self.rng.next() as u32),
            )),
            ("fixed", _) => {
                let size = o["size"].as_u64().unwrap() as usize;
                Value::Fixed(size, self.bytes_exact(size))
            }
            ("bytes", "big-decimal") => {
                let text = format!(
                    "{}{}.{}",
                    if self.rng.chance(50) { "-" } else { "" },
                    self.rng.next() % 1_000_000_000_000,
                    self.rng.next() % 1_000_000
                );
                Value::BigDecimal(BigDecimal::from_str(&text).unwrap())
            }
            // Dates and times within 1900..2100: the formats, not PostgreSQL's range limits
            // (covered by the unit tests), are what this test compares.
            ("int", "date") => Value::Date(self.rng.range(-25_567, 47_482) as i32),
            ("int", "time-millis") => Value::TimeMillis(self.rng.range(0, 86_399_999) as i32),
            ("long", "time-micros") => Value::TimeMicros(self.rng.range(0, day - 1)),
            ("long", "timestamp-millis") => Value::TimestampMillis(self.instant() / 1000),
            ("long", "timestamp-micros") => Value::TimestampMicros(self.instant()),
            ("long", "timestamp-nanos") => {
                Value::TimestampNanos(self.instant() * 1000 + self.rng.range(0, 999))
            }
            ("long", "local-timestamp-millis") => {
                Value::LocalTimestampMillis(self.instant() / 1000)
            }
            ("long", "local-timestamp-micros") => Value::LocalTimestampMicros(self.instant()),
            ("long", "local-timestamp-nanos") => {
                Value::LocalTimestampNanos(self.instant() * 1000 + self.rng.range(0, 999))
            }
            (base, _) => self.value(&Json::String(base.to_owned()), depth),
        }
    }

    /// Microseconds since 1970 within 1900..2100.
    fn instant(&mut self) -> i64 {
        self.rng
            .range(-2_208_988_800_000_000, 4_102_444_799_999_999)
    }

    fn int(&mut self) -> i64 {
        match self.rng.below(4) {
            0 => self.rng.range(-3, 3),
            1 => i64::from(self.rng.next() as i32),
            _ => self.rng.next() as i64,
        }
    }

    fn float(&mut self) -> f64 {
        match self.rng.below(12) {
            0 => f64::NAN,
            1 => f64::INFINITY,
            2 => f64::NEG_INFINITY,
            3 => 0.1,
            4 => -0.0,
            _ => (self.rng.next() as i64) as f64 / 10f64.powi(self.rng.below(12) as i32),
        }
    }

    fn bytes(&mut self, max: usize) -> Vec<u8> {
        let n = self.rng.below(max + 1);
        self.bytes_exact(n)
    }

    fn bytes_exact(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.rng.next() as u8).collect()
    }

    fn string(&mut self) -> String {
        let pieces = ["", "a", "é", "日本", "\"q\"", "\\", "\n\t", "🦀", "x y"];
        (0..self.rng.below(4))
            .map(|_| pieces[self.rng.below(pieces.len())])
            .collect()
    }
}

// ---- the plain conversion: apache-avro's value to what the column should hold ----

/// A column's content, compared after decoding inlet's bytes.
#[derive(Debug, PartialEq)]
enum Cell {
    Null,
    Bytes(Vec<u8>),
    /// numeric, as decimal text.
    Numeric(String),
    Array(Vec<Cell>),
    Json(Json),
}

const PG_EPOCH_DAYS: i64 = 10_957;
const PG_EPOCH_MICROS: i64 = PG_EPOCH_DAYS * 86_400_000_000;

fn expect(value: Option<&Value>, pg: &PgType) -> Cell {
    let Some(value) = value else {
        return Cell::Null;
    };
    if *pg == PgType::Jsonb {
        return Cell::Json(normalize(to_json(value)));
    }
    if let PgType::Array(element) = pg {
        let Value::Array(items) = value else {
            panic!("{value:?} into an array")
        };
        return Cell::Array(
            items
                .iter()
                .map(|v| expect(array_item(v), element))
                .collect(),
        );
    }
    let be = |b: &[u8]| Cell::Bytes(b.to_vec());
    match value {
        Value::Boolean(b) => be(&[u8::from(*b)]),
        Value::Int(i) => be(&i.to_be_bytes()),
        Value::Long(l) => be(&l.to_be_bytes()),
        Value::Float(f) => be(&f.to_be_bytes()),
        Value::Double(d) => be(&d.to_be_bytes()),
        Value::Bytes(b) | Value::Fixed(_, b) => be(b),
        Value::String(s) => be(s.as_bytes()),
        Value::Enum(_, symbol) => be(symbol.as_bytes()),
        Value::Uuid(u) => be(u.as_bytes()),
        Value::Date(d) => be(&((i64::from(*d) - PG_EPOCH_DAYS) as i32).to_be_bytes()),
        Value::TimeMillis(t) => be(&(i64::from(*t) * 1000).to_be_bytes()),
        Value::TimeMicros(t) => be(&t.to_be_bytes()),
        Value::TimestampMillis(t) | Value::LocalTimestampMillis(t) => {
            be(&(t * 1000 - PG_EPOCH_MICROS).to_be_bytes())
        }
        Value::TimestampMicros(t) | Value::LocalTimestampMicros(t) => {
            be(&(t - PG_EPOCH_MICROS).to_be_bytes())
        }
        // The default nanosecond policy truncates.
        Value::TimestampNanos(t) | Value::LocalTimestampNanos(t) => {
            be(&(t.div_euclid(1000) - PG_EPOCH_MICROS).to_be_bytes())
        }
        Value::Duration(d) => {
            let mut b = (i64::from(u32::from(d.millis())) * 1000)
                .to_be_bytes()
                .to_vec();
            b.extend_from_slice(&(u32::from(d.days()) as i32).to_be_bytes());
            b.extend_from_slice(&(u32::from(d.months()) as i32).to_be_bytes());
            Cell::Bytes(b)
        }
        Value::Decimal(d) => {
            let PgType::Numeric { scale, .. } = pg else {
                panic!("decimal into {pg}")
            };
            Cell::Numeric(decimal_text(d, usize::from(scale.unwrap_or(0))))
        }
        Value::BigDecimal(b) => {
            let (unscaled, scale) = b.as_bigint_and_exponent();
            Cell::Numeric(scaled_text(&unscaled.to_string(), scale as usize))
        }
        other => panic!("no plain conversion for {other:?} into {pg}"),
    }
}

fn array_item(value: &Value) -> Option<&Value> {
    match value {
        Value::Union(_, inner) if **inner == Value::Null => None,
        Value::Union(_, inner) => Some(&**inner),
        other => Some(other),
    }
}

fn decimal_unscaled(d: &Decimal) -> i128 {
    let bytes = Vec::<u8>::try_from(d).unwrap();
    let fill = if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        0xff
    } else {
        0
    };
    let mut wide = [fill; 16];
    wide[16 - bytes.len()..].copy_from_slice(&bytes);
    i128::from_be_bytes(wide)
}

fn decimal_text(d: &Decimal, scale: usize) -> String {
    scaled_text(&decimal_unscaled(d).to_string(), scale)
}

/// `-12345`, scale 2 → `-123.45`.
fn scaled_text(unscaled: &str, scale: usize) -> String {
    let (sign, digits) = match unscaled.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", unscaled),
    };
    let digits = format!("{digits:0>width$}", width = scale + 1);
    let (int, frac) = digits.split_at(digits.len() - scale);
    let text = if scale == 0 {
        int.to_owned()
    } else {
        format!("{int}.{frac}")
    };
    if text.trim_start_matches(['0', '.']).is_empty() {
        text // zero has no sign
    } else {
        format!("{sign}{text}")
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut text = String::from("\\x");
    for b in bytes {
        text.push_str(&format!("{b:02x}"));
    }
    text
}

fn float_json(value: f64, shortest: String) -> Json {
    if value.is_nan() {
        json!("NaN")
    } else if value.is_infinite() {
        json!(if value > 0.0 { "Infinity" } else { "-Infinity" })
    } else {
        // The shortest digits at the value's width, read back by Rust's exact parser.
        json!(shortest.parse::<f64>().unwrap())
    }
}

/// Year, month, day for days since 1970, by walking years and months: slow and plain.
fn civil(mut days: i64) -> (i64, u32, u32) {
    let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let mut year = 1970;
    while days < 0 {
        year -= 1;
        days += if leap(year) { 366 } else { 365 };
    }
    while days >= if leap(year) { 366 } else { 365 } {
        days -= if leap(year) { 366 } else { 365 };
        year += 1;
    }
    let lengths = [
        31,
        if leap(year) { 29 } else { 28 },
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
    let mut month = 0;
    while days >= lengths[month] {
        days -= lengths[month];
        month += 1;
    }
    (year, month as u32 + 1, days as u32 + 1)
}

fn date_text(days: i64) -> String {
    let (y, m, d) = civil(days);
    format!("{y:04}-{m:02}-{d:02}")
}

fn time_text(micros: i64) -> String {
    let s = micros / 1_000_000;
    format!(
        "{:02}:{:02}:{:02}.{:06}",
        s / 3600,
        s / 60 % 60,
        s % 60,
        micros % 1_000_000
    )
}

fn timestamp_json(nanos: i128, nine_digits: bool, utc: bool) -> Json {
    let day = 86_400_000_000_000i128;
    let days = nanos.div_euclid(day) as i64;
    let in_day = nanos.rem_euclid(day);
    let mut text = format!("{}T{}", date_text(days), time_text((in_day / 1000) as i64));
    if nine_digits {
        text.push_str(&format!("{:03}", in_day % 1000));
    }
    if utc {
        text.push('Z');
    }
    Json::String(text)
}

fn to_json(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Boolean(b) => json!(b),
        Value::Int(i) => json!(i),
        Value::Long(l) => json!(l),
        Value::Float(f) => float_json(f64::from(*f), format!("{f:e}")),
        Value::Double(d) => float_json(*d, format!("{d:e}")),
        Value::Bytes(b) | Value::Fixed(_, b) => json!(hex(b)),
        Value::String(s) => json!(s),
        Value::Enum(_, s) => json!(s),
        Value::Union(_, inner) => to_json(inner),
        Value::Array(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(entries) => Json::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), to_json(v)))
                .collect(),
        ),
        Value::Record(fields) => Json::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), to_json(v)))
                .collect(),
        ),
        Value::Uuid(u) => json!(u.hyphenated().to_string()),
        Value::Date(d) => json!(date_text(i64::from(*d))),
        Value::TimeMillis(t) => json!(time_text(i64::from(*t) * 1000)),
        Value::TimeMicros(t) => json!(time_text(*t)),
        Value::TimestampMillis(t) => timestamp_json(i128::from(*t) * 1_000_000, false, true),
        Value::TimestampMicros(t) => timestamp_json(i128::from(*t) * 1000, false, true),
        Value::TimestampNanos(t) => timestamp_json(i128::from(*t), true, true),
        Value::LocalTimestampMillis(t) => timestamp_json(i128::from(*t) * 1_000_000, false, false),
        Value::LocalTimestampMicros(t) => timestamp_json(i128::from(*t) * 1000, false, false),
        Value::LocalTimestampNanos(t) => timestamp_json(i128::from(*t), true, false),
        Value::Duration(d) => json!({
            "months": u32::from(d.months()),
            "days": u32::from(d.days()),
            "milliseconds": u32::from(d.millis()),
        }),
        Value::Decimal(_) | Value::BigDecimal(_) => panic!("decimals are rendered by json_of"),
    }
}

/// Numbers compared as f64 (JSON has one number type; decimals' digits are checked exactly
/// in numeric columns).
fn normalize(json: Json) -> Json {
    match json {
        Json::Number(n) => json!(n.as_f64().unwrap()),
        Json::Array(items) => Json::Array(items.into_iter().map(normalize).collect()),
        Json::Object(o) => Json::Object(o.into_iter().map(|(k, v)| (k, normalize(v))).collect()),
        other => other,
    }
}

// ---- reading inlet's row back ----

fn parse_row(row: &[u8], types: &[PgType]) -> Vec<Cell> {
    let count = i16::from_be_bytes([row[0], row[1]]) as usize;
    assert_eq!(count, types.len());
    let mut at = 2;
    let mut cells = Vec::new();
    for pg in types {
        let (cell, used) = parse_field(&row[at..], pg);
        cells.push(cell);
        at += used;
    }
    assert_eq!(at, row.len(), "the row has no bytes after its fields");
    cells
}

fn parse_field(bytes: &[u8], pg: &PgType) -> (Cell, usize) {
    let len = i32::from_be_bytes(bytes[..4].try_into().unwrap());
    if len < 0 {
        return (Cell::Null, 4);
    }
    let body = &bytes[4..4 + len as usize];
    let cell = match pg {
        PgType::Jsonb => {
            assert_eq!(body[0], 1, "jsonb version");
            Cell::Json(normalize(
                serde_json::from_slice(&body[1..]).unwrap_or_else(|e| {
                    panic!("jsonb {:?}: {e}", String::from_utf8_lossy(&body[1..]))
                }),
            ))
        }
        PgType::Numeric { .. } => Cell::Numeric(numeric_text(body)),
        PgType::Array(element) => Cell::Array(parse_array(body, element)),
        _ => Cell::Bytes(body.to_vec()),
    };
    (cell, 4 + len as usize)
}

fn parse_array(body: &[u8], element: &PgType) -> Vec<Cell> {
    let word = |i: usize| i32::from_be_bytes(body[i * 4..i * 4 + 4].try_into().unwrap());
    let dims = word(0);
    if dims == 0 {
        return Vec::new();
    }
    assert_eq!(dims, 1);
    let n = word(3) as usize;
    assert_eq!(word(4), 1, "lower bound");
    let mut at = 20;
    (0..n)
        .map(|_| {
            let (cell, used) = parse_field(&body[at..], element);
            at += used;
            cell
        })
        .collect()
}

/// PostgreSQL's binary numeric as decimal text: base-10000 digits, weight, sign, dscale.
fn numeric_text(body: &[u8]) -> String {
    let half = |i: usize| i16::from_be_bytes([body[i * 2], body[i * 2 + 1]]);
    let (ndigits, weight, sign, dscale) = (
        half(0) as usize,
        half(1) as i64,
        half(2) as u16,
        half(3) as usize,
    );
    let groups: Vec<i16> = (0..ndigits).map(|i| half(4 + i)).collect();
    let mut int = String::new();
    for w in (0..=weight.max(0)).map(|k| weight.max(0) - k) {
        let g = usize::try_from(weight - w)
            .ok()
            .and_then(|i| groups.get(i))
            .copied()
            .unwrap_or(0);
        int.push_str(&format!("{g:04}"));
    }
    let int = int.trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let mut frac = String::new();
    let mut k = 1;
    while frac.len() < dscale {
        let index = weight + k;
        let g = usize::try_from(index)
            .ok()
            .and_then(|i| groups.get(i))
            .copied()
            .unwrap_or(0);
        frac.push_str(&format!("{g:04}"));
        k += 1;
    }
    frac.truncate(dscale);
    let text = if dscale == 0 {
        int.to_owned()
    } else {
        format!("{int}.{frac}")
    };
    match sign {
        0x4000 if text.trim_start_matches(['0', '.']).is_empty() => text,
        0x4000 => format!("-{text}"),
        0x0000 => text,
        other => panic!("numeric sign {other:#x}"),
    }
}

#[test]
fn plans_agree_with_apache_avro_on_random_schemas() {
    let mut rng = Rng(0x1A7E_5EED);
    let mut columns_checked = 0usize;
    let mut rows_checked = 0usize;
    for n in 0..SCHEMAS {
        let mut generator = SchemaGen {
            rng: Rng(rng.next() | 1),
            named: Vec::new(),
            counter: 0,
        };
        let schema_json = generator.root();
        let text = schema_json.to_string();
        let named: HashMap<String, Json> = generator.named.iter().cloned().collect();
        let schema = Schema::parse_str(&text).unwrap_or_else(|e| panic!("schema {n}: {e}\n{text}"));
        let writer =
            WriterSchema::parse(&text, &[]).unwrap_or_else(|e| panic!("schema {n}: {e}\n{text}"));
        let proposal = Proposal::for_schema(&writer);
        let plan = DecodePlan::compile(
            &writer,
            &proposal.columns,
            &proposal.mapping,
            &PlanOptions::default(),
        )
        .unwrap_or_else(|e| panic!("schema {n}: {e}\n{text}"));
        let types: Vec<PgType> = proposal.columns.iter().map(|c| c.pg_type.clone()).collect();
        // The same columns and the Kafka offset last: the general program, not the direct.
        let mut table = proposal.columns.clone();
        let mut mapping = proposal.mapping.clone();
        table.push(TableColumn {
            name: "kafka_offset".into(),
            pg_type: PgType::Int8,
            nullable: false,
            has_default: false,
            generated: None,
        });
        mapping.push(ColumnMapping {
            column: "kafka_offset".into(),
            source: ColumnSource::Kafka(KafkaField::Offset),
        });
        let general = DecodePlan::compile(&writer, &table, &mapping, &PlanOptions::default())
            .unwrap_or_else(|e| panic!("schema {n}: {e}\n{text}"));
        for r in 0..RECORDS_PER_SCHEMA {
            let value = ValueGen {
                rng: &mut generator.rng,
                named: &named,
            }
            .value(&schema_json, 0);
            let body = apache_avro::writer::datum::GenericDatumWriter::builder(&schema)
                .build()
                .unwrap()
                .write_value_to_vec(value)
                .unwrap_or_else(|e| panic!("schema {n} record {r}: {e}\n{text}"));
            // apache-avro's own decoding is the reference.
            let reference = apache_avro::reader::datum::GenericDatumReader::builder(&schema)
                .build()
                .unwrap()
                .read_value(&mut &body[..])
                .unwrap();
            let mut row = Vec::new();
            plan.write_row(
                &body,
                &RecordMeta::default(),
                &mut RowScratch::default(),
                &mut row,
            )
            .unwrap_or_else(|e| panic!("schema {n} record {r}: {e}\n{text}\n{reference:?}"));
            let meta = RecordMeta {
                key_avro: None,
                offset: 42,
                ..RecordMeta::default()
            };
            let mut general_row = Vec::new();
            general
                .write_row(&body, &meta, &mut RowScratch::default(), &mut general_row)
                .unwrap_or_else(|e| panic!("schema {n} record {r}: {e}\n{text}"));
            assert_eq!(
                general_row[2..],
                [&row[2..], &[0, 0, 0, 8], &42i64.to_be_bytes()[..]].concat()[..],
                "schema {n} record {r}: the general program writes other bytes\n{text}"
            );
            let cells = parse_row(&row, &types);
            for ((mapping, column), cell) in
                proposal.mapping.iter().zip(&proposal.columns).zip(cells)
            {
                let ColumnSource::Field(path) = &mapping.source else {
                    unreachable!()
                };
                let found = at_path(&reference, &schema_json, path, &named);
                let want = expect_cell(found, &column.pg_type, &named);
                assert_eq!(
                    cell, want,
                    "schema {n} record {r}, column {} ({}) from {path}\n{text}\n{reference:?}",
                    column.name, column.pg_type
                );
                columns_checked += 1;
            }
            rows_checked += 1;
        }
    }
    eprintln!("{SCHEMAS} schemas, {rows_checked} rows, {columns_checked} columns agree");
    assert!(columns_checked > SCHEMAS as usize * RECORDS_PER_SCHEMA);
}

/// `expect`, with jsonb values rendered along their schema (decimals need its scale).
fn expect_cell(found: Option<(&Value, &Json)>, pg: &PgType, named: &HashMap<String, Json>) -> Cell {
    match (found, pg) {
        (Some((v, schema)), PgType::Jsonb) => Cell::Json(normalize(json_of(v, schema, named))),
        _ => expect(found.map(|(v, _)| v), pg),
    }
}

fn resolve<'s>(schema: &'s Json, named: &'s HashMap<String, Json>) -> &'s Json {
    match schema {
        Json::String(name) if named.contains_key(name) => &named[name],
        other => other,
    }
}

/// The value at `path` and its schema, unions unwrapped; `None` when a union on the way is
/// null.
fn at_path<'v>(
    value: &'v Value,
    schema: &'v Json,
    path: &str,
    named: &'v HashMap<String, Json>,
) -> Option<(&'v Value, &'v Json)> {
    let (mut value, mut schema) = unwrap(value, schema, named)?;
    for segment in path.split('.') {
        let Value::Record(fields) = value else {
            panic!("path {path} goes through a non-record");
        };
        let index = fields.iter().position(|(n, _)| n == segment)?;
        let field_schema = &schema["fields"][index]["type"];
        (value, schema) = unwrap(&fields[index].1, field_schema, named)?;
    }
    Some((value, schema))
}

fn unwrap<'v>(
    value: &'v Value,
    schema: &'v Json,
    named: &'v HashMap<String, Json>,
) -> Option<(&'v Value, &'v Json)> {
    let schema = resolve(schema, named);
    match value {
        Value::Union(index, inner) => unwrap(inner, &schema[*index as usize], named),
        Value::Null => None,
        other => Some((other, schema)),
    }
}

fn json_of(value: &Value, schema: &Json, named: &HashMap<String, Json>) -> Json {
    let schema = resolve(schema, named);
    match value {
        Value::Decimal(d) => {
            let scale = schema["scale"].as_u64().unwrap_or(0) as usize;
            serde_json::from_str(&decimal_text(d, scale)).unwrap()
        }
        Value::BigDecimal(b) => {
            let (unscaled, scale) = b.as_bigint_and_exponent();
            serde_json::from_str(&scaled_text(&unscaled.to_string(), scale as usize)).unwrap()
        }
        Value::Union(index, inner) => json_of(inner, &schema[*index as usize], named),
        Value::Array(items) => Json::Array(
            items
                .iter()
                .map(|v| json_of(v, &schema["items"], named))
                .collect(),
        ),
        Value::Map(entries) => Json::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), json_of(v, &schema["values"], named)))
                .collect(),
        ),
        Value::Record(fields) => Json::Object(
            fields
                .iter()
                .enumerate()
                .map(|(i, (k, v))| (k.clone(), json_of(v, &schema["fields"][i]["type"], named)))
                .collect(),
        ),
        other => to_json(other),
    }
}
