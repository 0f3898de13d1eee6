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
        generated: None,
    });
    let mut mapping = proposal.mapping.clone();
    mapping.push(ColumnMapping {
        column: "partition".into(),
        source: ColumnSource::Kafka(KafkaField::Partition),
    });
    let general = DecodePlan::compile(&writer, &table, &mapping, &PlanOptions::default()).unwrap();
    let direct = proposed();
    let meta = RecordMeta {
        key_avro: None,
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
        generated: None,
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

/// A COPY BINARY row's fields: None for NULL.
fn fields(row: &[u8]) -> Vec<Option<Vec<u8>>> {
    let count = i16::from_be_bytes([row[0], row[1]]) as usize;
    let mut at = 2;
    let mut fields = Vec::with_capacity(count);
    for _ in 0..count {
        let len = i32::from_be_bytes(row[at..at + 4].try_into().unwrap());
        at += 4;
        if len < 0 {
            fields.push(None);
        } else {
            fields.push(Some(row[at..at + len as usize].to_vec()));
            at += len as usize;
        }
    }
    assert_eq!(at, row.len());
    fields
}

fn encode(schema: &str, value: Value) -> Vec<u8> {
    apache_avro::writer::datum::GenericDatumWriter::builder(&Schema::parse_str(schema).unwrap())
        .build()
        .unwrap()
        .write_value_to_vec(value)
        .unwrap()
}

const KEY: &str = r#"{"type":"record","name":"Pk","fields":[
 {"name":"pk1","type":"string"},{"name":"pk2","type":"int"}]}"#;
const COLS: &str =
    r#"{"type":"record","name":"Cols","fields":[{"name":"col3","type":["null","string"]}]}"#;

#[test]
fn key_columns_are_read_from_the_framed_key() {
    let value = WriterSchema::parse(COLS, &[]).unwrap();
    let key = WriterSchema::parse(KEY, &[]).unwrap();
    let proposal = Proposal::for_schema(&value).with_key(&key, &[]);
    let names: Vec<(&str, String)> = proposal
        .mapping
        .iter()
        .map(|m| (m.column.as_str(), m.source.to_string()))
        .collect();
    assert_eq!(
        names,
        [
            ("col3", "col3".to_owned()),
            ("pk1", "kafka.key.pk1".to_owned()),
            ("pk2", "kafka.key.pk2".to_owned())
        ]
    );
    assert!(
        !proposal.columns[1].nullable,
        "pk1 is NOT NULL in the key's schema"
    );
    let keyed = inlet_avro::KeySchema {
        id: 7,
        schema: &key,
    };
    let plan = DecodePlan::compile_keyed(
        &value,
        Some(keyed),
        &proposal.columns,
        &proposal.mapping,
        &PlanOptions::default(),
    )
    .unwrap();
    let body = encode(
        COLS,
        Value::Record(vec![(
            "col3".into(),
            Value::Union(1, Box::new(Value::String("z".into()))),
        )]),
    );
    let mut framed = Vec::new();
    inlet_avro::encode_frame(
        inlet_avro::SchemaId(7),
        &encode(
            KEY,
            Value::Record(vec![
                ("pk1".into(), Value::String("A".into())),
                ("pk2".into(), Value::Int(1)),
            ]),
        ),
        &mut framed,
    );
    let write = |key: Option<&[u8]>| {
        let mut out = Vec::new();
        let meta = RecordMeta {
            key_avro: None,
            key,
            ..RecordMeta::default()
        };
        plan.write_row(&body, &meta, &mut RowScratch::default(), &mut out)
            .map(|()| fields(&out))
    };
    assert_eq!(
        write(Some(&framed)).unwrap(),
        [
            Some(b"z".to_vec()),
            Some(b"A".to_vec()),
            Some(1i32.to_be_bytes().to_vec())
        ]
    );
    // No key, a key that is not a frame, a key of another schema id, a truncated key:
    // each a per-record error that says what is wrong with the key.
    let mut other = framed.clone();
    other[4] = 8;
    for (key, says) in [
        (None, "there is none"),
        (Some(&b"A/1"[..]), "not a Confluent Avro frame"),
        (Some(&other[..]), "schema id 8"),
        (Some(&framed[..framed.len() - 1]), "malformed Avro body"),
    ] {
        let error = write(key).unwrap_err().to_string();
        assert!(
            error.starts_with("the record's key: ") && error.contains(says),
            "{error}"
        );
    }
    // Without the key's schema, a column that takes a key field is refused up front.
    let error = DecodePlan::compile(
        &value,
        &proposal.columns,
        &proposal.mapping,
        &PlanOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("column pk1 takes kafka.key.pk1") && error.contains("map kafka.key"),
        "{error}"
    );
}

