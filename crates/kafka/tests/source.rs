//! [`KafkaSource`] against librdkafka's mock cluster (`rdkafka::mocking::MockCluster`), in
//! process, one cluster per test: where a partition starts when it is assigned, seeking it
//! back, pausing and resuming (a rebalance during the pause too), a stored offset past the
//! log's end, and permissions the brokers refuse. Each test reads what the engine would be handed (topic, partition,
//! offset, value, in order) and the error it would stop with.
//!
//! A test that expects no more records produces one more (a sentinel) and checks it is the
//! next one handed over: nothing between was repeated, and no test waits for an absence.
//! Every wait is bounded ([`BOUND`]) and fails saying what it had read; the mock's group
//! coordinator waits 3 s (`group.initial.rebalance.delay.ms`) before its first assignment.
//!
//! What the mock cannot do:
//! - a real ACL, or a principal: a refusal is an error code the mock answers requests with
//!   (`request_errors`) or a topic's metadata carries (`topic_error`), and it has no SASL,
//!   so the advice names "the connector's principal" (`crates/cli/tests/integration/permissions.rs`
//!   refuses with real ACLs);
//! - a log whose start retention moved (it has neither retention nor DeleteRecords), so the
//!   gap after a placement is left to `crates/cli/tests/integration/brokers.rs`;
//! - [`inlet_kafka::Error::Seek`]: seeking an assigned partition is librdkafka's own work,
//!   with no request the mock could refuse; no test makes it fail.
//!
//! Nor can these tests tell that fetching stops while paused (what is fetched then is let
//! go and read again, so the records handed over are the same), nor which way a refusal
//! came: librdkafka reports it both to the error callback and as an error of the consumer,
//! and either alone stops the source.

use inlet_fault::Classify as _;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use inlet_kafka::{
    Error, Held, KafkaSettings, KafkaSource, PartitionEnds, Polled, SecurityProtocol, StartFrom,
    StoredOffsets,
};
use rdkafka::ClientConfig;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{DefaultProducerContext, FutureProducer, FutureRecord};
use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};
use rustc_hash::FxHashMap;

/// How long any one wait of a test may take before it fails.
const BOUND: Duration = Duration::from_secs(30);

/// The group of every test's connector (each test has a cluster of its own).
const GROUP: &str = "inlet-test/orders";

/// A mock cluster of one broker and a producer to it (dropped before the cluster).
struct Mock {
    producer: FutureProducer,
    cluster: MockCluster<'static, DefaultProducerContext>,
}

impl Mock {
    /// A cluster with `topics`: (name, partitions).
    fn new(topics: &[(&str, i32)]) -> Mock {
        let cluster = MockCluster::new(1).expect("a mock cluster");
        for &(topic, partitions) in topics {
            cluster
                .create_topic(topic, partitions, 1)
                .expect("a topic of the mock cluster");
        }
        let producer = ClientConfig::new()
            .set("bootstrap.servers", cluster.bootstrap_servers())
            .create()
            .expect("a producer to the mock cluster");
        Mock { producer, cluster }
    }

    /// Produces `value` to `topic`/`partition`; returns its offset.
    async fn produce(&self, topic: &str, partition: i32, value: &str) -> i64 {
        let record = FutureRecord::<(), str>::to(topic)
            .partition(partition)
            .payload(value);
        match self.producer.send(record, BOUND).await {
            Ok(delivery) => delivery.offset,
            Err((e, _)) => panic!("producing {value:?} to {topic}/{partition}: {e}"),
        }
    }

    /// Produces `values` to `topic`/`partition` in order.
    async fn produce_all(&self, topic: &str, partition: i32, values: &[&str]) {
        for value in values {
            self.produce(topic, partition, value).await;
        }
    }

    /// A connector's consumer of `topics` in [`GROUP`], whose partitions start at `stored`
    /// (topic, partition, next offset), or as `start_from` says where none is stored.
    fn source(
        &self,
        topics: &[&str],
        stored: &[(&str, i32, i64)],
        start_from: StartFrom,
    ) -> KafkaSource {
        self.source_with(topics, Fixed::new(stored), start_from, &[])
    }

