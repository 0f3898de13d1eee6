//! Rows written by plans go through the real PostgreSQL with COPY BINARY and read back equal
//! to what a user expects, for every row of the type table and every policy.
//!
//! Needs `scripts/services up` (PostgreSQL on 127.0.0.1:5432).

use std::collections::HashMap;
use std::str::FromStr;

use apache_avro::types::Value;
use apache_avro::{BigDecimal, Days, Decimal, Duration, Millis, Months, Schema, Uuid};
use inlet_avro::{
    ColumnMapping, ColumnSource, DecodePlan, KafkaField, NanosPolicy, PgType, PlanOptions,
    Proposal, RecordError, RecordMeta, RowScratch, TableColumn, WriterSchema,
};
use inlet_postgres::ddl::quote;
use inlet_testkit::TestDatabase;

#[path = "support/pg.rs"]
mod pg;
use pg::copy_rows;

const SCHEMA: &str = r#"{"type":"record","name":"All","namespace":"inlet.test","fields":[
 {"name":"b","type":"boolean"},
 {"name":"i","type":"int"},
 {"name":"l","type":"long"},
 {"name":"f","type":"float"},
 {"name":"d","type":"double"},
 {"name":"s","type":"string"},
 {"name":"s_json","type":{"type":"string","logicalType":"json"}},
 {"name":"by","type":"bytes"},
 {"name":"fx","type":{"type":"fixed","name":"F4","size":4}},
 {"name":"e","type":{"type":"enum","name":"Mood","symbols":["happy","sad"]}},
 {"name":"arr","type":{"type":"array","items":"int"}},
 {"name":"arr_null","type":{"type":"array","items":["null","string"]}},
 {"name":"m","type":{"type":"map","values":"long"}},
 {"name":"rec","type":{"type":"record","name":"Inner","fields":[{"name":"x","type":"int"},{"name":"y","type":"string"}]}},
 {"name":"opt","type":["null","long"]},
 {"name":"multi","type":["int","string"]},
 {"name":"common","type":["int","long"]},
 {"name":"dec","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
 {"name":"dec_fixed","type":{"type":"fixed","name":"D9","size":9,"logicalType":"decimal","precision":20,"scale":4}},
 {"name":"bigdec","type":{"type":"bytes","logicalType":"big-decimal"}},
 {"name":"uuid_s","type":{"type":"string","logicalType":"uuid"}},
 {"name":"uuid_f","type":{"type":"fixed","name":"U16","size":16,"logicalType":"uuid"}},
 {"name":"day","type":{"type":"int","logicalType":"date"}},
 {"name":"tm","type":{"type":"int","logicalType":"time-millis"}},
 {"name":"tu","type":{"type":"long","logicalType":"time-micros"}},
 {"name":"ts_ms","type":{"type":"long","logicalType":"timestamp-millis"}},
 {"name":"ts_us","type":{"type":"long","logicalType":"timestamp-micros"}},
 {"name":"ts_ns","type":{"type":"long","logicalType":"timestamp-nanos"}},
 {"name":"lts_us","type":{"type":"long","logicalType":"local-timestamp-micros"}},
 {"name":"dur","type":{"type":"fixed","name":"Dur","size":12,"logicalType":"duration"}},
 {"name":"custom","type":{"type":"string","logicalType":"custom-type"}}
]}"#;

