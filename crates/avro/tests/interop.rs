//! Records encoded by other people's code decode to the rows a user expects: fastavro's
//! `schemaless_writer` and Confluent's `AvroSerializer` (Python, from PyPI), with Python's own
//! types for the logical types. Needs `scripts/services up` (PostgreSQL, the registry, the
//! Python virtualenv).

use inlet_avro::{DecodePlan, Frame, PlanOptions, Proposal, RecordMeta, RowScratch, WriterSchema};
use inlet_registry::{RegistryClient, RegistryConfig};
use inlet_testkit::{TestDatabase, endpoints, python, unique};

#[path = "support/pg.rs"]
mod pg;

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// What each record must read as, `::text` in UTC, NULL as None.
fn expected(i: usize) -> Vec<Option<String>> {
    let s = |t: &str| Some(t.to_owned());
    vec![
        Some(i.to_string()),
        Some(format!("n{i} é")),
        Some(format!("1234.5{i}")),
        s(["0.1", "0.2", "0.3"][i]),
        s("2024-02-29"),
        s("2024-02-29 12:34:56.789012+00"),
        s("2024-02-29 12:34:56.123+00"),
        s("2024-01-01 00:00:00.000001"),
        Some(format!("12345678-1234-5678-1234-56781234567{i}")),
        s("01:02:03.004"),
        s(["{a}", "{a,b}", "{a,b}"][i]),
        Some(format!("{{\"k\": {i}}}")),
        s("B"),
        if i == 0 { None } else { s("x") },
        s(["0", "\"s\"", "2"][i]),
    ]
}

#[tokio::test]
async fn fastavro_and_confluent_records_become_the_expected_rows() {
    let registry_url = endpoints().require_registry().await.to_owned();
    let subject = unique("interop") + "-value";
    let output = tokio::process::Command::new(python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../scripts/interop/encode_fixtures.py"
        ))
        .args([
            "--registry",
            &registry_url,
            "--subject",
            &subject,
            "--count",
            "3",
        ])
        .output()
        .await
        .expect("running the Python encoder");
    assert!(
        output.status.success(),
        "encode_fixtures.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let fixtures: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let strings = |key: &str| -> Vec<Vec<u8>> {
        fixtures[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| unhex(h.as_str().unwrap()))
            .collect()
    };

    // Confluent's frames carry the id the registry gave; the schema comes from the registry.
    let registry = RegistryClient::new(RegistryConfig::new(&registry_url)).unwrap();
    let schema_id = u32::try_from(fixtures["schema_id"].as_u64().unwrap()).unwrap();
    let resolved = registry.resolve(schema_id).await.unwrap();
    let writer = WriterSchema::parse(&resolved.schema, &resolved.dependencies).unwrap();
    let proposal = Proposal::for_schema(&writer);
    let plan = DecodePlan::compile(
        &writer,
        &proposal.columns,
        &proposal.mapping,
        &PlanOptions::default(),
    )
    .unwrap();

    let mut fastavro_rows = Vec::new();
    for body in strings("fastavro") {
        plan.write_row(
            &body,
            &RecordMeta::default(),
            &mut RowScratch::default(),
            &mut fastavro_rows,
        )
        .unwrap();
    }
    let mut confluent_rows = Vec::new();
    for framed in strings("confluent") {
        let frame = Frame::parse(&framed).unwrap();
        assert_eq!(frame.schema_id.0, schema_id);
        plan.write_row(
            frame.body,
            &RecordMeta::default(),
            &mut RowScratch::default(),
            &mut confluent_rows,
        )
        .unwrap();
    }
    assert_eq!(
        fastavro_rows, confluent_rows,
        "both encoders make the same rows"
    );

    let db = TestDatabase::create("interop").await;
    let client = db.connect().await;
    client
        .batch_execute(&inlet_postgres::ddl::create_table(
            &inlet_postgres::TableName::parse("public.interop").unwrap(),
            &proposal.columns,
            None,
        ))
        .await
        .unwrap();
    assert_eq!(
        pg::copy_rows(&client, "interop", &plan, &fastavro_rows)
            .await
            .unwrap(),
        3
    );
    client.batch_execute("SET TIME ZONE 'UTC'").await.unwrap();
    let select: Vec<String> = proposal
        .columns
        .iter()
        .map(|c| format!("{}::text", inlet_postgres::ddl::quote(&c.name)))
        .collect();
    let rows = client
        .query(
            &format!("SELECT {} FROM interop ORDER BY id", select.join(", ")),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
    for (i, row) in rows.iter().enumerate() {
        let got: Vec<Option<String>> = (0..row.len()).map(|c| row.get(c)).collect();
        for ((column, got), want) in proposal.columns.iter().zip(got).zip(expected(i)) {
            assert_eq!(got, want, "record {i}, column {}", column.name);
        }
    }
}
