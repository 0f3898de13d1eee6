//! The local services behave as a user's would: Confluent's own client against our registry
//! and the broker, SCRAM and TLS on the authenticating broker, a database per test.
//!
//! Needs `scripts/services up`; a service that is down fails these tests with its name.

use std::time::Duration;

use apache_avro::types::Value;
use inlet_avro::{Frame, SchemaId};
use inlet_registry::{RegistryClient, RegistryConfig};
use inlet_testkit::{
    AvroProducer, TestDatabase, consumer, create_topic, endpoints, kafka_config, python, sasl,
    unique,
};
use rdkafka::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::producer::{BaseProducer, Producer};

/// Reads `count` messages from `topic` in a fresh group, failing after 60 s.
async fn consume(
    config: &ClientConfig,
    topic: &str,
    count: usize,
) -> Vec<(Vec<u8>, Vec<u8>, i32, i64)> {
    let consumer: StreamConsumer = consumer(config, &unique("group"));
    consumer.subscribe(&[topic]).unwrap();
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while out.len() < count {
        let message: BorrowedMessage<'_> = tokio::time::timeout_at(deadline, consumer.recv())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "only {} of {count} records arrived from {topic} in 60 s",
                    out.len()
                )
            })
            .unwrap_or_else(|e| panic!("consuming {topic}: {e}"));
        out.push((
            message.key().unwrap_or_default().to_vec(),
            message.payload().unwrap_or_default().to_vec(),
            message.partition(),
            message.offset(),
        ));
    }
    out
}

#[tokio::test]
async fn confluent_python_client_interoperates_with_registry_and_broker() {
    let env = endpoints();
    let kafka = env.require_kafka().to_owned();
    let registry_url = env.require_registry().await.to_owned();
    let topic = unique("interop");
    create_topic(&kafka_config(&kafka), &topic, 2).await;

    let output = tokio::process::Command::new(python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../scripts/interop/confluent_produce.py"
        ))
        .args([
            "--bootstrap",
            &kafka,
            "--registry",
            &registry_url,
            "--topic",
            &topic,
            "--count",
            "20",
        ])
        .output()
        .await
        .expect("running the Confluent Python producer");
    assert!(
        output.status.success(),
        "confluent_produce.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let customer_id = u32::try_from(report["customer_id"].as_u64().unwrap()).unwrap();
    let address_id = report["address_id"].as_u64().unwrap();
    assert_ne!(u64::from(customer_id), address_id);

    // The registry holds what Confluent's client registered: the ids, and the reference.
    let registry = RegistryClient::new(RegistryConfig::new(&registry_url)).unwrap();
    let value_subject = report["value_subject"].as_str().unwrap();
    let latest = registry
        .subject_version(value_subject, "latest")
        .await
        .unwrap();
    assert_eq!(latest.id, customer_id);
    assert_eq!(latest.references.len(), 1);
    assert_eq!(latest.references[0].name, "inlet.interop.Address");
    let address = registry
        .subject_version(report["address_subject"].as_str().unwrap(), "1")
        .await
        .unwrap();
    assert_eq!(u64::from(address.id), address_id);

    // Every record arrives framed: magic byte 0, the 4-byte big-endian id, then Avro.
    let resolved = registry.resolve(customer_id).await.unwrap();
    let (schema, dependencies) =
        apache_avro::Schema::parse_str_with_list(&resolved.schema, &resolved.dependencies).unwrap();
    let reader = apache_avro::reader::datum::GenericDatumReader::builder(&schema)
        .writer_schemata(dependencies.iter().collect())
        .unwrap()
        .build()
        .unwrap();
    let expected = report["records"].as_array().unwrap();
    let mut received = consume(&kafka_config(&kafka), &topic, expected.len()).await;
    received.sort_by_key(|(key, ..)| {
        expected
            .iter()
            .position(|r| r["key"].as_str().unwrap().as_bytes() == key)
    });
    for ((key, value, ..), want) in received.iter().zip(expected) {
        assert_eq!(key, want["key"].as_str().unwrap().as_bytes());
        assert_eq!(value[0], 0, "magic byte");
        assert_eq!(
            &value[1..5],
            customer_id.to_be_bytes(),
            "schema id, big-endian"
        );
        let frame = Frame::parse(value).unwrap();
        assert_eq!(frame.schema_id, SchemaId(customer_id));
        let mut body = frame.body;
        let decoded = reader.read_value(&mut body).unwrap();
        assert!(
            body.is_empty(),
            "{} bytes left after the record",
            body.len()
        );
        let decoded = serde_json::Value::try_from(decoded).unwrap();
        assert_eq!(&decoded, &want["value"], "record {}", want["key"]);
    }
}

