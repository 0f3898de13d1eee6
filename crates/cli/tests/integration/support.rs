//! What the integration tests share: a topic and a database per test (`Stream`), its
//! connectors' configurations (`ConnectorConfig`, as an `inlet run` file or a
//! `POST /connectors` body), and `inlet run` and `inlet serve` child processes.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use apache_avro::types::Value;
use inlet_testkit::{AvroProducer, TestDatabase, create_topic, endpoints, kafka_config, unique};

mod connector;

pub use connector::{ConnectorConfig, run_file};

pub const READING: &str = inlet_avro::READING_SCHEMA;

pub fn reading(i: usize, note: Option<&str>) -> Value {
    Value::Record(vec![
        (
            "ts".into(),
            Value::TimestampMicros(1_700_000_000_000_000 + i as i64),
        ),
        ("device_id".into(), Value::String(format!("dev-{i}"))),
        ("site".into(), Value::String("lyon".into())),
        ("temperature".into(), Value::Double(20.5)),
        ("humidity".into(), Value::Double(40.0)),
        ("pressure".into(), Value::Double(1013.0)),
        ("battery".into(), Value::Float(3.7)),
        ("rssi".into(), Value::Int(-(i as i32 % 90))),
        ("ok".into(), Value::Boolean(true)),
        (
            "note".into(),
            match note {
                Some(n) => Value::Union(1, Box::new(Value::String(n.into()))),
                None => Value::Union(0, Box::new(Value::Null)),
            },
        ),
    ])
}

/// A topic, a database and a connector configuration for one test.
pub struct Stream {
    pub db: TestDatabase,
    pub topic: String,
    kafka: String,
    registry: String,
    pub producer: AvroProducer,
    dir: PathBuf,
}

impl Stream {
    pub async fn new(partitions: i32) -> Self {
        let env = endpoints();
        let kafka = env.require_kafka().to_owned();
        let registry = env.require_registry().await.to_owned();
        let topic = unique("run");
        create_topic(&kafka_config(&kafka), &topic, partitions).await;
        let db = TestDatabase::create("run").await;
        let producer = AvroProducer::new(&kafka_config(&kafka), &registry);
        let dir = std::env::temp_dir().join(unique("inlet-run"));
        std::fs::create_dir_all(&dir).unwrap();
        Stream {
            db,
            topic,
            kafka,
            registry,
            producer,
            dir,
        }
    }

    /// The connector reads schemas from `url` instead of the shared registry.
    pub fn use_registry(&mut self, url: &str) {
        self.registry = url.to_owned();
    }

    /// The connector reads from brokers at `bootstrap` instead of the shared one.
    pub fn use_kafka(&mut self, bootstrap: &str) {
        self.kafka = bootstrap.to_owned();
    }

    pub fn kafka(&self) -> &str {
        &self.kafka
    }

    pub fn registry(&self) -> &str {
        &self.registry
    }

    pub async fn produce(&self, range: std::ops::Range<usize>) {
        self.produce_with(&self.producer, range).await;
    }

    /// Readings `range` to this stream's topic through `producer` (brokers of a test's own).
    pub async fn produce_with(&self, producer: &AvroProducer, range: std::ops::Range<usize>) {
        let schema = producer
            .register(&format!("{}-value", self.topic), READING)
            .await;
        let records = range.map(|i| (None, reading(i, None))).collect();
        producer
            .send_avro_many(&self.topic, (schema.0, &schema.1), records)
            .await;
    }

    /// The connector `name` of this stream's topic into `public.readings`, through the
    /// stream's brokers and registry, in a consumer group of its own (a member left by
    /// another run cannot hold it up), with 6 s sessions and quick small batches.
    pub fn connector(&self, name: &str) -> ConnectorConfig {
        ConnectorConfig::new(name, &self.topic, "public.readings")
            .set("kafka.bootstrap_servers", self.kafka.as_str())
            .set("kafka.group_prefix", self.topic.as_str())
            .set("kafka.properties.session.timeout.ms", "6000")
            .set("registry.url", self.registry.as_str())
            .set("batch.max_rows", 5000)
            .set("batch.linger_ms", 100)
    }

    /// Writes the `inlet run` file of [`Self::connector`] `name`; its path.
    pub fn config(&self, name: &str) -> PathBuf {
        self.write_config(self.connector(name))
    }

    /// Writes the `inlet run` file of this stream's database and `connector`, named for it;
    /// its path.
    pub fn write_config(&self, connector: ConnectorConfig) -> PathBuf {
        let path = self.dir.join(format!("{}.toml", connector.name()));
        let text = run_file(&[("url", self.db.url())], &[connector]);
        std::fs::write(&path, text).unwrap();
        path
    }

    pub fn start(&self, config: &PathBuf, log: &str) -> Inlet {
        self.start_with(config, log, &[])
    }

    /// `inlet run --config FILE` with more arguments.
    pub fn start_with(&self, config: &PathBuf, log: &str, args: &[&str]) -> Inlet {
        let log = std::fs::File::create(self.dir.join(log)).unwrap();
        Inlet(
            Command::new(env!("CARGO_BIN_EXE_inlet"))
                .args(["run", "--config"])
                .arg(config)
                .args(args)
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("starting inlet run"),
        )
    }

