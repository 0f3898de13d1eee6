//! JSON values into columns, against PostgreSQL itself: each value transcoded and written
//! by the Avro plan as inlet writes it (COPY BINARY), and the same value given to the
//! column type's own input function (a JSON string's characters, any other value's JSON
//! text; a jsonb column takes the JSON text), as `json_populate_record` does for a row of
//! the table. Accepted values must be equal as PostgreSQL's `::text`; a value PostgreSQL
//! refuses inlet must refuse too; where inlet refuses what PostgreSQL takes, the case says
//! so (forms of text inlet does not read).
//!
//! Needs `scripts/services up` (PostgreSQL on 127.0.0.1:5432).

use bytes::Bytes;
use futures_util::SinkExt;
use inlet_avro::{
    ColumnMapping, ColumnSource, DecodePlan, PgType, PlanOptions, RecordMeta, RowScratch,
    TableColumn, copy_stream,
};
use inlet_json::{JsonReading, Scratch, Shape};
use inlet_testkit::TestDatabase;

/// One column type and JSON values for it; `stricter`: values inlet refuses on purpose
/// that PostgreSQL takes (or, in another version of PostgreSQL, may take).
struct Case {
    column: &'static str,
    values: &'static [&'static str],
    stricter: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        column: "bigint",
        values: &[
            "1",
            "-9223372036854775808",
            "9223372036854775807",
            "9223372036854775808",
            "1.0",
            "1e2",
            "-0",
            "\"42\"",
            "\" -42 \"",
            "\"4 2\"",
            "\"0x1F\"",
            "\"0o17\"",
            "\"1_000\"",
            "true",
            "\"abc\"",
            "[1]",
            "{}",
        ],
        // PostgreSQL 16's int8in reads hexadecimal, octal and underscores; 15's does not.
        stricter: &["\"0x1F\"", "\"0o17\"", "\"1_000\""],
    },
    Case {
        column: "integer",
        values: &["2147483647", "2147483648", "-2147483649", "\"17\""],
        stricter: &[],
    },
    Case {
        column: "smallint",
        values: &["32767", "32768", "-32769"],
        stricter: &[],
    },
    Case {
        column: "double precision",
        values: &[
            "1.5",
            "0.1",
            "1e308",
            "1e309",
            "-1e309",
            "1e-400",
            "0e-400",
            "4.9e-324",
            "2.2250738585072011e-308",
            "\"NaN\"",
            "\"-Infinity\"",
            "\"inf\"",
            "\" 1e5 \"",
            "123456789012345678901234567890",
            "-0.0",
            "\"abc\"",
            "true",
        ],
        stricter: &[],
    },
    Case {
        column: "real",
        values: &[
            "3.4028235e38",
            "3.4028236e38",
            "3.5e38",
            "1e-46",
            "1.4e-45",
            "0.1",
            "16777217",
            "1.00000017881393432617187499",
            "\"Infinity\"",
        ],
        stricter: &[],
    },
    Case {
        column: "numeric",
        values: &[
            "1.50",
            "-0.00",
            "1e3",
            "1E-3",
            "-1.5e-7",
            "123456789012345678901234567890.123456789",
            "1e1000",
            "1e1001",
            "1e-1000",
            "\"12.5\"",
            "\" 7 \"",
            "\"1.2.3\"",
            "true",
        ],
        stricter: &["1e1000", "1e1001"],
    },
    Case {
        column: "numeric(5,2)",
        values: &[
            "123.456", "123.455", "-123.455", "999.995", "999.994", "1234.5", "0.001", "1e2",
            "1.10",
        ],
        // Digits past the scale are refused (rounding would change the value), as for
        // Avro's decimals; PostgreSQL rounds them.
        stricter: &["123.456", "123.455", "-123.455", "999.994", "0.001"],
    },
    Case {
        column: "numeric",
        values: &["\"NaN\"", "\"Infinity\""],
        stricter: &["\"NaN\"", "\"Infinity\""],
    },
    Case {
        column: "text",
        values: &[
            "\"héllo\"",
            "\"a\\u0000b\"",
            "\"\\ud83d\\ude00\"",
            "12.50",
            "-0",
            "1e400",
            "true",
            "{\"a\": [1, 2]}",
            "[]",
        ],
        stricter: &[],
    },
    Case {
        column: "varchar(3)",
        values: &[
            "\"abc\"",
            "\"abcd\"",
            "\"ab   \"",
            "\"日本語\"",
            "\"日本語x\"",
            "1234",
        ],
        stricter: &[],
    },
    Case {
        column: "jsonb",
        values: &[
            "{\"b\": 1, \"a\": [1, 2.50, null]}",
            "\"str\"",
            "1e400",
            "-0",
            "true",
            "[]",
            "\"\\u0000\"",
            "{\"a\": 1, \"a\": 2}",
        ],
        stricter: &[],
    },
    Case {
        column: "boolean",
        values: &[
            "true",
            "false",
            "\"t\"",
            "\"YES\"",
            "\" off \"",
            "\"o\"",
            "1",
            "0",
            "2",
            "\"maybe\"",
            "1.0",
        ],
        stricter: &[],
    },
    Case {
        column: "timestamptz",
        values: &[
            "\"2024-05-01T10:00:00Z\"",
            "\"2024-05-01 10:00:00+02\"",
            "\"2024-05-01T10:00:00.1234567+05:30\"",
            "\"2024-05-01T10:00:00.0000005Z\"",
            "\"2024-05-01T10:00:00.0000015Z\"",
            "\"2024-05-01T10:00:00.9999995Z\"",
            "\"2024-05-01t10:00:00z\"",
            "\"2024-05-01\"",
            "\"2024-05-01T10:00\"",
            "\"2024-05-01T10:00:00-0330\"",
            "\"2024-02-30T00:00:00Z\"",
            "\"2024-05-01T10:00:00+15:59\"",
            "\"2024-05-01T10:00:00+16:00\"",
            "\"0001-01-01T00:00:00Z\"",
            "\"9999-12-31T23:59:59.999999Z\"",
            "\"2024-05-01T10:00:00\"",
            "1714557600",
            "\"now\"",
            "\"epoch\"",
            "\"May 1 2024\"",
            "\"2024-05-01T24:00:00Z\"",
        ],
        stricter: &[
            "\"now\"",
            "\"epoch\"",
            "\"May 1 2024\"",
            "\"2024-05-01T24:00:00Z\"",
        ],
    },
    Case {
        column: "timestamp",
        values: &[
            "\"2024-05-01T10:00:00+05\"",
            "\"2024-05-01T10:00:00Z\"",
            "\"2024-05-01 23:59:59.9999999\"",
            "\"2024-13-01T00:00:00\"",
        ],
        stricter: &[],
    },
    Case {
        column: "date",
        values: &[
            "\"2024-05-01\"",
            "\"2024-02-29\"",
            "\"2023-02-29\"",
            "\"0001-01-01\"",
            "\"2024-05-01T10:00:00\"",
        ],
        stricter: &["\"2024-05-01T10:00:00\""],
    },
    Case {
        column: "time",
        values: &[
            "\"10:00:00\"",
            "\"10:00\"",
            "\"10:00:00.5+05\"",
            "\"23:59:59.999999\"",
            "\"25:00:00\"",
            "\"23:59:59.9999999\"",
        ],
        stricter: &["\"23:59:59.9999999\""],
    },
    Case {
        column: "uuid",
        values: &[
            "\"6f1c0a52-1f5e-4c57-9d53-2a4f4c1b2d3e\"",
            "\"6F1C0A521F5E4C579D532A4F4C1B2D3E\"",
            "\"6f1c0a52-1f5e-4c57-9d53-2a4f4c1b2d3\"",
            "\"xyz\"",
            "1",
            "\"{6f1c0a52-1f5e-4c57-9d53-2a4f4c1b2d3e}\"",
            "\"6f1c-0a52-1f5e-4c57-9d53-2a4f-4c1b-2d3e\"",
            "\"6f1c0a52-1f5e-4c57-9d53-2a4f4c1b2d3e-\"",
            "\" 6f1c0a52-1f5e-4c57-9d53-2a4f4c1b2d3e\"",
        ],
        stricter: &[],
    },
    Case {
        column: "bytea",
        values: &[
            "\"\\\\x0102ff\"",
            "\"\\\\x01 02\"",
            "\"abc\"",
            "\"a\\\\\\\\b\"",
            "\"\\\\001x\"",
            "\"\\\\x0\"",
            "\"\\\\9\"",
        ],
        stricter: &[],
    },
];

