//! The web console in a real browser: Debian's headless Chromium driven by Playwright
//! (`console/tests/console.mjs`, playwright-core pointed at /usr/bin/chromium), against an
//! `inlet serve` of this binary, the real broker (PLAINTEXT and SASL), the registry (and one
//! of the test's own that requires credentials) and PostgreSQL. This side prepares the
//! topics, records, tables and a connector with a poison record, runs the browser script,
//! and checks what the database holds afterwards. Needs `scripts/services up`, `chromium`
//! and `scripts/console` (the console built before the binary).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use apache_avro::Schema;
use inlet_avro::SchemaId;
use inlet_testkit::sasl;
use inlet_testkit::{create_topic, kafka_config, unique};
use reqwest::StatusCode;

use crate::support::{READING, Stream, reading, serve_with};

/// The repository's `console/` directory.
fn console_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../console")
}

const CHROMIUM: &str = "/usr/bin/chromium";

/// Panics with what to run when the browser, Node or the console's packages are missing.
fn require_browser() {
    assert!(
        Path::new(CHROMIUM).exists(),
        "{CHROMIUM} is missing: run scripts/services up (it installs Debian's chromium package)"
    );
    assert!(
        console_dir().join("node_modules/playwright-core").exists(),
        "console/node_modules is missing: run scripts/console (npm ci in console/)"
    );
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|o| o.status.success()),
        "node is missing: install Node.js 20 or later"
    );
}

/// A schema registry of this test's own that requires `key`/`secret` (HTTP basic).
async fn registry_with_credentials(key: &str, secret: &str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let auth = inlet_dev_registry::BasicAuth {
        user: key.into(),
        password: secret.into(),
    };
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            inlet_dev_registry::app(inlet_dev_registry::Store::in_memory(), Some(auth)),
        )
        .await;
    });
    format!("http://{address}")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_console_sets_up_watches_pauses_and_replays_in_a_real_browser() {
    require_browser();
    let stream = Stream::new(2).await;
    stream.produce(0..200).await;

    // Readings keep arriving while the browser works: a paused connector must not store them.
    let producer = {
        let kafka = stream.kafka().to_owned();
        let registry = stream.registry().to_owned();
        let topic = stream.topic.clone();
        tokio::spawn(async move {
            let producer = inlet_testkit::AvroProducer::new(&kafka_config(&kafka), &registry);
            let schema = producer.register(&format!("{topic}-value"), READING).await;
            let mut i = 200;
            loop {
                let records = (i..i + 5).map(|i| (None, reading(i, None))).collect();
                producer
                    .send_avro_many(&topic, (schema.0, &schema.1), records)
                    .await;
                i += 5;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        })
    };

    // A connector into a table whose device_id is too narrow for one record: a dead letter.
    let narrow_topic = unique("narrow");
    create_topic(&kafka_config(stream.kafka()), &narrow_topic, 1).await;
    let (id, schema): (SchemaId, Schema) = stream
        .producer
        .register(&format!("{narrow_topic}-value"), READING)
        .await;
    let mut records: Vec<(Option<i32>, apache_avro::types::Value)> =
        (0..20).map(|i| (None, reading(i, None))).collect();
    records.push((None, reading(123_456, None)));
    stream
        .producer
        .send_avro_many(&narrow_topic, (id, &schema), records)
        .await;
    let db = stream.db.connect().await;
    db.batch_execute(
        "CREATE TABLE narrow (ts timestamptz NOT NULL, device_id varchar(8), site text, temperature double precision, humidity double precision, pressure double precision, battery real, rssi integer, ok boolean, note text)",
    )
    .await
    .unwrap();

    // A topic of JSON documents, for a connector without a registry.
    let json_topic = unique("clicks_json");
    create_topic(&kafka_config(stream.kafka()), &json_topic, 1).await;
    const JSON_COUNT: usize = 30;
    for i in 0..JSON_COUNT {
        let doc = serde_json::json!({
            "device_id": format!("dev-{}", i % 5),
            "ts": format!("2024-05-01T10:00:{:02}Z", i),
            "geo": {"lat": 48.5 + i as f64, "lon": 2.25},
        });
        stream
            .producer
            .send_raw(&json_topic, Some(0), None, doc.to_string().as_bytes())
            .await;
    }

    let registry_key = "sr-console";
    let registry_secret = "sr-console-secret";
    let locked_registry = registry_with_credentials(registry_key, registry_secret).await;
    let secrets_key = "aW5sZXQtdGVzdC1rZXktb2YtdGhpcnR5LXR3by1ieXQ=";
    let server = serve_with(
        &stream,
        "serve.log",
        &[],
        &[("INLET_SECRETS_KEY", secrets_key)],
    )
    .await;

    // The console's page at / to a browser, Connect's ServerInfo to everyone else.
    let http = reqwest::Client::new();
    let page = http
        .get(format!("{}/", server.url))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("/console/app.js"),
        "the binary holds no console (run scripts/console, then build again): {html}"
    );
    let info: serde_json::Value = http
        .get(format!("{}/", server.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(info["version"].is_string(), "{info}");

    let narrow = stream
        .connector("narrow")
        .set("topics", narrow_topic.as_str())
        .set("table", "public.narrow")
        .set("errors.tolerance", "all");
    let created = http
        .post(format!("{}/connectors", server.url))
        .json(&narrow.body())
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);

    let screenshots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("console-screenshots");
    std::fs::create_dir_all(&screenshots).unwrap();
    let status = Command::new("node")
        .arg("tests/console.mjs")
        .current_dir(console_dir())
        .env("INLET_URL", &server.url)
        .env("DATABASE_URL", stream.db.url())
        .env("TOPIC", &stream.topic)
        .env("KAFKA", stream.kafka())
        .env(
            "KAFKA_SASL",
            inlet_testkit::endpoints().require_kafka_sasl(),
        )
        .env("SASL_USER", sasl::PLAIN_USER)
        .env("SASL_PASSWORD", sasl::PASSWORD)
        .env("REGISTRY", stream.registry())
        .env("LOCKED_REGISTRY", &locked_registry)
        .env("LOCKED_REGISTRY_KEY", registry_key)
        .env("NARROW", "narrow")
        .env("NARROW_TOPIC", &narrow_topic)
        .env("JSON_TOPIC", &json_topic)
        .env("JSON_COUNT", JSON_COUNT.to_string())
        .env("SCREENSHOTS", &screenshots)
        .env("CHROMIUM", CHROMIUM)
        .status()
        .expect("running node");
    producer.abort();
    assert!(
        status.success(),
        "the browser test failed (its output is above; inlet serve's log: {})",
        stream.log_path("serve.log").display()
    );

    // What the wizard made, as the database holds it.
    let name = "readings-console";
    let config: String = db
        .query_one(
            "SELECT config::text FROM inlet.connectors WHERE name = $1",
            &[&name],
        )
        .await
        .expect("the wizard's connector is stored")
        .get(0);
    assert!(
        config.contains(&format!("${{secret:{name}/kafka.password}}")),
        "the API secret typed into the wizard is not stored as a sealed reference: {config}"
    );
    assert!(
        !config.contains(sasl::PASSWORD),
        "the secret is stored in the clear"
    );
    let rows = stream
        .count("SELECT count(*) FROM public.readings_console")
        .await;
    assert!(rows >= 200, "the wizard's table holds {rows} rows");
    // The replayed poison record, once.
    assert_eq!(
        stream
            .count("SELECT count(*) FROM narrow WHERE device_id = 'dev-123456'")
            .await,
        1
    );
    drop(server);
}
