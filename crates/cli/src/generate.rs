//! `inlet generate`: produces the canonical reading event (`inlet.bench.Reading`, the schema
//! every benchmark of the project uses), registered in the schema registry and framed the
//! way Confluent's serializers frame it, at a given rate, for demos and benchmarks.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use inlet_avro::{READING_SCHEMA, SchemaId, encode_frame, write_long};
use inlet_engine::Config;
use inlet_kafka::{Counting, Deliveries, create_topic};
use inlet_registry::{RegistryClient, RegistryConfig};
use rdkafka::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseRecord, Producer, ThreadedProducer};

/// What to produce and where.
#[derive(clap::Args)]
pub struct GenerateArgs {
    /// The topic; created with --partitions when missing. Its subject is `<topic>-value`.
    #[arg(long)]
    topic: String,
    /// Records per second; 0: as fast as the broker takes them.
    #[arg(long, default_value_t = 1000)]
    rate: u64,
    /// How many records; 0: until SIGINT / SIGTERM.
    #[arg(long, default_value_t = 10_000)]
    count: u64,
    /// Partitions of a topic this command creates.
    #[arg(long, default_value_t = 4)]
    partitions: i32,
    /// Distinct devices (`dev-0` … ); the device id is also the record key.
    #[arg(long, default_value_t = 1000)]
    devices: u64,
    /// Every reading carries a note of this many bytes (0: one reading in a hundred
    /// carries a short one), for measuring larger records; the schema stays the same. At
    /// most 1 MiB (the broker's default largest record).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=1_048_576))]
    note_bytes: u32,
    /// Take Kafka (security included) and the registry from the first connector of this
    /// configuration file instead of --bootstrap / --registry.
    #[arg(long, env = "INLET_CONFIG")]
    config: Option<PathBuf>,
    #[command(flatten)]
    endpoints: crate::Endpoints,
}

pub async fn run(args: GenerateArgs) -> anyhow::Result<()> {
    let (kafka, registry) = match &args.config {
        Some(path) => {
            let config = Config::load(path)?;
            let first = config
                .connectors
                .into_iter()
                .next()
                .context("the configuration has no connector")?;
            (first.kafka.client_config(), first.registry)
        }
        None => {
            let mut kafka = ClientConfig::new();
            kafka.set("bootstrap.servers", &args.endpoints.bootstrap);
            (kafka, RegistryConfig::new(&args.endpoints.registry))
        }
    };
    let registry = RegistryClient::new(registry)?;
    let subject = format!("{}-value", args.topic);
    let id = registry
        .register(&subject, READING_SCHEMA, &[])
        .await
        .with_context(|| format!("registering the reading schema under {subject}"))?;
    create_topic(&kafka, &args.topic, args.partitions).await?;

    let deliveries = Arc::new(Deliveries::default());
    let producer: ThreadedProducer<Counting> = kafka
        .clone()
        .set("linger.ms", "20")
        .set("batch.size", "1000000")
        .set("compression.type", "none")
        // A record as large as the broker takes (1 MiB by default), not librdkafka's 1 MB.
        .set("message.max.bytes", "2000000")
        .create_with_context(Counting(deliveries.clone()))
        .context("creating the Kafka producer")?;

    let (stop_tx, mut stop) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        if let (Ok(mut term), Ok(mut int)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            tokio::select! { _ = term.recv() => {}, _ = int.recv() => {} }
            let _ = stop_tx.send(true);
        }
    });

    let live = std::io::stderr().is_terminal();
    let started = Instant::now();
    let mut last_report = started;
    let note_bytes = args.note_bytes as usize;
    let note = (note_bytes > 0).then(|| note_of(note_bytes));
    let mut event = Vec::with_capacity(128 + note_bytes);
    let mut framed = Vec::with_capacity(160 + note_bytes);
    let mut sent = 0u64;
    let base_ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64);
    while args.count == 0 || sent < args.count {
        if *stop.borrow() {
            break;
        }
        if args.rate > 0 {
            // Hold the rate: record `sent` is due at sent / rate seconds.
            let due = started + Duration::from_secs_f64(sent as f64 / args.rate as f64);
            let now = Instant::now();
            if due > now {
                tokio::select! {
                    _ = tokio::time::sleep(due - now) => {}
                    _ = stop.changed() => break,
                }
            }
        }
        let device = sent % args.devices.max(1);
        let ts = if args.rate > 0 {
            base_ts + started.elapsed().as_micros() as i64
        } else {
            base_ts + sent as i64
        };
        let key = format!("dev-{device}");
        reading(sent, device, &key, ts, note.as_deref(), &mut event);
        framed.clear();
        encode_frame(SchemaId(id), &event, &mut framed);
        let mut record = BaseRecord::to(&args.topic).key(&key).payload(&framed);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                Err((e, _)) => bail!("producing to {}: {e}", args.topic),
            }
        }
        sent += 1;
        if last_report.elapsed() >= Duration::from_secs(1) {
            last_report = Instant::now();
            report(live, sent, &deliveries, started);
        }
    }
    producer
        .flush(Duration::from_secs(60))
        .context("waiting for the broker to acknowledge every record")?;
    report(live, sent, &deliveries, started);
    if live {
        eprintln!();
    }
    let failed = deliveries.failed.load(Ordering::Relaxed);
    if failed > 0 {
        let last = deliveries
            .last_error
            .lock()
            .ok()
            .and_then(|l| l.clone())
            .unwrap_or_default();
        bail!(
            "{failed} of {sent} records were not delivered to {} (last error: {last})",
            args.topic
        );
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "produced {sent} readings to {} (schema id {id}) in {secs:.1} s, {:.0} records/s",
        args.topic,
        sent as f64 / secs.max(1e-9)
    );
    Ok(())
}

