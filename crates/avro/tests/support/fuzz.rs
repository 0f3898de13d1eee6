//! The decoder as the fuzzer drives it, shared by the `cargo fuzz` target
//! (`fuzz/fuzz_targets/decode.rs`) and the test that replays its corpus in CI
//! (`tests/fuzz_corpus.rs`). The first input byte picks a plan; the rest is a record value
//! (framed or not). Whatever the bytes, decoding must end in `Ok` or a typed error: a panic,
//! an abort on allocation or a hang is a bug.

use std::sync::OnceLock;

use inlet_avro::{
    ColumnMapping, ColumnSource, DecodePlan, Frame, KafkaField, PgType, PlanOptions, Proposal,
    RecordMeta, RowScratch, TableColumn, WriterSchema,
};

/// Every Avro type and logical type, unions, nesting.
pub const ALL_TYPES: &str = r#"{"type":"record","name":"All","namespace":"inlet.test","fields":[
 {"name":"b","type":"boolean"},
 {"name":"i","type":"int"},
 {"name":"l","type":"long"},
 {"name":"f","type":"float"},
 {"name":"d","type":"double"},
 {"name":"s","type":"string"},
 {"name":"s_json","type":{"type":"string","logicalType":"json"}},
 {"name":"by","type":"bytes"},
 {"name":"fx","type":{"type":"fixed","name":"F4","size":4}},
 {"name":"e","type":{"type":"enum","name":"Mood","symbols":["happy","sad"]}},
 {"name":"arr","type":{"type":"array","items":"int"}},
 {"name":"arr_null","type":{"type":"array","items":["null","string"]}},
 {"name":"m","type":{"type":"map","values":"long"}},
 {"name":"rec","type":{"type":"record","name":"Inner","fields":[{"name":"x","type":"int"},{"name":"y","type":"string"}]}},
 {"name":"opt","type":["null","long"]},
 {"name":"multi","type":["int","string"]},
 {"name":"common","type":["int","long"]},
 {"name":"dec","type":{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}},
 {"name":"dec_fixed","type":{"type":"fixed","name":"D9","size":9,"logicalType":"decimal","precision":20,"scale":4}},
 {"name":"bigdec","type":{"type":"bytes","logicalType":"big-decimal"}},
 {"name":"uuid_s","type":{"type":"string","logicalType":"uuid"}},
 {"name":"uuid_f","type":{"type":"fixed","name":"U16","size":16,"logicalType":"uuid"}},
 {"name":"day","type":{"type":"int","logicalType":"date"}},
 {"name":"tm","type":{"type":"int","logicalType":"time-millis"}},
 {"name":"tu","type":{"type":"long","logicalType":"time-micros"}},
 {"name":"ts_ms","type":{"type":"long","logicalType":"timestamp-millis"}},
 {"name":"ts_us","type":{"type":"long","logicalType":"timestamp-micros"}},
 {"name":"ts_ns","type":{"type":"long","logicalType":"timestamp-nanos"}},
 {"name":"lts_us","type":{"type":"long","logicalType":"local-timestamp-micros"}},
 {"name":"dur","type":{"type":"fixed","name":"Dur","size":12,"logicalType":"duration"}},
 {"name":"custom","type":{"type":"string","logicalType":"custom-type"}}
]}"#;

/// The canonical event.
pub const READING: &str = inlet_avro::READING_SCHEMA;

/// A recursive type, a root union, nested arrays and maps.
pub const RECURSIVE: &str = r#"{"type":"record","name":"Node","fields":[
 {"name":"label","type":"string"},
 {"name":"children","type":{"type":"array","items":"Node"}},
 {"name":"attrs","type":{"type":"map","values":{"type":"array","items":["null","double","Node"]}}},
 {"name":"next","type":["null","Node"]}]}"#;

/// A root that is a multi-type union.
pub const ROOT_UNION: &str = r#"["null","long",{"type":"record","name":"R","fields":[{"name":"x","type":"string"}]},{"type":"enum","name":"E","symbols":["A","B"]}]"#;

/// The schemas the fuzzer drives.
pub const SCHEMAS: [&str; 4] = [ALL_TYPES, READING, RECURSIVE, ROOT_UNION];

fn plans() -> &'static [DecodePlan] {
    static PLANS: OnceLock<Vec<DecodePlan>> = OnceLock::new();
    PLANS.get_or_init(|| {
        let mut plans = Vec::new();
        for text in SCHEMAS {
            let schema = WriterSchema::parse(text, &[]).expect("a valid schema");
            let proposal = Proposal::for_schema(&schema);
            let options = PlanOptions::default();
            // The proposal: the direct program for record roots.
            plans.push(
                DecodePlan::compile(&schema, &proposal.columns, &proposal.mapping, &options)
                    .expect("the proposal compiles"),
            );
            // The same plus Kafka metadata: the general program.
            let mut table = proposal.columns.clone();
            let mut mapping = proposal.mapping.clone();
            table.push(TableColumn {
                name: "headers".into(),
                pg_type: PgType::Jsonb,
                nullable: true,
                has_default: false,
                generated: None,
            });
            mapping.push(ColumnMapping {
                column: "headers".into(),
                source: ColumnSource::Kafka(KafkaField::Headers),
            });
            plans.push(
                DecodePlan::compile(&schema, &table, &mapping, &options)
                    .expect("the proposal with metadata compiles"),
            );
            // The whole value as one jsonb column.
            let whole = [TableColumn {
                name: "doc".into(),
                pg_type: PgType::Jsonb,
                nullable: true,
                has_default: false,
                generated: None,
            }];
            let mapping = [ColumnMapping {
                column: "doc".into(),
                source: ColumnSource::Field(String::new()),
            }];
            plans.push(
                DecodePlan::compile(&schema, &whole, &mapping, &options)
                    .expect("the jsonb plan compiles"),
            );
        }
        plans
    })
}

/// Decodes `data` as the fuzzer's input; returns whether a row was written. The first
/// byte's low 7 bits pick the plan; its high bit says the value is Confluent-framed.
pub fn decode(data: &[u8]) -> bool {
    let Some((&selector, value)) = data.split_first() else {
        return false;
    };
    let plans = plans();
    let plan = &plans[usize::from(selector & 0x7f) % plans.len()];
    let body = if selector & 0x80 != 0 {
        match Frame::parse(value) {
            Ok(frame) => frame.body,
            Err(_) => return false,
        }
    } else {
        value
    };
    let headers: &[(&str, Option<&[u8]>)] = &[("h", Some(value))];
    let meta = RecordMeta {
        key_avro: None,
        headers,
        ..RecordMeta::default()
    };
    let mut out = Vec::new();
    plan.write_row(body, &meta, &mut RowScratch::default(), &mut out)
        .is_ok()
}
