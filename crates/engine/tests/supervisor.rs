//! The supervisor, in process, against the real broker, registry and PostgreSQL: a running
//! connector is paused (nothing is written while it is), resumed, restarted and stopped, and
//! its status says so; the rows land exactly once through all of it.
//! Needs `scripts/services up`.

use std::time::{Duration, Instant};

use apache_avro::types::Value;
use inlet_engine::{Config, ConnectorState, ConnectorStatus, Supervisor};
use inlet_testkit::{AvroProducer, TestDatabase, create_topic, endpoints, kafka_config, unique};

const SCHEMA: &str = r#"{"type":"record","name":"Tick","namespace":"inlet.test","fields":[
 {"name":"id","type":"long"},{"name":"note","type":["null","string"],"default":null}]}"#;

struct Setup {
    db: TestDatabase,
    topic: String,
    producer: AvroProducer,
    supervisor: Supervisor,
}

impl Setup {
    async fn produce(&self, ids: std::ops::Range<i64>) {
        let schema = self
            .producer
            .register(&format!("{}-value", self.topic), SCHEMA)
            .await;
        let records = ids
            .map(|id| {
                (
                    Some(0),
                    Value::Record(vec![
                        ("id".into(), Value::Long(id)),
                        ("note".into(), Value::Union(0, Box::new(Value::Null))),
                    ]),
                )
            })
            .collect();
        self.producer
            .send_avro_many(&self.topic, (schema.0, &schema.1), records)
            .await;
    }

    async fn rows(&self) -> i64 {
        let client = self.db.connect().await;
        client
            .query_one("SELECT count(*) FROM ticks", &[])
            .await
            .map(|r| r.get(0))
            .unwrap_or(-1)
    }

