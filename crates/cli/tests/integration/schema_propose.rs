//! `inlet schema propose`, run as a user runs it; the DDL it prints is applied to the real
//! PostgreSQL (needs `scripts/services up`).

use std::path::PathBuf;
use std::process::{Command, Output};

use inlet_testkit::TestDatabase;

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

fn inlet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_inlet"))
        .args(args)
        .output()
        .expect("the inlet binary runs")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "inlet failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[tokio::test]
async fn proposed_ddl_creates_the_table_in_postgres() {
    let output = inlet(&["schema", "propose", &fixture("reading.avsc"), "--json"]);
    let proposal: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(proposal["table"], "reading");
    assert_eq!(proposal["time_column"], "ts");
    assert_eq!(proposal["columns"][0]["type"], "timestamp with time zone");
    assert_eq!(proposal["columns"][9]["name"], "note");
    assert_eq!(proposal["columns"][9]["nullable"], true);
    assert_eq!(proposal["mapping"][3]["field"], "temperature");

    let db = TestDatabase::create("cli_propose").await;
    let client = db.connect().await;
    client
        .batch_execute(proposal["ddl"].as_str().unwrap())
        .await
        .unwrap();
    let columns: Vec<String> = client
        .query(
            "SELECT column_name || ' ' || data_type || ' ' || is_nullable FROM information_schema.columns WHERE table_name = 'reading' ORDER BY ordinal_position",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(columns.first().unwrap(), "ts timestamp with time zone NO");
    assert_eq!(columns.last().unwrap(), "note text YES");
    assert_eq!(columns.len(), 10);
}

#[test]
fn references_resolve_named_types_from_other_files() {
    let output = inlet(&[
        "schema",
        "propose",
        &fixture("visit.avsc"),
        "--reference",
        &fixture("geo.avsc"),
        "--table",
        "app.visits",
    ]);
    let text = stdout(&output);
    assert!(
        text.starts_with(
            "CREATE SCHEMA IF NOT EXISTS \"app\";\nCREATE TABLE \"app\".\"visits\" (\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("  \"where_lat\" double precision,\n"),
        "{text}"
    );
    assert!(text.contains("  \"payload\" jsonb NOT NULL\n"), "{text}");
    assert!(text.contains("where.lon -> where_lon"), "{text}");

    let missing = inlet(&["schema", "propose", &fixture("visit.avsc")]);
    assert!(!missing.status.success());
    let error = String::from_utf8_lossy(&missing.stderr);
    assert!(
        error.contains("visit.avsc is not a valid Avro schema"),
        "{error}"
    );
}

#[test]
fn a_missing_file_is_a_clear_error() {
    let output = inlet(&["schema", "propose", "/nonexistent/x.avsc"]);
    assert!(!output.status.success());
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("cannot read /nonexistent/x.avsc"), "{error}");
}

#[test]
fn the_key_schema_adds_the_columns_the_value_lacks() {
    let dir = std::env::temp_dir().join(inlet_testkit::unique("propose-key"));
    std::fs::create_dir_all(&dir).unwrap();
    let value = dir.join("value.avsc");
    let key = dir.join("key.avsc");
    std::fs::write(
        &value,
        r#"{"type":"record","name":"Cols","fields":[{"name":"col3","type":["null","string"]}]}"#,
    )
    .unwrap();
    std::fs::write(
        &key,
        r#"{"type":"record","name":"Pk","fields":[{"name":"pk1","type":"string"},{"name":"col3","type":"int"}]}"#,
    )
    .unwrap();
    let output = inlet(&[
        "schema",
        "propose",
        value.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
    ]);
    let text = stdout(&output);
    // pk1 from the key; col3 stays the value's.
    assert!(text.contains("\"pk1\" text NOT NULL"), "{text}");
    assert!(text.contains("kafka.key.pk1 -> pk1"), "{text}");
    assert!(!text.contains("kafka.key.col3"), "{text}");
    // A key that is not a record fills the one key column the value lacks.
    std::fs::write(&key, r#""long""#).unwrap();
    let output = inlet(&[
        "schema",
        "propose",
        value.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
        "--key-column",
        "id",
    ]);
    let text = stdout(&output);
    assert!(text.contains("\"id\" bigint NOT NULL"), "{text}");
    assert!(text.contains("kafka.key. -> id"), "{text}");
}

/// A `.proto` file with an import, run from its directory as a user would.
#[tokio::test]
async fn a_proto_file_s_message_is_proposed_and_its_ddl_applies() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/protobuf");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_inlet"))
            .current_dir(&dir)
            .args(["schema", "propose", "--format", "protobuf", "order.proto"])
            .args(args)
            .output()
            .unwrap()
    };
    let missing = run(&[]);
    assert!(!missing.status.success());
    let said = String::from_utf8_lossy(&missing.stderr);
    assert!(
        said.contains("acme/line.proto") && said.contains("--reference"),
        "{said}"
    );
    let unknown = run(&["--reference", "acme/line.proto", "--message", "acme.Nope"]);
    assert!(
        String::from_utf8_lossy(&unknown.stderr)
            .contains("defines no message acme.Nope (its messages: [0] acme.Order)"),
        "{}",
        String::from_utf8_lossy(&unknown.stderr)
    );
    let output = run(&["--reference", "acme/line.proto", "--json"]);
    let proposal: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(proposal["table"], "order");
    let columns: Vec<String> = proposal["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {}",
                c["name"].as_str().unwrap(),
                c["type"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        columns,
        [
            "id bigint",
            "placed_at timestamp with time zone",
            "lines jsonb",
            "note text",
            "attrs jsonb",
            "counts jsonb"
        ]
    );
    let db = TestDatabase::create("cli_propose_proto").await;
    db.connect()
        .await
        .batch_execute(proposal["ddl"].as_str().unwrap())
        .await
        .unwrap();
}