/// (column, SQL type, source) — one row of the type table each, several targets per field.
const COLUMNS: &[(&str, &str, &str)] = &[
    ("b", "boolean", "b"),
    ("b_text", "text", "b"),
    ("i", "integer", "i"),
    ("i_small", "smallint", "i"),
    ("i_num", "numeric", "i"),
    ("i_text", "text", "i"),
    ("l", "bigint", "l"),
    ("l_f8", "double precision", "l"),
    ("f", "real", "f"),
    ("f_f8", "double precision", "f"),
    ("d", "double precision", "d"),
    ("d_num", "numeric", "d"),
    ("s", "text", "s"),
    ("s_vc", "varchar(12)", "s"),
    ("s_json", "jsonb", "s_json"),
    ("by", "bytea", "by"),
    ("by_text", "text", "by"),
    ("fx", "bytea", "fx"),
    ("e", "text", "e"),
    ("e_pg", "mood", "e"),
    ("arr", "integer[]", "arr"),
    ("arr_big", "bigint[]", "arr"),
    ("arr_json", "jsonb", "arr"),
    ("arr_null", "text[]", "arr_null"),
    ("m", "jsonb", "m"),
    ("rec", "jsonb", "rec"),
    ("rec_x", "integer", "rec.x"),
    ("rec_y", "text", "rec.y"),
    ("opt", "bigint", "opt"),
    ("multi", "jsonb", "multi"),
    ("multi_int", "integer", "multi[int]"),
    ("multi_str", "text", "multi[string]"),
    ("common", "bigint", "common"),
    ("dec", "numeric(10,2)", "dec"),
    ("dec_wide", "numeric(12,4)", "dec"),
    ("dec_text", "text", "dec"),
    ("dec_fixed", "numeric", "dec_fixed"),
    ("bigdec", "numeric", "bigdec"),
    ("uuid_s", "uuid", "uuid_s"),
    ("uuid_f", "uuid", "uuid_f"),
    ("day", "date", "day"),
    ("tm", "time", "tm"),
    ("tu", "time", "tu"),
    ("ts_ms", "timestamptz", "ts_ms"),
    ("ts_us", "timestamptz", "ts_us"),
    ("ts_ns", "timestamptz", "ts_ns"),
    ("ts_raw", "bigint", "ts_ms"),
    ("lts_us", "timestamp", "lts_us"),
    ("dur", "interval", "dur"),
    ("custom", "text", "custom"),
];

const META: &[(&str, &str, KafkaField)] = &[
    ("k_topic", "text", KafkaField::Topic),
    ("k_partition", "integer", KafkaField::Partition),
    ("k_offset", "bigint", KafkaField::Offset),
    ("k_ts", "timestamptz", KafkaField::Timestamp),
    ("k_key", "bytea", KafkaField::Key),
    ("k_headers", "jsonb", KafkaField::Headers),
];

fn decimal(unscaled: i128, size: Option<usize>) -> Value {
    let mut bytes = unscaled.to_be_bytes().to_vec();
    let keep = size.unwrap_or(16);
    bytes.drain(..16 - keep);
    Value::Decimal(Decimal::from(bytes))
}

