//! The replay: a record file through the connector's loop (a file source instead of the
//! consumer), against the real registry and PostgreSQL. Records become rows exactly once: a
//! second replay of the same file stores nothing, a file that overlaps the first stores only
//! what is new, and a record that cannot be stored is a dead letter with its reason.
//! Needs `scripts/services up`.

use apache_avro::Schema;
use apache_avro::types::Value;
use inlet_avro::SchemaId;
use inlet_engine::{Config, Connector, FileRecord, RecordFileReader, RecordFileWriter};
use inlet_testkit::{AvroProducer, TestDatabase, endpoints, framed_avro, kafka_config, unique};

const SCHEMA: &str = r#"{"type":"record","name":"Tick","namespace":"inlet.test","fields":[
 {"name":"id","type":"long"}]}"#;

/// A record file of `offsets` on partition `offset % 2`, each value framed with `schema`;
/// offset 13 holds a value that is not Avro.
fn file(schema: (SchemaId, &Schema), offsets: std::ops::Range<i64>) -> Vec<u8> {
    let mut writer = RecordFileWriter::new(Vec::new()).unwrap();
    for offset in offsets {
        let value = if offset == 13 {
            b"not avro".to_vec()
        } else {
            framed_avro(
                schema,
                Value::Record(vec![("id".into(), Value::Long(offset))]),
            )
        };
        writer
            .write(&FileRecord {
                partition: (offset % 2) as i32,
                offset,
                timestamp_ms: Some(1_700_000_000_000),
                key: None,
                value: Some(&value),
            })
            .unwrap();
    }
    writer.finish().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_replayed_twice_is_stored_once() {
    let env = endpoints();
    let kafka = env.require_kafka().to_owned();
    let registry = env.require_registry().await.to_owned();
    let topic = unique("replayed");
    let db = TestDatabase::create("replay").await;
    let subject = format!("{topic}-value");
    let (id, schema) = AvroProducer::new(&kafka_config(&kafka), &registry)
        .register(&subject, SCHEMA)
        .await;
    let config = Config::parse(&format!(
        r#"
[database]
url = "{db}"
[[connector]]
name = "ticks"
[connector.kafka]
bootstrap_servers = "127.0.0.1:1"
[connector.registry]
url = "{registry}"
[[connector.topic]]
name = "{topic}"
table = "public.ticks"
[connector.batch]
max_rows = 7
[connector.errors]
tolerance = "all"
"#,
        db = db.url()
    ))
    .unwrap();
    let replay = |bytes: Vec<u8>| {
        let connector = Connector::new(config.connectors[0].clone(), config.database.clone());
        let topic = topic.clone();
        async move {
            connector
                .replay(&topic, RecordFileReader::new(&bytes[..]).unwrap())
                .await
                .unwrap()
        }
    };
    let first = replay(file((id, &schema), 0..40)).await;
    assert_eq!(
        (first.records, first.skipped, first.rows, first.dead_letters),
        (40, 0, 39, 1),
        "{first:?}"
    );
    assert!(first.batches >= 40 / 7, "{first:?}");

    let again = replay(file((id, &schema), 0..40)).await;
    assert_eq!(
        (again.records, again.skipped, again.rows, again.dead_letters),
        (40, 40, 0, 0),
        "{again:?}"
    );

    let overlapping = replay(file((id, &schema), 30..50)).await;
    assert_eq!(
        (overlapping.skipped, overlapping.rows),
        (10, 10),
        "{overlapping:?}"
    );

    let client = db.connect().await;
    let (rows, distinct, max): (i64, i64, i64) = client
        .query_one(
            "SELECT count(*), count(DISTINCT id), max(id) FROM ticks",
            &[],
        )
        .await
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .unwrap();
    assert_eq!((rows, distinct, max), (49, 49, 49));
    let reason: String = client
        .query_one(
            "SELECT error FROM inlet.dead_letters WHERE connector = 'ticks' AND \"offset\" = 13",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        reason.contains("magic byte") || reason.contains("frame"),
        "{reason}"
    );
}