#[test]
fn a_key_that_is_not_a_record_fills_the_one_key_column_the_value_lacks() {
    let value = WriterSchema::parse(COLS, &[]).unwrap();
    let key = WriterSchema::parse(r#""long""#, &[]).unwrap();
    let proposal = Proposal::for_schema(&value).with_key(&key, &["id".to_owned()]);
    assert_eq!(proposal.columns[1].name, "id");
    assert_eq!(proposal.columns[1].pg_type, inlet_avro::PgType::Int8);
    assert_eq!(proposal.mapping[1].source, ColumnSource::Key(String::new()));
    assert_eq!(proposal.mapping[1].source.to_string(), "kafka.key.");
    // Without a key column to fill, such a key adds nothing.
    assert_eq!(
        Proposal::for_schema(&value)
            .with_key(&key, &[])
            .columns
            .len(),
        1
    );
}

#[test]
fn sources_read_back_as_written() {
    for text in [
        "a.b",
        "[shop.Click].url",
        "",
        "kafka.key",
        "kafka.key.pk1",
        "kafka.key.",
        "kafka.headers",
        "kafka.timestamp",
    ] {
        assert_eq!(ColumnSource::parse(text).to_string(), text);
    }
    assert_eq!(
        ColumnSource::parse("kafka.offset"),
        ColumnSource::Kafka(KafkaField::Offset)
    );
}

const EVENTS: &str = r#"[
 {"type":"record","name":"Click","namespace":"shop","fields":[
   {"name":"id","type":"long"},{"name":"url","type":"string"}]},
 {"type":"record","name":"View","namespace":"shop","fields":[
   {"name":"id","type":"long"},{"name":"seconds","type":"double"},{"name":"url","type":"bytes"}]}]"#;

