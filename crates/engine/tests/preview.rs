//! The preview of a topic, against the real broker, registry and PostgreSQL: the latest
//! records as the rows a connector would store, with what the table cannot hold shown as
//! dead letters and why — for a table not created yet (the proposal's, with its DDL) and
//! for an existing one. Nothing is written. Needs `scripts/services up`.

use apache_avro::types::Value;
use inlet_engine::{Config, PreviewOutcome, preview_topic};
use inlet_postgres::dead_letters::ReasonCode;
use inlet_testkit::{AvroProducer, TestDatabase, create_topic, endpoints, kafka_config, unique};

/// A decimal, a nested record, and a union of three types.
const SCHEMA: &str = r#"{"type":"record","name":"Order","namespace":"inlet.test","fields":[
 {"name":"id","type":"long"},
 {"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
 {"name":"ship","type":{"type":"record","name":"Ship","fields":[{"name":"city","type":"string"}]}},
 {"name":"note","type":["null","string","long"],"default":null}]}"#;

fn order(id: i64, cents: i64, city: &str, note: Value) -> Value {
    Value::Record(vec![
        ("id".into(), Value::Long(id)),
        (
            "amount".into(),
            Value::Decimal(apache_avro::Decimal::from(cents.to_be_bytes().to_vec())),
        ),
        (
            "ship".into(),
            Value::Record(vec![("city".into(), Value::String(city.into()))]),
        ),
        ("note".into(), note),
    ])
}

