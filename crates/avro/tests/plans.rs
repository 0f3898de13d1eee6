//! Plans on bad and good bodies, without a database: every malformed body is a typed
//! per-record error (the engine dead-letters it and goes on), and the direct program a
//! proposal compiles to writes the same bytes as the general one.

use apache_avro::Schema;
use apache_avro::types::Value;
use inlet_avro::{
    ColumnMapping, ColumnSource, DecodeError, DecodePlan, KafkaField, PlanOptions, Proposal,
    RecordError, RecordMeta, RowScratch, TableColumn, WriterSchema,
};

const READING: &str = r#"{"type":"record","name":"Reading","namespace":"inlet.bench","fields":[
 {"name":"ts","type":{"type":"long","logicalType":"timestamp-micros"}},
 {"name":"device_id","type":"string"},
 {"name":"site","type":"string"},
 {"name":"temperature","type":"double"},
 {"name":"humidity","type":"double"},
 {"name":"pressure","type":"double"},
 {"name":"battery","type":"float"},
 {"name":"rssi","type":"int"},
 {"name":"ok","type":"boolean"},
 {"name":"note","type":["null","string"],"default":null},
 {"name":"tags","type":{"type":"array","items":"string"},"default":[]}]}"#;

fn reading(device: &str, note: Option<&str>, tags: &[&str]) -> Vec<u8> {
    let schema = Schema::parse_str(READING).unwrap();
    let value = Value::Record(vec![
        ("ts".into(), Value::TimestampMicros(1_700_000_000_000_001)),
        ("device_id".into(), Value::String(device.into())),
        ("site".into(), Value::String("lyon".into())),
        ("temperature".into(), Value::Double(21.5)),
        ("humidity".into(), Value::Double(40.0)),
        ("pressure".into(), Value::Double(1013.0)),
        ("battery".into(), Value::Float(3.7)),
        ("rssi".into(), Value::Int(-60)),
        ("ok".into(), Value::Boolean(true)),
        (
            "note".into(),
            match note {
                Some(n) => Value::Union(1, Box::new(Value::String(n.into()))),
                None => Value::Union(0, Box::new(Value::Null)),
            },
        ),
        (
            "tags".into(),
            Value::Array(tags.iter().map(|t| Value::String((*t).into())).collect()),
        ),
    ]);
    apache_avro::writer::datum::GenericDatumWriter::builder(&schema)
        .build()
        .unwrap()
        .write_value_to_vec(value)
        .unwrap()
}

/// The proposal's plan (direct: columns are the fields in order).
fn proposed() -> DecodePlan {
    let writer = WriterSchema::parse(READING, &[]).unwrap();
    let proposal = Proposal::for_schema(&writer);
    DecodePlan::compile(
        &writer,
        &proposal.columns,
        &proposal.mapping,
        &PlanOptions::default(),
    )
    .unwrap()
}

fn row(plan: &DecodePlan, body: &[u8]) -> Result<Vec<u8>, RecordError> {
    let mut out = vec![0xAA]; // bytes already in the buffer stay as they are
    let result = plan.write_row(
        body,
        &RecordMeta::default(),
        &mut RowScratch::default(),
        &mut out,
    );
    assert_eq!(out[0], 0xAA);
    match result {
        Ok(()) => Ok(out[1..].to_vec()),
        Err(e) => {
            assert_eq!(out.len(), 1, "a failed row leaves the buffer as it was");
            Err(e)
        }
    }
}

#[test]
fn direct_and_general_programs_write_the_same_fields() {
    let writer = WriterSchema::parse(READING, &[]).unwrap();
    let proposal = Proposal::for_schema(&writer);
    // A Kafka metadata column after the fields makes the plan take the general path.
    let mut table = proposal.columns.clone();
    table.push(TableColumn {
        name: "partition".into(),
        pg_type: inlet_avro::PgType::Int4,
        nullable: false,
        has_default: false,
    });
    let mut mapping = proposal.mapping.clone();
    mapping.push(ColumnMapping {
        column: "partition".into(),
        source: ColumnSource::Kafka(KafkaField::Partition),
    });
    let general = DecodePlan::compile(&writer, &table, &mapping, &PlanOptions::default()).unwrap();
    let direct = proposed();
    let meta = RecordMeta {
        partition: 7,
        ..RecordMeta::default()
    };
    for body in [
        reading("d-1", None, &[]),
        reading("d-2", Some("recalibrated"), &["a", "b"]),
        reading("", Some(""), &[""]),
    ] {
        let fast = row(&direct, &body).unwrap();
        let mut slow = Vec::new();
        general
            .write_row(&body, &meta, &mut RowScratch::default(), &mut slow)
            .unwrap();
        assert_eq!(i16::from_be_bytes([fast[0], fast[1]]), 11);
        assert_eq!(i16::from_be_bytes([slow[0], slow[1]]), 12);
        let partition_field = [0, 0, 0, 4, 0, 0, 0, 7];
        assert_eq!(&slow[slow.len() - 8..], &partition_field);
        assert_eq!(fast[2..], slow[2..slow.len() - 8]);
    }
}