#[tokio::test]
async fn avro_producer_frames_records_for_the_registry_id() {
    let env = endpoints();
    let kafka = env.require_kafka().to_owned();
    let registry_url = env.require_registry().await.to_owned();
    let topic = unique("produce");
    let config = kafka_config(&kafka);
    create_topic(&config, &topic, 1).await;
    let producer = AvroProducer::new(&config, &registry_url);
    let (id, schema) = producer
        .register(
            &format!("{topic}-value"),
            r#"{"type":"record","name":"R","fields":[{"name":"n","type":"long"}]}"#,
        )
        .await;
    for n in 0..3 {
        let value = Value::Record(vec![("n".into(), Value::Long(n))]);
        let (partition, offset) = producer
            .send_avro(&topic, Some(0), None, (id, &schema), value)
            .await;
        assert_eq!((partition, offset), (0, n));
    }
    let received = consume(&config, &topic, 3).await;
    let bodies: Vec<_> = received
        .iter()
        .map(|(_, v, ..)| Frame::parse(v).unwrap().body.to_vec())
        .collect();
    // zig-zag varints of 0, 1, 2
    assert_eq!(bodies, vec![vec![0], vec![2], vec![4]]);
    assert!(
        received
            .iter()
            .all(|(_, v, ..)| Frame::parse(v).unwrap().schema_id == id)
    );
}

fn scram_config(
    bootstrap: &str,
    protocol: &str,
    mechanism: &str,
    user: &str,
    password: &str,
) -> ClientConfig {
    let mut config = kafka_config(bootstrap);
    config
        .set("security.protocol", protocol)
        .set("sasl.mechanism", mechanism)
        .set("sasl.username", user)
        .set("sasl.password", password);
    if protocol == "SASL_SSL" {
        config.set("ssl.ca.location", endpoints().ca_file.to_str().unwrap());
    }
    config
}

async fn round_trip(config: &ClientConfig) {
    let topic = unique("scram");
    create_topic(config, &topic, 1).await;
    let producer = AvroProducer::new(config, &endpoints().registry);
    producer.send_raw(&topic, None, Some(b"k"), b"v").await;
    let received = consume(config, &topic, 1).await;
    assert_eq!(
        (received[0].0.as_slice(), received[0].1.as_slice()),
        (&b"k"[..], &b"v"[..])
    );
}

#[tokio::test]
async fn scram_sha_256_and_512_authenticate() {
    let env = endpoints();
    let bootstrap = env.require_kafka_sasl().to_owned();
    round_trip(&scram_config(
        &bootstrap,
        "SASL_PLAINTEXT",
        "SCRAM-SHA-256",
        sasl::SHA256_USER,
        sasl::PASSWORD,
    ))
    .await;
    round_trip(&scram_config(
        &bootstrap,
        "SASL_PLAINTEXT",
        "SCRAM-SHA-512",
        sasl::SHA512_USER,
        sasl::PASSWORD,
    ))
    .await;
}

#[tokio::test]
async fn sasl_ssl_verifies_the_test_ca() {
    let env = endpoints();
    let sasl_ssl = env.require_kafka_sasl_ssl().to_owned();
    round_trip(&scram_config(
        &sasl_ssl,
        "SASL_SSL",
        "SCRAM-SHA-512",
        sasl::SHA512_USER,
        sasl::PASSWORD,
    ))
    .await;
}

#[test]
fn a_wrong_password_is_refused() {
    let env = endpoints();
    let bootstrap = env.require_kafka_sasl().to_owned();
    let config = scram_config(
        &bootstrap,
        "SASL_PLAINTEXT",
        "SCRAM-SHA-256",
        sasl::SHA256_USER,
        "not-the-password",
    );
    let producer: BaseProducer = config.create().unwrap();
    let result = producer
        .client()
        .fetch_metadata(None, Duration::from_secs(10));
    let err = result.expect_err("metadata with a wrong password");
    let text = err.to_string();
    assert!(!text.contains("not-the-password"), "{text}");
}

#[tokio::test]
async fn each_test_gets_a_database_of_its_own_that_is_dropped() {
    let db = TestDatabase::create("testkit").await;
    let name = db.name().to_owned();
    let client = db.connect().await;
    let row = client
        .query_one("SELECT current_database()", &[])
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), name);
    drop(client);
    drop(db);
    let admin_url = endpoints().database_url;
    let (admin, connection) = tokio_postgres::connect(&admin_url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let left = admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await
        .unwrap();
    assert!(left.is_none(), "database {name} was not dropped");
}
