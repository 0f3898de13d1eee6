//! The benchmark's data: the readings produced to the topic, the same records saved to a
//! record file (for the replay), and a copy with poison records, produced to a second topic.

use std::fs::File;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use inlet_engine::{FileRecord, RecordFileReader, RecordFileWriter};
use rdkafka::ClientConfig;
use rdkafka::Message as _;
use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer as _};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::BorrowedMessage;
use rdkafka::producer::{BaseRecord, Producer as _, ThreadedProducer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

use super::{BenchArgs, STALL};
use inlet_kafka::{Counting, Deliveries, create_topic};

/// A scratch directory the PostgreSQL server can read and write (it writes the COPY
/// limit's file and reads it back); removed at the end.
pub struct WorkDir(PathBuf);

impl WorkDir {
    pub fn create() -> anyhow::Result<Self> {
        let dir = std::env::temp_dir().join(format!("inlet-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        // The server's own user writes the COPY file here.
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777))
            .with_context(|| format!("opening {} to the database server", dir.display()))?;
        Ok(WorkDir(dir))
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    pub fn records(&self) -> PathBuf {
        self.path("readings.records")
    }

    pub fn poison_records(&self) -> PathBuf {
        self.path("poison.records")
    }

    pub fn copy_file(&self) -> PathBuf {
        self.path("readings.copy")
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes `text` to `path`, readable by this user only: a configuration holds the database
/// URL, which may carry a password, and the work directory is open to the server.
pub fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .with_context(|| format!("writing {}", path.display()))
}

/// The librdkafka configuration for the benchmark's own producer.
pub fn kafka(args: &BenchArgs) -> ClientConfig {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", &args.endpoints.bootstrap);
    config
}

/// The librdkafka configuration for the benchmark's own consumers: inlet's consumer tuning
/// and `--kafka-property`, as `inlet run` has them.
pub fn kafka_consumer(args: &BenchArgs) -> ClientConfig {
    let mut config = kafka(args);
    for (name, value) in inlet_kafka::CONSUMER_TUNING {
        config.set(name, value);
    }
    for (name, value) in &args.kafka_properties {
        config.set(name, value);
    }
    config
}

/// Produces the readings with `inlet generate` (as fast as the broker takes them);
/// returns its rate, records/s.
pub async fn produce_readings(args: &BenchArgs, topic: &str) -> anyhow::Result<f64> {
    produce(args, topic, args.count, args.partitions, 0).await
}

/// Produces `count` readings to `topic`, made with `partitions` partitions, with `inlet
/// generate`, each with a note of `note_bytes` bytes (0: the canonical readings); returns
/// its rate, records/s.
pub async fn produce(
    args: &BenchArgs,
    topic: &str,
    count: u64,
    partitions: i32,
    note_bytes: u64,
) -> anyhow::Result<f64> {
    let exe = crate::inlet_binary(args)?;
    let started = Instant::now();
    let status = tokio::process::Command::new(exe)
        .args(["generate", "--topic", topic, "--rate", "0"])
        .args(["--count", &count.to_string()])
        .args(["--partitions", &partitions.to_string()])
        .args(["--note-bytes", &note_bytes.to_string()])
        .args(["--bootstrap", &args.endpoints.bootstrap])
        .args(["--registry", &args.endpoints.registry])
        .status()
        .await
        .context("running inlet generate")?;
    if !status.success() {
        bail!("inlet generate failed ({status}): are the services up? scripts/services up");
    }
    Ok(count as f64 / started.elapsed().as_secs_f64())
}

/// Deletes the benchmark's topics (a broker keeping them in memory would grow run after
/// run); a failure is only reported.
pub async fn delete_topics(args: &BenchArgs, topics: &[&str]) {
    let admin: Result<AdminClient<DefaultClientContext>, _> = kafka(args).create();
    let result = match admin {
        Ok(admin) => admin
            .delete_topics(
                topics,
                &AdminOptions::new().operation_timeout(Some(Duration::from_secs(30))),
            )
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    if let Err(e) = result {
        tracing::warn!(error = %e, ?topics, "the benchmark's topics could not be deleted");
    }
}

/// Reads the whole topic once (untimed) into the record file; returns its path.
pub async fn dump(args: &BenchArgs, topic: &str, work: &WorkDir) -> anyhow::Result<PathBuf> {
    let config = kafka_consumer(args);
    let (topic, partitions, count, path) = (
        topic.to_owned(),
        args.partitions,
        args.count,
        work.records(),
    );
    tokio::task::spawn_blocking(move || -> anyhow::Result<PathBuf> {
        let consumer = assigned(&config, &topic, partitions)?;
        let file = File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        let mut writer = RecordFileWriter::new(file)?;
        read_all(&consumer, &topic, count, |m| {
            Ok(writer.write(&FileRecord {
                partition: m.partition(),
                offset: m.offset(),
                timestamp_ms: m.timestamp().to_millis(),
                key: m.key(),
                value: m.payload(),
            })?)
        })?;
        writer.finish()?;
        Ok(path)
    })
    .await?
}

/// Polls `consumer` until `count` records of `topic` have gone through `each`; fails when
/// none arrives for [`STALL`].
pub fn read_all(
    consumer: &BaseConsumer,
    topic: &str,
    count: u64,
    mut each: impl FnMut(&BorrowedMessage<'_>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut read = 0u64;
    let mut last = Instant::now();
    while read < count {
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(m)) => {
                each(&m)?;
                read += 1;
                last = Instant::now();
            }
            Some(Err(e)) => tracing::warn!(error = %e, "reading the benchmark topic"),
            None if last.elapsed() > STALL => {
                bail!("{topic} gave only {read} of {count} records in {STALL:?}")
            }
            None => {}
        }
    }
    Ok(())
}

/// A consumer in no group, assigned every partition of `topic` from its start.
pub fn assigned(
    config: &ClientConfig,
    topic: &str,
    partitions: i32,
) -> anyhow::Result<BaseConsumer> {
    let consumer = connected(config, topic)?;
    assign(&consumer, topic, partitions)?;
    Ok(consumer)
}

/// A consumer in no group that has read `topic`'s metadata (so it is connected), with
/// nothing assigned.
pub fn connected(config: &ClientConfig, topic: &str) -> anyhow::Result<BaseConsumer> {
    let consumer: BaseConsumer = config
        .clone()
        .set("group.id", format!("inlet-bench-{}", std::process::id()))
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "false")
        .create()
        .context("creating a Kafka consumer")?;
    consumer
        .fetch_metadata(Some(topic), Duration::from_secs(30))
        .with_context(|| format!("reading the metadata of {topic}"))?;
    Ok(consumer)
}

/// Assigns every partition of `topic`, from its start.
pub fn assign(consumer: &BaseConsumer, topic: &str, partitions: i32) -> anyhow::Result<()> {
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition_offset(topic, p, Offset::Beginning)?;
    }
    consumer
        .assign(&tpl)
        .context("assigning the topic's partitions")
}

/// What the poison copy holds.
pub struct Poison {
    /// Records that cannot be stored.
    pub dead: u64,
}

/// Copies the records to `topic` (same keys and partitions), one in
/// `--poison-every` made unstorable in one of three ways (no Confluent frame, a truncated
/// body, a union branch that does not exist), and writes the copy's record file.
pub async fn produce_poison(
    args: &BenchArgs,
    records: &Path,
    topic: &str,
    work: &WorkDir,
) -> anyhow::Result<Poison> {
    let every = args.poison_every;
    let mut dead = 0u64;
    copy_records(
        args,
        records,
        topic,
        &work.poison_records(),
        move |n, value| {
            if n.is_multiple_of(every) {
                spoil(value, dead);
                dead += 1;
            }
            Ok(dead)
        },
    )
    .await
    .map(|dead| Poison { dead })
}

/// Copies the readings to `topic` (same keys and partitions) as JSON documents: each
/// reading's fields as keys, the timestamp an ISO 8601 string (`inlet_avro::value_json`),
/// the topic a `format = "json"` connector reads into the readings' table. Writes the
/// copy's record file.
pub async fn produce_json(
    args: &BenchArgs,
    records: &Path,
    topic: &str,
    work: &WorkDir,
) -> anyhow::Result<()> {
    let writer = inlet_avro::WriterSchema::parse(inlet_avro::READING_SCHEMA, &[])?;
    copy_records(
        args,
        records,
        topic,
        &work.path("json.records"),
        move |_, value| {
            let frame = inlet_avro::Frame::parse(value)?;
            let json = inlet_avro::value_json(&writer, frame.body)
                .map_err(|e| anyhow::anyhow!("a reading that does not decode: {e}"))?;
            value.clear();
            value.extend_from_slice(json.as_bytes());
            Ok(())
        },
    )
    .await
}

/// The readings' Protobuf schema: the Avro reading's fields, its timestamp a
/// `google.protobuf.Timestamp`, its note a proto3 `optional`.
pub const READING_PROTO: &str = r#"syntax = "proto3";
package inlet.bench;
import "google/protobuf/timestamp.proto";
message Reading {
  google.protobuf.Timestamp ts = 1;
  string device_id = 2;
  string site = 3;
  double temperature = 4;
  double humidity = 5;
  double pressure = 6;
  float battery = 7;
  int32 rssi = 8;
  bool ok = 9;
  optional string note = 10;
}
"#;

/// Copies the readings to `topic` (same keys and partitions) as Confluent-framed Protobuf
/// of [`READING_PROTO`] (registered as `<topic>-value`), encoded field by field as
/// protoc's code writes them, for a `format = "protobuf"` connector. Writes the copy's
/// record file.
pub async fn produce_protobuf(
    args: &BenchArgs,
    records: &Path,
    topic: &str,
    work: &WorkDir,
) -> anyhow::Result<()> {
    let registry = inlet_registry::RegistryClient::new(inlet_registry::RegistryConfig::new(
        args.endpoints.registry.clone(),
    ))?;
    let id = registry
        .register_typed(
            &format!("{topic}-value"),
            inlet_registry::SchemaType::Protobuf,
            READING_PROTO,
            &[],
        )
        .await
        .context("registering the readings' Protobuf schema")?;
    copy_records(
        args,
        records,
        topic,
        &work.path("protobuf.records"),
        move |_, value| {
            let frame = inlet_avro::Frame::parse(value)?;
            let message = reading_message(frame.body)?;
            value.clear();
            value.push(inlet_avro::MAGIC_BYTE);
            value.extend_from_slice(&id.to_be_bytes());
            inlet_protobuf::encode_message_indexes(&[0], value);
            value.extend_from_slice(&message);
            Ok(())
        },
    )
    .await
}

/// The Avro reading `body` as the protobuf bytes of `inlet.bench.Reading` (fields in
/// number order, proto3's defaults left out).
fn reading_message(body: &[u8]) -> anyhow::Result<Vec<u8>> {
    fn varint(mut v: u64, out: &mut Vec<u8>) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }
    fn delimited(number: u64, bytes: &[u8], out: &mut Vec<u8>) {
        varint(number << 3 | 2, out);
        varint(bytes.len() as u64, out);
        out.extend_from_slice(bytes);
    }
    let mut r = inlet_avro::Reader::new(body);
    let mut out = Vec::with_capacity(body.len() + 16);
    let micros = r.read_long()?;
    let mut ts = Vec::new();
    varint(1 << 3, &mut ts);
    varint(micros.div_euclid(1_000_000) as u64, &mut ts);
    let nanos = micros.rem_euclid(1_000_000) * 1000;
    if nanos != 0 {
        varint(2 << 3, &mut ts);
        varint(nanos as u64, &mut ts);
    }
    delimited(1, &ts, &mut out);
    delimited(2, r.read_str()?.as_bytes(), &mut out);
    delimited(3, r.read_str()?.as_bytes(), &mut out);
    for number in 4..=6 {
        varint(number << 3 | 1, &mut out);
        out.extend_from_slice(&r.read_double()?.to_le_bytes());
    }
    varint(7 << 3 | 5, &mut out);
    out.extend_from_slice(&r.read_float()?.to_le_bytes());
    let rssi = r.read_int()?;
    if rssi != 0 {
        varint(8 << 3, &mut out);
        varint(i64::from(rssi) as u64, &mut out);
    }
    if r.read_bool()? {
        varint(9 << 3, &mut out);
        varint(1, &mut out);
    }
    if r.read_long()? == 1 {
        delimited(10, r.read_str()?.as_bytes(), &mut out);
    }
    Ok(out)
}

