//! Protobuf values into columns, against PostgreSQL itself: each value encoded by
//! prost-reflect from its Protobuf JSON form, transcoded and written by the Avro plan as
//! inlet writes it (COPY BINARY), and the same value's text given to the column type's own
//! input function. Accepted values must be equal as PostgreSQL's `::text`; a value
//! PostgreSQL refuses inlet must refuse too.
//!
//! Needs `scripts/services up` (PostgreSQL on 127.0.0.1:5432).

use bytes::Bytes;
use futures_util::SinkExt;
use inlet_avro::{
    ColumnMapping, ColumnSource, DecodePlan, PgType, PlanOptions, RecordMeta, RowScratch,
    TableColumn, copy_stream,
};
use inlet_protobuf::ProtoSchema;
use inlet_testkit::TestDatabase;
use prost::Message as _;

/// A field type, the column it goes into, and values: (the message's JSON `v`, the text
/// PostgreSQL is given for it; None: NULL).
struct Case {
    field: &'static str,
    column: &'static str,
    values: &'static [(&'static str, Option<&'static str>)],
}

const CASES: &[Case] = &[
    Case {
        field: "int32",
        column: "integer",
        values: &[
            ("0", Some("0")),
            ("-2147483648", Some("-2147483648")),
            ("2147483647", Some("2147483647")),
        ],
    },
    Case {
        field: "sint64",
        column: "bigint",
        values: &[
            ("\"-9223372036854775808\"", Some("-9223372036854775808")),
            ("\"9223372036854775807\"", Some("9223372036854775807")),
        ],
    },
    Case {
        field: "uint32",
        column: "bigint",
        values: &[("4294967295", Some("4294967295"))],
    },
    Case {
        // A uint32 above integer's range into an integer column: refused by both.
        field: "fixed32",
        column: "integer",
        values: &[
            ("2147483647", Some("2147483647")),
            ("4294967295", Some("4294967295")),
        ],
    },
    Case {
        field: "uint64",
        column: "bigint",
        values: &[
            ("\"9223372036854775807\"", Some("9223372036854775807")),
            ("\"9223372036854775808\"", Some("9223372036854775808")),
            ("\"18446744073709551615\"", Some("18446744073709551615")),
        ],
    },
    Case {
        field: "float",
        column: "real",
        values: &[
            ("1.5", Some("1.5")),
            ("0.1", Some("0.1")),
            ("3.4e38", Some("3.4e38")),
            ("\"NaN\"", Some("NaN")),
            ("\"-Infinity\"", Some("-Infinity")),
        ],
    },
    Case {
        field: "double",
        column: "double precision",
        values: &[
            ("0.1", Some("0.1")),
            ("1e308", Some("1e308")),
            ("-1.5", Some("-1.5")),
            ("\"Infinity\"", Some("Infinity")),
        ],
    },
    Case {
        field: "bool",
        column: "boolean",
        values: &[("true", Some("true")), ("false", Some("false"))],
    },
    Case {
        field: "string",
        column: "text",
        values: &[
            ("\"héllo\"", Some("héllo")),
            ("\"\"", Some("")),
            ("\"a\\u0000b\"", Some("a\u{0}b")),
        ],
    },
    Case {
        field: "string",
        column: "varchar(3)",
        values: &[("\"abc\"", Some("abc")), ("\"abcd\"", Some("abcd"))],
    },
    Case {
        field: "bytes",
        column: "bytea",
        values: &[("\"AAEC/w==\"", Some("\\x000102ff")), ("\"\"", Some("\\x"))],
    },
    Case {
        field: "Color",
        column: "text",
        values: &[("\"GREEN\"", Some("GREEN")), ("7", Some("7"))],
    },
    Case {
        field: "google.protobuf.Timestamp",
        column: "timestamptz",
        values: &[
            ("\"1970-01-01T00:00:00Z\"", Some("1970-01-01T00:00:00Z")),
            (
                "\"2024-02-29T12:34:56.123456789Z\"",
                Some("2024-02-29T12:34:56.123456789Z"),
            ),
            (
                "\"2024-01-01T00:00:00.000000500Z\"",
                Some("2024-01-01T00:00:00.000000500Z"),
            ),
            (
                "\"2024-01-01T00:00:00.000001500Z\"",
                Some("2024-01-01T00:00:00.000001500Z"),
            ),
            (
                "\"1969-12-31T23:59:59.999999999Z\"",
                Some("1969-12-31T23:59:59.999999999Z"),
            ),
            ("\"0001-01-01T00:00:00Z\"", Some("0001-01-01T00:00:00Z")),
            (
                "\"9999-12-31T23:59:59.999999999Z\"",
                Some("9999-12-31T23:59:59.999999999Z"),
            ),
            ("null", None),
        ],
    },
    Case {
        field: "google.protobuf.Timestamp",
        column: "timestamp",
        values: &[("\"2024-02-29T12:34:56.5Z\"", Some("2024-02-29T12:34:56.5"))],
    },
    Case {
        field: "google.protobuf.Int64Value",
        column: "bigint",
        values: &[("\"5\"", Some("5")), ("null", None)],
    },
    Case {
        field: "google.protobuf.StringValue",
        column: "text",
        values: &[("\"x\"", Some("x")), ("\"\"", Some(""))],
    },
    Case {
        field: "google.protobuf.Duration",
        column: "text",
        values: &[("\"1.500s\"", Some("1.500s"))],
    },
    Case {
        field: "google.protobuf.ListValue",
        column: "jsonb",
        values: &[("[\"a\", true, null]", Some("[\"a\", true, null]"))],
    },
    Case {
        field: "optional int32",
        column: "integer",
        values: &[("0", Some("0")), ("null", None)],
    },
];