/// What PostgreSQL stores from `json` into a column of `column`, as text (Err: its refusal).
async fn postgres_stores(
    db: &tokio_postgres::Client,
    column: &str,
    json: &str,
) -> Result<Option<String>, String> {
    let sql = if column == "jsonb" {
        "SELECT ($1::text::jsonb)::text".to_owned()
    } else {
        // The type's input function, with the column's type modifier (varchar(3) refuses
        // what is too long, as an INSERT does).
        "SELECT (json_populate_record(null::pg_side, json_build_object('v', $1::text))).v::text"
            .to_owned()
    };
    let text: String = serde_json::from_str::<serde_json::Value>(json)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| json.to_owned());
    let param = if column == "jsonb" {
        json.to_owned()
    } else {
        text
    };
    match db.query_one(&sql, &[&param]).await {
        Ok(row) => Ok(row.get(0)),
        Err(e) => Err(e
            .as_db_error()
            .map_or(e.to_string(), |d| d.message().to_owned())),
    }
}

/// What inlet stores from `json` into the column `v` of `inlet_side` (Err: its refusal).
async fn inlet_stores(
    db: &tokio_postgres::Client,
    pg_type: &PgType,
    json: &str,
) -> Result<Option<String>, String> {
    let shape = Shape::for_columns([("v", "v", pg_type)]).unwrap();
    let reading = JsonReading::new(shape).unwrap();
    let mut body = Vec::new();
    let doc = format!("{{\"v\": {json}}}");
    reading
        .transcode(doc.as_bytes(), &mut body, &mut Scratch::default())
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
    // The shape of a column always compiles into its plan: a failure is a bug, not a
    // refusal of the value.
    .unwrap_or_else(|e| panic!("{pg_type}: the plan of the column's own shape: {e}"));
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
async fn json_values_are_stored_as_postgresql_stores_them() {
    let db = TestDatabase::create("json_casts").await;
    let client = db.connect().await;
    client
        .batch_execute("SET TIME ZONE 'UTC'; SET extra_float_digits = 3")
        .await
        .unwrap();
    let mut problems = Vec::new();
    let mut compared = 0;
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
        for json in case.values {
            let want = postgres_stores(&client, case.column, json).await;
            let got = inlet_stores(&client, &pg_type, json).await;
            compared += 1;
            let stricter = case.stricter.contains(json);
            match (&want, &got) {
                (Ok(w), Ok(g)) if w == g && !stricter => {}
                (Err(_), Err(_)) => {}
                (Ok(_), Err(_)) if stricter => {}
                _ => problems.push(format!(
                    "{} ← {json}: PostgreSQL {want:?}, inlet {got:?}{}",
                    case.column,
                    if stricter {
                        " (listed as refused by inlet only)"
                    } else {
                        ""
                    }
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
    println!("{compared} JSON values stored as PostgreSQL stores them");
}