#[test]
fn malformed_bodies_are_typed_errors() {
    let plan = proposed();
    let good = reading("d-1", Some("n"), &["t"]);
    // Every truncation of a good body.
    for len in 0..good.len() {
        match row(&plan, &good[..len]) {
            // Cut inside an array, the block count claims more items than bytes are left.
            Err(RecordError::Decode(
                DecodeError::Truncated { .. } | DecodeError::BlockTooLarge { .. },
            )) => {}
            other => panic!("{len} bytes: {other:?}"),
        }
    }
    let mut trailing = good.clone();
    trailing.push(0);
    assert!(matches!(
        row(&plan, &trailing),
        Err(RecordError::Decode(DecodeError::TrailingBytes { left: 1 }))
    ));
    // ts as a varint of eleven 0xff bytes.
    let overflow = [0xff; 11];
    assert!(matches!(
        row(&plan, &overflow),
        Err(RecordError::Decode(DecodeError::VarintOverflow { .. }))
    ));
}

#[test]
fn bad_values_name_the_field_and_the_reason() {
    let plan = proposed();
    let err = row(&plan, &reading("dev\0ice", None, &[])).unwrap_err();
    let RecordError::Convert { field, reason, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(field, "device_id");
    assert!(reason.contains("NUL"), "{err}");
    assert!(err.to_string().contains("dev\\0ice"), "{err}");

    // The union index of `note` is the byte after `ok`; make it 2 (only 0 and 1 exist).
    let body = reading("d", None, &[]);
    let ok_at = body.len() - 3; // [.., ok, note index 0, tags block count 0]
    let mut bad = body.clone();
    bad[ok_at + 1] = 4; // zigzag 2
    assert!(matches!(
        row(&plan, &bad),
        Err(RecordError::Decode(DecodeError::IndexOutOfRange {
            index: 2,
            count: 2,
            ..
        }))
    ));
    let mut bad_bool = body.clone();
    bad_bool[ok_at] = 2;
    assert!(matches!(
        row(&plan, &bad_bool),
        Err(RecordError::Decode(DecodeError::InvalidBool {
            byte: 2,
            ..
        }))
    ));
    // A block claiming a billion strings in a body of a few bytes: refused before allocating.
    let mut huge = body[..body.len() - 1].to_vec();
    huge.extend_from_slice(&[0x80, 0xa8, 0xd6, 0xb9, 0x07]); // zigzag varint 1_000_000_000
    assert!(matches!(
        row(&plan, &huge),
        Err(RecordError::Decode(DecodeError::BlockTooLarge { .. }))
    ));
}

#[test]
fn a_double_fills_a_real_column_rounded_or_refused_beyond_its_range() {
    // A table made for `float`, a writer evolved to `double`.
    let writer = WriterSchema::parse(r#""double""#, &[]).unwrap();
    let column = TableColumn {
        name: "battery".into(),
        pg_type: inlet_avro::PgType::Float4,
        nullable: false,
        has_default: false,
    };
    let plan = DecodePlan::compile(
        &writer,
        &[column],
        &[ColumnMapping {
            column: "battery".into(),
            source: ColumnSource::Field(String::new()),
        }],
        &PlanOptions::default(),
    )
    .unwrap();
    let fields = row(&plan, &3.25f64.to_le_bytes()).unwrap();
    // field count, length 4, the real
    assert_eq!(fields[..6], [0, 1, 0, 0, 0, 4]);
    assert_eq!(f32::from_be_bytes(fields[6..10].try_into().unwrap()), 3.25);
    let err = row(&plan, &1e300f64.to_le_bytes()).unwrap_err();
    assert!(err.to_string().contains("out of real's range"), "{err}");
}
