//! Faults: `inlet run` killed with SIGKILL again and again, two workers sharing a group
//! while one of them is killed, database backends terminated mid-stream. Afterwards every
//! (partition, offset) is stored exactly once: as a row or as a dead letter. Needs
//! `scripts/services up`.

use std::process::Command;
use std::time::{Duration, Instant};

use inlet_testkit::{AvroProducer, KafkaCluster, create_topic, kafka_config};

use crate::support::{EXACTLY_ONCE, READING, Stream, reading, terminate};

fn kill(child: &mut std::process::Child) {
    Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();
}

/// A small deterministic generator: `count` values in `0..bound`.
fn jitter(seed: u64, count: usize, bound: u64) -> Vec<u64> {
    let mut x = seed;
    (0..count)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % bound
        })
        .collect()
}

async fn assert_exactly_once(stream: &Stream, connector: &str, total: i64) {
    assert_eq!(
        stream.count(EXACTLY_ONCE).await,
        0,
        "a record was stored twice"
    );
    assert_eq!(
        stream
            .count("SELECT count(*) FROM inlet.dead_letters")
            .await,
        0
    );
    assert_eq!(stream.count("SELECT count(*) FROM readings").await, total);
    assert_eq!(
        stream
            .count(&format!(
                "SELECT sum(next_offset)::bigint FROM inlet.offsets WHERE connector = '{connector}'"
            ))
            .await,
        total,
        "every offset below the stored ones is a row"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_at_random_moments_loses_and_duplicates_nothing() {
    const TOTAL: usize = 200_000;
    let stream = Stream::new(4).await;
    stream.produce(0..TOTAL).await;
    let config = stream.config("crash");
    // Each round runs until its share of the rows is stored, then waits a random moment (a
    // batch may be half written by then) and kills the process: the kills land mid-stream,
    // however fast the machine.
    let mut kills = 0;
    let rounds = 6;
    let chunks = jitter(0x5eed, rounds, 15_000);
    let extra = jitter(0xbad5eed, rounds, 150);
    for (i, (chunk, extra_ms)) in chunks.into_iter().zip(extra).enumerate() {
        let before = stream.count("SELECT count(*) FROM readings").await;
        let mut inlet = stream.start(&config, &format!("crash-{i}.log"));
        // Past the rows stored so far, leaving some for the rounds after.
        let share = (before.max(0) + 5_000 + chunk as i64).min((TOTAL - 20_000) as i64);
        let start = Instant::now();
        while stream.count("SELECT count(*) FROM readings").await < share {
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "round {i}: {share} rows not reached; log:\n{}",
                stream.log(&format!("crash-{i}.log"))
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(extra_ms)).await;
        let stored = stream.count("SELECT count(*) FROM readings").await;
        if inlet.try_wait().unwrap().is_none() && stored < TOTAL as i64 {
            kill(&mut inlet);
            kills += 1;
        }
        eprintln!(
            "round {i}: from {before} rows; SIGKILL {extra_ms} ms after {share}, at {stored} rows"
        );
    }
    assert!(kills >= 5, "only {kills} kills landed mid-stream");
    let mut inlet = stream.start(&config, "crash-final.log");
    let start = Instant::now();
    while stream.count("SELECT count(*) FROM readings").await != TOTAL as i64 {
        if start.elapsed() > Duration::from_secs(300) {
            let offsets: Vec<(i32, i64)> = stream
                .rows(
                    r#"SELECT "partition", next_offset FROM inlet.offsets ORDER BY 1"#,
                    |r| (r.get(0), r.get(1)),
                )
                .await;
            panic!(
                "{} rows, not {TOTAL}, after 300 s; stored offsets {offsets:?}; logs:\n{}",
                stream.count("SELECT count(*) FROM readings").await,
                (0..rounds)
                    .map(|i| format!("crash-{i}.log"))
                    .chain(["crash-final.log".to_owned()])
                    .map(|f| format!("== {f}\n{}", stream.log(&f)))
                    .collect::<String>()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(terminate(&mut inlet).success());
    assert_exactly_once(&stream, "crash", TOTAL as i64).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_workers_in_one_group_share_partitions_exactly_once() {
    const TOTAL: usize = 60_000;
    let stream = Stream::new(4).await;
    stream.produce(0..TOTAL / 2).await;
    let config = stream.config("pair");
    let mut first = stream.start(&config, "pair-1.log");
    let mut second = stream.start(&config, "pair-2.log");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    kill(&mut second);
    stream.produce(TOTAL / 2..TOTAL).await;
    let mut second = stream.start(&config, "pair-2b.log");
    stream
        .wait_for(
            "SELECT count(*) FROM readings",
            TOTAL as i64,
            Duration::from_secs(300),
            "pair-1.log",
        )
        .await;
    assert!(
        terminate(&mut second).success(),
        "{}",
        stream.log("pair-2b.log")
    );
    assert!(
        terminate(&mut first).success(),
        "{}",
        stream.log("pair-1.log")
    );
    assert_exactly_once(&stream, "pair", TOTAL as i64).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn terminated_backends_are_reconnected_without_exit() {
    const TOTAL: usize = 100_000;
    let stream = Stream::new(4).await;
    stream.produce(0..TOTAL).await;
    let config = stream.config("terminated");
    let mut inlet = stream.start(&config, "terminated.log");
    let admin = stream.db.connect().await;
    let start = Instant::now();
    let mut terminated = 0u64;
    while stream.count("SELECT count(*) FROM readings").await < TOTAL as i64 {
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "not done; log:\n{}",
            stream.log("terminated.log")
        );
        let n: i64 = admin
            .query_one(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        terminated += n as u64;
        assert!(
            inlet.try_wait().unwrap().is_none(),
            "inlet exited: {}",
            stream.log("terminated.log")
        );
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    assert!(
        terminated >= 3,
        "only {terminated} backends were terminated"
    );
    assert!(terminate(&mut inlet).success());
    assert_exactly_once(&stream, "terminated", TOTAL as i64).await;
}

/// A development registry of this test's own on `port`, its state in `file`.
fn private_registry(port: u16, file: &std::path::Path) -> tokio::task::JoinHandle<()> {
    let store = inlet_dev_registry::Store::open(file).unwrap();
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    listener.set_nonblocking(true).unwrap();
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, inlet_dev_registry::app(store, None)).await;
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_registry_that_is_down_is_waited_for() {
    let mut stream = Stream::new(2).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let file = std::env::temp_dir().join(format!("{}.json", stream.topic));
    let registry = private_registry(port, &file);
    let producer = AvroProducer::new(&kafka_config(stream.kafka()), &url);
    let schema = producer
        .register(&format!("{}-value", stream.topic), READING)
        .await;
    producer
        .send_avro_many(
            &stream.topic,
            (schema.0, &schema.1),
            (0..1000).map(|i| (None, reading(i, None))).collect(),
        )
        .await;
    registry.abort();
    let _ = registry.await;

    // The table is missing and the registry that would describe it is down.
    stream.use_registry(&url);
    let config = stream.config("patient");
    let mut inlet = stream.start(&config, "patient.log");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        inlet.try_wait().unwrap().is_none(),
        "inlet exited: {}",
        stream.log("patient.log")
    );
    assert_eq!(
        stream.count("SELECT count(*) FROM readings").await,
        -1,
        "no table yet"
    );

    let _registry = private_registry(port, &file);
    stream
        .wait_for(
            "SELECT count(*) FROM readings",
            1000,
            Duration::from_secs(60),
            "patient.log",
        )
        .await;
    assert!(terminate(&mut inlet).success());
    let log = stream.log("patient.log");
    assert!(log.contains("retrying"), "{log}");
    assert!(log.contains("did not answer"), "{log}");
    assert_exactly_once(&stream, "patient", 1000).await;
    let _ = std::fs::remove_file(&file);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broker_that_goes_away_and_comes_back_is_waited_for() {
    let mut stream = Stream::new(1).await;
    let mut broker = KafkaCluster::start(1);
    let bootstrap = broker.bootstrap();
    let kafka = kafka_config(&bootstrap);
    create_topic(&kafka, &stream.topic, 1).await;
    let producer = AvroProducer::new(&kafka, &inlet_testkit::endpoints().registry);
    stream.produce_with(&producer, 0..500).await;
    stream.use_kafka(&bootstrap);
    let config = stream.config("steadfast");
    let mut inlet = stream.start(&config, "steadfast.log");
    stream
        .wait_for(
            "SELECT count(*) FROM readings",
            500,
            Duration::from_secs(60),
            "steadfast.log",
        )
        .await;

    broker.kill(1);
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(
        inlet.try_wait().unwrap().is_none(),
        "inlet exited while the broker was away: {}",
        stream.log("steadfast.log")
    );
    broker.restart(1);
    stream.produce_with(&producer, 500..1000).await;
    stream
        .wait_for(
            "SELECT count(*) FROM readings",
            1000,
            Duration::from_secs(120),
            "steadfast.log",
        )
        .await;
    assert!(terminate(&mut inlet).success());
    let log = stream.log("steadfast.log");
    assert!(
        log.contains("AllBrokersDown"),
        "the outage is logged: {log}"
    );
    assert_exactly_once(&stream, "steadfast", 1000).await;
}
