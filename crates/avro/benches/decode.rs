//! Decoding the canonical `Reading` event, one core, the same records for every decoder:
//!
//! - `inlet_plan`: inlet's compiled plan, Confluent frame to COPY BINARY row bytes;
//! - `apache_avro`: apache-avro's datum reader, Avro body to a `Value` tree (no conversion to
//!   anything a database takes, so it does less work than the plan);
//! - `arrow_avro`: arrow-avro's `Decoder`, Confluent frames to Arrow record batches.
//!
//! Run with `cargo bench -p inlet-avro`; it prints records/s per decoder and the ratios. It
//! asserts nothing about time.

use std::hint::black_box;
use std::time::Duration;

use apache_avro::Schema;
use apache_avro::reader::datum::GenericDatumReader;
use apache_avro::types::Value;
use arrow_avro::reader::ReaderBuilder;
use arrow_avro::schema::{AvroSchema, Fingerprint, FingerprintAlgorithm, SchemaStore};
use criterion::{Criterion, Throughput};
use inlet_avro::{
    DecodePlan, Frame, PlanOptions, Proposal, RecordMeta, RowScratch, SchemaId, WriterSchema,
    encode_frame,
};

const READING: &str = inlet_avro::READING_SCHEMA;

const SCHEMA_ID: u32 = 7;
const RECORDS: usize = 10_000;

/// Framed records as a producer would send them: varied values, a note on one in ten.
fn records(schema: &Schema) -> Vec<Vec<u8>> {
    let writer = apache_avro::writer::datum::GenericDatumWriter::builder(schema)
        .build()
        .expect("writer");
    (0..RECORDS)
        .map(|i| {
            let n = i as i64;
            let value = Value::Record(vec![
                (
                    "ts".into(),
                    Value::TimestampMicros(1_700_000_000_000_000 + n * 1_000),
                ),
                (
                    "device_id".into(),
                    Value::String(format!("device-{:05}", i % 5000)),
                ),
                ("site".into(), Value::String(format!("site-{}", i % 40))),
                (
                    "temperature".into(),
                    Value::Double(20.0 + (i % 100) as f64 * 0.1),
                ),
                (
                    "humidity".into(),
                    Value::Double(40.0 + (i % 50) as f64 * 0.5),
                ),
                ("pressure".into(), Value::Double(1013.25 - (i % 30) as f64)),
                ("battery".into(), Value::Float(3.7 - (i % 10) as f32 * 0.01)),
                ("rssi".into(), Value::Int(-40 - (i % 60) as i32)),
                ("ok".into(), Value::Boolean(i % 7 != 0)),
                (
                    "note".into(),
                    Value::Union(
                        u32::from(i % 10 == 0),
                        Box::new(if i % 10 == 0 {
                            Value::String("recalibrated".into())
                        } else {
                            Value::Null
                        }),
                    ),
                ),
            ]);
            let body = writer.write_value_to_vec(value).expect("encode");
            let mut framed = Vec::new();
            encode_frame(SchemaId(SCHEMA_ID), &body, &mut framed);
            framed
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let schema = Schema::parse_str(READING).expect("schema");
    let framed = records(&schema);
    let mut group = c.benchmark_group("reading");
    group.throughput(Throughput::Elements(RECORDS as u64));
    group.measurement_time(Duration::from_secs(4));
    group.warm_up_time(Duration::from_secs(1));
    group.sample_size(20);

    let writer = WriterSchema::parse(READING, &[]).expect("writer schema");
    let proposal = Proposal::for_schema(&writer);
    let plan = DecodePlan::compile(
        &writer,
        &proposal.columns,
        &proposal.mapping,
        &PlanOptions::default(),
    )
    .expect("plan");
    group.bench_function("inlet_plan", |b| {
        let mut scratch = RowScratch::default();
        let mut out = Vec::with_capacity(1 << 20);
        b.iter(|| {
            out.clear();
            for record in &framed {
                let frame = Frame::parse(record).expect("frame");
                plan.write_row(frame.body, &RecordMeta::default(), &mut scratch, &mut out)
                    .expect("row");
            }
            black_box(out.len())
        })
    });

    group.bench_function("apache_avro", |b| {
        let reader = GenericDatumReader::builder(&schema)
            .build()
            .expect("reader");
        b.iter(|| {
            let mut fields = 0;
            for record in &framed {
                let frame = Frame::parse(record).expect("frame");
                let mut body = frame.body;
                match reader.read_value(&mut body).expect("value") {
                    Value::Record(f) => fields += f.len(),
                    other => panic!("not a record: {other:?}"),
                }
            }
            black_box(fields)
        })
    });

    group.bench_function("arrow_avro", |b| {
        let mut store = SchemaStore::new_with_type(FingerprintAlgorithm::Id);
        store
            .set(
                Fingerprint::Id(SCHEMA_ID),
                AvroSchema::new(READING.to_owned()),
            )
            .expect("store");
        let mut decoder = ReaderBuilder::new()
            .with_batch_size(RECORDS)
            .with_writer_schema_store(store)
            .build_decoder()
            .expect("decoder");
        b.iter(|| {
            for record in &framed {
                let consumed = decoder.decode(record).expect("decode");
                debug_assert_eq!(consumed, record.len());
            }
            let batch = decoder.flush().expect("flush").expect("a batch");
            black_box(batch.num_rows())
        })
    });
    group.finish();
}

/// records/s of one benchmark, from criterion's estimate of its mean.
fn rate(name: &str) -> Option<f64> {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()?
        .join(format!("criterion/reading/{name}/new/estimates.json"));
    let estimates: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    let mean_ns = estimates["mean"]["point_estimate"].as_f64()?;
    Some(RECORDS as f64 / (mean_ns / 1e9))
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    bench(&mut criterion);
    criterion.final_summary();
    let (Some(plan), Some(apache), Some(arrow)) =
        (rate("inlet_plan"), rate("apache_avro"), rate("arrow_avro"))
    else {
        // A filtered run (`cargo bench -- inlet_plan`) or `--test`: no full set to compare.
        return;
    };
    println!("\nReading event, one core, {RECORDS} records per iteration:");
    println!("  inlet plan (frame -> COPY BINARY row)  {plan:>12.0} records/s");
    println!("  apache-avro (body -> Value)            {apache:>12.0} records/s");
    println!("  arrow-avro (frames -> RecordBatch)     {arrow:>12.0} records/s");
    println!(
        "  inlet / apache-avro = {:.2}x (target >= 4x), inlet / arrow-avro = {:.2}x (target >= 1x)",
        plan / apache,
        plan / arrow
    );
}
