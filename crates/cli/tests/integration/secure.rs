//! `inlet check` and `inlet run` against the broker's authenticating listeners (SCRAM-SHA-256
//! and -512, PLAIN as Confluent Cloud uses it, SASL_SSL with the test CA) into a database reached over
//! TLS with `sslmode=verify-full`; a wrong password named by both commands, never printed.
//! Needs `scripts/services up`.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use inlet_postgres::DatabaseConfig;
use inlet_testkit::{AvroProducer, create_topic, endpoints, kafka_config, sasl, unique};
use rdkafka::ClientConfig;

use crate::support::{ConnectorConfig, Inlet, READING, reading, run_file, terminate};

/// A database of its own on the TLS cluster, reached with verify-full.
struct TlsDatabase {
    name: String,
}

impl TlsDatabase {
    fn admin_url() -> String {
        format!("{}?sslmode=verify-full", endpoints().database_tls_url)
    }

    fn url(&self) -> String {
        let base = endpoints().database_tls_url;
        let server = base.rsplit_once('/').map_or(base.as_str(), |(s, _)| s);
        format!("{server}/{}?sslmode=verify-full", self.name)
    }

    async fn connect(url: &str) -> tokio_postgres::Client {
        DatabaseConfig::parse(url)
            .unwrap()
            .with_root_cert(endpoints().ca_file)
            .connect()
            .await
            .unwrap_or_else(|e| panic!("the TLS cluster (scripts/services up): {e}"))
    }

    async fn create() -> Self {
        let name = unique("tls");
        let admin = Self::connect(&Self::admin_url()).await;
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .await
            .unwrap();
        TlsDatabase { name }
    }

    async fn count(&self, sql: &str) -> i64 {
        match Self::connect(&self.url()).await.query_one(sql, &[]).await {
            Ok(row) => row.get(0),
            Err(_) => -1,
        }
    }

    async fn drop_it(self) {
        let admin = Self::connect(&Self::admin_url()).await;
        admin
            .batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ))
            .await
            .unwrap();
    }
}

fn secure_kafka(bootstrap: &str, protocol: &str, mechanism: &str, user: &str) -> ClientConfig {
    let mut config = kafka_config(bootstrap);
    config
        .set("security.protocol", protocol)
        .set("sasl.mechanism", mechanism)
        .set("sasl.username", user)
        .set("sasl.password", sasl::PASSWORD);
    if protocol == "SASL_SSL" {
        config.set("ssl.ca.location", endpoints().ca_file.to_str().unwrap());
    }
    config
}

/// A configuration file whose password comes from `INLET_TEST_SASL_PASSWORD`, the brokers'
/// and the database's certificates checked against the test CA.
fn config_file(
    db: &TlsDatabase,
    bootstrap: &str,
    protocol: &str,
    mechanism: &str,
    user: &str,
    topic: &str,
) -> std::path::PathBuf {
    let env = endpoints();
    let ca = env.ca_file.display().to_string();
    let connector = ConnectorConfig::new("secure", topic, "readings")
        .set("kafka.bootstrap_servers", bootstrap)
        .set("kafka.security_protocol", protocol)
        .set("kafka.sasl_mechanism", mechanism)
        .set("kafka.username", user)
        .set("kafka.password", "${env:INLET_TEST_SASL_PASSWORD}")
        .set("kafka.ca_file", ca.as_str())
        .set("kafka.properties.session.timeout.ms", "6000")
        .set("registry.url", env.registry.as_str())
        .set("batch.linger_ms", 100);
    let text = run_file(&[("url", &db.url()), ("ca_file", &ca)], &[connector]);
    let path = std::env::temp_dir().join(format!("{}.toml", unique("secure")));
    std::fs::write(&path, text).unwrap();
    path
}