#[test]
fn a_union_of_records_is_proposed_and_mapped_field_by_field() {
    let writer = WriterSchema::parse(EVENTS, &[]).unwrap();
    let proposal = Proposal::for_schema(&writer);
    let columns: Vec<(&str, String, bool)> = proposal
        .columns
        .iter()
        .zip(&proposal.mapping)
        .map(|(c, m)| (c.name.as_str(), m.source.to_string(), c.nullable))
        .collect();
    assert_eq!(
        columns,
        [
            ("id", "id".to_owned(), false),
            ("url", "[shop.Click].url".to_owned(), true),
            ("url_2", "[shop.View].url".to_owned(), true),
            ("seconds", "seconds".to_owned(), true),
        ]
    );
    let plan = DecodePlan::compile(
        &writer,
        &proposal.columns,
        &proposal.mapping,
        &PlanOptions::default(),
    )
    .unwrap();
    let click = encode(
        EVENTS,
        Value::Union(
            0,
            Box::new(Value::Record(vec![
                ("id".into(), Value::Long(1)),
                ("url".into(), Value::String("/a".into())),
            ])),
        ),
    );
    let view = encode(
        EVENTS,
        Value::Union(
            1,
            Box::new(Value::Record(vec![
                ("id".into(), Value::Long(2)),
                ("seconds".into(), Value::Double(0.5)),
                ("url".into(), Value::Bytes(vec![1, 2])),
            ])),
        ),
    );
    assert_eq!(
        fields(&row(&plan, &click).unwrap()),
        [
            Some(1i64.to_be_bytes().to_vec()),
            Some(b"/a".to_vec()),
            None,
            None
        ]
    );
    assert_eq!(
        fields(&row(&plan, &view).unwrap()),
        [
            Some(2i64.to_be_bytes().to_vec()),
            None,
            Some(vec![1, 2]),
            Some(0.5f64.to_be_bytes().to_vec())
        ]
    );
    // A field no branch has is refused, naming the branches.
    let missing = [ColumnMapping {
        column: "id".into(),
        source: ColumnSource::Field("nope".into()),
    }];
    let error = DecodePlan::compile(
        &writer,
        &proposal.columns,
        &missing,
        &PlanOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(error.contains("field nope does not exist"), "{error}");
}

#[test]
fn a_path_through_a_union_reads_only_the_branches_that_have_all_of_it() {
    // Click nests a record under geo; View has a string geo. The proposal qualifies both,
    // and the plan compiles and fills each from its branch.
    let schema = r#"[
     {"type":"record","name":"Click","namespace":"a","fields":[
       {"name":"geo","type":{"type":"record","name":"Geo","fields":[{"name":"lat","type":"double"}]}}]},
     {"type":"record","name":"View","namespace":"a","fields":[{"name":"geo","type":"string"}]},
     {"type":"record","name":"Click","namespace":"b","fields":[{"name":"n","type":"int"}]}]"#;
    let writer = WriterSchema::parse(schema, &[]).unwrap();
    let proposal = Proposal::for_schema(&writer);
    let sources: Vec<String> = proposal
        .mapping
        .iter()
        .map(|m| m.source.to_string())
        .collect();
    assert_eq!(sources, ["[a.Click].geo.lat", "[a.View].geo", "n"]);
    let plan = DecodePlan::compile(
        &writer,
        &proposal.columns,
        &proposal.mapping,
        &PlanOptions::default(),
    )
    .unwrap();
    let view = encode(
        schema,
        Value::Union(
            1,
            Box::new(Value::Record(vec![(
                "geo".into(),
                Value::String("x".into()),
            )])),
        ),
    );
    assert_eq!(
        fields(&row(&plan, &view).unwrap()),
        [None, Some(b"x".to_vec()), None]
    );
    // `geo.lat` without a branch reads Click's only.
    let lat = [ColumnMapping {
        column: proposal.columns[0].name.clone(),
        source: ColumnSource::Field("geo.lat".into()),
    }];
    DecodePlan::compile(
        &writer,
        &proposal.columns[..1],
        &lat,
        &PlanOptions::default(),
    )
    .unwrap();
    // `[Click]` names a.Click and b.Click: refused, with the full names to choose from.
    let ambiguous = [ColumnMapping {
        column: proposal.columns[2].name.clone(),
        source: ColumnSource::Field("[Click].n".into()),
    }];
    let error = DecodePlan::compile(
        &writer,
        &proposal.columns[2..],
        &ambiguous,
        &PlanOptions::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("a.Click") && error.contains("b.Click") && error.contains("full name"),
        "{error}"
    );
}

#[test]
fn a_time_out_of_a_day_is_refused_in_jsonb_too() {
    let schema = r#"{"type":"record","name":"T","fields":[{"name":"t","type":{"type":"long","logicalType":"time-micros"}}]}"#;
    let writer = WriterSchema::parse(schema, &[]).unwrap();
    let table = [TableColumn {
        name: "j".into(),
        pg_type: inlet_avro::PgType::Jsonb,
        nullable: false,
        has_default: false,
        generated: None,
    }];
    let mapping = [ColumnMapping {
        column: "j".into(),
        source: ColumnSource::Field(String::new()),
    }];
    let plan = DecodePlan::compile(&writer, &table, &mapping, &PlanOptions::default()).unwrap();
    let json = |micros: i64| {
        row(
            &plan,
            &encode(
                schema,
                Value::Record(vec![("t".into(), Value::TimeMicros(micros))]),
            ),
        )
        .map(|r| String::from_utf8_lossy(&fields(&r)[0].clone().unwrap()[1..]).into_owned())
    };
    assert_eq!(json(86_400_000_000).unwrap(), r#"{"t":"24:00:00.000000"}"#);
    assert_eq!(json(1).unwrap(), r#"{"t":"00:00:00.000001"}"#);
    for bad in [-1, 86_400_000_001, 1 << 62] {
        let error = json(bad).unwrap_err().to_string();
        assert!(error.contains("not a time of day"), "{error}");
    }
}
