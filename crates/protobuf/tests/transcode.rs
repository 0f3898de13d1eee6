//! Messages on the wire as the official implementations may write them (fields out of
//! order, repeated, split, packed or not, unknown), transcoded into the Avro binary of the
//! schema inlet makes and read back as Avro's JSON: what the plan will see.

use inlet_avro::{Proposal, value_json};
use inlet_protobuf::{ProtoError, ProtoSchema};

/// A varint.
fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// A field's tag.
fn tag(number: u32, wire: u8, out: &mut Vec<u8>) {
    varint(u64::from(number) << 3 | u64::from(wire), out);
}

/// A length-delimited field.
fn delimited(number: u32, bytes: &[u8], out: &mut Vec<u8>) {
    tag(number, 2, out);
    varint(bytes.len() as u64, out);
    out.extend_from_slice(bytes);
}

fn json_of(schema: &str, message: &[u8]) -> Result<String, ProtoError> {
    let reading = ProtoSchema::compile(schema, &[])
        .unwrap()
        .main_reading()
        .unwrap();
    let mut body = Vec::new();
    reading.transcode(message, &mut body)?;
    Ok(value_json(reading.writer(), &body).unwrap())
}

const PROTO3: &str = r#"syntax = "proto3";
    message Point { int32 x = 1; int32 y = 2; }
    enum Kind { NONE = 0; ONE = 1; }
    message M {
        int64 id = 1;
        Point at = 2;
        repeated int32 nums = 3;
        Kind kind = 4;
        string name = 5;
    }"#;

#[test]
fn the_wire_s_liberties_read_as_protobuf_reads_them() {
    let mut m = Vec::new();
    // name first, then id twice (the last wins), `at` split in two (merged), nums packed
    // then unpacked (concatenated), an unknown field 9, an enum number not defined.
    delimited(5, b"ann", &mut m);
    tag(1, 0, &mut m);
    varint(1, &mut m);
    tag(1, 0, &mut m);
    varint(7, &mut m);
    let mut x = Vec::new();
    tag(1, 0, &mut x);
    varint(3, &mut x);
    delimited(2, &x, &mut m);
    let mut y = Vec::new();
    tag(2, 0, &mut y);
    varint(4, &mut y);
    delimited(2, &y, &mut m);
    let mut packed = Vec::new();
    varint(10, &mut packed);
    varint(11, &mut packed);
    delimited(3, &packed, &mut m);
    tag(3, 0, &mut m);
    varint(12, &mut m);
    delimited(9, b"unknown", &mut m);
    tag(4, 0, &mut m);
    varint(5, &mut m);
    assert_eq!(
        json_of(PROTO3, &m).unwrap(),
        r#"{"id":7,"at":{"x":3,"y":4},"nums":[10,11,12],"kind":"5","name":"ann"}"#
    );
    // Nothing on the wire: proto3's defaults, the message field absent (null).
    assert_eq!(
        json_of(PROTO3, &[]).unwrap(),
        r#"{"id":0,"at":null,"nums":[],"kind":"NONE","name":""}"#
    );
}