fn inlet(args: &[&str], config: &std::path::Path, password: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_inlet"));
    command
        .args(args)
        .arg("--config")
        .arg(config)
        .env("INLET_TEST_SASL_PASSWORD", password);
    command
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

async fn stream_through(protocol: &str, bootstrap: &str, mechanism: &str, user: &str) {
    let kafka = secure_kafka(bootstrap, protocol, mechanism, user);
    let topic = unique("secure");
    create_topic(&kafka, &topic, 2).await;
    let producer = AvroProducer::new(&kafka, &endpoints().registry);
    let schema = producer.register(&format!("{topic}-value"), READING).await;
    producer
        .send_avro_many(
            &topic,
            (schema.0, &schema.1),
            (0..200).map(|i| (None, reading(i, None))).collect(),
        )
        .await;
    let db = TlsDatabase::create().await;
    let config = config_file(&db, bootstrap, protocol, mechanism, user, &topic);

    let check = inlet(&["check"], &config, sasl::PASSWORD).output().unwrap();
    let out = text(&check);
    assert!(check.status.success(), "{protocol} {mechanism}: {out}");
    assert!(
        out.contains(&format!("as {user} ({mechanism}, {protocol})")),
        "{out}"
    );
    assert!(out.contains("2 partition(s), 200 record(s)"), "{out}");
    assert!(
        !out.contains(sasl::PASSWORD),
        "the password is printed: {out}"
    );

    let log = std::env::temp_dir().join(format!("{}.log", unique("secure")));
    let mut child = Inlet(
        inlet(&["run"], &config, sasl::PASSWORD)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let start = Instant::now();
    while db.count("SELECT count(*) FROM readings").await != 200 {
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "{protocol} {mechanism}: rows did not arrive; log:\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(terminate(&mut child).success());
    let written = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(!written.contains(sasl::PASSWORD), "the password is logged");
    assert_eq!(
        db.count("SELECT count(DISTINCT device_id) FROM readings")
            .await,
        200
    );
    db.drop_it().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn scram_sha_256_into_a_database_over_tls() {
    let env = endpoints();
    let bootstrap = env.require_kafka_sasl().to_owned();
    stream_through(
        "SASL_PLAINTEXT",
        &bootstrap,
        "SCRAM-SHA-256",
        sasl::SHA256_USER,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn scram_sha_512_over_sasl_ssl_into_a_database_over_tls() {
    let env = endpoints();
    let bootstrap = env.require_kafka_sasl_ssl().to_owned();
    stream_through("SASL_SSL", &bootstrap, "SCRAM-SHA-512", sasl::SHA512_USER).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_over_sasl_ssl_as_confluent_cloud_asks_into_a_database_over_tls() {
    let env = endpoints();
    let bootstrap = env.require_kafka_sasl_ssl().to_owned();
    stream_through("SASL_SSL", &bootstrap, "PLAIN", sasl::PLAIN_USER).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_password_is_named_by_check_and_stops_run() {
    let env = endpoints();
    let bootstrap = env.require_kafka_sasl().to_owned();
    let db = TlsDatabase::create().await;
    let config = config_file(
        &db,
        &bootstrap,
        "SASL_PLAINTEXT",
        "SCRAM-SHA-256",
        sasl::SHA256_USER,
        &unique("absent"),
    );
    const WRONG: &str = "not-the-password-9c1f";
    let check = inlet(&["check"], &config, WRONG).output().unwrap();
    let out = text(&check);
    assert!(!check.status.success(), "{out}");
    assert!(out.contains("the credentials were refused"), "{out}");
    assert!(out.contains("kafka.password"), "{out}");
    assert!(!out.contains(WRONG), "the password is printed: {out}");

    // run needs a table to get as far as Kafka.
    TlsDatabase::connect(&db.url())
        .await
        .batch_execute("CREATE TABLE readings (device_id text)")
        .await
        .unwrap();
    let run = inlet(&["run"], &config, WRONG).output().unwrap();
    let out = text(&run);
    assert!(!run.status.success(), "{out}");
    assert!(out.contains("Kafka refused the credentials"), "{out}");
    assert!(!out.contains(WRONG), "the password is printed: {out}");
    db.drop_it().await;
}