fn report(live: bool, sent: u64, deliveries: &Deliveries, started: Instant) {
    let acked = deliveries.ok.load(Ordering::Relaxed);
    let rate = acked as f64 / started.elapsed().as_secs_f64().max(1e-9);
    if live {
        eprint!("\rgenerate: {sent} sent, {acked} acknowledged, {rate:.0} records/s   ");
    } else {
        tracing::info!(
            sent,
            acknowledged = acked,
            records_per_s = rate as u64,
            "generating"
        );
    }
}

/// A note of `bytes` bytes of text.
fn note_of(bytes: usize) -> String {
    "maintenance due; ".chars().cycle().take(bytes).collect()
}

/// Reading number `n` of device `device` (its id `device_id`) at `ts` (µs), Avro-encoded
/// into `out`. Values vary deterministically; with no `note`, one reading in a hundred
/// carries one.
fn reading(n: u64, device: u64, device_id: &str, ts: i64, note: Option<&str>, out: &mut Vec<u8>) {
    const SITES: [&str; 4] = ["lyon", "oslo", "austin", "pune"];
    out.clear();
    let wave = ((n % 360) as f64).to_radians().sin();
    write_long(ts, out);
    string(device_id, out);
    string(SITES[(device % 4) as usize], out);
    out.extend_from_slice(&(20.0 + 5.0 * wave).to_le_bytes());
    out.extend_from_slice(&(45.0 - 10.0 * wave).to_le_bytes());
    out.extend_from_slice(&(1013.25 + wave).to_le_bytes());
    out.extend_from_slice(&(3.7f32 - (n % 100) as f32 / 1000.0).to_le_bytes());
    write_long(-((device % 60) as i64) - 30, out);
    out.push(u8::from(!n.is_multiple_of(97)));
    if let Some(note) = note {
        write_long(1, out);
        string(note, out);
    } else if n.is_multiple_of(100) {
        write_long(1, out);
        string("maintenance due", out);
    } else {
        write_long(0, out);
    }
}

fn string(s: &str, out: &mut Vec<u8>) {
    write_long(s.len() as i64, out);
    out.extend_from_slice(s.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_decode_with_the_canonical_schema() {
        let schema = apache_avro::Schema::parse_str(READING_SCHEMA).unwrap();
        let reader = apache_avro::reader::datum::GenericDatumReader::builder(&schema)
            .build()
            .unwrap();
        let mut out = Vec::new();
        for n in [0u64, 1, 99, 100, 12_345] {
            let device_id = format!("dev-{}", n % 7);
            reading(
                n,
                n % 7,
                &device_id,
                1_700_000_000_000_000 + n as i64,
                None,
                &mut out,
            );
            let value = reader.read_value(&mut out.as_slice()).unwrap();
            let apache_avro::types::Value::Record(fields) = value else {
                panic!("not a record")
            };
            assert_eq!(
                fields[1].1,
                apache_avro::types::Value::String(format!("dev-{}", n % 7))
            );
            assert_eq!(
                fields[0].1,
                apache_avro::types::Value::TimestampMicros(1_700_000_000_000_000 + n as i64)
            );
            let has_note = !matches!(&fields[9].1, apache_avro::types::Value::Union(0, _));
            assert_eq!(has_note, n.is_multiple_of(100));
        }
    }
}