    /// Where the log `name` of this test's processes goes.
    pub fn log_path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(name)).unwrap_or_default()
    }

    pub async fn count(&self, sql: &str) -> i64 {
        let client = self.db.connect().await;
        match client.query_one(sql, &[]).await {
            Ok(row) => row.get(0),
            Err(_) => -1, // the table is not there yet
        }
    }

    /// The rows of `sql`, each turned into a value by `map`.
    pub async fn rows<T>(&self, sql: &str, map: impl Fn(&tokio_postgres::Row) -> T) -> Vec<T> {
        self.db
            .connect()
            .await
            .query(sql, &[])
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .iter()
            .map(map)
            .collect()
    }

    /// `inlet run --config config` until `SELECT count(*) FROM readings` is `rows` (at most
    /// 60 s), then SIGTERM; it must exit 0.
    pub async fn run_until(&self, config: &PathBuf, log: &str, rows: i64) {
        let mut inlet = self.start(config, log);
        self.wait_for(
            "SELECT count(*) FROM readings",
            rows,
            Duration::from_secs(60),
            log,
        )
        .await;
        assert!(terminate(&mut inlet).success(), "{}", self.log(log));
    }

    /// Starts `inlet run`, waits until partition 0's stored next offset is `offset` (every
    /// record before it a row, an upsert, a delete or a dead letter), stops it with SIGTERM.
    pub async fn run_until_offset(&self, config: &PathBuf, log: &str, offset: i64) {
        let mut inlet = self.start(config, log);
        self.wait_for(
            "SELECT COALESCE(max(next_offset), 0) FROM inlet.offsets WHERE partition = 0",
            offset,
            Duration::from_secs(60),
            log,
        )
        .await;
        assert!(terminate(&mut inlet).success(), "{}", self.log(log));
    }

    /// Waits (at most `limit`) for `inlet` to exit by itself, failing with `why` and the
    /// inlet log `log` if it runs on; its exit status and that log.
    pub async fn wait_exit(
        &self,
        inlet: &mut Inlet,
        limit: Duration,
        log: &str,
        why: &str,
    ) -> (std::process::ExitStatus, String) {
        let start = Instant::now();
        loop {
            if let Some(status) = inlet.try_wait().unwrap() {
                return (status, self.log(log));
            }
            assert!(
                start.elapsed() < limit,
                "inlet still runs after {limit:?}: {why}; its log:\n{}",
                self.log(log)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until `sql` counts `want`, failing with the inlet log after `limit`.
    pub async fn wait_for(&self, sql: &str, want: i64, limit: Duration, log: &str) {
        let start = Instant::now();
        loop {
            let got = self.count(sql).await;
            if got == want {
                return;
            }
            assert!(
                start.elapsed() < limit,
                "{sql} is {got}, not {want}, after {limit:?}; inlet's log:\n{}",
                self.log(log)
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// An `inlet run` child process, killed if a failing test leaves it running.
pub struct Inlet(pub Child);

impl std::ops::Deref for Inlet {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Inlet {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Inlet {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

pub fn terminate(child: &mut Child) -> std::process::ExitStatus {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "inlet did not stop within 30 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The rows stored twice (0 when exactly once).
pub const EXACTLY_ONCE: &str = "SELECT count(*) - count(DISTINCT device_id) FROM readings";

/// An `inlet serve` child process and its API's base URL.
pub struct Server {
    pub process: Inlet,
    pub url: String,
    pub worker: String,
}

/// A free loopback port (bound and let go).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `inlet serve` over the stream's database; returns once its API answers.
pub async fn serve(stream: &Stream, log: &str) -> Server {
    serve_with(stream, log, &[], &[]).await
}

/// `inlet serve` with more arguments and environment, on a port of its own (HTTP); returns
/// once `/health` answers.
pub async fn serve_with(stream: &Stream, log: &str, args: &[&str], env: &[(&str, &str)]) -> Server {
    let listen = format!("127.0.0.1:{}", free_port());
    let process = start_serve(stream, log, &listen, args, env);
    let url = format!("http://{listen}");
    let start = Instant::now();
    loop {
        if let Ok(r) = reqwest::get(format!("{url}/health")).await
            && r.status() == reqwest::StatusCode::OK
        {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "inlet serve did not answer in 30 s:\n{}",
            stream.log(log)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Server {
        process,
        url,
        worker: listen,
    }
}

/// The `inlet serve` child process on `listen`, its log in the stream's `log`.
pub fn start_serve(
    stream: &Stream,
    log: &str,
    listen: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Inlet {
    let log_file = std::fs::File::create(stream.log_path(log)).unwrap();
    Inlet(
        Command::new(env!("CARGO_BIN_EXE_inlet"))
            .args([
                "serve",
                "--database-url",
                stream.db.url(),
                "--listen",
                listen,
            ])
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .expect("starting inlet serve"),
    )
}

/// `inlet <command> --config <config>` run once: whether it passed, and what it printed
/// (stdout, then stderr).
pub fn inlet_once(command: &str, config: &std::path::Path) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_inlet"))
        .args([command, "--config"])
        .arg(config)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Runs `scripts/interop/<script>` (Confluent's Python client) against the stream's Kafka
/// and registry for its topic, with `args`; the JSON document it prints.
pub fn interop(script: &str, stream: &Stream, args: &[&str]) -> serde_json::Value {
    let path = format!(
        "{}/../../scripts/interop/{script}",
        env!("CARGO_MANIFEST_DIR")
    );
    let output = std::process::Command::new(inlet_testkit::python())
        .arg(path)
        .args([
            "--bootstrap",
            stream.kafka(),
            "--registry",
            stream.registry(),
        ])
        .args(["--topic", &stream.topic])
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}
