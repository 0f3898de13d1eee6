//! What only a real Apache Kafka shows, each with exactly once asserted: transactions
//! (aborted records never stored, lag back to 0 past the markers), a compacted topic,
//! records deleted from a
//! partition's start while inlet was stopped, partitions added while it runs, the KIP-848
//! consumer protocol, every worker of a group killed at once again and again, a 3-node
//! cluster losing a partition leader, and a registry nobody here wrote (Apicurio). Needs
//! `scripts/services up`.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use inlet_testkit::{AvroProducer, KafkaCluster, endpoints, kafka_config, python};
use rdkafka::TopicPartitionList;
use rdkafka::admin::{AdminClient, AdminOptions, NewPartitions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::producer::Producer;

use crate::support::{EXACTLY_ONCE, READING, Stream, reading, terminate};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn admin(bootstrap: &str) -> AdminClient<DefaultClientContext> {
    kafka_config(bootstrap).create().unwrap()
}

/// `inlet_lag_records` of every partition, from `GET /metrics` on `port`.
fn lags(port: u16) -> Vec<i64> {
    let Ok(mut socket) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return Vec::new();
    };
    let _ = socket.write_all(b"GET /metrics HTTP/1.0\r\nHost: inlet\r\n\r\n");
    let mut text = String::new();
    let _ = socket.read_to_string(&mut text);
    text.lines()
        .filter(|l| l.starts_with("inlet_lag_records{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse().ok())
        .collect()
}

async fn no_duplicates(stream: &Stream) {
    assert_eq!(
        stream.count(EXACTLY_ONCE).await,
        0,
        "a record was stored twice"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn aborted_transactions_are_never_stored_and_lag_drains_past_the_markers() {
    let stream = Stream::new(1).await;
    let mut config = kafka_config(stream.kafka());
    config.set("transactional.id", inlet_testkit::unique("tx"));
    let producer = AvroProducer::new(&config, &endpoints().registry);
    let schema = producer
        .register(&format!("{}-value", stream.topic), READING)
        .await;
    let tx = producer.producer();
    tx.init_transactions(Duration::from_secs(30)).unwrap();
    // Committed 0..100, aborted 100..150, committed 150..250: offsets 100, 151 and 252
    // are markers, 101..150 aborted records.
    for (range, commit) in [(0..100, true), (100..150, false), (150..250, true)] {
        tx.begin_transaction().unwrap();
        producer
            .send_avro_many(
                &stream.topic,
                (schema.0, &schema.1),
                range.map(|i| (Some(0), reading(i, None))).collect(),
            )
            .await;
        if commit {
            tx.commit_transaction(Duration::from_secs(30)).unwrap();
        } else {
            tx.abort_transaction(Duration::from_secs(30)).unwrap();
        }
    }

    let metrics = free_port();
    let config = stream.config("transactional");
    let mut inlet = stream.start_with(
        &config,
        "tx.log",
        &["--metrics", &format!("127.0.0.1:{metrics}")],
    );
    stream
        .wait_for(
            "SELECT count(*) FROM readings",
            200,
            Duration::from_secs(60),
            "tx.log",
        )
        .await;
    assert_eq!(
        stream
            .count("SELECT count(*) FROM readings WHERE device_id IN (SELECT 'dev-' || g FROM generate_series(100, 149) g)")
            .await,
        0,
        "a record of the aborted transaction was stored"
    );
    // Lag runs to the last stable offset: past the trailing commit marker it is 0.
    let start = Instant::now();
    loop {
        let lag = lags(metrics);
        if !lag.is_empty() && lag.iter().all(|&l| l == 0) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "lag stays {lag:?} after every committed record is stored: {}",
            stream.log("tx.log")
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(terminate(&mut inlet).success());
    no_duplicates(&stream).await;
    assert_eq!(
        stream
            .count("SELECT count(*) FROM inlet.dead_letters")
            .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn records_deleted_by_the_admin_api_while_stopped_are_skipped_and_the_loss_logged() {
    let stream = Stream::new(1).await;
    stream.produce(0..100).await;
    let config = stream.config("retained");
    stream.run_until(&config, "first.log", 100).await;

    // While inlet is stopped, 100 more arrive and the partition's start moves to 150, as
    // retention moves it (DeleteRecords is the same move, at a chosen offset).
    stream.produce(100..200).await;
    let mut upto = TopicPartitionList::new();
    upto.add_partition_offset(&stream.topic, 0, rdkafka::Offset::Offset(150))
        .unwrap();
    admin(stream.kafka())
        .delete_records(&upto, &AdminOptions::new())
        .await
        .unwrap();

    stream.run_until(&config, "second.log", 150).await;
    let log = stream.log("second.log");
    assert!(
        log.contains(
            "offsets 100..150 were deleted by retention before the connector read them: 50 offsets not read"
        ),
        "the skipped offsets are not logged: {log}"
    );
    no_duplicates(&stream).await;
    assert_eq!(
        stream
            .count("SELECT count(*) FROM readings WHERE device_id IN (SELECT 'dev-' || g FROM generate_series(150, 199) g)")
            .await,
        50
    );
}

/// Every record left in `topic` (from its start), as (partition, offset, key).
async fn remaining(bootstrap: &str, topic: &str) -> Vec<(i32, i64, Vec<u8>)> {
    use rdkafka::Message;
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let mut config = kafka_config(bootstrap);
    config
        .set("group.id", inlet_testkit::unique("count"))
        .set("enable.partition.eof", "true");
    let consumer: BaseConsumer = config.create().unwrap();
    let mut assignment = TopicPartitionList::new();
    assignment
        .add_partition_offset(topic, 0, rdkafka::Offset::Beginning)
        .unwrap();
    consumer.assign(&assignment).unwrap();
    let mut out = Vec::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        match consumer.poll(Duration::from_millis(500)) {
            Some(Ok(m)) => out.push((
                m.partition(),
                m.offset(),
                m.key().unwrap_or_default().to_vec(),
            )),
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(_))) => return out,
            _ => {}
        }
    }
    panic!("reading {topic} to its end took more than 30 s");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_compacted_topic_stores_what_compaction_left_once() {
    let stream = Stream::new(1).await;
    // Compacted as soon as a segment closes: segments roll every 200 ms of produce time.
    let compacted = format!("{}_compacted", stream.topic);
    let results = admin(stream.kafka())
        .create_topics(
            &[NewTopic::new(&compacted, 1, TopicReplication::Fixed(1))
                .set("cleanup.policy", "compact")
                .set("segment.ms", "200")
                .set("min.cleanable.dirty.ratio", "0.01")
                .set("min.compaction.lag.ms", "0")
                .set("delete.retention.ms", "100")],
            &AdminOptions::new(),
        )
        .await
        .unwrap();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let schema = stream
        .producer
        .register(&format!("{compacted}-value"), READING)
        .await;
    // 30 keys, each written 10 times, in waves so that segments close between them.
    let mut last_of_key = std::collections::BTreeMap::new();
    for wave in 0..10 {
        for k in 0..30 {
            let i = wave * 30 + k;
            let key = format!("k{k}");
            stream
                .producer
                .send_avro(
                    &compacted,
                    Some(0),
                    Some(key.as_bytes()),
                    (schema.0, &schema.1),
                    reading(i, None),
                )
                .await;
            last_of_key.insert(key, i);
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // Wait until the cleaner has removed records.
    let start = Instant::now();
    let left = loop {
        let left = remaining(stream.kafka(), &compacted).await;
        if left.len() < 300 {
            break left;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "the broker did not compact {compacted} within 90 s"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    };

    let config = stream.write_config(
        stream
            .connector("compacted")
            .set("topics", compacted.as_str()),
    );
    let mut inlet = stream.start(&config, "compacted.log");
    // Compaction may go on while inlet reads: wait until the stored offset is past the
    // partition's last record (the last record is the latest of its key, never compacted).
    let last = left.iter().map(|r| r.1).max().unwrap_or(0);
    stream
        .wait_for(
            "SELECT coalesce(max(next_offset), 0)::bigint FROM inlet.offsets WHERE connector = 'compacted'",
            last + 1,
            Duration::from_secs(60),
            "compacted.log",
        )
        .await;
    assert!(terminate(&mut inlet).success());
    no_duplicates(&stream).await;
    let rows = stream.count("SELECT count(*) FROM readings").await;
    assert!(
        (30..=left.len() as i64).contains(&rows),
        "{rows} rows from {} records left by compaction",
        left.len()
    );
    // The latest value of every key survives compaction, and is stored.
    for i in last_of_key.values() {
        assert_eq!(
            stream
                .count(&format!(
                    "SELECT count(*) FROM readings WHERE device_id = 'dev-{i}'"
                ))
                .await,
            1,
            "the last record of a key (dev-{i}) is missing"
        );
    }
}

/// Sets the topic's retention and segment time (every other topic setting back to its
/// default: AlterConfigs replaces them all).
async fn set_retention(bootstrap: &str, topic: &str, retention_ms: &str) {
    use rdkafka::admin::{AlterConfig, ResourceSpecifier};
    let config = AlterConfig::new(ResourceSpecifier::Topic(topic))
        .set("retention.ms", retention_ms)
        .set("segment.ms", "200");
    let results = admin(bootstrap)
        .alter_configs(&[config], &AdminOptions::new())
        .await
        .unwrap();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn records_removed_by_retention_while_stopped_are_skipped_and_the_loss_logged() {
    let stream = Stream::new(1).await;
    set_retention(stream.kafka(), &stream.topic, "-1").await;
    stream.produce(0..100).await;
    let config = stream.config("retention");
    stream.run_until(&config, "first.log", 100).await;

    // While inlet is stopped: more records, in segments (one rolls every 200 ms), then a
    // retention of one second until the log's start has passed the stored offset 100.
    for wave in 0..4 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        stream.produce(100 + wave * 50..150 + wave * 50).await;
    }
    set_retention(stream.kafka(), &stream.topic, "1000").await;
    let consumer: rdkafka::consumer::BaseConsumer = kafka_config(stream.kafka()).create().unwrap();
    let start = Instant::now();
    let (low, high) = loop {
        use rdkafka::consumer::Consumer;
        let (low, high) = consumer
            .fetch_watermarks(&stream.topic, 0, Duration::from_secs(10))
            .unwrap();
        if low > 100 {
            break (low, high);
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "retention did not delete past offset 100 within 60 s (log start {low})"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    set_retention(stream.kafka(), &stream.topic, "-1").await;
    // Retention may have taken every record, the active segment's too: ten more arrive.
    stream.produce(1000..1010).await;
    // What is left now is what inlet must store (nothing more is deleted).
    let (low, high) = {
        use rdkafka::consumer::Consumer;
        consumer
            .fetch_watermarks(&stream.topic, 0, Duration::from_secs(10))
            .map_or((low, high), |w| w)
    };

    let mut inlet = stream.start(&config, "second.log");
    stream
        .wait_for(
            "SELECT max(next_offset)::bigint FROM inlet.offsets WHERE connector = 'retention'",
            high,
            Duration::from_secs(60),
            "second.log",
        )
        .await;
    assert!(terminate(&mut inlet).success());
    no_duplicates(&stream).await;
    let rows = stream.count("SELECT count(*) FROM readings").await;
    assert_eq!(
        rows,
        100 + (high - low),
        "the records retention left are stored, once"
    );
    let log = stream.log("second.log");
    assert!(
        log.contains(&format!(
            "offsets 100..{low} were deleted by retention before the connector read them: {} offsets not read",
            low - 100
        )),
        "the loss is not logged: {log}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_topic_made_again_stops_the_connector_instead_of_skipping_its_records() {
    let stream = Stream::new(1).await;
    stream.produce(0..200).await;
    let config = stream.config("again");
    stream.run_until(&config, "first.log", 200).await;

    // The topic is deleted and made again: its offsets start at 0, below the stored 200.
    let kafka = admin(stream.kafka());
    kafka
        .delete_topics(&[&stream.topic], &AdminOptions::new())
        .await
        .unwrap();
    let start = Instant::now();
    loop {
        let made = kafka
            .create_topics(
                &[NewTopic::new(&stream.topic, 1, TopicReplication::Fixed(1))],
                &AdminOptions::new(),
            )
            .await
            .unwrap();
        if made.iter().all(Result::is_ok) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the topic could not be made again: {made:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    stream.produce(1000..1050).await;
    let mut inlet = stream.start(&config, "second.log");
    let (status, log) = stream
        .wait_exit(
            &mut inlet,
            Duration::from_secs(60),
            "second.log",
            "it went on with a topic whose offsets restarted",
        )
        .await;
    assert!(!status.success(), "{log}");
    assert!(
        log.contains("starts below its stored next offset 200")
            && log.contains("DELETE FROM inlet.offsets"),
        "the stop does not say what happened and what to do: {log}"
    );
    assert_eq!(stream.count("SELECT count(*) FROM readings").await, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn partitions_added_while_running_are_read() {
    let stream = Stream::new(1).await;
    stream.produce(0..100).await;
    // librdkafka looks for new partitions with its metadata refresh (inlet's default 30 s).
    let config = stream.write_config(stream.connector("growing").set(
        "kafka.properties.topic.metadata.refresh.interval.ms",
        "2000",
    ));
    let mut inlet = stream.start(&config, "growing.log");
    stream
        .wait_for(
            "SELECT count(*) FROM readings",
            100,
            Duration::from_secs(60),
            "growing.log",
        )
        .await;
    let results = admin(stream.kafka())
        .create_partitions(
            &[NewPartitions::new(&stream.topic, 3)],
            &AdminOptions::new(),
        )
        .await
        .unwrap();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    // A producer that knows the new partitions (the test's own has the old metadata).
    let producer = AvroProducer::new(&kafka_config(stream.kafka()), &endpoints().registry);
    let start = Instant::now();
    while producer
        .producer()
        .client()
        .fetch_metadata(Some(&stream.topic), Duration::from_secs(10))
        .map_or(0, |m| m.topics()[0].partitions().len())
        < 3
    {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the new partitions never appear"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let schema = producer
        .register(&format!("{}-value", stream.topic), READING)
        .await;
    producer
        .send_avro_many(
            &stream.topic,
            (schema.0, &schema.1),
            (100..300)
                .map(|i| (Some(1 + (i as i32 % 2)), reading(i, None)))
                .collect(),
        )
        .await;
    stream
        .wait_for(
            "SELECT count(*) FROM readings",
            300,
            Duration::from_secs(90),
            "growing.log",
        )
        .await;
    assert!(terminate(&mut inlet).success());
    no_duplicates(&stream).await;
    assert_eq!(
        stream
            .count("SELECT count(*)::bigint FROM inlet.offsets WHERE connector = 'growing'")
            .await,
        3,
        "every partition's offset is stored"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_kip_848_consumer_protocol_works_and_client_side_session_settings_are_refused() {
    let stream = Stream::new(4).await;
    stream.produce(0..2000).await;
    let config = stream.write_config(
        stream
            .connector("next")
            .without("kafka.properties.session.timeout.ms")
            .set("kafka.properties.group.protocol", "consumer"),
    );
    let mut first = stream.start(&config, "first.log");
    stream
        .wait_for(
            "SELECT count(*) FROM readings",
            2000,
            Duration::from_secs(90),
            "first.log",
        )
        .await;
    // A second worker joins while records arrive: the broker moves partitions to it
    // incrementally, and both store.
    let mut second = stream.start(&config, "second.log");
    for wave in 0..10 {
        stream.produce(2000 + wave * 200..2200 + wave * 200).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    stream
        .wait_for(
            "SELECT count(*) FROM readings",
            4000,
            Duration::from_secs(90),
            "first.log",
        )
        .await;
    assert!(terminate(&mut second).success());
    assert!(terminate(&mut first).success());
    no_duplicates(&stream).await;
    assert!(
        stream.log("second.log").contains("partitions assigned"),
        "the second worker never got a partition: {}",
        stream.log("second.log")
    );

    // The session is the broker's under this protocol: a client-side one is a clear refusal.
    let config = stream.write_config(
        stream
            .connector("refused")
            .set("kafka.properties.group.protocol", "consumer"),
    );
    let mut refused = stream.start(&config, "refused.log");
    let (status, text) = stream
        .wait_exit(
            &mut refused,
            Duration::from_secs(30),
            "refused.log",
            "it runs with session.timeout.ms under group.protocol=consumer",
        )
        .await;
    assert!(!status.success(), "{text}");
    assert!(
        text.contains("session.timeout.ms") && text.contains("group.protocol"),
        "the refusal does not name the setting: {text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_worker_killed_at_once_twenty_times_loses_and_duplicates_nothing() {
    let stream = Stream::new(4).await;
    let config = stream.config("phoenix");
    let mut total = 0;
    let mut caught_up = Vec::new();
    for round in 0..20 {
        stream.produce(total..total + 400).await;
        total += 400;
        let log_a = format!("round-{round}-a.log");
        let log_b = format!("round-{round}-b.log");
        let mut a = stream.start(&config, &log_a);
        let mut b = stream.start(&config, &log_b);
        // Every partition is held by a live worker again: all records so far arrive. The
        // dead workers of the round before leave the group when their sessions (6 s) end.
        let start = Instant::now();
        loop {
            let got = stream.count("SELECT count(*) FROM readings").await;
            if got == total as i64 {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "round {round}: {got} of {total} rows after 60 s; worker a:\n{}\nworker b:\n{}",
                stream.log(&log_a),
                stream.log(&log_b)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        caught_up.push(start.elapsed());
        let _ = a.kill();
        let _ = b.kill();
        let _ = a.wait();
        let _ = b.wait();
    }
    // Printed, not asserted: how long the new workers took to hold every partition again.
    caught_up.sort();
    eprintln!(
        "every partition read again after: min {:?}, median {:?}, max {:?} (20 rounds)",
        caught_up[0], caught_up[10], caught_up[19]
    );
    no_duplicates(&stream).await;
    assert_eq!(
        stream
            .count("SELECT sum(next_offset)::bigint FROM inlet.offsets WHERE connector = 'phoenix'")
            .await,
        total as i64,
        "every offset below the stored ones is a row"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_three_node_cluster_loses_a_partition_leader_mid_stream() {
    let mut stream = Stream::new(1).await;
    let mut cluster = KafkaCluster::start(3);
    let bootstrap = cluster.bootstrap();
    let results = admin(&bootstrap)
        .create_topics(
            &[NewTopic::new(&stream.topic, 4, TopicReplication::Fixed(3))
                .set("min.insync.replicas", "2")],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(30))),
        )
        .await
        .unwrap();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    let mut producer_config = kafka_config(&bootstrap);
    producer_config
        .set("acks", "all")
        .set("enable.idempotence", "true");
    let producer = AvroProducer::new(&producer_config, &endpoints().registry);
    stream.produce_with(&producer, 0..3000).await;
    stream.use_kafka(&bootstrap);
    let config = stream.config("replicated");
    let mut inlet = stream.start(&config, "replicated.log");
    stream
        .wait_for(
            "SELECT count(*) FROM readings",
            3000,
            Duration::from_secs(90),
            "replicated.log",
        )
        .await;

    // While records arrive and inlet reads them, the leader of partition 0 crashes; the
    // others elect a new one, and producer and inlet follow.
    let metadata = producer
        .producer()
        .client()
        .fetch_metadata(Some(&stream.topic), Duration::from_secs(10))
        .unwrap();
    let leader = metadata.topics()[0]
        .partitions()
        .iter()
        .find(|p| p.id() == 0)
        .map(|p| p.leader())
        .unwrap();
    stream.produce_with(&producer, 3000..4500).await;
    cluster.kill(u32::try_from(leader).unwrap());
    stream.produce_with(&producer, 4500..6000).await;
    stream
        .wait_for(
            "SELECT count(*) FROM readings",
            6000,
            Duration::from_secs(120),
            "replicated.log",
        )
        .await;
    assert!(terminate(&mut inlet).success(), "{}", cluster.logs());
    no_duplicates(&stream).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn records_serialized_by_confluent_against_apicurio_are_stored() {
    let env = endpoints();
    let apicurio = env.require_apicurio().await.to_owned();
    let mut stream = Stream::new(2).await;
    stream.use_registry(&apicurio);
    let output = std::process::Command::new(python())
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../scripts/interop/confluent_produce.py"
        ))
        .args([
            "--bootstrap",
            stream.kafka(),
            "--registry",
            &apicurio,
            "--topic",
            &stream.topic,
            "--count",
            "40",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "confluent_produce.py against Apicurio: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let config = stream.write_config(
        stream
            .connector("apicurio")
            .set("table", "public.customers"),
    );
    let mut inlet = stream.start(&config, "apicurio.log");
    stream
        .wait_for(
            "SELECT count(*) FROM customers",
            40,
            Duration::from_secs(60),
            "apicurio.log",
        )
        .await;
    assert!(terminate(&mut inlet).success());
    // The referenced record (Address) flattened into columns, as with Confluent's registry.
    let rows = stream
        .rows(
            "SELECT id, name, home_city, array_length(tags, 1), score FROM customers ORDER BY id",
            |r| {
                (
                    r.get::<_, i64>(0),
                    r.get::<_, String>(1),
                    r.get::<_, String>(2),
                    r.get::<_, Option<i32>>(3),
                    r.get::<_, Option<f64>>(4),
                )
            },
        )
        .await;
    assert_eq!(rows.len(), 40);
    for (i, (id, name, city, tags, score)) in rows.into_iter().enumerate() {
        assert_eq!(id, 1000 + i as i64);
        assert_eq!(name, format!("customer {i} \u{e9}\u{e8}"));
        assert_eq!(city, if i % 2 == 1 { "Paris" } else { "Lyon" });
        assert_eq!(
            tags,
            if i % 3 == 0 {
                None
            } else {
                Some((i % 3) as i32)
            }
        );
        assert_eq!(
            score,
            if i % 4 == 0 {
                None
            } else {
                Some(i as f64 * 1.5)
            }
        );
    }
    assert_eq!(
        stream
            .count("SELECT count(*) FROM inlet.dead_letters")
            .await,
        0
    );
}