    /// [`Mock::source`] with `offsets` and these `kafka.properties`.
    fn source_with(
        &self,
        topics: &[&str],
        offsets: Arc<Fixed>,
        start_from: StartFrom,
        properties: &[(&str, &str)],
    ) -> KafkaSource {
        let settings = KafkaSettings {
            bootstrap_servers: self.cluster.bootstrap_servers(),
            security_protocol: SecurityProtocol::Plaintext,
            sasl: None,
            ca_file: None,
            group_id: GROUP.to_owned(),
            start_from,
            properties: properties
                .iter()
                .map(|&(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        };
        KafkaSource::subscribe(
            &settings,
            topics.iter().map(|t| (*t).to_owned()).collect(),
            offsets,
            PartitionEnds::default(),
        )
        .expect("a consumer of the mock cluster")
    }
}

/// Offsets stored with the rows, fixed for the test, and how often the consumer loaded
/// them (once per assignment).
struct Fixed {
    /// topic → partition → next offset.
    offsets: HashMap<String, HashMap<i32, i64>>,
    loads: AtomicUsize,
}

impl Fixed {
    /// These (topic, partition, next offset).
    fn new(stored: &[(&str, i32, i64)]) -> Arc<Fixed> {
        let mut offsets: HashMap<String, HashMap<i32, i64>> = HashMap::new();
        for &(topic, partition, next) in stored {
            offsets
                .entry(topic.to_owned())
                .or_default()
                .insert(partition, next);
        }
        Arc::new(Fixed {
            offsets,
            loads: AtomicUsize::new(0),
        })
    }

    /// How many assignments loaded them.
    fn loads(&self) -> usize {
        self.loads.load(Ordering::SeqCst)
    }
}

impl StoredOffsets for Fixed {
    fn load(&self, topic: &str) -> HashMap<i32, i64> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        self.offsets.get(topic).cloned().unwrap_or_default()
    }
}

/// A record as the engine is handed it: (topic, partition, offset, value).
type Seen = (String, i32, i64, String);

/// The engine holds no record of any partition.
fn nothing_held(_: usize, _: i32) -> Held {
    Held::default()
}

/// What one call of `next` met: Ok(a record, or None for nothing to act on), or the stop.
async fn poll(
    source: &mut KafkaSource,
    held: impl Fn(usize, i32) -> Held,
) -> Result<Option<Seen>, Error> {
    match source.next(held).await {
        Polled::Record(r) => Ok(Some((
            r.topic_name().to_owned(),
            r.partition(),
            r.offset(),
            String::from_utf8_lossy(r.value().unwrap_or_default()).into_owned(),
        ))),
        Polled::Nothing => Ok(None),
        Polled::Stop(e) => Err(e),
    }
}

/// The next `n` records handed over; fails if the source stops or they do not come within
/// [`BOUND`].
async fn read(source: &mut KafkaSource, n: usize, held: impl Fn(usize, i32) -> Held) -> Vec<Seen> {
    let mut seen = Vec::with_capacity(n);
    let deadline = tokio::time::Instant::now() + BOUND;
    while seen.len() < n {
        match tokio::time::timeout_at(deadline, poll(source, &held)).await {
            Ok(Ok(Some(record))) => seen.push(record),
            Ok(Ok(None)) => {}
            Ok(Err(e)) => panic!("the source stopped after {seen:?}: {e}"),
            Err(_) => panic!(
                "{} of {n} records handed over within {BOUND:?}: {seen:?}",
                seen.len()
            ),
        }
    }
    seen
}

/// The error the source stops with, and the records it handed over before; fails if it
/// does not stop within [`BOUND`].
async fn stop(source: &mut KafkaSource) -> (Error, Vec<Seen>) {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + BOUND;
    loop {
        match tokio::time::timeout_at(deadline, poll(source, nothing_held)).await {
            Ok(Ok(Some(record))) => seen.push(record),
            Ok(Ok(None)) => {}
            Ok(Err(e)) => return (e, seen),
            Err(_) => panic!("the source did not stop within {BOUND:?}; it handed over {seen:?}"),
        }
    }
}

/// Polls until every one of `partitions` of topic index 0 is assigned; fails if a record is
/// handed over meanwhile, or the assignment does not come within [`BOUND`].
async fn assigned(source: &mut KafkaSource, partitions: &[i32]) {
    let deadline = tokio::time::Instant::now() + BOUND;
    while !partitions.iter().all(|&p| source.holds(0, p)) {
        match tokio::time::timeout_at(deadline, poll(source, nothing_held)).await {
            Ok(Ok(None)) => {}
            Ok(Ok(Some(record))) => panic!("a record before the assignment: {record:?}"),
            Ok(Err(e)) => panic!("the source stopped before the assignment: {e}"),
            Err(_) => panic!("partitions {partitions:?} not assigned within {BOUND:?}"),
        }
    }
}

/// `(topic, partition, offset, value)` rows, for comparing with what was read.
fn rows(topic: &str, partition: i32, from: i64, values: &[&str]) -> Vec<Seen> {
    (from..)
        .zip(values)
        .map(|(offset, v)| (topic.to_owned(), partition, offset, (*v).to_owned()))
        .collect()
}

/// The records of one partition, in the order they were handed over.
fn of_partition(seen: &[Seen], partition: i32) -> Vec<Seen> {
    seen.iter().filter(|s| s.1 == partition).cloned().collect()
}

#[tokio::test]
async fn an_assigned_partition_starts_at_its_stored_offset_else_at_its_first_record() {
    let mock = Mock::new(&[("orders", 3)]);
    mock.produce_all("orders", 0, &["a0", "a1", "a2", "a3"])
        .await;
    mock.produce_all("orders", 1, &["b0", "b1"]).await;
    mock.produce_all("orders", 2, &["c0", "c1"]).await;
    // Partition 0 stored up to 2, partition 2 up to its end; partition 1 has none stored.
    let mut source = mock.source(
        &["orders"],
        &[("orders", 0, 2), ("orders", 2, 2)],
        StartFrom::Earliest,
    );

    let seen = read(&mut source, 4, nothing_held).await;
    assert_eq!(of_partition(&seen, 0), rows("orders", 0, 2, &["a2", "a3"]));
    assert_eq!(of_partition(&seen, 1), rows("orders", 1, 0, &["b0", "b1"]));
    assert_eq!(
        of_partition(&seen, 2),
        vec![],
        "partition 2 was read to its end"
    );
    // A partition is held at its stored offset, for lag; none is shown where none is stored.
    assert_eq!(
        source.positions(),
        [(("orders".to_owned(), 0), 2), (("orders".to_owned(), 2), 2)].into()
    );

    // Nothing between: each partition's next record is the one produced now.
    mock.produce("orders", 0, "a4").await;
    mock.produce("orders", 2, "c2").await;
    let seen = read(&mut source, 2, nothing_held).await;
    assert_eq!(of_partition(&seen, 0), rows("orders", 0, 4, &["a4"]));
    assert_eq!(of_partition(&seen, 2), rows("orders", 2, 2, &["c2"]));
}

#[tokio::test]
async fn with_none_stored_and_start_latest_only_records_produced_after_the_assignment_come() {
    let mock = Mock::new(&[("orders", 1)]);
    mock.produce_all("orders", 0, &["old0", "old1", "old2"])
        .await;
    let mut source = mock.source(&["orders"], &[], StartFrom::Latest);
    assigned(&mut source, &[0]).await;

    // The consumer looks the log's end up after the assignment: produce until a record
    // comes (one produced before that look-up is skipped, as `latest` means).
    let mut produced = Vec::new();
    let mut first = None;
    while first.is_none() && produced.len() < 100 {
        let value = format!("new{}", produced.len());
        produced.push((mock.produce("orders", 0, &value).await, value));
        if let Ok(Ok(Some(record))) =
            tokio::time::timeout(Duration::from_millis(200), poll(&mut source, nothing_held)).await
        {
            first = Some(record);
        }
    }
    let first = first.expect("no record produced after the assignment came");
    let Some(from) = produced.iter().position(|(_, v)| *v == first.3) else {
        panic!("a record from before the assignment came: {first:?}");
    };
    assert_eq!(first.2, produced[from].0, "{first:?} at another offset");

    // From there on, every record comes, in order.
    let at = mock.produce("orders", 0, "next").await;
    produced.push((at, "next".to_owned()));
    let rest = &produced[from + 1..];
    let expected: Vec<Seen> = rest
        .iter()
        .map(|(offset, v)| ("orders".to_owned(), 0, *offset, v.clone()))
        .collect();
    assert_eq!(read(&mut source, rest.len(), nothing_held).await, expected);
}

#[tokio::test]
async fn a_partition_sought_back_is_read_again_from_its_stored_offset() {
    let mock = Mock::new(&[("orders", 1)]);
    let values = ["r0", "r1", "r2", "r3", "r4"];
    mock.produce_all("orders", 0, &values).await;
    let mut source = mock.source(&["orders"], &[], StartFrom::Earliest);
    assert_eq!(
        read(&mut source, 5, nothing_held).await,
        rows("orders", 0, 0, &values)
    );

    // r0 and r1 were committed; the batch of r2..r4 was fenced and dropped.
    source.advance(&FxHashMap::from_iter([((0, 0), 2)]));
    assert_eq!(source.positions(), [(("orders".to_owned(), 0), 2)].into());
    source
        .seek_back(0, 0, Some(2), 2)
        .expect("seeking back a partition held");
    mock.produce("orders", 0, "r5").await;

    assert_eq!(
        read(&mut source, 4, nothing_held).await,
        rows("orders", 0, 2, &["r2", "r3", "r4", "r5"]),
        "read again from the stored offset, each record once"
    );
}

#[tokio::test]
async fn a_partition_sought_back_with_none_stored_is_read_again_from_the_first_record_dropped() {
    let mock = Mock::new(&[("orders", 1)]);
    let values = ["r0", "r1", "r2", "r3"];
    mock.produce_all("orders", 0, &values).await;
    let mut source = mock.source(&["orders"], &[], StartFrom::Earliest);
    assert_eq!(
        read(&mut source, 4, nothing_held).await,
        rows("orders", 0, 0, &values)
    );

    // Nothing committed yet; the batches dropped began with r1.
    source
        .seek_back(0, 0, None, 1)
        .expect("seeking back a partition held");
    mock.produce("orders", 0, "r4").await;
    assert_eq!(
        read(&mut source, 4, nothing_held).await,
        rows("orders", 0, 1, &["r1", "r2", "r3", "r4"])
    );

    // A partition not held is left alone, without an error.
    source
        .seek_back(0, 7, Some(0), 0)
        .expect("a partition not held is no error");
}

#[tokio::test]
async fn a_record_below_the_offset_the_engine_holds_the_partition_at_is_not_handed_over_again() {
    let mock = Mock::new(&[("orders", 1)]);
    let values = ["r0", "r1", "r2", "r3"];
    mock.produce_all("orders", 0, &values).await;
    let mut source = mock.source(&["orders"], &[("orders", 0, 0)], StartFrom::Earliest);
    assert_eq!(
        read(&mut source, 4, nothing_held).await,
        rows("orders", 0, 0, &values)
    );

    // The batch being filled holds r0 and r1 (next: 2); the partition is read again from
    // its stored offset 0.
    source
        .seek_back(0, 0, Some(0), 0)
        .expect("seeking back a partition held");
    let held = |_: usize, _: i32| Held {
        next: Some(2),
        in_flight: false,
    };
    assert_eq!(
        read(&mut source, 2, held).await,
        rows("orders", 0, 2, &["r2", "r3"]),
        "r0 and r1, held already, came again"
    );
}

#[tokio::test]
async fn a_paused_partition_resumes_from_its_stored_offset_none_lost_or_repeated() {
    let mock = Mock::new(&[("orders", 1)]);
    mock.produce_all("orders", 0, &["r0", "r1", "r2", "r3"])
        .await;
    let mut source = mock.source(&["orders"], &[], StartFrom::Earliest);
    assert_eq!(
        read(&mut source, 4, nothing_held).await,
        rows("orders", 0, 0, &["r0", "r1", "r2", "r3"])
    );
    // r0 and r1 are stored; r2 and r3 were handed over but are not.
    source.advance(&FxHashMap::from_iter([((0, 0), 2)]));

    // Paused while r4 and r5 are produced: `pause_until` hands over no record.
    source
        .pause_until(mock.produce_all("orders", 0, &["r4", "r5"]))
        .await
        .expect("resuming reads on from the stored offset");
    mock.produce("orders", 0, "r6").await;

    assert_eq!(
        read(&mut source, 5, nothing_held).await,
        rows("orders", 0, 2, &["r2", "r3", "r4", "r5", "r6"]),
        "after the pause, from the stored offset on, each record once"
    );
}

#[tokio::test]
async fn a_paused_partition_with_none_stored_resumes_where_it_was_none_lost_or_repeated() {
    let mock = Mock::new(&[("orders", 2)]);
    mock.produce_all("orders", 0, &["a0", "a1", "a2"]).await;
    mock.produce_all("orders", 1, &["b0", "b1"]).await;
    let mut source = mock.source(&["orders"], &[], StartFrom::Earliest);
    let before = read(&mut source, 3, nothing_held).await;

    source
        .pause_until(async {})
        .await
        .expect("resuming reads on where it was");
    mock.produce("orders", 0, "a3").await;
    mock.produce("orders", 1, "b2").await;

    // Every record comes once: the ones handed over before the pause, then the rest.
    let after = read(&mut source, 7 - before.len(), nothing_held).await;
    let all: Vec<Seen> = before.into_iter().chain(after).collect();
    assert_eq!(
        of_partition(&all, 0),
        rows("orders", 0, 0, &["a0", "a1", "a2", "a3"])
    );
    assert_eq!(
        of_partition(&all, 1),
        rows("orders", 1, 0, &["b0", "b1", "b2"])
    );
}

#[tokio::test]
async fn after_a_rebalance_during_a_pause_each_worker_reads_its_partition_from_its_stored_offset() {
    let mock = Mock::new(&[("orders", 2)]);
    mock.produce_all("orders", 0, &["a0", "a1", "a2"]).await;
    mock.produce_all("orders", 1, &["b0", "b1", "b2"]).await;
    let stored = [("orders", 0, 1), ("orders", 1, 1)];
    // The mock rebalances a group with members after session.timeout.ms less 1 s.
    let quick = [
        ("session.timeout.ms", "3000"),
        ("heartbeat.interval.ms", "500"),
    ];
    let offsets = Fixed::new(&stored);
    let mut first = mock.source_with(&["orders"], offsets.clone(), StartFrom::Earliest, &quick);
    let before = read(&mut first, 4, nothing_held).await;
    assert_eq!(
        of_partition(&before, 0),
        rows("orders", 0, 1, &["a1", "a2"])
    );
    assert_eq!(
        of_partition(&before, 1),
        rows("orders", 1, 1, &["b1", "b2"])
    );
    assert_eq!(offsets.loads(), 1, "one assignment so far");

    // A second worker joins while the first is paused: the first keeps polling, so the
    // group rebalances, and the first is assigned its share (loading the offsets again)
    // before it resumes.
    let mut second = mock.source_with(
        &["orders"],
        Fixed::new(&stored),
        StartFrom::Earliest,
        &quick,
    );
    let mut seconds = Vec::new();
    first
        .pause_until(async {
            let deadline = tokio::time::Instant::now() + BOUND;
            while offsets.loads() < 2 || !(second.holds(0, 0) || second.holds(0, 1)) {
                match tokio::time::timeout_at(deadline, poll(&mut second, nothing_held)).await {
                    Ok(Ok(None)) => {}
                    Ok(Ok(Some(record))) => seconds.push(record),
                    Ok(Err(e)) => panic!("the second worker stopped: {e}"),
                    Err(_) => panic!(
                        "no rebalance within {BOUND:?}: {} assignments of the first worker",
                        offsets.loads()
                    ),
                }
            }
        })
        .await
        .expect("resuming reads on from the stored offsets");
    let theirs = i32::from(second.holds(0, 1));
    let mine = 1 - theirs;
    mock.produce("orders", 0, "a3").await;
    mock.produce("orders", 1, "b3").await;

    // Each partition from its stored offset, by the worker that holds it now, each record
    // once: the first worker hands over none of the partition it gave up.
    let values = |p: i32| {
        if p == 0 {
            ["a1", "a2", "a3"]
        } else {
            ["b1", "b2", "b3"]
        }
    };
    assert_eq!(
        read(&mut first, 3, nothing_held).await,
        rows("orders", mine, 1, &values(mine))
    );
    assert!(first.holds(0, mine) && !first.holds(0, theirs));
    let rest = read(&mut second, 3 - seconds.len(), nothing_held).await;
    seconds.extend(rest);
    assert_eq!(seconds, rows("orders", theirs, 1, &values(theirs)));
}

#[tokio::test]
async fn a_stored_offset_past_the_log_end_stops_the_connector_with_offsets_ahead() {
    let mock = Mock::new(&[("orders", 1)]);
    mock.produce_all("orders", 0, &["r0", "r1", "r2"]).await;
    // Stored up to 10, on a log that ends at 3: the topic was made again.
    let mut source = mock.source(&["orders"], &[("orders", 0, 10)], StartFrom::Earliest);

    let (error, seen) = stop(&mut source).await;
    assert_eq!(seen, vec![], "records of the new log were taken as new");
    match &error {
        Error::OffsetsAhead {
            topic,
            partition,
            stored,
        } => assert_eq!((topic.as_str(), *partition, *stored), ("orders", 0, 10)),
        other => panic!("expected OffsetsAhead, got {other:?}"),
    }
    assert_eq!(
        error.to_string(),
        "orders/0 starts below its stored next offset 10"
    );
    assert_eq!(error.fault(), inlet_fault::Fault::Config);
    assert!(!error.is_retriable(), "a restart meets the same log");
}

/// The answers of a broker that refuses a request every time, for longer than a test runs
/// (librdkafka asks again about once a second), as an ACL does. One refusal alone is not
/// always reported: about once in twenty runs the group was joined after it and records
/// came, librdkafka having asked again.
fn refused(error: RDKafkaRespErr) -> [RDKafkaRespErr; 100] {
    [error; 100]
}

/// The advice of an [`Error::Authorization`], failing on any other error.
fn advice(error: &Error) -> &str {
    assert_eq!(error.fault(), inlet_fault::Fault::Config, "{error}");
    assert!(
        !error.is_retriable(),
        "a missing ACL is not retried: {error}"
    );
    match error {
        Error::Authorization { advice } => advice,
        other => panic!("expected Authorization, got {other:?}"),
    }
}

#[tokio::test]
async fn a_fetch_the_brokers_refuse_stops_with_the_topic_acl_to_grant() {
    let mock = Mock::new(&[("orders", 1)]);
    mock.produce_all("orders", 0, &["r0"]).await;
    mock.cluster.request_errors(
        RDKafkaApiKey::Fetch,
        &refused(RDKafkaRespErr::RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED),
    );
    let mut source = mock.source(&["orders"], &[], StartFrom::Earliest);

    let (error, seen) = stop(&mut source).await;
    assert_eq!(seen, vec![]);
    let advice = advice(&error);
    for part in [
        "Kafka refused READ on topic orders to the connector's principal",
        "operation READ on the topic, pattern LITERAL",
        "--operation READ --topic orders",
    ] {
        assert!(advice.contains(part), "{part:?} not in {advice:?}");
    }
}

#[tokio::test]
async fn a_topic_the_brokers_refuse_to_describe_is_the_only_one_the_advice_names() {
    let mock = Mock::new(&[("orders", 1), ("refunds", 1)]);
    mock.cluster
        .topic_error(
            "refunds",
            RDKafkaRespErr::RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED,
        )
        .expect("a topic error of the mock");
    let mut source = mock.source(&["orders", "refunds"], &[], StartFrom::Earliest);

    let (error, _) = stop(&mut source).await;
    let advice = advice(&error);
    assert!(
        advice.contains("READ on topic refunds to") && advice.contains("--topic refunds"),
        "{advice}"
    );
    assert!(
        !advice.contains("orders"),
        "a readable topic named: {advice}"
    );
}

#[tokio::test]
async fn a_group_the_brokers_refuse_stops_with_the_prefixed_group_acl_to_grant() {
    let mock = Mock::new(&[("orders", 1)]);
    mock.produce_all("orders", 0, &["r0"]).await;
    mock.cluster.request_errors(
        RDKafkaApiKey::FindCoordinator,
        &refused(RDKafkaRespErr::RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED),
    );
    let mut source = mock.source(&["orders"], &[], StartFrom::Earliest);

    let (error, seen) = stop(&mut source).await;
    assert_eq!(seen, vec![]);
    let advice = advice(&error);
    for part in [
        "Kafka refused READ on consumer group inlet-test/orders to the connector's principal",
        "operation READ on group \"inlet-test\", pattern PREFIXED",
        "--group inlet-test --resource-pattern-type prefixed",
        "or change kafka.group_prefix",
    ] {
        assert!(advice.contains(part), "{part:?} not in {advice:?}");
    }
}