#[test]
fn proto2_presence_and_defaults() {
    let schema = r#"syntax = "proto2";
        message M { required int32 a = 1; optional int32 b = 2 [default = 5]; optional string c = 3; }"#;
    let mut m = Vec::new();
    tag(1, 0, &mut m);
    varint(1, &mut m);
    // An optional field absent is NULL, not its declared default.
    assert_eq!(json_of(schema, &m).unwrap(), r#"{"a":1,"b":null,"c":null}"#);
    tag(2, 0, &mut m);
    varint(0, &mut m);
    assert_eq!(json_of(schema, &m).unwrap(), r#"{"a":1,"b":0,"c":null}"#);
}

#[test]
fn recursive_messages_are_one_jsonb_column() {
    let schema = r#"syntax = "proto3";
        message Node { string label = 1; repeated Node children = 2; Node parent = 3; }"#;
    let mut child = Vec::new();
    delimited(1, b"leaf", &mut child);
    let mut m = Vec::new();
    delimited(1, b"root", &mut m);
    delimited(2, &child, &mut m);
    assert_eq!(
        json_of(schema, &m).unwrap(),
        r#"{"label":"root","children":[{"label":"leaf","children":[],"parent":null}],"parent":null}"#
    );
    let reading = ProtoSchema::compile(schema, &[])
        .unwrap()
        .main_reading()
        .unwrap();
    let types: Vec<String> = Proposal::for_schema(reading.writer())
        .columns
        .iter()
        .map(|c| format!("{} {}", c.name, c.pg_type))
        .collect();
    assert_eq!(types, ["label text", "children jsonb", "parent jsonb"]);
}

#[test]
fn bytes_that_are_not_the_message_are_malformed_not_a_panic() {
    for bad in [
        &[0x08][..],                   // a tag, no value
        &[0x2a, 0x05, b'a'][..],       // a string longer than the bytes
        &[0x0f][..],                   // wire type 7
        &[0xff; 11][..],               // a varint past 64 bits
        &[0x2a, 0x02, 0xff, 0xfe][..], // a string that is not UTF-8
    ] {
        let error = json_of(PROTO3, bad).unwrap_err();
        assert!(error.is_malformed(), "{bad:?}: {error}");
    }
}

#[test]
fn a_package_less_message_used_in_a_nested_one_and_at_the_top_reads() {
    // Money is a top-level message of no package, used by Order.Line and by Order.
    let schema = r#"syntax = "proto3";
        message Money { int64 cents = 1; }
        message Order { message Line { Money price = 1; } repeated Line lines = 1; Money total = 2; }"#;
    let mut money = Vec::new();
    tag(1, 0, &mut money);
    varint(250, &mut money);
    let mut m = Vec::new();
    delimited(2, &money, &mut m);
    assert_eq!(
        json_of(schema, &m).unwrap(),
        r#"{"lines":[],"total":{"cents":250}}"#
    );
}

#[test]
fn lists_and_maps_of_json_messages_are_one_json_value() {
    let schema = r#"syntax = "proto3"; import "google/protobuf/struct.proto";
        message M { repeated google.protobuf.Struct docs = 1; map<string, google.protobuf.Value> attrs = 2; google.protobuf.Value v = 3; }"#;
    let reading = ProtoSchema::compile(schema, &[])
        .unwrap()
        .main_reading()
        .unwrap();
    let types: Vec<String> = Proposal::for_schema(reading.writer())
        .columns
        .iter()
        .map(|c| format!("{} {}", c.name, c.pg_type))
        .collect();
    assert_eq!(types, ["docs jsonb", "attrs jsonb", "v jsonb"]);
    // docs = [{"a": true}], attrs = {"k": "x"}, v = NaN (number_value = 2).
    let mut a = Vec::new();
    tag(4, 0, &mut a); // Value.bool_value
    varint(1, &mut a);
    let mut entry = Vec::new();
    delimited(1, b"a", &mut entry);
    delimited(2, &a, &mut entry);
    let mut doc = Vec::new();
    delimited(1, &entry, &mut doc); // Struct.fields
    let mut x = Vec::new();
    delimited(3, b"x", &mut x); // Value.string_value
    let mut attr = Vec::new();
    delimited(1, b"k", &mut attr);
    delimited(2, &x, &mut attr);
    let mut m = Vec::new();
    delimited(1, &doc, &mut m);
    delimited(2, &attr, &mut m);
    let mut body = Vec::new();
    reading.transcode(&m, &mut body).unwrap();
    assert_eq!(
        value_json(reading.writer(), &body).unwrap(),
        r#"{"docs":"[{\"a\":true}]","attrs":"{\"k\":\"x\"}","v":null}"#
    );
    // A Value of NaN has no JSON form: refused, not stored as something else.
    let mut nan = Vec::new();
    tag(2, 1, &mut nan);
    nan.extend_from_slice(&f64::NAN.to_le_bytes());
    delimited(3, &nan, &mut m);
    let error = reading.transcode(&m, &mut Vec::new()).unwrap_err();
    assert!(
        matches!(&error, ProtoError::Value { path, .. } if path == "v"),
        "{error}"
    );
}

#[test]
fn a_chain_of_messages_deeper_than_the_layout_reads_is_json_not_a_stack_overflow() {
    let mut schema = String::from("syntax = \"proto3\";\n");
    for i in 0..2000 {
        schema.push_str(&format!(
            "message M{i} {{ M{} next = 1; int32 v = 2; }}\n",
            i + 1
        ));
    }
    schema.push_str("message M2000 { int32 v = 1; }\n");
    let reading = ProtoSchema::compile(&schema, &[])
        .unwrap()
        .main_reading()
        .unwrap();
    assert_eq!(reading.message_name(), "M0");
    let mut body = Vec::new();
    reading.transcode(&[0x10, 0x05], &mut body).unwrap();
    assert_eq!(
        value_json(reading.writer(), &body).unwrap(),
        r#"{"next":null,"v":5}"#
    );
}
