//! `inlet serve` against the real broker, registry and PostgreSQL, driven over HTTP with the
//! requests kafbat kafka-ui and Redpanda Console send (Kafka Connect's REST API): a
//! connector's whole life, concurrent edits, and three workers sharing tasks while one is
//! killed. Needs `scripts/services up`.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::{
    EXACTLY_ONCE, READING, Server, Stream, free_port, reading, serve, serve_with, start_serve,
};

struct Api {
    http: reqwest::Client,
    url: String,
}

impl Api {
    fn new(server: &Server) -> Self {
        Api {
            http: reqwest::Client::new(),
            url: server.url.clone(),
        }
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.url));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {text}"))
        };
        (status, body)
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }

    async fn put(&self, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.send(reqwest::Method::PUT, path, body).await
    }

    async fn post(&self, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, path, body).await
    }

    /// Waits until the connector's status satisfies `done`, failing with it after 90 s.
    async fn wait_status(&self, name: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            let (code, status) = self.get(&format!("/connectors/{name}/status")).await;
            if code == StatusCode::OK && done(&status) {
                return status;
            }
            assert!(
                start.elapsed() < Duration::from_secs(90),
                "{name}: not {what} after 90 s: {status:#}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

fn state(status: &Value) -> &str {
    status["connector"]["state"].as_str().unwrap_or("")
}

fn tasks_in(status: &Value, want: &str) -> usize {
    status["tasks"]
        .as_array()
        .map_or(0, |t| t.iter().filter(|t| t["state"] == want).count())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connector_lives_its_whole_life_over_the_connect_api() {
    let stream = Stream::new(2).await;
    stream.produce(0..100).await;
    let server = serve(&stream, "serve.log").await;
    let api = Api::new(&server);

    // What kafbat and Redpanda Console ask first.
    let (code, info) = api.get("/").await;
    assert_eq!(code, StatusCode::OK);
    assert!(info["version"].is_string(), "{info}");
    let (_, plugins) = api.get("/connector-plugins").await;
    assert_eq!(plugins[0]["class"], "inlet.PostgresSink");

    // Create: 201 with the info and where it is; again: 409.
    let body = stream.connector("readings").body();
    let (code, created) = api.post("/connectors", Some(body.clone())).await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    assert_eq!(created["name"], "readings");
    assert_eq!(created["type"], "sink");
    assert_eq!(
        created["tasks"][0],
        json!({"connector": "readings", "task": 0})
    );
    let (code, error) = api.post("/connectors", Some(body)).await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert_eq!(error["error_code"], 409);
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("already exists"),
        "{error}"
    );

    let status = api
        .wait_status("readings", "RUNNING", |s| {
            state(s) == "RUNNING" && tasks_in(s, "RUNNING") == 1
        })
        .await;
    assert_eq!(status["tasks"][0]["worker_id"], server.worker);
    stream
        .wait_for(
            "SELECT count(*) FROM readings",
            100,
            Duration::from_secs(60),
            "serve.log",
        )
        .await;
    // The build's commit, and the cluster of the first connector's brokers (asked again
    // after 30 s when they did not answer in time).
    let start = Instant::now();
    let info = loop {
        let (_, info) = api.get("/").await;
        if info["kafka_cluster_id"]
            .as_str()
            .is_some_and(|id| id.len() >= 16)
        {
            break info;
        }
        assert!(start.elapsed() < Duration::from_secs(90), "{info}");
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    let commit = info["commit"].as_str().unwrap();
    assert!(
        commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit()),
        "{info}"
    );

    // The list as the UIs ask for it.
    let (code, list) = api.get("/connectors?expand=status&expand=info").await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(list["readings"]["status"]["connector"]["state"], "RUNNING");
    assert_eq!(
        list["readings"]["info"]["config"]["topics"],
        stream.topic.as_str()
    );

    // Paused: nothing is written, the task keeps its partitions; resumed: it reads on.
    let (code, _) = api.put("/connectors/readings/pause", None).await;
    assert_eq!(code, StatusCode::ACCEPTED);
    api.wait_status("readings", "PAUSED", |s| {
        state(s) == "PAUSED" && tasks_in(s, "PAUSED") == 1
    })
    .await;
    stream.produce(100..200).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(stream.count("SELECT count(*) FROM readings").await, 100);
    // Log levels as Connect's /admin/loggers sets them: the batches show at DEBUG.
    let (code, loggers) = api.get("/admin/loggers").await;
    assert_eq!(code, StatusCode::OK, "{loggers}");
    assert_eq!(loggers["root"]["level"], "INFO", "{loggers}");
    assert!(!stream.log("serve.log").contains("batch written"));
    let (code, changed) = api
        .put(
            "/admin/loggers/inlet_engine",
            Some(json!({"level": "debug"})),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{changed}");
    assert_eq!(changed, json!(["inlet_engine"]));
    let (_, level) = api.get("/admin/loggers/inlet_engine::connector").await;
    assert_eq!(level["level"], "DEBUG", "{level}");
    let (code, _) = api.put("/connectors/readings/resume", None).await;
    assert_eq!(code, StatusCode::ACCEPTED);
    stream
        .wait_for(
            "SELECT count(*) FROM readings",
            200,
            Duration::from_secs(60),
            "serve.log",
        )
        .await;
    assert!(stream.log("serve.log").contains("batch written"));
    let (code, _) = api
        .put("/admin/loggers/root", Some(json!({"level": "INFO"})))
        .await;
    assert_eq!(code, StatusCode::OK);

    // The metrics any worker answers with: what the task last reported.
    let start = Instant::now();
    loop {
        let (code, m) = api.get("/inlet/v1/connectors/readings/metrics").await;
        assert_eq!(code, StatusCode::OK, "{m}");
        if m["rows"] == 200 && m["lag"] == 0 && m["partitions"].as_array().map_or(0, Vec::len) == 2
        {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "{m}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Prometheus scrapes the worker: the families of `inlet run --metrics`, the task's and
    // the worker's own.
    let scrape = reqwest::get(format!("{}/metrics", server.url))
        .await
        .unwrap();
    assert_eq!(scrape.status(), StatusCode::OK);
    let text = scrape.text().await.unwrap();
    let worker = &server.worker;
    for line in [
        "inlet_rows_total{connector=\"readings\"} 200\n".to_owned(),
        "inlet_dead_letters_total{connector=\"readings\"} 0\n".to_owned(),
        "inlet_task_state{connector=\"readings\",task=\"0\",state=\"RUNNING\"} 1\n".to_owned(),
        "inlet_task_state{connector=\"readings\",task=\"0\",state=\"FAILED\"} 0\n".to_owned(),
        "inlet_task_rows_total{connector=\"readings\",task=\"0\"} 200\n".to_owned(),
        "inlet_task_partitions{connector=\"readings\",task=\"0\"} 2\n".to_owned(),
        "inlet_task_lag_records{connector=\"readings\",task=\"0\"} 0\n".to_owned(),
        format!("inlet_worker_tasks{{worker=\"{worker}\"}} 1\n"),
        format!("inlet_worker_connectors_running{{worker=\"{worker}\"}} 1\n"),
    ] {
        assert!(text.contains(&line), "{line:?} not in:\n{text}");
    }
    let lag: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("inlet_lag_records{connector=\"readings\","))
        .collect();
    assert_eq!(lag.len(), 2, "one per partition:\n{text}");
    assert!(lag.iter().all(|l| l.ends_with(" 0")), "{lag:?}");

    // PATCH: the keys given change; the task starts again with them.
    let (code, patched) = api
        .send(
            reqwest::Method::PATCH,
            "/connectors/readings/config",
            Some(json!({"batch.linger_ms": "50"})),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{patched}");
    assert_eq!(patched["config"]["batch.linger_ms"], "50");
    let (_, config) = api.get("/connectors/readings/config").await;
    assert_eq!(config["batch.linger_ms"], "50");
    assert_eq!(config["topics"], stream.topic.as_str());

    // Restart of the failed tasks only: none failed, none restarts.
    let (code, restarted) = api
        .post(
            "/connectors/readings/restart?includeTasks=true&onlyFailed=true",
            None,
        )
        .await;
    assert_eq!(code, StatusCode::ACCEPTED, "{restarted}");
    assert_eq!(tasks_in(&restarted, "RESTARTING"), 0, "{restarted}");

    // Offsets: shown while running, changed only when STOPPED.
    let (code, offsets) = api.get("/connectors/readings/offsets").await;
    assert_eq!(code, StatusCode::OK);
    let stored: i64 = offsets["offsets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["offset"]["kafka_offset"].as_i64().unwrap())
        .sum();
    assert_eq!(stored, 200, "{offsets}");
    let patch = json!({"offsets": [{"partition": {"kafka_topic": stream.topic, "kafka_partition": 0}, "offset": {"kafka_offset": 5}}]});
    let (code, refused) = api
        .send(
            reqwest::Method::PATCH,
            "/connectors/readings/offsets",
            Some(patch.clone()),
        )
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(
        refused["message"].as_str().unwrap().contains("STOPPED"),
        "{refused}"
    );

    let (code, _) = api.put("/connectors/readings/stop", None).await;
    assert_eq!(code, StatusCode::NO_CONTENT);
    let stopped = api
        .wait_status("readings", "STOPPED", |s| state(s) == "STOPPED")
        .await;
    assert_eq!(stopped["tasks"], json!([]));
    // Once the worker has let its task go, the offsets may change.
    let start = Instant::now();
    loop {
        let (code, answer) = api
            .send(
                reqwest::Method::PATCH,
                "/connectors/readings/offsets",
                Some(patch.clone()),
            )
            .await;
        if code == StatusCode::OK {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "{answer}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (_, offsets) = api.get("/connectors/readings/offsets").await;
    let partition0 = offsets["offsets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["partition"]["kafka_partition"] == 0)
        .unwrap();
    assert_eq!(partition0["offset"]["kafka_offset"], 5);
    let (code, _) = api
        .send(
            reqwest::Method::DELETE,
            "/connectors/readings/offsets",
            None,
        )
        .await;
    assert_eq!(code, StatusCode::OK);
    let (_, offsets) = api.get("/connectors/readings/offsets").await;
    assert_eq!(offsets["offsets"], json!([]));

    // Deleted: gone from the API, and nothing reads the topic any more.
    let (code, _) = api
        .send(reqwest::Method::DELETE, "/connectors/readings", None)
        .await;
    assert_eq!(code, StatusCode::NO_CONTENT);
    let (code, missing) = api.get("/connectors/readings").await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    assert_eq!(missing["error_code"], 404);
    stream.produce(200..250).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(stream.count("SELECT count(*) FROM readings").await, 200);
    assert_eq!(stream.count(EXACTLY_ONCE).await, 0);
    drop(server);
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_edits_of_one_version_one_wins_the_other_gets_409() {
    let stream = Stream::new(1).await;
    let server = serve(&stream, "serve.log").await;
    let api = Api::new(&server);
    let config = stream.connector("edited");
    let (code, _) = api.post("/connectors", Some(config.stopped_body())).await;
    assert_eq!(code, StatusCode::CREATED);
    let response = reqwest::get(format!("{}/connectors/edited/config", server.url))
        .await
        .unwrap();
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let put = |linger: u32| {
        reqwest::Client::new()
            .put(format!("{}/connectors/edited/config", server.url))
            .header("If-Match", etag.clone())
            .json(&config.clone().set("batch.linger_ms", linger).flat())
            .send()
    };
    let (a, b) = tokio::join!(put(10), put(20));
    let mut codes = [a.unwrap().status(), b.unwrap().status()];
    codes.sort();
    assert_eq!(codes, [StatusCode::OK, StatusCode::CONFLICT]);
    // A literal secret is never shown; sent back hidden, it stays as it was.
    let with_secret = config
        .clone()
        .set("kafka.security_protocol", "SASL_PLAINTEXT")
        .set("kafka.sasl_mechanism", "PLAIN")
        .set("kafka.username", "u")
        .set("kafka.password", "s3cret-value")
        .flat();
    let (code, info) = api
        .put("/connectors/edited/config", Some(with_secret))
        .await;
    assert_eq!(code, StatusCode::OK, "{info}");
    assert_eq!(info["config"]["kafka.password"], "[hidden]");
    let (_, shown) = api.get("/connectors/edited/config").await;
    assert_eq!(shown["kafka.password"], "[hidden]");
    let (code, _) = api.put("/connectors/edited/config", Some(shown)).await;
    assert_eq!(code, StatusCode::OK);
    // Left out of a PATCH that moves the brokers, the stored password is not sent there.
    let (code, moved) = api
        .send(
            reqwest::Method::PATCH,
            "/connectors/edited/config",
            Some(json!({"kafka.bootstrap_servers": "127.0.0.1:1"})),
        )
        .await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{moved}");
    assert!(
        moved["message"]
            .as_str()
            .unwrap()
            .contains("send kafka.password again"),
        "{moved}"
    );
    let stored: String = stream
        .rows(
            "SELECT config->>'kafka.password' FROM inlet.connectors WHERE name = 'edited'",
            |r| r.get(0),
        )
        .await
        .remove(0);
    assert_eq!(stored, "s3cret-value");
    let everything = format!(
        "{}{}",
        api.get("/connectors?expand=info&expand=status").await.1,
        stream.log("serve.log")
    );
    assert!(!everything.contains("s3cret-value"), "{everything}");
    // A configuration with a problem is refused with what to fix, by key.
    let bad = config.set("topic.other.table", "public.x").flat();
    let (code, error) = api.put("/connectors/edited/config", Some(bad)).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("topic.other.table"),
        "{error}"
    );
    drop(server);
}

#[tokio::test(flavor = "multi_thread")]
async fn three_workers_share_the_tasks_and_take_over_a_killed_ones() {
    let stream = Stream::new(4).await;
    let second = inlet_testkit::unique("serve2");
    inlet_testkit::create_topic(&inlet_testkit::kafka_config(stream.kafka()), &second, 4).await;
    let schema = stream
        .producer
        .register(&format!("{second}-value"), READING)
        .await;
    let produce_second = |range: std::ops::Range<usize>| {
        let records = range.map(|i| (None, reading(i, None))).collect();
        stream
            .producer
            .send_avro_many(&second, (schema.0, &schema.1), records)
    };
    stream.produce(0..2000).await;
    produce_second(0..2000).await;
    let mut servers = Vec::new();
    for i in 0..3 {
        servers.push(serve(&stream, &format!("serve{i}.log")).await);
    }
    let api = Api::new(&servers[0]);
    for (name, topic, table) in [
        ("first", stream.topic.as_str(), "public.readings"),
        ("second", second.as_str(), "public.readings_second"),
    ] {
        let config = stream
            .connector(name)
            .set("topics", topic)
            .set("table", table)
            .set("tasks.max", 2);
        let (code, body) = api.post("/connectors", Some(config.body())).await;
        assert_eq!(code, StatusCode::CREATED, "{body}");
    }
    for name in ["first", "second"] {
        api.wait_status(name, "RUNNING with two tasks", |s| {
            tasks_in(s, "RUNNING") == 2
        })
        .await;
    }
    for table in ["readings", "readings_second"] {
        stream
            .wait_for(
                &format!("SELECT count(*) FROM {table}"),
                2000,
                Duration::from_secs(90),
                "serve0.log",
            )
            .await;
    }
    // Any worker answers for all: the second worker's view is the first's.
    let (_, seen) = Api::new(&servers[1]).get("/connectors/first/status").await;
    assert_eq!(tasks_in(&seen, "RUNNING"), 2, "{seen}");

    // Kill (SIGKILL) a worker that holds a task; its tasks are taken over.
    let (_, status) = api.get("/connectors/first/status").await;
    let victim_id = status["tasks"][0]["worker_id"].as_str().unwrap().to_owned();
    let victim = servers.iter().position(|s| s.worker == victim_id).unwrap();
    let mut killed = servers.remove(victim);
    killed.process.kill().unwrap();
    killed.process.wait().unwrap();
    stream.produce(2000..4000).await;
    produce_second(2000..4000).await;
    let api = Api::new(&servers[0]);
    for name in ["first", "second"] {
        let status = api
            .wait_status(name, "running on the live workers", |s| {
                tasks_in(s, "RUNNING") == 2
                    && s["tasks"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .all(|t| t["worker_id"] != victim_id.as_str())
            })
            .await;
        assert!(
            status["tasks"]
                .as_array()
                .unwrap()
                .iter()
                .all(|t| { servers.iter().any(|s| t["worker_id"] == s.worker.as_str()) }),
            "{status:#}"
        );
    }
    for table in ["readings", "readings_second"] {
        stream
            .wait_for(
                &format!("SELECT count(*) FROM {table}"),
                4000,
                Duration::from_secs(120),
                "serve0.log",
            )
            .await;
        let duplicates = stream
            .count(&format!(
                "SELECT count(*) - count(DISTINCT device_id) FROM {table}"
            ))
            .await;
        assert_eq!(duplicates, 0, "{table}: records stored twice");
    }
    drop(servers);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_answers_as_its_openapi_document_says_under_schemathesis() {
    let stream = Stream::new(1).await;
    let token = "schemathesis-admin-token";
    let server = serve_with(&stream, "serve.log", &[], &[("INLET_ADMIN_TOKEN", token)]).await;
    // A connector for the generated requests to reach (stopped: nothing runs).
    let created = reqwest::Client::new()
        .post(format!("{}/connectors", server.url))
        .bearer_auth(token)
        .json(&stream.connector("st").stopped_body())
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let settings = stream.log_path("schemathesis.toml");
    std::fs::write(
        &settings,
        concat!(
            "[parameters]\n\"path.name\" = \"st\"\n\"path.plugin\" = \"inlet.PostgresSink\"\n\"path.task\" = 0\n\"path.logger\" = \"inlet_serve\"\n",
            // A whole configuration may be valid key by key and still refused for how its
            // keys go together (SASL without a user, upsert without key columns, a `name`
            // that is not the connector's), which a schema cannot say; and offsets name
            // topics, which must be the connector's. These answer 400, each problem by key.
            "[[operations]]\ninclude-path-regex = \"^/connectors(/\\\\{name\\\\}/(config|offsets))?$\"\n",
            "include-method-regex = \"^(POST|PUT|PATCH)$\"\n",
            "checks.positive_data_acceptance.expected-statuses = [\"2xx\", \"400\", \"401\", \"403\", \"404\", \"409\"]\n",
        ),
    )
    .unwrap();
    let schemathesis = inlet_testkit::python().with_file_name("schemathesis");
    assert!(
        schemathesis.exists(),
        "schemathesis is missing at {}: run scripts/services up (it installs it in the virtualenv)",
        schemathesis.display()
    );
    let output = tokio::process::Command::new(&schemathesis)
        .arg("--config-file")
        .arg(&settings)
        .args([
            "--no-color",
            "run",
            &format!("{}/openapi.json", server.url),
            // Every check, with an admin token.
            "--checks",
            "all",
            "-H",
            &format!("Authorization: Bearer {token}"),
            "--max-examples",
            "40",
            // One worker: CPython 3.11 can fail parsing on two threads at once
            // (python/cpython#106905, "AST constructor recursion depth mismatch" inside
            // Hypothesis), which is schemathesis' fault, not the API's.
            "--workers",
            "1",
            "--seed",
            "1",
            // inlet's own setup steps connect to whatever brokers and registry a body names:
            // with generated hosts each request waits out its time limit. They are tested
            // above; the dead letters' endpoints are fuzzed.
            "--exclude-path-regex",
            "^/inlet/v1/(kafka|registry|topics|propose|preview|tables)",
        ])
        .current_dir(stream.log_path(""))
        .output()
        .await
        .unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "schemathesis found the API and its document apart:\n{report}\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&output.stderr),
        stream.log("serve.log")
    );
    assert!(report.contains("passed"), "{report}");
    drop(server);
}

/// A decimal, a nested record, and a union of three types.
const ORDER: &str = r#"{"type":"record","name":"Order","namespace":"inlet.test","fields":[
 {"name":"id","type":"long"},
 {"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
 {"name":"ship","type":{"type":"record","name":"Ship","fields":[{"name":"city","type":"string"}]}},
 {"name":"note","type":["null","string","long"],"default":null}]}"#;

fn order(
    id: i64,
    cents: i64,
    city: &str,
    note: apache_avro::types::Value,
) -> apache_avro::types::Value {
    use apache_avro::types::Value as Avro;
    Avro::Record(vec![
        ("id".into(), Avro::Long(id)),
        (
            "amount".into(),
            Avro::Decimal(apache_avro::Decimal::from(cents.to_be_bytes().to_vec())),
        ),
        (
            "ship".into(),
            Avro::Record(vec![("city".into(), Avro::String(city.into()))]),
        ),
        ("note".into(), note),
    ])
}

#[tokio::test(flavor = "multi_thread")]
async fn the_console_steps_authenticate_list_propose_preview_and_create_the_table() {
    use apache_avro::types::Value as Avro;
    let stream = Stream::new(1).await;
    let (id, schema) = stream
        .producer
        .register(&format!("{}-value", stream.topic), ORDER)
        .await;
    let records = vec![
        (
            None,
            order(
                1,
                12345,
                "Oslo",
                Avro::Union(1, Box::new(Avro::String("gift".into()))),
            ),
        ),
        (
            None,
            order(2, -5, "Lisbon", Avro::Union(2, Box::new(Avro::Long(7)))),
        ),
    ];
    stream
        .producer
        .send_avro_many(&stream.topic, (id, &schema), records)
        .await;
    stream
        .producer
        .send_raw(&stream.topic, Some(0), None, b"not avro")
        .await;
    let server = serve(&stream, "serve.log").await;
    let api = Api::new(&server);
    let connector = stream.connector("orders").set("table", "shop.orders");
    let config = connector.flat();

    // Kafka's "Authenticate": the cluster's topics, or the failure with its fix.
    let (code, kafka) = api
        .post("/inlet/v1/kafka/check", Some(config.clone()))
        .await;
    assert_eq!(code, StatusCode::OK, "{kafka}");
    assert_eq!(kafka["ok"], true, "{kafka}");
    assert!(
        kafka["topics"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == stream.topic.as_str() && t["partitions"] == 1),
        "{kafka}"
    );
    let unreachable = connector
        .clone()
        .set("kafka.bootstrap_servers", "127.0.0.1:1")
        .flat();
    let (_, refused) = api.post("/inlet/v1/kafka/check", Some(unreachable)).await;
    assert_eq!(refused["ok"], false, "{refused}");

    // The registry's.
    let (_, registry) = api
        .post("/inlet/v1/registry/check", Some(config.clone()))
        .await;
    assert_eq!(registry["ok"], true, "{registry}");
    let wrong = connector
        .clone()
        .set("registry.url", "http://127.0.0.1:1")
        .flat();
    let (_, refused) = api.post("/inlet/v1/registry/check", Some(wrong)).await;
    assert_eq!(refused["ok"], false, "{refused}");

    // The topics, with their subjects.
    let (code, topics) = api.post("/inlet/v1/topics", Some(config.clone())).await;
    assert_eq!(code, StatusCode::OK, "{topics}");
    let ours = topics
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == stream.topic.as_str())
        .unwrap_or_else(|| panic!("{topics}"));
    assert_eq!(ours["latest_schema_id"], id.0);

    // The proposal: what the table will hold.
    let step = json!({"config": config, "topic": stream.topic});
    let (code, proposal) = api.post("/inlet/v1/propose", Some(step.clone())).await;
    assert_eq!(code, StatusCode::OK, "{proposal}");
    let column = |name: &str| {
        proposal["columns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .map(|c| c["type"].as_str().unwrap().to_owned())
    };
    assert_eq!(
        column("amount").as_deref(),
        Some("numeric(10,2)"),
        "{proposal}"
    );
    assert_eq!(column("ship_city").as_deref(), Some("text"), "{proposal}");
    assert_eq!(column("note").as_deref(), Some("jsonb"), "{proposal}");
    assert!(
        proposal["ddl"]
            .as_str()
            .unwrap()
            .contains("CREATE TABLE \"shop\".\"orders\"")
    );

    // The preview: the records as rows, and the dead letter with why.
    let (code, preview) = api
        .post(
            "/inlet/v1/preview",
            Some(json!({"config": config, "topic": stream.topic, "count": 10})),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{preview}");
    let records = preview["records"].as_array().unwrap();
    assert_eq!(records.len(), 3, "{preview}");
    assert_eq!(records[0]["outcome"], "row");
    assert_eq!(records[0]["values"]["amount"], json!(123.45));
    assert_eq!(records[0]["values"]["ship_city"], "Oslo");
    assert_eq!(records[0]["values"]["note"], "gift");
    assert_eq!(records[1]["values"]["note"], 7);
    assert_eq!(records[2]["outcome"], "dead_letter");
    assert!(
        records[2]["reason"]
            .as_str()
            .unwrap()
            .contains("not a Confluent Avro frame")
    );

    // Creating the table: 201 with the DDL run, then 200 (it exists).
    let (code, created) = api.post("/inlet/v1/tables", Some(step.clone())).await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    assert_eq!(created["created"], true);
    let (code, again) = api.post("/inlet/v1/tables", Some(step)).await;
    assert_eq!(code, StatusCode::OK, "{again}");
    assert_eq!(stream.count("SELECT count(*) FROM shop.orders").await, 0);

    // A step with a key that cannot be used says which key.
    let unusable = connector.set("kafka.security_protocol", "SASL_TLS").flat();
    let (code, error) = api.post("/inlet/v1/kafka/check", Some(unusable)).await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("kafka.security_protocol"),
        "{error}"
    );
    drop(server);
}

#[tokio::test(flavor = "multi_thread")]
async fn dead_letters_are_paged_and_after_a_fix_replayed_into_rows_exactly_once() {
    let stream = Stream::new(1).await;
    // device_id too narrow for most readings: dev-0 .. dev-9 fit, the rest are dead letters.
    stream
        .db
        .connect()
        .await
        .batch_execute(
            "CREATE TABLE readings (ts timestamptz NOT NULL, device_id varchar(5), site text, temperature double precision, humidity double precision, pressure double precision, battery real, rssi integer, ok boolean, note text)",
        )
        .await
        .unwrap();
    stream.produce(0..100).await;
    let server = serve(&stream, "serve.log").await;
    let api = Api::new(&server);
    let (code, _) = api
        .post("/connectors", Some(stream.connector("narrow").body()))
        .await;
    assert_eq!(code, StatusCode::CREATED);
    stream
        .wait_for(
            "SELECT count(*) FROM inlet.dead_letters WHERE connector = 'narrow'",
            90,
            Duration::from_secs(60),
            "serve.log",
        )
        .await;
    assert_eq!(stream.count("SELECT count(*) FROM readings").await, 10);

    // Paged, with the reasons counted.
    let base = "/inlet/v1/connectors/narrow/dead-letters";
    let (code, first) = api.get(&format!("{base}?limit=50")).await;
    assert_eq!(code, StatusCode::OK, "{first}");
    let mut ids: Vec<i64> = first["dead_letters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 50);
    let after = first["next_after"].as_i64().expect("a next page");
    let (_, second) = api.get(&format!("{base}?limit=50&after={after}")).await;
    ids.extend(
        second["dead_letters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_i64().unwrap()),
    );
    assert_eq!(ids.len(), 90);
    assert_eq!(second["next_after"], Value::Null);
    let reasons = first["reasons"].as_array().unwrap();
    let counted: i64 = reasons.iter().map(|r| r["count"].as_i64().unwrap()).sum();
    assert_eq!(counted, 90, "{reasons:?}");
    let (_, filtered) = api.get(&format!("{base}?reason=no-such-reason")).await;
    assert_eq!(filtered["dead_letters"], json!([]));
    // By code: every one of them a value its column refuses (inlet checks varchar(5) as
    // PostgreSQL would).
    assert_eq!(
        first["reason_codes"],
        json!([{"reason_code": "value_refused", "count": 90}])
    );
    assert!(
        reasons.iter().all(|r| r["reason_code"] == "value_refused"),
        "{reasons:?}"
    );
    let (_, coded) = api
        .get(&format!("{base}?reason_code=value_refused&limit=1000"))
        .await;
    assert_eq!(coded["dead_letters"].as_array().map(Vec::len), Some(90));
    let (_, other) = api.get(&format!("{base}?reason_code=bad_frame")).await;
    assert_eq!(other["dead_letters"], json!([]));
    let (code, refused) = api.get(&format!("{base}?reason_code=gone_wrong")).await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{refused}");
    // The raw value, as Kafka had it (a Confluent frame).
    let raw = reqwest::get(format!("{}{base}/{}/value", server.url, ids[0]))
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::OK);
    assert_eq!(raw.bytes().await.unwrap()[0], 0, "the magic byte");

    // Before the fix a replay changes nothing: still dead, with the reason.
    let (_, early) = api
        .post(&format!("{base}/replay"), Some(json!({"ids": &ids[..2]})))
        .await;
    assert_eq!(early["results"][0]["outcome"], "still_dead", "{early}");
    assert_eq!(
        early["results"][0]["reason_code"], "value_refused",
        "{early}"
    );
    // The fix: the column widened. Two replays of the same letters at once: each record
    // becomes a row once.
    stream
        .db
        .connect()
        .await
        .batch_execute("ALTER TABLE readings ALTER COLUMN device_id TYPE text")
        .await
        .unwrap();
    let path = format!("{base}/replay");
    let replay = || api.post(&path, Some(json!({"ids": ids})));
    let ((a_code, a), (b_code, b)) = tokio::join!(replay(), replay());
    assert_eq!(
        (a_code, b_code),
        (StatusCode::OK, StatusCode::OK),
        "{a} {b}"
    );
    let stored = |r: &Value| {
        r["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["outcome"] == "stored")
            .count()
    };
    assert_eq!(stored(&a) + stored(&b), 90, "{a}\n{b}");
    assert_eq!(stream.count("SELECT count(*) FROM readings").await, 100);
    assert_eq!(stream.count(EXACTLY_ONCE).await, 0);
    let (_, left) = api.get(base).await;
    assert_eq!(left["dead_letters"], json!([]), "{left}");
    let (_, all) = api.get(&format!("{base}?replayed=true&limit=1000")).await;
    assert!(
        all["dead_letters"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["replayed_at"].is_string()),
        "{all}"
    );
    drop(server);
}

/// SHA-256 of `text`, hex (what a tokens file holds instead of the token).
fn sha256_hex(text: &str) -> String {
    let output = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write as _;
            child.stdin.take().unwrap().write_all(text.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    String::from_utf8(output.stdout).unwrap()[..64].to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_roles_https_cors_and_secrets_that_never_leave() {
    let stream = Stream::new(1).await;
    let tls = inlet_testkit::inlet_home().join("tls");
    let tokens = stream.log_path("tokens");
    std::fs::write(
        &tokens,
        format!(
            "# name role token\nconsole admin sha256:{}\ngrafana read grafana-token\n",
            sha256_hex("console-token")
        ),
    )
    .unwrap();

    // Beyond loopback without a token: refused at start, with what to do.
    let open = Command::new(env!("CARGO_BIN_EXE_inlet"))
        .args(["serve", "--database-url", stream.db.url(), "--listen"])
        .arg(format!("0.0.0.0:{}", free_port()))
        .output()
        .unwrap();
    assert!(!open.status.success());
    let said = String::from_utf8_lossy(&open.stderr);
    assert!(
        said.contains("--tokens-file") && said.contains("loopback"),
        "{said}"
    );

    let port = free_port();
    let (cert, key) = (tls.join("server.pem"), tls.join("server.key"));
    let _process = start_serve(
        &stream,
        "serve.log",
        &format!("127.0.0.1:{port}"),
        &[
            "--tokens-file",
            tokens.to_str().unwrap(),
            "--cors-origin",
            "https://console.example",
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
        ],
        &[("INLET_SECRET_REGISTRY", "registry-secret-value")],
    );
    let ca = reqwest::Certificate::from_pem(&std::fs::read(tls.join("ca.pem")).unwrap()).unwrap();
    let http = reqwest::Client::builder()
        .add_root_certificate(ca)
        .build()
        .unwrap();
    let url = format!("https://localhost:{port}");
    let start = Instant::now();
    while http.get(format!("{url}/health")).send().await.is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no HTTPS answer:\n{}",
            stream.log("serve.log")
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // No token: 401 with the basic challenge (the Connect UIs ask for a password then).
    let refused = http.get(format!("{url}/connectors")).send().await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert!(refused.headers().contains_key("www-authenticate"));
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error_code"], 401);
    // /metrics as any read: refused without a token, answered to a read token.
    let scrape = http.get(format!("{url}/metrics")).send().await.unwrap();
    assert_eq!(scrape.status(), StatusCode::UNAUTHORIZED);
    let scrape = http
        .get(format!("{url}/metrics"))
        .bearer_auth("grafana-token")
        .send()
        .await
        .unwrap();
    assert_eq!(scrape.status(), StatusCode::OK);
    let text = scrape.text().await.unwrap();
    assert!(
        text.contains("# TYPE inlet_rows_total counter\n")
            && text.contains("# TYPE inlet_worker_connectors_running gauge\n"),
        "{text}"
    );

    // A literal Kafka password and a registry secret by reference.
    let config = stream
        .connector("guarded")
        .set("kafka.security_protocol", "SASL_PLAINTEXT")
        .set("kafka.sasl_mechanism", "PLAIN")
        .set("kafka.username", "inlet-plain")
        .set("kafka.password", "kafka-secret-value")
        .set("registry.key", "reg")
        .set("registry.secret", "${env:INLET_SECRET_REGISTRY}");
    let create = config.stopped_body();
    let as_read = http
        .post(format!("{url}/connectors"))
        .bearer_auth("grafana-token")
        .json(&create)
        .send()
        .await
        .unwrap();
    assert_eq!(as_read.status(), StatusCode::FORBIDDEN);
    let as_admin = http
        .post(format!("{url}/connectors"))
        .basic_auth("console", Some("console-token"))
        .json(&create)
        .send()
        .await
        .unwrap();
    assert_eq!(as_admin.status(), StatusCode::CREATED);
    let shown: Value = as_admin.json().await.unwrap();
    assert_eq!(shown["config"]["kafka.password"], "[hidden]");
    assert_eq!(
        shown["config"]["registry.secret"],
        "${env:INLET_SECRET_REGISTRY}"
    );
    let read: Value = http
        .get(format!("{url}/connectors/guarded/config"))
        .bearer_auth("grafana-token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        read["registry.secret"], "[hidden]",
        "a read token sees no reference"
    );

    // The server's own variables and files are not for connectors made over the API.
    let exfiltrate = config.set("registry.secret", "${env:HOME}").flat();
    let answer = http
        .put(format!("{url}/connectors/other/config"))
        .bearer_auth("console-token")
        .json(&exfiltrate)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    let body: Value = answer.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("INLET_SECRET_"),
        "{body}"
    );
    // A kept secret is not sent to a new address.
    let moved = http
        .patch(format!("{url}/connectors/guarded/config"))
        .bearer_auth("console-token")
        .json(&json!({"kafka.bootstrap_servers": "127.0.0.1:1", "kafka.password": "[hidden]"}))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.status(), StatusCode::BAD_REQUEST);

    // CORS: the allowed origin only.
    for (origin, allowed) in [
        ("https://console.example", true),
        ("https://evil.example", false),
    ] {
        let preflight = http
            .request(reqwest::Method::OPTIONS, format!("{url}/connectors"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "PUT")
            .send()
            .await
            .unwrap();
        assert_eq!(
            preflight
                .headers()
                .get("access-control-allow-origin")
                .is_some(),
            allowed,
            "{origin}"
        );
    }

    // The audit names who, and nothing holds a secret but the stored configuration.
    let who: Vec<String> = stream
        .rows("SELECT who FROM inlet.audit ORDER BY id", |r| r.get(0))
        .await;
    assert_eq!(who, ["console"]);
    let audit: Vec<String> = stream
        .rows("SELECT row_to_json(a)::text FROM inlet.audit a", |r| {
            r.get(0)
        })
        .await;
    let everything = format!("{audit:?}{}", stream.log("serve.log"));
    for secret in [
        "kafka-secret-value",
        "registry-secret-value",
        "console-token",
    ] {
        assert!(
            !everything.contains(secret),
            "{secret} leaked: {everything}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connector_whose_table_is_dropped_fails_with_why_and_runs_again_after_a_restart() {
    let stream = Stream::new(1).await;
    stream.produce(0..50).await;
    let server = serve(&stream, "serve.log").await;
    let api = Api::new(&server);
    let (code, _) = api
        .post("/connectors", Some(stream.connector("dropped").body()))
        .await;
    assert_eq!(code, StatusCode::CREATED);
    stream
        .wait_for(
            "SELECT count(*) FROM readings",
            50,
            Duration::from_secs(60),
            "serve.log",
        )
        .await;
    stream
        .db
        .connect()
        .await
        .batch_execute("DROP TABLE readings")
        .await
        .unwrap();
    stream.produce(50..100).await;
    let failed = api
        .wait_status("dropped", "FAILED", |s| state(s) == "FAILED")
        .await;
    let trace = failed["connector"]["trace"].as_str().unwrap_or_default();
    assert!(
        trace.contains("readings"),
        "the reason names the table: {failed:#}"
    );
    // The table is back (made again from the schema on start), and a restart runs it.
    let (code, _) = api.post("/connectors/dropped/restart", None).await;
    assert_eq!(code, StatusCode::NO_CONTENT);
    api.wait_status("dropped", "RUNNING again", |s| state(s) == "RUNNING")
        .await;
    // The batch that met the missing table was never committed: its records come again.
    stream
        .wait_for(
            "SELECT count(*) FROM readings",
            50,
            Duration::from_secs(60),
            "serve.log",
        )
        .await;
    assert_eq!(stream.count(EXACTLY_ONCE).await, 0);
    // Deleted while it runs: its task stops first, and no offset of it comes back.
    let (code, _) = api
        .send(reqwest::Method::DELETE, "/connectors/dropped", None)
        .await;
    assert_eq!(code, StatusCode::NO_CONTENT);
    stream.produce(100..120).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let offsets = "SELECT count(*) FROM inlet.offsets WHERE connector = 'dropped'";
    assert_eq!(stream.count(offsets).await, 0);
    assert_eq!(stream.count("SELECT count(*) FROM readings").await, 50);
    drop(server);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secret_sent_over_the_api_is_stored_encrypted_and_opened_to_run() {
    let mut stream = Stream::new(1).await;
    let sasl = inlet_testkit::endpoints().require_kafka_sasl().to_owned();
    stream.produce(0..30).await;
    stream.use_kafka(&sasl);
    let key = "aW5sZXQtdGVzdC1rZXktb2YtdGhpcnR5LXR3by1ieXQ=";
    let server = serve_with(&stream, "serve.log", &[], &[("INLET_SECRETS_KEY", key)]).await;
    let listen = server.worker.clone();
    let api = Api::new(&server);
    let password = inlet_testkit::sasl::PASSWORD;
    let config = stream
        .connector("sealed")
        .set("kafka.security_protocol", "SASL_PLAINTEXT")
        .set("kafka.sasl_mechanism", "PLAIN")
        .set("kafka.username", inlet_testkit::sasl::PLAIN_USER)
        .set("kafka.password", password);
    let (code, created) = api.post("/connectors", Some(config.body())).await;
    assert_eq!(code, StatusCode::CREATED, "{created}");
    assert_eq!(
        created["config"]["kafka.password"],
        "${secret:sealed/kafka.password}"
    );
    // Opened by the worker: the connector authenticates and stores the records.
    stream
        .wait_for(
            "SELECT count(*) FROM readings",
            30,
            Duration::from_secs(60),
            "serve.log",
        )
        .await;
    let stored: Vec<String> = stream
        .rows(
            "SELECT c.config::text || encode(s.ciphertext, 'escape') FROM inlet.connectors c, inlet.secrets s",
            |r| r.get(0),
        )
        .await;
    assert_eq!(stored.len(), 1);
    assert!(
        !stored.concat().contains(password),
        "the database holds the secret in clear"
    );

    // The setup steps use a stored secret only in its own key, with its own settings: not
    // to be shown in an answer (as a user name), nor sent to another address.
    let reference = "${secret:sealed/kafka.password}";
    let mut step: Value = created["config"].clone();
    step["name"] = json!("sealed");
    let (code, answer) = api.post("/inlet/v1/kafka/check", Some(step.clone())).await;
    assert_eq!(code, StatusCode::OK, "its own settings: {answer}");
    assert_eq!(answer["ok"], true, "{answer}");
    let mut shown = step.clone();
    shown["kafka.username"] = json!(reference);
    let (code, answer) = api.post("/inlet/v1/kafka/check", Some(shown)).await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{answer}");
    assert!(!answer.to_string().contains(password), "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("kafka.username"),
        "{answer}"
    );
    let mut elsewhere = step.clone();
    elsewhere["kafka.bootstrap_servers"] = json!("127.0.0.1:1");
    let (code, answer) = api.post("/inlet/v1/kafka/check", Some(elsewhere)).await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{answer}");
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("kafka.bootstrap_servers changed"),
        "{answer}"
    );

    // Under another key it does not open: the task fails, saying why.
    drop(server);
    let other = "b3RoZXIta2V5LW9mLXRoaXJ0eS10d28tYnl0ZXMtISE=";
    let _server = start_serve(
        &stream,
        "serve2.log",
        &listen,
        &[],
        &[("INLET_SECRETS_KEY", other)],
    );
    let start = Instant::now();
    loop {
        if let Ok(r) = api
            .http
            .get(format!("{}/connectors/sealed/status", api.url))
            .send()
            .await
            && let Ok(status) = r.json::<Value>().await
            && state(&status) == "FAILED"
        {
            let trace = status["connector"]["trace"].as_str().unwrap_or_default();
            assert!(trace.contains("another key"), "{status:#}");
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{}",
            stream.log("serve2.log")
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let logs = format!("{}{}", stream.log("serve.log"), stream.log("serve2.log"));
    assert!(!logs.contains(password), "{logs}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_running_connector_that_cannot_reach_its_brokers_says_why() {
    let stream = Stream::new(1).await;
    stream.produce(0..5).await;
    let server = serve(&stream, "serve.log").await;
    let api = Api::new(&server);
    let config = stream.connector("unreachable").set(
        "kafka.bootstrap_servers",
        format!("127.0.0.1:{}", free_port()),
    );
    let (code, _) = api.post("/connectors", Some(config.body())).await;
    assert_eq!(code, StatusCode::CREATED);
    let status = api
        .wait_status("unreachable", "held up with a trace", |s| {
            s["tasks"][0]["trace"]
                .as_str()
                .is_some_and(|t| t.contains("Kafka"))
        })
        .await;
    assert_ne!(
        state(&status),
        "FAILED",
        "brokers that do not answer are retried: {status:#}"
    );
    drop(server);
}

/// A worker's id is a session-level lock: when the sessions of a worker are terminated, it
/// takes its id again or stops — a second worker with the same id never runs beside it.
#[tokio::test(flavor = "multi_thread")]
async fn a_worker_whose_sessions_are_terminated_keeps_its_id_or_stops() {
    let stream = Stream::new(1).await;
    let first = serve_with(&stream, "first.log", &["--worker-id", "w:1"], &[]).await;
    let client = stream.db.connect().await;
    let terminated: i64 = client
        .query_one(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert!(
        terminated >= 1,
        "no session of the first worker to terminate"
    );
    // A second worker with the same id, at once.
    let listen = format!("127.0.0.1:{}", free_port());
    let second = start_serve(&stream, "second.log", &listen, &["--worker-id", "w:1"], &[]);
    let mut workers = [(first.process, "first.log"), (second, "second.log")];
    let start = Instant::now();
    let stopped = loop {
        if let Some(i) = workers
            .iter_mut()
            .position(|(p, _)| p.try_wait().unwrap().is_some())
        {
            break i;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "two workers run with the id w:1; first:\n{}\nsecond:\n{}",
            stream.log("first.log"),
            stream.log("second.log")
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let (process, log) = &mut workers[stopped];
    assert!(!process.try_wait().unwrap().unwrap().success());
    let said = stream.log(log);
    assert!(
        said.contains("another worker") && said.contains("w:1") && said.contains("--worker-id"),
        "{log}:\n{said}"
    );
    // The other runs on, past several checks of its id.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (other, other_log) = &mut workers[1 - stopped];
    assert!(
        other.try_wait().unwrap().is_none(),
        "both stopped; {other_log}:\n{}",
        stream.log(other_log)
    );
}

/// Four clients made for Kafka Connect's REST API — kafka-connect-py, kafka-connect-api and
/// lsst-sqre's kafkaconnect (PyPI), org.sourcelab's kafka-connect-client (Maven Central) —
/// each take a connector through its whole life with their own calls, unchanged.
#[tokio::test(flavor = "multi_thread")]
async fn clients_made_for_kafka_connect_drive_inlet_unchanged() {
    let stream = Stream::new(1).await;
    stream.produce(0..50).await;
    let server = serve(&stream, "serve.log").await;
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let config = stream
        .connector("clients")
        .set("table", "public.clients")
        .flat();

    let python = tokio::process::Command::new(inlet_testkit::python())
        .arg(fixtures.join("connect_clients.py"))
        .arg(&server.url)
        .arg(config.to_string())
        .output()
        .await
        .unwrap();
    let said = String::from_utf8_lossy(&python.stdout);
    assert!(
        python.status.success() && said.contains("all clients passed"),
        "the Python clients:\n{said}\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&python.stderr),
        stream.log("serve.log")
    );

    let classpath_file = inlet_testkit::inlet_home().join("connect-client-java.classpath");
    let classpath = std::fs::read_to_string(&classpath_file).unwrap_or_else(|_| {
        panic!(
            "{} is missing: run scripts/services up (it fetches org.sourcelab:kafka-connect-client)",
            classpath_file.display()
        )
    });
    let pairs: Vec<String> = config
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let v = v.as_str().unwrap();
            match k.as_str() {
                "table" => format!("{k}=public.clients_java"),
                _ => format!("{k}={v}"),
            }
        })
        .collect();
    let java = tokio::process::Command::new("java")
        .arg("-cp")
        .arg(classpath.trim())
        .arg(fixtures.join("connect-client-java/ConnectClient.java"))
        .arg(&server.url)
        .arg("java-client")
        .args(&pairs)
        .output()
        .await
        .unwrap();
    let said = String::from_utf8_lossy(&java.stdout);
    assert!(
        java.status.success() && said.contains("the Java client passed"),
        "the Java client:\n{said}\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&java.stderr),
        stream.log("serve.log")
    );
    // Every client's connector stored the topic's records, once.
    for client in ["py", "api", "lsst", "java"] {
        let rows = stream
            .count(&format!(
                "SELECT count(DISTINCT device_id) FROM clients_{client}"
            ))
            .await;
        assert_eq!(rows, 50, "clients_{client}");
    }
    drop(server);
}