/// Copies the records of the file `records` to `topic` (same keys and partitions), each
/// value changed by `change` (called with the record's number, from 1), and writes the
/// copy's record file `out`; the last value `change` returned.
async fn copy_records<T: Default + Send + 'static>(
    args: &BenchArgs,
    records: &Path,
    topic: &str,
    out: &Path,
    mut change: impl FnMut(u64, &mut Vec<u8>) -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    let config = kafka(args);
    create_topic(&config, topic, args.partitions).await?;
    let (records, path, topic) = (records.to_owned(), out.to_owned(), topic.to_owned());
    tokio::task::spawn_blocking(move || -> anyhow::Result<T> {
        let deliveries = Arc::new(Deliveries::default());
        let producer: ThreadedProducer<Counting> = config
            .clone()
            .set("linger.ms", "20")
            .set("batch.size", "1000000")
            .create_with_context(Counting(deliveries.clone()))
            .context("creating the Kafka producer")?;
        let mut reader = RecordFileReader::new(File::open(&records)?)?;
        let mut writer = RecordFileWriter::new(File::create(&path)?)?;
        let mut n = 0u64;
        let mut last = T::default();
        let mut value = Vec::new();
        while let Some(r) = reader.next_record()? {
            n += 1;
            value.clear();
            value.extend_from_slice(r.value.unwrap_or_default());
            last = change(n, &mut value)?;
            let mut record = BaseRecord::to(&topic)
                .partition(r.partition)
                .payload(&value);
            if let Some(key) = r.key {
                record = record.key(key);
            }
            loop {
                match producer.send(record) {
                    Ok(()) => break,
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                        record = back;
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err((e, _)) => bail!("producing to {topic}: {e}"),
                }
            }
            writer.write(&FileRecord {
                value: Some(&value),
                ..r
            })?;
        }
        writer.finish()?;
        producer.flush(Duration::from_secs(120)).with_context(|| {
            format!("waiting for the broker to acknowledge the copy to {topic}")
        })?;
        let failed = deliveries.failed.load(Ordering::Relaxed);
        if failed > 0 {
            bail!("{failed} records of the copy were not delivered to {topic}");
        }
        Ok(last)
    })
    .await?
}

/// Makes a framed reading unstorable, the `nth` poison record in one of three ways.
fn spoil(value: &mut Vec<u8>, nth: u64) {
    match nth % 3 {
        // The last byte of a reading without a note is its union branch (0, null): 3 is
        // a branch the union does not have.
        1 if value.last() == Some(&0) => {
            if let Some(last) = value.last_mut() {
                *last = 6;
            }
        }
        // A body cut short.
        2 if value.len() > 10 => value.truncate(value.len() / 2),
        _ => {
            value.clear();
            value.extend_from_slice(b"{\"not\": \"a Confluent frame\"}");
        }
    }
}