    /// Waits until `done` holds for the connector's status, failing with the status after
    /// a minute.
    async fn wait(&self, what: &str, done: impl Fn(&ConnectorStatus) -> bool) -> ConnectorStatus {
        let start = Instant::now();
        loop {
            let status = self.supervisor.status("ticks").unwrap();
            if done(&status) {
                return status;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "{what}: not after a minute; status: {status:#?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn wait_rows(&self, want: i64) {
        let start = Instant::now();
        while self.rows().await != want {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "{} rows, not {want}; status: {:#?}",
                self.rows().await,
                self.supervisor.status("ticks")
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connector_is_paused_resumed_restarted_and_stopped_with_its_status() {
    let env = endpoints();
    let kafka = env.require_kafka().to_owned();
    let registry = env.require_registry().await.to_owned();
    let topic = unique("supervised");
    create_topic(&kafka_config(&kafka), &topic, 1).await;
    let db = TestDatabase::create("supervisor").await;
    let config = Config::parse(&format!(
        r#"
[database]
url = "{db}"
[[connector]]
name = "ticks"
[connector.kafka]
bootstrap_servers = "{kafka}"
group_prefix = "{topic}"
properties = {{ "session.timeout.ms" = "6000" }}
[connector.registry]
url = "{registry}"
[[connector.topic]]
name = "{topic}"
table = "public.ticks"
[connector.batch]
linger_ms = 50
"#,
        db = db.url()
    ))
    .unwrap();
    let setup = Setup {
        db,
        topic,
        producer: AvroProducer::new(&kafka_config(&kafka), &registry),
        supervisor: Supervisor::new("test:1"),
    };
    setup.produce(0..100).await;
    let connector = config.connectors.into_iter().next().unwrap();
    setup
        .supervisor
        .start(connector, config.database, false)
        .unwrap();
    let status = setup
        .wait("running with 100 rows", |s| {
            s.state == ConnectorState::Running && s.rows == 100
        })
        .await;
    setup.wait_rows(100).await;
    assert_eq!(status.worker_id, "test:1");
    assert!(status.batches >= 1, "{status:#?}");
    assert_eq!(status.schemas.len(), 1);
    assert!(status.schemas[0].unstored_fields.is_empty(), "{status:#?}");

    // Paused: records produced meanwhile wait, and the lag says how many.
    setup.supervisor.pause("ticks").unwrap();
    setup
        .wait("paused", |s| s.state == ConnectorState::Paused)
        .await;
    setup.produce(100..150).await;
    let status = setup
        .wait("lag 50 while paused", |s| {
            s.partitions.first().and_then(|p| p.lag) == Some(50)
        })
        .await;
    assert_eq!(status.state, ConnectorState::Paused);
    assert_eq!(status.partitions[0].next_offset, 100);
    assert_eq!(setup.rows().await, 100, "nothing is written while paused");

    setup.supervisor.resume("ticks").unwrap();
    setup.wait_rows(150).await;
    setup
        .wait("running, lag 0", |s| {
            s.state == ConnectorState::Running
                && s.partitions.first().and_then(|p| p.lag) == Some(0)
        })
        .await;

    // Restarted: it runs again and reads on from its stored offsets.
    setup.supervisor.restart("ticks").unwrap();
    setup.produce(150..160).await;
    setup.wait_rows(160).await;
    let status = setup
        .wait("running after the restart", |s| {
            s.state == ConnectorState::Running
        })
        .await;
    assert_eq!(status.rows, 160, "the counters live across a restart");

    // The status serializes as the API will send it.
    let json = serde_json::to_value(&status).unwrap();
    assert_eq!(json["state"], "RUNNING");
    assert_eq!(json["partitions"][0]["next_offset"], 160);
    assert!(json["rows_per_second"].is_number());

    // Stopped: the call returns once the connector is STOPPED, and it writes nothing more.
    setup.supervisor.stop("ticks").await.unwrap();
    assert_eq!(
        setup.supervisor.status("ticks").unwrap().state,
        ConnectorState::Stopped
    );
    setup.produce(160..170).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        setup.rows().await,
        160,
        "a stopped connector writes nothing"
    );
    // Resumed from STOPPED: it starts again and stores the rest.
    setup.supervisor.resume("ticks").unwrap();
    setup.wait_rows(170).await;
    setup.supervisor.stop_all().await;

    let client = setup.db.connect().await;
    let (distinct, offset): (i64, i64) = client
        .query_one(
            "SELECT (SELECT count(DISTINCT id) FROM ticks), (SELECT next_offset FROM inlet.offsets)",
            &[],
        )
        .await
        .map(|r| (r.get(0), r.get(1)))
        .unwrap();
    assert_eq!((distinct, offset), (170, 170), "exactly once");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connector_that_cannot_start_is_failed_with_the_reason() {
    let env = endpoints();
    let kafka = env.require_kafka().to_owned();
    let registry = env.require_registry().await.to_owned();
    let topic = unique("unfit");
    create_topic(&kafka_config(&kafka), &topic, 1).await;
    let db = TestDatabase::create("supervisor_failed").await;
    db.connect()
        .await
        .batch_execute("CREATE TABLE unfit (a integer, b text)")
        .await
        .unwrap();
    let producer = AvroProducer::new(&kafka_config(&kafka), &registry);
    producer.register(&format!("{topic}-value"), SCHEMA).await;
    let config = Config::parse(&format!(
        r#"
[database]
url = "{db}"
[[connector]]
name = "unfit"
[connector.kafka]
bootstrap_servers = "{kafka}"
group_prefix = "{topic}"
[connector.registry]
url = "{registry}"
[[connector.topic]]
name = "{topic}"
table = "public.unfit"
"#,
        db = db.url()
    ))
    .unwrap();
    let supervisor = Supervisor::new("test:2");
    let connector = config.connectors.into_iter().next().unwrap();
    supervisor.start(connector, config.database, false).unwrap();
    let start = Instant::now();
    let status = loop {
        let status = supervisor.status("unfit").unwrap();
        if status.state == ConnectorState::Failed {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "not FAILED: {status:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let trace = status.trace.unwrap_or_default();
    assert!(
        trace.contains("fills none of the columns of public.unfit"),
        "{trace}"
    );
    assert!(status.partitions.is_empty());
    // Resume does not start a FAILED connector (as in Kafka Connect: restart does).
    supervisor.resume("unfit").unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        supervisor.status("unfit").unwrap().state,
        ConnectorState::Failed
    );
    // A restart after a stop does not undo the stop: stop_all returns.
    supervisor.restart("unfit").unwrap();
    supervisor.stop_all().await;
    supervisor.restart("unfit").unwrap();
    assert!(
        supervisor
            .remove("unfit", Duration::from_secs(30))
            .await
            .unwrap()
    );
    assert!(supervisor.status("unfit").is_err(), "removed");
}

/// A connector whose registry accepts connections and never answers cannot stop in time:
/// it is abandoned after the wait given, and the others of the process keep running; one
/// left to wait sees the registry time out, and is held up by it (retried), not FAILED.
#[tokio::test(flavor = "multi_thread")]
async fn a_task_that_will_not_stop_in_time_is_abandoned_and_the_others_run_on() {
    let env = endpoints();
    let kafka = env.require_kafka().to_owned();
    let registry = env.require_registry().await.to_owned();
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_url = format!("http://{}", silent.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket); // read nothing, answer nothing
        }
    });
    let topic = unique("abandoned");
    create_topic(&kafka_config(&kafka), &topic, 1).await;
    let db = TestDatabase::create("supervisor_abandoned").await;
    let connector = |name: &str, registry: &str| {
        format!(
            r#"
[[connector]]
name = "{name}"
[connector.kafka]
bootstrap_servers = "{kafka}"
group_prefix = "{topic}-{name}"
[connector.registry]
url = "{registry}"
[[connector.topic]]
name = "{topic}"
table = "public.{name}"
[connector.batch]
linger_ms = 50
"#
        )
    };
    let config = Config::parse(&format!(
        "[database]\nurl = \"{}\"\n{}{}{}",
        db.url(),
        connector("ticks", &registry),
        connector("stuck", &silent_url),
        connector("slow", &silent_url),
    ))
    .unwrap();
    let setup = Setup {
        db,
        topic,
        producer: AvroProducer::new(&kafka_config(&kafka), &registry),
        supervisor: Supervisor::new("test:3"),
    };
    setup.produce(0..50).await;
    for connector in config.connectors {
        setup
            .supervisor
            .start(connector, config.database.clone(), false)
            .unwrap();
    }
    setup.wait_rows(50).await;
    // It waits on the silent registry: not stopped within the wait, so abandoned.
    let stopped = setup
        .supervisor
        .remove("stuck", Duration::from_secs(2))
        .await
        .unwrap();
    assert!(
        !stopped,
        "a task waiting on a silent registry stopped in time"
    );
    assert!(setup.supervisor.status("stuck").is_err(), "forgotten");
    // A registry that times out is an external fault: retried, and said in the status,
    // never FAILED as if the configuration were wrong.
    let start = Instant::now();
    loop {
        let status = setup.supervisor.status("slow").unwrap();
        assert_ne!(status.state, ConnectorState::Failed, "{status:?}");
        let said = status
            .held_up_by
            .clone()
            .or(status.trace.clone())
            .unwrap_or_default();
        if said.contains(&silent_url) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the registry's time-out is not said: {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The other runs on.
    setup.produce(50..80).await;
    setup.wait_rows(80).await;
    assert_eq!(
        setup.supervisor.status("ticks").unwrap().state,
        ConnectorState::Running
    );
}