fn record(n: i64) -> Value {
    let ts_ms = 1_700_000_000_123 + n;
    let fields: Vec<(&str, Value)> = vec![
        ("b", Value::Boolean(n % 2 == 0)),
        ("i", Value::Int(-12_345 + n as i32)),
        ("l", Value::Long(9_007_199_254_740_993 + n)),
        ("f", Value::Float(1.5)),
        ("d", Value::Double(-0.1 + n as f64)),
        ("s", Value::String(format!("héllo {n}"))),
        (
            "s_json",
            Value::String(r#"{"a": [1, 2.5, "x"], "b": null}"#.into()),
        ),
        ("by", Value::Bytes(b"raw\x01".to_vec())),
        ("fx", Value::Fixed(4, vec![0xde, 0xad, 0xbe, 0xef])),
        ("e", Value::Enum(1, "sad".into())),
        (
            "arr",
            Value::Array(vec![Value::Int(1), Value::Int(-2), Value::Int(3)]),
        ),
        (
            "arr_null",
            Value::Array(vec![
                Value::Union(1, Box::new(Value::String("a".into()))),
                Value::Union(0, Box::new(Value::Null)),
            ]),
        ),
        (
            "m",
            Value::Map(HashMap::from([("k".to_owned(), Value::Long(7))])),
        ),
        (
            "rec",
            Value::Record(vec![
                ("x".into(), Value::Int(42)),
                ("y".into(), Value::String("why".into())),
            ]),
        ),
        (
            "opt",
            if n == 0 {
                Value::Union(0, Box::new(Value::Null))
            } else {
                Value::Union(1, Box::new(Value::Long(n)))
            },
        ),
        (
            "multi",
            if n == 0 {
                Value::Union(0, Box::new(Value::Int(5)))
            } else {
                Value::Union(1, Box::new(Value::String("five".into())))
            },
        ),
        (
            "common",
            if n == 0 {
                Value::Union(0, Box::new(Value::Int(-1)))
            } else {
                Value::Union(1, Box::new(Value::Long(1 << 40)))
            },
        ),
        ("dec", decimal(-123_456, None)),
        ("dec_fixed", decimal(12_345_678_901_234_567, Some(9))),
        (
            "bigdec",
            Value::BigDecimal(BigDecimal::from_str("-98765432109876543210.0123456789").unwrap()),
        ),
        (
            "uuid_s",
            Value::Uuid(Uuid::parse_str("123e4567-e89b-12d3-a456-426614174000").unwrap()),
        ),
        (
            "uuid_f",
            Value::Uuid(Uuid::parse_str("00112233-4455-6677-8899-aabbccddeeff").unwrap()),
        ),
        ("day", Value::Date(19_782)),
        ("tm", Value::TimeMillis(45_296_789)),
        ("tu", Value::TimeMicros(45_296_789_012)),
        ("ts_ms", Value::TimestampMillis(ts_ms)),
        ("ts_us", Value::TimestampMicros(-1)),
        ("ts_ns", Value::TimestampNanos(1_700_000_000_123_456_789)),
        ("lts_us", Value::LocalTimestampMicros(951_782_400_000_000)),
        (
            "dur",
            Value::Duration(Duration::new(
                Months::new(14),
                Days::new(3),
                Millis::new(4_005),
            )),
        ),
        ("custom", Value::String("just a string".into())),
    ];
    Value::Record(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

fn encode(schema: &Schema, value: Value) -> Vec<u8> {
    apache_avro::writer::datum::GenericDatumWriter::builder(schema)
        .build()
        .unwrap()
        .write_value_to_vec(value)
        .unwrap()
}

fn table() -> Vec<TableColumn> {
    let enum_type = PgType::Enum {
        name: "mood".into(),
        oid: 0,
    };
    COLUMNS
        .iter()
        .map(|(name, sql, _)| (name, *sql))
        .chain(META.iter().map(|(name, sql, _)| (name, *sql)))
        .map(|(name, sql)| TableColumn {
            name: (*name).to_owned(),
            pg_type: PgType::parse(sql).unwrap_or_else(|| enum_type.clone()),
            nullable: true,
            has_default: false,
            generated: None,
        })
        .collect()
}

fn mapping() -> Vec<ColumnMapping> {
    COLUMNS
        .iter()
        .map(|(name, _, path)| ColumnMapping {
            column: (*name).into(),
            source: ColumnSource::Field((*path).into()),
        })
        .chain(META.iter().map(|(name, _, field)| ColumnMapping {
            column: (*name).into(),
            source: ColumnSource::Kafka(*field),
        }))
        .collect()
}

#[tokio::test]
async fn every_type_round_trips_through_postgres() {
    let db = TestDatabase::create("avro_types").await;
    let client = db.connect().await;
    let mut ddl = String::from("CREATE TYPE mood AS ENUM ('happy', 'sad'); CREATE TABLE \"all\" (");
    let columns: Vec<String> = COLUMNS
        .iter()
        .map(|(n, t, _)| (n, t))
        .chain(META.iter().map(|(n, t, _)| (n, t)))
        .map(|(n, t)| format!("{} {t}", quote(n)))
        .collect();
    ddl.push_str(&columns.join(", "));
    ddl.push(')');
    client.batch_execute(&ddl).await.unwrap();

    let schema = Schema::parse_str(SCHEMA).unwrap();
    let writer = WriterSchema::parse(SCHEMA, &[]).unwrap();
    let plan = DecodePlan::compile(&writer, &table(), &mapping(), &PlanOptions::default()).unwrap();
    let mut scratch = RowScratch::default();
    let mut rows = Vec::new();
    let headers: &[(&str, Option<&[u8]>)] = &[
        ("trace", Some(b"abc")),
        ("empty", None),
        ("bin", Some(&[0xff, 0])),
    ];
    for n in 0..2 {
        let meta = RecordMeta {
            key_avro: None,
            topic: "events",
            partition: 3,
            offset: 100 + n,
            timestamp_ms: Some(1_700_000_000_000),
            key: Some(b"key-1"),
            headers,
        };
        plan.write_row(&encode(&schema, record(n)), &meta, &mut scratch, &mut rows)
            .unwrap();
    }
    assert_eq!(copy_rows(&client, "all", &plan, &rows).await.unwrap(), 2);

    client
        .batch_execute("SET TIME ZONE 'UTC'; SET extra_float_digits = 0")
        .await
        .unwrap();
    let select: Vec<String> = COLUMNS
        .iter()
        .map(|(n, ..)| n)
        .chain(META.iter().map(|(n, ..)| n))
        .map(|n| format!("{}::text", quote(n)))
        .collect();
    let rows = client
        .query(
            &format!(
                "SELECT {} FROM \"all\" ORDER BY k_offset",
                select.join(", ")
            ),
            &[],
        )
        .await
        .unwrap();
    let got = |row: usize, column: &str| -> Option<String> {
        let index = COLUMNS
            .iter()
            .map(|c| c.0)
            .chain(META.iter().map(|m| m.0))
            .position(|c| c == column)
            .unwrap();
        rows[row].get(index)
    };
    let expect = [
        ("b", "true"),
        ("b_text", "true"),
        ("i", "-12345"),
        ("i_small", "-12345"),
        ("i_num", "-12345"),
        ("i_text", "-12345"),
        ("l", "9007199254740993"),
        ("l_f8", "9.00719925474099e+15"),
        ("f", "1.5"),
        ("f_f8", "1.5"),
        ("d", "-0.1"),
        ("d_num", "-0.1"),
        ("s", "héllo 0"),
        ("s_vc", "héllo 0"),
        ("s_json", r#"{"a": [1, 2.5, "x"], "b": null}"#),
        ("by", "\\x72617701"),
        ("by_text", "raw\u{1}"),
        ("fx", "\\xdeadbeef"),
        ("e", "sad"),
        ("e_pg", "sad"),
        ("arr", "{1,-2,3}"),
        ("arr_big", "{1,-2,3}"),
        ("arr_json", "[1, -2, 3]"),
        ("arr_null", "{a,NULL}"),
        ("m", r#"{"k": 7}"#),
        ("rec", r#"{"x": 42, "y": "why"}"#),
        ("rec_x", "42"),
        ("rec_y", "why"),
        ("multi", "5"),
        ("multi_int", "5"),
        ("common", "-1"),
        ("dec", "-1234.56"),
        ("dec_wide", "-1234.5600"),
        ("dec_text", "-1234.56"),
        ("dec_fixed", "1234567890123.4567"),
        ("bigdec", "-98765432109876543210.0123456789"),
        ("uuid_s", "123e4567-e89b-12d3-a456-426614174000"),
        ("uuid_f", "00112233-4455-6677-8899-aabbccddeeff"),
        ("day", "2024-02-29"),
        ("tm", "12:34:56.789"),
        ("tu", "12:34:56.789012"),
        ("ts_ms", "2023-11-14 22:13:20.123+00"),
        ("ts_us", "1969-12-31 23:59:59.999999+00"),
        ("ts_ns", "2023-11-14 22:13:20.123456+00"),
        ("ts_raw", "1700000000123"),
        ("lts_us", "2000-02-29 00:00:00"),
        ("dur", "1 year 2 mons 3 days 00:00:04.005"),
        ("custom", "just a string"),
        ("k_topic", "events"),
        ("k_partition", "3"),
        ("k_offset", "100"),
        ("k_ts", "2023-11-14 22:13:20+00"),
        ("k_key", "\\x6b65792d31"),
        (
            "k_headers",
            r#"{"bin": "\\xff00", "empty": null, "trace": "abc"}"#,
        ),
    ];
    for (column, want) in expect {
        assert_eq!(got(0, column).as_deref(), Some(want), "column {column}");
    }
    assert_eq!(got(0, "opt"), None, "a null branch is NULL");
    assert_eq!(got(0, "multi_str"), None, "another branch's column is NULL");
    assert_eq!(got(1, "opt").as_deref(), Some("1"));
    assert_eq!(got(1, "multi").as_deref(), Some("\"five\""));
    assert_eq!(got(1, "multi_int"), None);
    assert_eq!(got(1, "multi_str").as_deref(), Some("five"));
    assert_eq!(got(1, "common").as_deref(), Some("1099511627776"));
}

#[tokio::test]
async fn nanosecond_policies_through_postgres() {
    let db = TestDatabase::create("avro_nanos").await;
    let client = db.connect().await;
    client
        .batch_execute("CREATE TABLE t (ts timestamptz)")
        .await
        .unwrap();
    let text = r#"{"type":"record","name":"N","fields":[{"name":"ts","type":{"type":"long","logicalType":"timestamp-nanos"}}]}"#;
    let schema = Schema::parse_str(text).unwrap();
    let writer = WriterSchema::parse(text, &[]).unwrap();
    let table = [TableColumn {
        name: "ts".into(),
        pg_type: PgType::Timestamptz,
        nullable: true,
        has_default: false,
        generated: None,
    }];
    let mapping = [ColumnMapping {
        column: "ts".into(),
        source: ColumnSource::Field("ts".into()),
    }];
    let body = encode(
        &schema,
        Value::Record(vec![(
            "ts".into(),
            Value::TimestampNanos(1_700_000_000_123_456_789),
        )]),
    );
    let mut results = Vec::new();
    for policy in [
        NanosPolicy::Truncate,
        NanosPolicy::Round,
        NanosPolicy::Reject,
    ] {
        let plan =
            DecodePlan::compile(&writer, &table, &mapping, &PlanOptions { nanos: policy }).unwrap();
        let mut rows = Vec::new();
        match plan.write_row(
            &body,
            &RecordMeta::default(),
            &mut RowScratch::default(),
            &mut rows,
        ) {
            Ok(()) => {
                client
                    .batch_execute("TRUNCATE t; SET TIME ZONE 'UTC'")
                    .await
                    .unwrap();
                copy_rows(&client, "t", &plan, &rows).await.unwrap();
                let row = client
                    .query_one("SELECT ts::text FROM t", &[])
                    .await
                    .unwrap();
                results.push(row.get::<_, String>(0));
            }
            Err(RecordError::Convert { reason, .. }) => results.push(format!("rejected: {reason}")),
            Err(other) => panic!("{other}"),
        }
    }
    assert_eq!(
        results,
        [
            "2023-11-14 22:13:20.123456+00",
            "2023-11-14 22:13:20.123457+00",
            "rejected: nanoseconds would be lost (nanosecond policy: reject)"
        ]
    );
}

#[tokio::test]
async fn proposed_table_is_created_and_filled() {
    let db = TestDatabase::create("avro_propose").await;
    let client = db.connect().await;
    let schema = Schema::parse_str(SCHEMA).unwrap();
    let writer = WriterSchema::parse(SCHEMA, &[]).unwrap();
    let proposal = Proposal::for_schema(&writer);
    client
        .batch_execute(&inlet_postgres::ddl::create_table(
            &inlet_postgres::TableName::parse("public.proposed").unwrap(),
            &proposal.columns,
            None,
        ))
        .await
        .unwrap();
    let plan = DecodePlan::compile(
        &writer,
        &proposal.columns,
        &proposal.mapping,
        &PlanOptions::default(),
    )
    .unwrap();
    let mut rows = Vec::new();
    for n in 0..2 {
        plan.write_row(
            &encode(&schema, record(n)),
            &RecordMeta::default(),
            &mut RowScratch::default(),
            &mut rows,
        )
        .unwrap();
    }
    assert_eq!(
        copy_rows(&client, "proposed", &plan, &rows).await.unwrap(),
        2
    );
    client.batch_execute("SET TIME ZONE 'UTC'").await.unwrap();
    let row = client
        .query_one(
            "SELECT rec_x, rec_y, multi::text, e, dec::text, ts_us::text FROM proposed WHERE opt IS NULL",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, i32>(0), 42, "nested records are flattened");
    assert_eq!(row.get::<_, &str>(1), "why");
    assert_eq!(row.get::<_, &str>(2), "5", "a multi-type union is jsonb");
    assert_eq!(row.get::<_, &str>(3), "sad");
    assert_eq!(row.get::<_, &str>(4), "-1234.56");
    assert_eq!(row.get::<_, &str>(5), "1969-12-31 23:59:59.999999+00");
}

/// The widest row inlet counts for a proposal bounds what PostgreSQL counts, tightly: a
/// proposal of NOT NULL fields of every width (1, 4, 8, 16 bytes, aligned; strings at the
/// 24 bytes TOAST leaves inline), as many as fit, is created and takes its widest row
/// through COPY; one field more is refused by `check_table_width`, and PostgreSQL refuses
/// that widest row (`row is too big: size N`, N within inlet's bound).
#[tokio::test]
async fn the_widest_row_of_a_proposal_is_what_postgresql_can_store() {
    let db = TestDatabase::create("avro_width").await;
    let client = db.connect().await;
    let kinds = [
        (r#""boolean""#, Value::Boolean(true)),
        (r#""long""#, Value::Long(i64::MAX)),
        // 23 characters: 24 bytes with the short header, which TOAST leaves in the row.
        (r#""string""#, Value::String("x".repeat(23))),
        (r#""int""#, Value::Int(7)),
        (
            r#"{"type":"string","logicalType":"uuid"}"#,
            Value::Uuid(Uuid::nil()),
        ),
        (
            r#"{"type":"long","logicalType":"timestamp-micros"}"#,
            Value::TimestampMicros(0),
        ),
        (r#""double""#, Value::Double(0.5)),
    ];
    let schema_of = |fields: usize| {
        let fields: Vec<String> = (0..fields)
            .map(|i| format!(r#"{{"name":"f{i}","type":{}}}"#, kinds[i % kinds.len()].0))
            .collect();
        format!(
            r#"{{"type":"record","name":"Wide","fields":[{}]}}"#,
            fields.join(",")
        )
    };
    let widest = |fields: usize| {
        let writer = WriterSchema::parse(&schema_of(fields), &[]).unwrap();
        inlet_avro::widest_row(&Proposal::for_schema(&writer).columns)
    };
    let fits = (1..1600)
        .take_while(|&n| widest(n) <= inlet_avro::MAX_ROW_BYTES)
        .last()
        .unwrap();
    for (n, stored) in [(fits, true), (fits + 1, false)] {
        let text = schema_of(n);
        let writer = WriterSchema::parse(&text, &[]).unwrap();
        let schema = Schema::parse_str(&text).unwrap();
        let proposal = Proposal::for_schema(&writer);
        assert_eq!(
            inlet_avro::check_table_width(&proposal.columns).is_ok(),
            stored,
            "{n} fields: {:?}",
            inlet_avro::check_table_width(&proposal.columns)
        );
        let table = format!("wide_{n}");
        client
            .batch_execute(&inlet_postgres::ddl::create_table(
                &inlet_postgres::TableName::parse(&table).unwrap(),
                &proposal.columns,
                None,
            ))
            .await
            .unwrap();
        let plan = DecodePlan::compile(
            &writer,
            &proposal.columns,
            &proposal.mapping,
            &PlanOptions::default(),
        )
        .unwrap();
        let record = Value::Record(
            (0..n)
                .map(|i| (format!("f{i}"), kinds[i % kinds.len()].1.clone()))
                .collect(),
        );
        let mut row = Vec::new();
        plan.write_row(
            &encode(&schema, record),
            &RecordMeta::default(),
            &mut RowScratch::default(),
            &mut row,
        )
        .unwrap();
        match copy_rows(&client, &table, &plan, &row).await {
            Ok(rows) => assert!(stored && rows == 1, "{n} fields: stored"),
            Err(e) => {
                let message = e.as_db_error().map(|d| d.message().to_owned());
                assert!(!stored, "{n} fields: {message:?}");
                // PostgreSQL's size of this row is within inlet's bound, which allows 3
                // bytes of alignment for each value TOAST could keep compressed in the row.
                let size: usize = message
                    .as_deref()
                    .and_then(|m| m.strip_prefix("row is too big: size "))
                    .and_then(|m| m.split(',').next())
                    .and_then(|m| m.parse().ok())
                    .unwrap_or_else(|| panic!("{message:?}"));
                assert!(
                    size > inlet_avro::MAX_ROW_BYTES && size <= widest(n),
                    "{message:?}, inlet's bound {}",
                    widest(n)
                );
            }
        }
    }
}