#[tokio::test(flavor = "multi_thread")]
async fn the_latest_records_are_shown_as_the_rows_they_would_become() {
    let env = endpoints();
    let kafka = env.require_kafka().to_owned();
    let registry = env.require_registry().await.to_owned();
    let topic = unique("previewed");
    create_topic(&kafka_config(&kafka), &topic, 2).await;
    let db = TestDatabase::create("preview").await;
    let producer = AvroProducer::new(&kafka_config(&kafka), &registry);
    let (id, schema) = producer.register(&format!("{topic}-value"), SCHEMA).await;
    // Older records: only the latest are previewed.
    let old = (0..20)
        .map(|i| {
            (
                Some(0),
                order(i, 100, "old", Value::Union(0, Box::new(Value::Null))),
            )
        })
        .collect();
    producer.send_avro_many(&topic, (id, &schema), old).await;
    let latest = vec![
        (
            Some(0),
            order(
                100,
                12345,
                "Oslo",
                Value::Union(1, Box::new(Value::String("gift".into()))),
            ),
        ),
        (
            Some(1),
            order(101, -5, "Lisbon", Value::Union(2, Box::new(Value::Long(7)))),
        ),
    ];
    producer.send_avro_many(&topic, (id, &schema), latest).await;
    producer
        .send_raw(&topic, Some(1), None, b"not avro at all")
        .await;

    let config = Config::parse(&format!(
        r#"
[database]
url = "{db}"
[[connector]]
name = "orders"
[connector.kafka]
bootstrap_servers = "{kafka}"
[connector.registry]
url = "{registry}"
[[connector.topic]]
name = "{topic}"
table = "shop.orders"
"#,
        db = db.url()
    ))
    .unwrap();
    let connector = &config.connectors[0];

    // No table yet: the rows are as the proposal's table would hold them.
    let preview = preview_topic(connector, &config.database, &topic, 4)
        .await
        .unwrap();
    let ddl = preview
        .ddl
        .as_deref()
        .expect("the DDL of the table to create");
    assert!(ddl.contains("CREATE TABLE \"shop\".\"orders\""), "{ddl}");
    assert_eq!(preview.records.len(), 4, "{preview:#?}");
    let columns: Vec<&str> = preview.columns.iter().map(|(c, _)| c.as_str()).collect();
    assert!(
        columns.contains(&"amount") && columns.contains(&"ship_city"),
        "{columns:?}"
    );
    let rows: Vec<_> = preview
        .records
        .iter()
        .filter_map(|r| match &r.outcome {
            PreviewOutcome::Row { values } => Some(values.clone()),
            _ => None,
        })
        .collect();
    let oslo = rows
        .iter()
        .find(|r| r["id"] == 100)
        .unwrap_or_else(|| panic!("{preview:#?}"));
    assert_eq!(oslo["amount"], serde_json::json!(123.45));
    assert_eq!(oslo["ship_city"], "Oslo");
    let lisbon = rows.iter().find(|r| r["id"] == 101).unwrap();
    assert_eq!(lisbon["amount"], serde_json::json!(-0.05));
    let dead: Vec<(&str, ReasonCode)> = preview
        .records
        .iter()
        .filter_map(|r| match &r.outcome {
            PreviewOutcome::DeadLetter {
                reason,
                reason_code,
            } => Some((reason.as_str(), *reason_code)),
            _ => None,
        })
        .collect();
    assert_eq!(dead.len(), 1, "{preview:#?}");
    assert!(dead[0].0.contains("not a Confluent Avro frame"), "{dead:?}");
    assert_eq!(dead[0].1, ReasonCode::BadFrame);

    // Nothing was written: no table, no schema of inlet's.
    let client = db.connect().await;
    let tables: i64 = client
        .query_one(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'orders'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(tables, 0);

    // An existing table whose city column is too narrow: PostgreSQL's own refusal shows.
    client
        .batch_execute(
            "CREATE SCHEMA shop; CREATE TABLE shop.orders (id bigint NOT NULL, amount numeric(10,2), ship_city varchar(4), note jsonb)",
        )
        .await
        .unwrap();
    let preview = preview_topic(connector, &config.database, &topic, 3)
        .await
        .unwrap();
    assert!(preview.ddl.is_none());
    let by_id = |id: i64| {
        preview
            .records
            .iter()
            .find(|r| match &r.outcome {
                PreviewOutcome::Row { values } => values["id"] == id,
                _ => false,
            })
            .map(|r| r.outcome.clone())
    };
    assert!(by_id(100).is_some(), "Oslo fits varchar(4): {preview:#?}");
    let lyon = preview
        .records
        .iter()
        .find(|r| r.partition == 1 && r.offset == 0)
        .unwrap();
    match &lyon.outcome {
        PreviewOutcome::DeadLetter {
            reason,
            reason_code,
        } => {
            assert!(
                reason.contains("varchar")
                    || reason.contains("character varying")
                    || reason.contains("too long"),
                "{reason}"
            );
            // inlet refuses it as PostgreSQL would, before the database sees it.
            assert_eq!(*reason_code, ReasonCode::ValueRefused, "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let rows: i64 = client
        .query_one("SELECT count(*) FROM shop.orders", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(rows, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_json_topic_is_previewed_as_the_table_its_sample_makes() {
    let env = endpoints();
    let kafka = env.require_kafka().to_owned();
    let registry = env.require_registry().await.to_owned();
    let topic = unique("previewed_json");
    create_topic(&kafka_config(&kafka), &topic, 1).await;
    let db = TestDatabase::create("preview_json").await;
    let producer = AvroProducer::new(&kafka_config(&kafka), &registry);
    for doc in [
        r#"{"id": 1, "at": "2024-05-01T10:00:00Z", "ship": {"city": "Oslo"}, "tags": ["a"]}"#,
        r#"{"id": 2, "at": "2024-05-01T11:00:00+01:00", "ship": {"city": "Lisbon"}, "extra": {"x": 1}}"#,
        r#"{"id": "#,
    ] {
        producer
            .send_raw(&topic, Some(0), None, doc.as_bytes())
            .await;
    }
    let config = Config::parse(&format!(
        r#"
[database]
url = "{db}"
[[connector]]
name = "docs"
[connector.kafka]
bootstrap_servers = "{kafka}"
[connector.registry]
url = "{registry}"
[[connector.topic]]
name = "{topic}"
table = "docs"
format = "json"
"#,
        db = db.url()
    ))
    .unwrap();
    let connector = &config.connectors[0];
    let preview = preview_topic(connector, &config.database, &topic, 10)
        .await
        .unwrap();
    let ddl = preview
        .ddl
        .as_deref()
        .expect("the DDL of the table to create");
    assert!(ddl.contains("\"at\" timestamp with time zone"), "{ddl}");
    assert!(ddl.contains("\"extra_x\" bigint"), "{ddl}");
    let outcomes: Vec<String> = preview
        .records
        .iter()
        .map(|r| match &r.outcome {
            PreviewOutcome::Row { values } => format!(
                "{} {} {} {}",
                values["id"], values["ship_city"], values["tags"], values["extra_x"]
            ),
            PreviewOutcome::DeadLetter { reason_code, .. } => format!("{reason_code:?}"),
            PreviewOutcome::Delete => "delete".to_owned(),
        })
        .collect();
    assert_eq!(
        outcomes,
        [
            r#"1 "Oslo" ["a"] null"#,
            r#"2 "Lisbon" null 1"#,
            "MalformedValue"
        ],
        "{preview:#?}"
    );
}