fn schema(field: &str) -> ProtoSchema {
    let text = format!(
        r#"syntax = "proto3"; package t;
        import "google/protobuf/timestamp.proto"; import "google/protobuf/duration.proto";
        import "google/protobuf/wrappers.proto"; import "google/protobuf/struct.proto";
        enum Color {{ RED = 0; GREEN = 1; }}
        message M {{ {field} v = 1; }}"#
    );
    ProtoSchema::compile(&text, &[]).unwrap_or_else(|e| panic!("{field}: {e}"))
}

/// The message bytes of `{"v": json}`, encoded by prost-reflect.
fn encode(field: &str, json: &str) -> Vec<u8> {
    let schema = schema(field);
    let message = schema.message(&[0]).unwrap();
    let doc = format!("{{\"v\": {json}}}");
    let mut reader = serde_json::Deserializer::from_str(&doc);
    prost_reflect::DynamicMessage::deserialize(message, &mut reader)
        .unwrap_or_else(|e| panic!("{field} ← {json}: {e}"))
        .encode_to_vec()
}

async fn postgres_stores(
    db: &tokio_postgres::Client,
    column: &str,
    text: Option<&str>,
) -> Result<Option<String>, String> {
    // The type's input function with the column's type modifier (varchar(3) refuses what
    // is too long, as an INSERT does, where a cast would cut it).
    let sql = if column == "jsonb" {
        "SELECT ($1::text::jsonb)::text"
    } else {
        "SELECT (json_populate_record(null::pg_side, json_build_object('v', $1::text))).v::text"
    };
    match db.query_one(sql, &[&text]).await {
        Ok(row) => Ok(row.get(0)),
        Err(e) => Err(e
            .as_db_error()
            .map_or(e.to_string(), |d| d.message().to_owned())),
    }
}

async fn inlet_stores(
    db: &tokio_postgres::Client,
    field: &str,
    pg_type: &PgType,
    json: &str,
) -> Result<Option<String>, String> {
    let reading = schema(field).reading(&[0]).unwrap();
    let mut body = Vec::new();
    reading
        .transcode(&encode(field, json), &mut body)
        .map_err(|e| e.to_string())?;
    let columns = [TableColumn {
        name: "v".into(),
        pg_type: pg_type.clone(),
        nullable: true,
        has_default: false,
        generated: None,
    }];
    let mapping = [ColumnMapping {
        column: "v".into(),
        source: ColumnSource::Field("v".into()),
    }];
    let plan = DecodePlan::compile(
        reading.writer(),
        &columns,
        &mapping,
        &PlanOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{field} into {pg_type}: {e}"));
    let mut row = Vec::new();
    plan.write_row(
        &body,
        &RecordMeta::default(),
        &mut RowScratch::default(),
        &mut row,
    )
    .map_err(|e| e.to_string())?;
    db.batch_execute("TRUNCATE inlet_side").await.unwrap();
    let sink = db
        .copy_in("COPY inlet_side (v) FROM STDIN (FORMAT binary)")
        .await
        .unwrap();
    futures_util::pin_mut!(sink);
    let mut stream = Vec::new();
    copy_stream(&row, &mut stream);
    sink.send(Bytes::from(stream)).await.unwrap();
    if let Err(e) = sink.finish().await {
        return Err(format!("COPY refused it: {e}"));
    }
    let row = db
        .query_one("SELECT v::text FROM inlet_side", &[])
        .await
        .unwrap();
    Ok(row.get(0))
}

#[tokio::test]
async fn protobuf_values_are_stored_as_postgresql_stores_them() {
    let db = TestDatabase::create("protobuf_casts").await;
    let client = db.connect().await;
    client
        .batch_execute("SET TIME ZONE 'UTC'; SET extra_float_digits = 3")
        .await
        .unwrap();
    let mut problems = Vec::new();
    let (mut compared, mut refused) = (0, 0);
    for case in CASES {
        let pg_type = PgType::parse(case.column).unwrap();
        client
            .batch_execute(&format!(
                "DROP TABLE IF EXISTS pg_side; DROP TABLE IF EXISTS inlet_side;
                 CREATE TABLE pg_side (v {0}); CREATE TABLE inlet_side (v {0})",
                case.column
            ))
            .await
            .unwrap();
        for (json, text) in case.values {
            let want = postgres_stores(&client, case.column, *text).await;
            let got = inlet_stores(&client, case.field, &pg_type, json).await;
            compared += 1;
            match (&want, &got) {
                (Ok(w), Ok(g)) if w == g => {}
                (Err(_), Err(_)) => refused += 1,
                _ => problems.push(format!(
                    "{} {} ← {json}: PostgreSQL {want:?}, inlet {got:?}",
                    case.field, case.column
                )),
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {compared} differ:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(
        refused >= 4,
        "the refusals compared are cases too: {refused}"
    );
    println!(
        "{compared} Protobuf values stored as PostgreSQL stores them ({refused} refused by both)"
    );
}
