//! An attacker holding the topic and the registry: hostile schemas and hostile bytes. Each
//! must be an error (never a panic, a hang, a stack overflow or gigabytes), and what is read
//! must be what the message holds.
//!
//! Tests that could overflow the stack run their body in a child process (this test binary
//! again, for that one test), on a thread of 2 MiB (a tokio worker's stack), so an abort
//! fails that test only. Tests marked `// Found:` guard a bug the helper's first run found
//! and that is fixed.

use std::process::Command;

use base64::Engine as _;
use inlet_avro::value_json;
use inlet_protobuf::{
    ProtoError, ProtoReading, ProtoSchema, encode_message_indexes, split_message_indexes,
};
use prost::Message as _;
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, FieldDescriptorProto, FileDescriptorProto};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

const CHILD: &str = "INLET_ADVERSARIAL_CHILD";

/// Runs `body` in a child process (this binary, this test only) on a 2 MiB thread, and
/// fails if the child dies (a stack overflow aborts the whole process).
fn isolated(name: &str, body: fn()) {
    if std::env::var(CHILD).as_deref() == Ok(name) {
        let worker = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(body)
            .unwrap();
        if let Err(panic) = worker.join() {
            std::panic::resume_unwind(panic);
        }
        return;
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, name)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let tail: String = text
        .chars()
        .rev()
        .take(3000)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    assert!(
        out.status.success(),
        "{name} in its own process ended {:?}:\n{tail}",
        out.status
    );
    assert!(
        text.contains("1 passed"),
        "{name} did not run in the child:\n{tail}"
    );
}

fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn varint_len(v: u64) -> usize {
    let mut n = 1;
    let mut v = v >> 7;
    while v > 0 {
        n += 1;
        v >>= 7;
    }
    n
}

fn tag(number: u32, wire: u8, out: &mut Vec<u8>) {
    varint(u64::from(number) << 3 | u64::from(wire), out);
}

fn delimited(number: u32, bytes: &[u8], out: &mut Vec<u8>) {
    tag(number, 2, out);
    varint(bytes.len() as u64, out);
    out.extend_from_slice(bytes);
}

fn field_varint(number: u32, v: u64, out: &mut Vec<u8>) {
    tag(number, 0, out);
    varint(v, out);
}

fn compile(schema: &str) -> ProtoSchema {
    ProtoSchema::compile(schema, &[]).unwrap_or_else(|e| panic!("{e}\n{schema}"))
}

fn main_reading(schema: &str) -> ProtoReading {
    compile(schema).main_reading().unwrap()
}

/// Transcodes, then reads the Avro back as JSON: a transcode that succeeds must write bytes
/// its own writer schema reads, exactly.
fn json(reading: &ProtoReading, message: &[u8]) -> Result<String, ProtoError> {
    let mut body = Vec::new();
    reading.transcode(message, &mut body)?;
    Ok(value_json(reading.writer(), &body).unwrap_or_else(|e| {
        panic!(
            "the Avro written does not read back with its own schema: {e}\n{}",
            reading.avro_schema()
        )
    }))
}

/// The bytes of a message given in Protobuf's JSON mapping, encoded by prost-reflect.
fn encode(schema: &ProtoSchema, indexes: &[i32], json: &str) -> Vec<u8> {
    let descriptor = schema.message(indexes).unwrap();
    let mut reader = serde_json::Deserializer::from_str(json);
    prost_reflect::DynamicMessage::deserialize(descriptor, &mut reader)
        .unwrap()
        .encode_to_vec()
}

/// A deterministic PRNG (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn b64(proto: &FileDescriptorProto) -> String {
    base64::engine::general_purpose::STANDARD.encode(proto.encode_to_vec())
}

fn field(
    name: &str,
    number: i32,
    label: Label,
    ty: Type,
    type_name: Option<&str>,
) -> FieldDescriptorProto {
    FieldDescriptorProto {
        name: Some(name.into()),
        number: Some(number),
        label: Some(label as i32),
        r#type: Some(ty as i32),
        type_name: type_name.map(Into::into),
        ..Default::default()
    }
}

/// The error must say the bytes are bad (a malformed_value dead letter) or a value no
/// column takes; anything else (a "bug" error) is not what hostile bytes are.
fn assert_refused(result: Result<String, ProtoError>, what: &str) {
    match result {
        Ok(_) => {}
        Err(e) => assert!(
            e.is_malformed() || matches!(e, ProtoError::Value { .. }),
            "{what}: {e}"
        ),
    }
}

// A message with one field of most kinds.
const RICH: &str = r#"syntax = "proto3";
    import "google/protobuf/timestamp.proto";
    import "google/protobuf/duration.proto";
    import "google/protobuf/wrappers.proto";
    import "google/protobuf/struct.proto";
    enum Color { RED = 0; GREEN = 1; NEG = -3; }
    message Inner { string s = 1; repeated sint32 z = 2; }
    message Rich {
        int32 i32 = 1; int64 i64 = 2; uint32 u32 = 3; uint64 u64 = 4;
        sint32 s32 = 5; sint64 s64 = 6; fixed32 f32 = 7; fixed64 f64 = 8;
        sfixed32 sf32 = 9; sfixed64 sf64 = 10; float fl = 11; double db = 12;
        bool b = 13; string str = 14; bytes by = 15; Color color = 16;
        Inner inner = 17; repeated Inner inners = 18; repeated int64 packed = 19;
        map<string, Inner> by_name = 20; map<int64, Color> by_num = 21;
        google.protobuf.Timestamp at = 22; google.protobuf.Duration took = 23;
        google.protobuf.Int64Value maybe = 24; google.protobuf.Struct doc = 25;
        optional string opt = 26;
        oneof choice { Inner one_inner = 27; string one_text = 28; }
        repeated fixed32 fixeds = 29; repeated double doubles = 30;
    }"#;

const RICH_JSON: &str = r#"{
    "i32": -5, "i64": "-9000000000", "u32": 4000000000, "u64": "9223372036854775807",
    "s32": -7, "s64": "-70000000000", "f32": 4294967295, "f64": "123",
    "sf32": -9, "sf64": "-99", "fl": 1.5, "db": -2.25, "b": true, "str": "héllo",
    "by": "AAEC", "color": "GREEN",
    "inner": {"s": "in", "z": [-1, 2]}, "inners": [{"s": "a"}, {"z": [3]}],
    "packed": ["1", "-1", "300"], "byName": {"k": {"s": "v"}, "a": {}},
    "byNum": {"-2": "NEG", "10": "GREEN", "2": "RED"},
    "at": "2024-02-29T12:34:56.123456789Z", "took": "1.500s", "maybe": "42",
    "doc": {"x": [1, "two", null, {"y": true}]}, "opt": "", "oneInner": {"s": "o"},
    "fixeds": [1, 2, 3], "doubles": [0.5, -0.0]
}"#;

fn rich() -> (ProtoSchema, ProtoReading, Vec<u8>) {
    let schema = compile(RICH);
    let reading = schema.reading(&[1]).unwrap();
    let bytes = encode(&schema, &[1], RICH_JSON);
    (schema, reading, bytes)
}

// ---------------------------------------------------------------------------------------
// Valid input reads as what it holds
// ---------------------------------------------------------------------------------------

#[test]
fn a_rich_message_reads_as_it_holds() {
    let (_, reading, bytes) = rich();
    assert_eq!(
        json(&reading, &bytes).unwrap(),
        concat!(
            r#"{"i32":-5,"i64":-9000000000,"u32":4000000000,"u64":9223372036854775807,"#,
            r#""s32":-7,"s64":-70000000000,"f32":4294967295,"f64":123,"sf32":-9,"sf64":-99,"#,
            r#""fl":1.5,"db":-2.25,"b":true,"str":"héllo","by":"\\x000102","color":"GREEN","#,
            r#""inner":{"s":"in","z":[-1,2]},"inners":[{"s":"a","z":[]},{"s":"","z":[3]}],"#,
            r#""packed":[1,-1,300],"by_name":{"a":{"s":"","z":[]},"k":{"s":"v","z":[]}},"#,
            r#""by_num":{"-2":"NEG","2":"RED","10":"GREEN"},"#,
            r#""at":"2024-02-29T12:34:56.123457Z","took":"1.500s","maybe":42,"#,
            r#""doc":"{\"x\":[1.0,\"two\",null,{\"y\":true}]}","opt":"","one_inner":{"s":"o","z":[]},"#,
            r#""one_text":null,"fixeds":[1,2,3],"doubles":[0.5,0]}"#
        )
    );
}

#[test]
fn avro_keywords_as_field_names_are_plain_fields() {
    let reading = main_reading(
        r#"syntax = "proto3";
        message M { int32 type = 1; string null = 2; bool record = 3; int64 name = 4;
                    string namespace = 5; string fields = 6; string default = 7;
                    string items = 8; string values = 9; string symbols = 10; }"#,
    );
    let mut m = Vec::new();
    field_varint(1, 1, &mut m);
    delimited(2, b"n", &mut m);
    field_varint(3, 1, &mut m);
    field_varint(4, 4, &mut m);
    delimited(7, b"d", &mut m);
    assert_eq!(
        json(&reading, &m).unwrap(),
        r#"{"type":1,"null":"n","record":true,"name":4,"namespace":"","fields":"","default":"d","items":"","values":"","symbols":""}"#
    );
}

#[test]
fn proto2_groups_and_extensions() {
    let schema = r#"syntax = "proto2";
        message M {
            optional int32 a = 1;
            optional group G = 2 { optional string s = 3; repeated int32 n = 4; }
            extensions 100 to 200;
        }
        extend M { optional string ext = 100; }"#;
    let reading = main_reading(schema);
    let mut m = Vec::new();
    field_varint(1, 9, &mut m);
    tag(2, 3, &mut m); // start group G
    delimited(3, b"grp", &mut m);
    field_varint(4, 1, &mut m);
    field_varint(4, 2, &mut m);
    tag(2, 4, &mut m); // end group G
    delimited(100, b"an extension", &mut m);
    assert_eq!(
        json(&reading, &m).unwrap(),
        r#"{"a":9,"g":{"s":"grp","n":[1,2]}}"#
    );
    // A group that never ends, one whose end is another field's, a stray end.
    for bad in [
        vec![0x13, 0x1a, 0x01, b'x'],
        vec![0x13, 0x1c],
        vec![0x14],
        vec![0x13, 0x0c],
    ] {
        let e = json(&reading, &bad).unwrap_err();
        assert!(e.is_malformed(), "{bad:?}: {e}");
    }
}

#[test]
fn maps_of_every_key_type_and_message_values() {
    let schema = compile(
        r#"syntax = "proto3";
        message V { int32 x = 1; }
        message M {
            map<int64, V> by_long = 1; map<bool, string> by_bool = 2;
            map<uint64, int32> by_u64 = 3; map<sint32, V> by_sint = 4;
            map<string, string> by_str = 5;
        }"#,
    );
    let reading = schema.reading(&[1]).unwrap();
    let bytes = encode(
        &schema,
        &[1],
        r#"{"byLong": {"-9223372036854775808": {"x": 1}, "9": {}},
            "byBool": {"true": "t", "false": "f"},
            "byU64": {"18446744073709551615": 5},
            "bySint": {"-1": {"x": -1}},
            "byStr": {"": "empty", "é\"": "q"}}"#,
    );
    assert_eq!(
        json(&reading, &bytes).unwrap(),
        concat!(
            r#"{"by_long":{"-9223372036854775808":{"x":1},"9":{"x":0}},"#,
            r#""by_bool":{"false":"f","true":"t"},"by_u64":{"18446744073709551615":5},"#,
            r#""by_sint":{"-1":{"x":-1}},"by_str":{"":"empty","é\"":"q"}}"#
        )
    );
    // Duplicate keys on the wire: the last entry wins. An entry with neither key nor value:
    // the defaults. An entry with its value before its key.
    let mut m = Vec::new();
    let mut e = Vec::new();
    delimited(1, b"k", &mut e);
    delimited(2, b"first", &mut e);
    delimited(5, &e, &mut m);
    let mut e = Vec::new();
    delimited(2, b"second", &mut e);
    delimited(1, b"k", &mut e);
    delimited(5, &e, &mut m);
    delimited(5, &[], &mut m);
    assert_eq!(
        json(&reading, &m).unwrap(),
        r#"{"by_long":{},"by_bool":{},"by_u64":{},"by_sint":{},"by_str":{"":"","k":"second"}}"#
    );
}

#[test]
fn oneof_with_message_members_last_one_wins() {
    let reading = main_reading(
        r#"syntax = "proto3";
        message A { int32 a = 1; } message B { string b = 1; }
        message M { oneof pick { A a = 1; B b = 2; int32 n = 3; } }"#,
    );
    let mut m = Vec::new();
    let mut a = Vec::new();
    field_varint(1, 5, &mut a);
    delimited(1, &a, &mut m);
    delimited(2, &[0x0a, 1, b'z'], &mut m);
    assert_eq!(
        json(&reading, &m).unwrap(),
        r#"{"a":null,"b":{"b":"z"},"n":null}"#
    );
    field_varint(3, 0, &mut m);
    assert_eq!(json(&reading, &m).unwrap(), r#"{"a":null,"b":null,"n":0}"#);
}

#[test]
fn recursion_direct_and_mutual_lays_out_and_reads() {
    let reading = main_reading(
        r#"syntax = "proto3";
        message Root { Even e = 1; }
        message Even { Odd next = 1; int32 v = 2; }
        message Odd { Even next = 1; repeated Odd odds = 2; map<string, Even> evens = 3; }"#,
    );
    let mut even2 = Vec::new();
    field_varint(2, 2, &mut even2);
    let mut odd = Vec::new();
    delimited(1, &even2, &mut odd);
    let mut even = Vec::new();
    delimited(1, &odd, &mut even);
    field_varint(2, 1, &mut even);
    let mut m = Vec::new();
    delimited(1, &even, &mut m);
    assert_eq!(
        json(&reading, &m).unwrap(),
        r#"{"e":{"next":{"next":{"next":null,"v":2},"odds":[],"evens":{}},"v":1}}"#
    );
}

#[test]
fn a_huge_enum_and_negative_numbers() {
    let mut text = String::from("syntax = \"proto3\"; enum E { Z = 0; N = -2147483648; ");
    for i in 1..5000 {
        text.push_str(&format!("V{i} = {i}; "));
    }
    text.push_str("} message M { E e = 1; repeated E es = 2; }");
    let reading = main_reading(&text);
    let mut m = Vec::new();
    field_varint(1, (-2147483648i64) as u64, &mut m); // ten bytes
    let mut packed = Vec::new();
    varint(4999, &mut packed);
    varint((-5i64) as u64, &mut packed);
    varint(7777, &mut packed);
    delimited(2, &packed, &mut m);
    assert_eq!(
        json(&reading, &m).unwrap(),
        r#"{"e":"N","es":["V4999","-5","7777"]}"#
    );
}

#[test]
fn many_messages_and_the_main_one_is_found() {
    let mut text = String::from("syntax = \"proto3\"; package p;\n");
    let n = 2000;
    for i in 0..n {
        text.push_str(&format!("message M{i} {{ int32 v = 1; }}\n"));
    }
    text.push_str("message Main {");
    for i in 0..n {
        text.push_str(&format!(" M{i} m{i} = {};", i + 1));
    }
    text.push_str(" }");
    let schema = compile(&text);
    assert_eq!(schema.main_message(), Some(vec![n]));
    let reading = schema.main_reading().unwrap();
    assert_eq!(reading.message_name(), "p.Main");
    let mut m = Vec::new();
    delimited(2000, &[0x08, 0x07], &mut m);
    let out = json(&reading, &m).unwrap();
    assert!(out.ends_with(r#""m1998":null,"m1999":{"v":7}}"#), "{out}");
}

#[test]
fn a_moderately_deep_chain_of_messages_reads() {
    // 30 top-level messages, each the next's parent: records 24 deep, then the rest as
    // one JSON value (docs: "nested more than 24 messages deep: jsonb").
    let n = 30;
    let mut text = String::from("syntax = \"proto3\";\n");
    for i in 0..n {
        if i + 1 < n {
            text.push_str(&format!(
                "message M{i} {{ M{} next = 1; int32 v = 2; }}\n",
                i + 1
            ));
        } else {
            text.push_str(&format!("message M{i} {{ int32 v = 2; }}\n"));
        }
    }
    let reading = main_reading(&text);
    // Every level set, v = depth.
    let mut m = Vec::new();
    field_varint(2, (n - 1) as u64, &mut m);
    for depth in (0..n - 1).rev() {
        let mut outer = Vec::new();
        delimited(1, &m, &mut outer);
        field_varint(2, depth as u64, &mut outer);
        m = outer;
    }
    let out = json(&reading, &m).unwrap();
    assert!(out.starts_with(r#"{"next":{"next":"#), "{out}");
    assert_eq!(out.matches(r#"{"next":"#).count(), 25, "{out}");
    assert!(
        out.contains(r#""{\"next\":{\"next\":{\"next\":{\"next\":{\"v\":29},\"v\":28},\"v\":27},\"v\":26},\"v\":25}""#),
        "{out}"
    );
    assert!(out.ends_with(r#","v":0}"#), "{out}");
}

#[test]
fn gigantic_strings_and_bytes() {
    let reading = main_reading(
        r#"syntax = "proto3"; message M { string s = 1; bytes b = 2; repeated string many = 3; }"#,
    );
    let big = "x".repeat(4 << 20);
    let mut m = Vec::new();
    delimited(1, big.as_bytes(), &mut m);
    delimited(2, &[0xff; 1000], &mut m);
    for _ in 0..10_000 {
        delimited(3, b"", &mut m);
    }
    let mut body = Vec::new();
    reading.transcode(&m, &mut body).unwrap();
    assert!(body.len() > 4 << 20 && body.len() < (4 << 20) + 20_000);
    let out = value_json(reading.writer(), &body).unwrap();
    assert!(out.starts_with(r#"{"s":"xxxx"#));
    assert_eq!(out.matches(r#""""#).count(), 10_000);
}

// ---------------------------------------------------------------------------------------
// Hostile bytes
// ---------------------------------------------------------------------------------------

#[test]
fn every_truncation_of_a_valid_message_is_refused_or_a_prefix() {
    let (_, reading, bytes) = rich();
    for end in 0..bytes.len() {
        let prefix = &bytes[..end];
        assert_refused(json(&reading, prefix), &format!("prefix of {end} bytes"));
    }
}

#[test]
fn random_bytes_and_mutations_never_panic() {
    let (_, reading, valid) = rich();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for round in 0..20_000 {
        let bytes: Vec<u8> = if round % 2 == 0 {
            let len = rng.below(48) as usize;
            (0..len).map(|_| rng.next() as u8).collect()
        } else {
            let mut m = valid.clone();
            for _ in 0..=rng.below(4) {
                let at = rng.below(m.len() as u64) as usize;
                match rng.below(3) {
                    0 => m[at] ^= 1 << rng.below(8),
                    1 => m[at] = rng.next() as u8,
                    _ => m.truncate(at),
                }
                if m.is_empty() {
                    break;
                }
            }
            m
        };
        let mut body = Vec::new();
        match reading.transcode(&bytes, &mut body) {
            Ok(()) => {
                if let Err(e) = value_json(reading.writer(), &body) {
                    // value_json (the oracle) refuses NUL for jsonb; anything else is a
                    // disagreement between the transcoder and its own schema.
                    assert!(e.contains("U+0000"), "{bytes:?}: {e}");
                }
            }
            Err(e) => assert!(
                e.is_malformed() || matches!(e, ProtoError::Value { .. }),
                "{bytes:?}: {e}"
            ),
        }
    }
}

#[test]
fn wrong_wire_types_for_every_field_are_malformed() {
    let (_, reading, _) = rich();
    // For each field and each wire type that is not its own, a well-formed value of that
    // wire type.
    let expected: &[(u32, u8)] = &[
        (1, 0),
        (2, 0),
        (3, 0),
        (4, 0),
        (5, 0),
        (6, 0),
        (7, 5),
        (8, 1),
        (9, 5),
        (10, 1),
        (11, 5),
        (12, 1),
        (13, 0),
        (14, 2),
        (15, 2),
        (16, 0),
        (17, 2),
        (18, 2),
        (20, 2),
        (21, 2),
        (22, 2),
        (23, 2),
        (24, 2),
        (25, 2),
        (26, 2),
        (27, 2),
        (28, 2),
    ];
    for &(number, own) in expected {
        for wire in [0u8, 1, 2, 5] {
            if wire == own {
                continue;
            }
            let mut m = Vec::new();
            tag(number, wire, &mut m);
            match wire {
                0 => varint(1, &mut m),
                1 => m.extend_from_slice(&[0; 8]),
                2 => varint(0, &mut m),
                _ => m.extend_from_slice(&[0; 4]),
            }
            let e = json(&reading, &m).unwrap_err();
            assert!(e.is_malformed(), "field {number} wire {wire}: {e}");
        }
    }
}

#[test]
fn overlong_varints_and_huge_lengths_are_malformed() {
    let (_, reading, _) = rich();
    let mut cases: Vec<Vec<u8>> = Vec::new();
    // A varint of 11 bytes for an int64.
    let mut m = vec![0x10];
    m.extend_from_slice(&[0xff; 10]);
    m.push(0x01);
    cases.push(m);
    // A tenth byte above 1.
    let mut m = vec![0x10];
    m.extend_from_slice(&[0xff; 9]);
    m.push(0x7f);
    cases.push(m);
    // Length prefixes of 2^60, 2^63, u64::MAX, 2^32 for a string, a message, packed.
    for number in [14u32, 17, 19, 20] {
        for len in [1u64 << 60, 1 << 63, u64::MAX, 1 << 32, 100] {
            let mut m = Vec::new();
            tag(number, 2, &mut m);
            varint(len, &mut m);
            m.extend_from_slice(b"abc");
            cases.push(m);
        }
    }
    // A tag of field 0, a field number beyond 2^29, wire types 6 and 7.
    cases.push(vec![0x00, 0x00]);
    cases.push(vec![0x02, 0x00]);
    let mut m = Vec::new();
    varint((1u64 << 32) << 3, &mut m);
    m.push(0);
    cases.push(m);
    cases.push(vec![0x0e]);
    cases.push(vec![0x0f]);
    // Packed fields whose length is not whole values: fixed32 (3 bytes), double (9), a
    // packed varint cut inside its last value.
    cases.push(vec![0xea, 0x01, 0x03, 1, 2, 3]);
    cases.push(vec![0xf2, 0x01, 0x09, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0]);
    cases.push(vec![0x9a, 0x01, 0x02, 0x01, 0x80]);
    // A packed length longer than the bytes.
    cases.push(vec![0x9a, 0x01, 0x7f, 0x01]);
    // A string that is not UTF-8, an overlong UTF-8 encoding, a lone surrogate.
    cases.push(vec![0x72, 0x02, 0xc0, 0x80]);
    cases.push(vec![0x72, 0x03, 0xed, 0xa0, 0x80]);
    for m in &cases {
        let e = json(&reading, m).unwrap_err();
        assert!(e.is_malformed(), "{m:?}: {e}");
    }
}

#[test]
fn proto2_strings_that_are_not_utf8_are_malformed() {
    let reading = main_reading(r#"syntax = "proto2"; message M { optional string s = 1; }"#);
    let e = json(&reading, &[0x0a, 0x02, 0xff, 0xfe]).unwrap_err();
    assert!(e.is_malformed(), "{e}");
}

#[test]
fn extreme_scalars() {
    let (_, reading, _) = rich();
    // uint64 max: refused as a value; i64::MAX exactly: read.
    let mut m = Vec::new();
    field_varint(4, u64::MAX, &mut m);
    match json(&reading, &m).unwrap_err() {
        ProtoError::Value { path, .. } => assert_eq!(path, "u64"),
        e => panic!("{e}"),
    }
    let mut m = Vec::new();
    tag(8, 1, &mut m);
    m.extend_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(json(&reading, &m), Err(ProtoError::Value { .. })));
    // In a map's value and an Int64Value wrapper: refused too, with its path.
    let schema = compile(
        r#"syntax = "proto3"; import "google/protobuf/wrappers.proto";
        message M { map<string, uint64> m = 1; google.protobuf.UInt64Value w = 2; }"#,
    );
    let reading2 = schema.main_reading().unwrap();
    let mut entry = Vec::new();
    delimited(1, b"k", &mut entry);
    field_varint(2, u64::MAX, &mut entry);
    let mut m = Vec::new();
    delimited(1, &entry, &mut m);
    match json(&reading2, &m).unwrap_err() {
        ProtoError::Value { path, .. } => assert_eq!(path, "m.k"),
        e => panic!("{e}"),
    }
    let mut w = Vec::new();
    field_varint(1, 1 << 63, &mut w);
    let mut m = Vec::new();
    delimited(2, &w, &mut m);
    assert!(matches!(json(&reading2, &m), Err(ProtoError::Value { .. })));
    // int32 given as a varint beyond 32 bits: truncated to its low 32 bits, as protoc's
    // parsers do; int64 min; floats that are NaN and infinite.
    let mut m = Vec::new();
    field_varint(1, (1u64 << 32) + 7, &mut m);
    field_varint(2, i64::MIN as u64, &mut m);
    tag(11, 5, &mut m);
    m.extend_from_slice(&f32::NAN.to_le_bytes());
    tag(12, 1, &mut m);
    m.extend_from_slice(&f64::NEG_INFINITY.to_le_bytes());
    let out = json(&reading, &m).unwrap();
    assert!(
        out.starts_with(r#"{"i32":7,"i64":-9223372036854775808,"#),
        "{out}"
    );
}

fn timestamp_json(seconds: i64, nanos: i32) -> Result<String, ProtoError> {
    let reading = main_reading(
        r#"syntax = "proto3"; import "google/protobuf/timestamp.proto";
        message M { google.protobuf.Timestamp t = 1; }"#,
    );
    let mut ts = Vec::new();
    field_varint(1, seconds as u64, &mut ts);
    field_varint(2, i64::from(nanos) as u64, &mut ts);
    let mut m = Vec::new();
    delimited(1, &ts, &mut m);
    json(&reading, &m)
}

#[test]
fn timestamps_at_the_edges() {
    for (seconds, nanos) in [
        (i64::MAX, 0),
        (i64::MIN, 0),
        (i64::MAX / 1_000_000, 999_999_999),
        (0, -1),
        (0, 1_000_000_000),
        (0, i32::MIN),
        (0, i32::MAX),
        (i64::MIN / 1_000_000 - 1, 0),
    ] {
        let e = timestamp_json(seconds, nanos).unwrap_err();
        assert!(
            matches!(e, ProtoError::Value { .. }),
            "{seconds} {nanos}: {e}"
        );
    }
    assert_eq!(
        timestamp_json(-1, 999_999_999).unwrap(),
        r#"{"t":"1970-01-01T00:00:00.000000Z"}"#
    );
    assert_eq!(
        timestamp_json(0, 500).unwrap(),
        r#"{"t":"1970-01-01T00:00:00.000000Z"}"#
    );
    assert_eq!(
        timestamp_json(0, 1500).unwrap(),
        r#"{"t":"1970-01-01T00:00:00.000002Z"}"#
    );
}

fn duration_json(seconds: i64, nanos: i32) -> Result<String, ProtoError> {
    let reading = main_reading(
        r#"syntax = "proto3"; import "google/protobuf/duration.proto";
        message M { google.protobuf.Duration d = 1; }"#,
    );
    let mut d = Vec::new();
    field_varint(1, seconds as u64, &mut d);
    field_varint(2, i64::from(nanos) as u64, &mut d);
    let mut m = Vec::new();
    delimited(1, &d, &mut m);
    json(&reading, &m)
}

#[test]
fn durations_in_range_are_their_json_text() {
    assert_eq!(duration_json(1, 500_000_000).unwrap(), r#"{"d":"1.500s"}"#);
    assert_eq!(
        duration_json(-1, -500_000_000).unwrap(),
        r#"{"d":"-1.500s"}"#
    );
}

#[test]
fn durations_out_of_range_are_refused_not_garbage() {
    // Found at 299ed17 (json_text swallowed the serializer's error and wrote
    // `{"@type":"","value":""}` as the duration); refused since 62d45a3.
    for (seconds, nanos) in [
        (315_576_000_001, 0),
        (i64::MAX, 0),
        (0, 1_000_000_000),
        (0, i32::MIN),
    ] {
        let result = duration_json(seconds, nanos);
        assert!(
            result.is_err(),
            "Duration {{{seconds}, {nanos}}} was read as {result:?}"
        );
    }
}

#[test]
fn struct_values_that_json_cannot_hold_are_refused_not_garbage() {
    // A google.protobuf.Value number that is NaN has no JSON form. Found at 299ed17 (the
    // Struct was stored as `{"@type":"","value":""}`); refused since 62d45a3.
    let reading = main_reading(
        r#"syntax = "proto3"; import "google/protobuf/struct.proto";
        message M { google.protobuf.Struct doc = 1; google.protobuf.Value v = 2; }"#,
    );
    // Struct { fields: {"x": Value { number_value: NaN }} }
    let mut value = Vec::new();
    tag(2, 1, &mut value);
    value.extend_from_slice(&f64::NAN.to_le_bytes());
    let mut entry = Vec::new();
    delimited(1, b"x", &mut entry);
    delimited(2, &value, &mut entry);
    let mut doc = Vec::new();
    delimited(1, &entry, &mut doc);
    let mut m = Vec::new();
    delimited(1, &doc, &mut m);
    let result = json(&reading, &m);
    assert!(
        result.is_err() || !result.as_ref().unwrap().contains("@type"),
        "a Struct holding {{\"x\": NaN}} was read as {result:?}"
    );
}

#[test]
fn field_masks_that_json_cannot_hold_are_refused_not_garbage() {
    // A FieldMask path that does not round-trip through lowerCamelCase has no JSON form.
    // Found at 299ed17 (stored as `{"@type":"","value":""}`); refused since 62d45a3.
    let reading = main_reading(
        r#"syntax = "proto3"; import "google/protobuf/field_mask.proto";
        message M { google.protobuf.FieldMask mask = 1; }"#,
    );
    let mut mask = Vec::new();
    delimited(1, b"ok_path", &mut mask);
    delimited(1, b"Bad_Path", &mut mask);
    let mut m = Vec::new();
    delimited(1, &mask, &mut m);
    let result = json(&reading, &m);
    assert!(
        result.is_err() || !result.as_ref().unwrap().contains("@type"),
        "a FieldMask [ok_path, Bad_Path] was read as {result:?}"
    );
}

#[test]
fn proto2_closed_enums_put_unknown_numbers_aside() {
    // In proto2 an enum is closed: protoc's parsers (C++, Java, Python) put a number the
    // enum does not define into the unknown fields, leaving the field unset (NULL) and the
    // number out of a repeated field. prost-reflect keeps it as the field's value; the
    // transcoder leaves it out as they do.
    let reading = main_reading(
        r#"syntax = "proto2"; enum E { A = 1; B = 2; }
        message M { optional E e = 1; repeated E es = 2; }"#,
    );
    let mut m = Vec::new();
    field_varint(1, 5, &mut m);
    field_varint(2, 1, &mut m);
    field_varint(2, 9, &mut m);
    field_varint(2, 2, &mut m);
    assert_eq!(json(&reading, &m).unwrap(), r#"{"e":null,"es":["A","B"]}"#);
}

// ---------------------------------------------------------------------------------------
// Deep recursion: on the wire and in the schema
// ---------------------------------------------------------------------------------------

/// A `Node { Node child = 1; }` nested `depth` levels deep, built without copying.
fn nested(depth: usize, field_number: u32) -> Vec<u8> {
    let mut lengths = vec![0u64; depth + 1];
    let tag_len = varint_len(u64::from(field_number) << 3) as u64;
    for k in 1..=depth {
        lengths[k] = tag_len + varint_len(lengths[k - 1]) as u64 + lengths[k - 1];
    }
    let mut out = Vec::with_capacity(lengths[depth] as usize);
    for k in (1..=depth).rev() {
        tag(field_number, 2, &mut out);
        varint(lengths[k - 1], &mut out);
    }
    out
}

#[test]
fn a_recursive_message_ten_thousand_levels_deep_on_the_wire() {
    isolated(
        "a_recursive_message_ten_thousand_levels_deep_on_the_wire",
        || {
            let schema = compile(
                r#"syntax = "proto3";
            message Node { Node child = 1; repeated Node kids = 2; map<string, Node> named = 3; }"#,
            );
            let reading = schema.main_reading().unwrap();
            for field_number in [1, 2] {
                let bytes = nested(10_000, field_number);
                let e = json(&reading, &bytes).unwrap_err();
                assert!(e.is_malformed(), "{e}");
                let e = schema.message_json(&[0], &bytes).unwrap_err();
                assert!(e.is_malformed(), "{e}");
            }
            // 30 levels: read, as deep as it is.
            let bytes = nested(30, 1);
            let out = json(&reading, &bytes).unwrap();
            assert_eq!(out.matches(r#"{"child":"#).count(), 31);
        },
    );
}

#[test]
fn unknown_groups_nested_a_hundred_thousand_deep() {
    isolated("unknown_groups_nested_a_hundred_thousand_deep", || {
        let reading = main_reading(r#"syntax = "proto3"; message M { int32 v = 1; }"#);
        let mut m = vec![0x7b; 100_000]; // start group 15
        m.extend(std::iter::repeat_n(0x7c, 100_000)); // end group 15
        let e = json(&reading, &m).unwrap_err();
        assert!(e.is_malformed(), "{e}");
    });
}

#[test]
fn structs_nested_ten_thousand_deep_on_the_wire() {
    isolated("structs_nested_ten_thousand_deep_on_the_wire", || {
        let reading = main_reading(
            r#"syntax = "proto3"; import "google/protobuf/struct.proto";
            message M { google.protobuf.Value v = 1; }"#,
        );
        // Value { list_value (6): ListValue { values (1): Value { ... } } }, alternating.
        let mut inner: Vec<u8> = Vec::new();
        for level in 0..10_000 {
            let mut outer = Vec::new();
            delimited(if level % 2 == 0 { 1 } else { 6 }, &inner, &mut outer);
            inner = outer;
            if inner.len() > 200_000 {
                break;
            }
        }
        let mut m = Vec::new();
        delimited(1, &inner, &mut m);
        let e = json(&reading, &m).unwrap_err();
        assert!(e.is_malformed(), "{e}");
    });
}

/// An `Any` holding an `Any` holding ... `depth` levels, the innermost an `Empty`.
fn nested_any(depth: usize) -> Vec<u8> {
    let mut value: Vec<u8> = Vec::new();
    delimited(1, b"type.googleapis.com/google.protobuf.Empty", &mut value);
    for _ in 0..depth {
        let mut outer = Vec::new();
        delimited(1, b"type.googleapis.com/google.protobuf.Any", &mut outer);
        delimited(2, &value, &mut outer);
        value = outer;
    }
    value
}

#[test]
fn an_any_in_an_any_a_few_levels_deep_is_its_json() {
    let schema = compile(
        r#"syntax = "proto3"; import "google/protobuf/any.proto"; import "google/protobuf/empty.proto";
        message M { google.protobuf.Any a = 1; google.protobuf.Empty e = 2; }"#,
    );
    let reading = schema.main_reading().unwrap();
    let mut m = Vec::new();
    delimited(1, &nested_any(2), &mut m);
    assert_eq!(
        json(&reading, &m).unwrap(),
        r#"{"a":"{\"@type\":\"type.googleapis.com/google.protobuf.Any\",\"value\":{\"@type\":\"type.googleapis.com/google.protobuf.Any\",\"value\":{\"@type\":\"type.googleapis.com/google.protobuf.Empty\",\"value\":{}}}}","e":null}"#
    );
}

#[test]
fn an_any_in_an_any_two_thousand_levels_deep() {
    // Found: an Any's value is decoded lazily, when prost-reflect serializes the Any to JSON
    // (json_text in transcode.rs, and message_json in schema.rs): each level's decode starts
    // a fresh recursion limit, so prost's limit of 100 never applies and the serializer
    // recurses once per level. A 94 KB record of Anys nested 2000 deep (1500 suffice in a
    // debug build; 1000 still read) overflows the stack of a 2 MiB thread (a tokio
    // worker's) and aborts the process. (Each level also keeps copies of the rest of the
    // bytes alive: memory grows with the square of the depth, 144 MB for an 80 KB record.)
    isolated("an_any_in_an_any_two_thousand_levels_deep", || {
        let schema = compile(
            r#"syntax = "proto3"; import "google/protobuf/any.proto"; import "google/protobuf/empty.proto";
            message M { google.protobuf.Any a = 1; google.protobuf.Empty e = 2; }"#,
        );
        let reading = schema.main_reading().unwrap();
        let mut m = Vec::new();
        delimited(1, &nested_any(2000), &mut m);
        assert!(m.len() < 100_000);
        // Either read (as deep as it is) or refused; not an abort.
        match json(&reading, &m) {
            Ok(out) => assert!(out.starts_with(r#"{"a":"#), "{out}"),
            Err(e) => assert!(e.is_malformed() || matches!(e, ProtoError::Value { .. })),
        }
        let _ = schema.message_json(&[0], &m);
    });
}

#[test]
fn a_chain_of_a_thousand_messages_in_the_schema() {
    // The Avro schema of a message whose fields reach 1000 nested records: refused as a
    // schema (or read); never a stack overflow. Found at 299ed17 (Layout::of and
    // avro_schema recursed once per level and overflowed a 2 MiB stack at 1000); since
    // 62d45a3 messages deeper than 24 are one JSON value.
    isolated("a_chain_of_a_thousand_messages_in_the_schema", || {
        let n = 1000;
        let mut text = String::from("syntax = \"proto3\";\n");
        for i in 0..n {
            if i + 1 < n {
                text.push_str(&format!("message M{i} {{ M{} next = 1; }}\n", i + 1));
            } else {
                text.push_str(&format!("message M{i} {{ int32 v = 1; }}\n"));
            }
        }
        let schema = compile(&text);
        match schema.main_reading() {
            Ok(reading) => {
                let out = json(&reading, &nested(5, 1)).unwrap();
                assert!(out.starts_with(r#"{"next":{"next":"#), "{out}");
            }
            Err(e) => assert!(matches!(e, ProtoError::Schema(_)), "{e}"),
        }
    });
}

#[test]
fn messages_nested_a_thousand_levels_in_their_definitions() {
    isolated(
        "messages_nested_a_thousand_levels_in_their_definitions",
        || {
            let n = 1000;
            let mut text = String::from("syntax = \"proto3\";\n");
            for i in 0..n {
                text.push_str(&format!("message N{i} {{ int32 v{i} = 1; "));
            }
            for _ in 0..n {
                text.push_str("}\n");
            }
            match ProtoSchema::compile(&text, &[]) {
                Ok(schema) => {
                    let reading = schema.main_reading().unwrap();
                    assert_eq!(json(&reading, &[0x08, 0x01]).unwrap(), r#"{"v0":1}"#);
                    // The deepest the frame may name (32 indexes).
                    let indexes = vec![0; 32];
                    let deep = schema.reading(&indexes).unwrap();
                    assert_eq!(json(&deep, &[0x08, 0x02]).unwrap(), r#"{"v31":2}"#);
                    assert!(schema.message(&vec![0; 1000]).is_ok());
                }
                Err(e) => assert!(matches!(e, ProtoError::Schema(_)), "{e}"),
            }
        },
    );
}

// ---------------------------------------------------------------------------------------
// Hostile schemas
// ---------------------------------------------------------------------------------------

#[test]
fn a_self_wrapping_well_known_wrapper_is_refused_not_a_stack_overflow() {
    // Found: the registry's schema may define `google.protobuf.StringValue` itself (package
    // google.protobuf, no import of wrappers.proto needed). Layout::single (layout.rs)
    // recognizes a wrapper by its full name and lays out its field 1 with `single` again,
    // outside the memo `message` keeps for recursion: a StringValue whose field 1 is a
    // StringValue recurses forever, and `reading()` overflows the stack (the process
    // aborts) on a schema that compiles.
    isolated(
        "a_self_wrapping_well_known_wrapper_is_refused_not_a_stack_overflow",
        || {
            let schema = compile(
                r#"syntax = "proto3"; package google.protobuf;
            message StringValue { StringValue value = 1; }"#,
            );
            let reading = schema.main_reading();
            if let Ok(reading) = reading {
                let _ = json(&reading, &[0x0a, 0x00]);
            }
        },
    );
}

#[test]
fn a_registry_copy_of_a_well_known_type_with_other_fields() {
    // An import named google/protobuf/timestamp.proto whose Timestamp has other fields:
    // an error or a value, not a panic.
    let fake = r#"syntax = "proto3"; package google.protobuf;
        message Timestamp { string seconds = 1; repeated int32 nanos = 2; }"#;
    let schema = ProtoSchema::compile(
        r#"syntax = "proto3"; import "google/protobuf/timestamp.proto";
        message M { google.protobuf.Timestamp t = 1; google.protobuf.Timestamp u = 2; }"#,
        &[("google/protobuf/timestamp.proto".into(), fake.into())],
    );
    if let Ok(schema) = schema {
        let reading = schema.main_reading().unwrap();
        let mut ts = Vec::new();
        delimited(1, b"12", &mut ts);
        delimited(2, &[1, 2], &mut ts);
        let mut m = Vec::new();
        delimited(1, &ts, &mut m);
        let _ = json(&reading, &m);
    }
}

#[test]
fn a_package_less_message_used_from_two_namespaces() {
    // A package-less message reused from records of two namespaces. Found at 299ed17 (the
    // record had no "namespace", took its first parent's, and the bare reference "Line"
    // named no type: "does not parse (a bug)"); fixed by 62d45a3's `pb.` namespaces.
    let line = r#"syntax = "proto3"; message Line { string sku = 1; }"#;
    let acme = r#"syntax = "proto3"; package acme; import "line.proto";
        message Thing { .Line line = 1; }"#;
    let schema = ProtoSchema::compile(
        r#"syntax = "proto3"; import "line.proto"; import "acme.proto";
        message Order { acme.Thing thing = 1; Line line = 2; }"#,
        &[
            ("line.proto".into(), line.into()),
            ("acme.proto".into(), acme.into()),
        ],
    )
    .unwrap();
    let reading = schema.main_reading().unwrap_or_else(|e| panic!("{e}"));
    let mut thing = Vec::new();
    delimited(1, &[0x0a, 1, b'a'], &mut thing);
    let mut m = Vec::new();
    delimited(1, &thing, &mut m);
    delimited(2, &[0x0a, 1, b'b'], &mut m);
    assert_eq!(
        json(&reading, &m).unwrap(),
        r#"{"thing":{"line":{"sku":"a"}},"line":{"sku":"b"}}"#
    );
}

#[test]
fn a_package_less_message_and_a_packaged_one_of_the_same_name() {
    // `.Line` (no package) and `acme.Line` in one record. Found at 299ed17 (both became
    // the Avro name acme.Line and b was read with a's fields); fixed in 62d45a3.
    let line = r#"syntax = "proto3"; message Line { string sku = 1; }"#;
    let schema = ProtoSchema::compile(
        r#"syntax = "proto3"; package acme; import "line.proto";
        message Order { .Line a = 1; Line b = 2; }
        message Line { int32 n = 1; }"#,
        &[("line.proto".into(), line.into())],
    )
    .unwrap();
    assert_eq!(schema.main_message(), Some(vec![0]));
    let reading = schema.main_reading().unwrap_or_else(|e| panic!("{e}"));
    let mut m = Vec::new();
    delimited(1, &[0x0a, 1, b'a'], &mut m);
    delimited(2, &[0x08, 0x05], &mut m);
    assert_eq!(
        json(&reading, &m).unwrap(),
        r#"{"a":{"sku":"a"},"b":{"n":5}}"#
    );
}

#[test]
fn messages_named_like_avro_primitives() {
    // Package-less messages named `int`, `long`, `boolean`, `null`: found at 299ed17 (the
    // second use, a reference by the bare name, was read as Avro's primitive: the record's
    // bytes misread as a number; `null` made a union of two nulls); fixed in 62d45a3.
    let mut wrong = Vec::new();
    for name in ["int", "long", "boolean", "null", "record", "map"] {
        let text = format!(
            r#"syntax = "proto3";
            message Outer {{ {name} first = 1; {name} second = 2; }}
            message {name} {{ int32 v = 1; {name} again = 2; }}"#
        );
        let schema = match ProtoSchema::compile(&text, &[]) {
            Ok(schema) => schema,
            Err(_) => continue, // not a name protox takes
        };
        let reading = match schema.main_reading() {
            Ok(reading) => reading,
            Err(e) => {
                wrong.push(format!("message {name}: a valid schema refused: {e}"));
                continue;
            }
        };
        let mut m = Vec::new();
        delimited(1, &[0x08, 0x01], &mut m);
        delimited(2, &[0x08, 0x02], &mut m);
        let mut body = Vec::new();
        reading.transcode(&m, &mut body).unwrap();
        let out = value_json(reading.writer(), &body);
        if out.as_deref() != Ok(r#"{"first":{"v":1,"again":null},"second":{"v":2,"again":null}}"#) {
            wrong.push(format!("message {name}: read as {out:?}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn import_cycles_missing_imports_and_empty_schemas() {
    let a = r#"syntax = "proto3"; import "b.proto"; message A { int32 x = 1; }"#;
    let b = r#"syntax = "proto3"; import "a.proto"; message B { int32 y = 1; }"#;
    let root = r#"syntax = "proto3"; import "a.proto"; message R { A a = 1; }"#;
    let e = ProtoSchema::compile(
        root,
        &[("a.proto".into(), a.into()), ("b.proto".into(), b.into())],
    )
    .unwrap_err();
    assert!(matches!(e, ProtoError::Schema(_)), "{e}");
    // The root importing itself, by the name it is compiled under.
    let e = ProtoSchema::compile(
        r#"syntax = "proto3"; import "inlet-registered-schema.proto"; message R {}"#,
        &[],
    );
    assert!(matches!(e, Err(ProtoError::Schema(_))), "{e:?}");
    // A missing import, an import of a directory-ish name, a type of a file not imported.
    for text in [
        r#"syntax = "proto3"; import "nope.proto"; message R {}"#,
        r#"syntax = "proto3"; import "../../etc/passwd"; message R {}"#,
        r#"syntax = "proto3"; import "/etc/hostname"; message R {}"#,
        r#"syntax = "proto3"; message R { google.protobuf.Timestamp t = 1; }"#,
        r#"syntax = "proto4"; message R {}"#,
        "message {",
        "\u{0}",
        "syntax = \"proto3\"; message R { int32 x = 1; int32 y = 1; }",
        "syntax = \"proto3\"; message R { int32 x = 0; }",
        "syntax = \"proto3\"; message R { int32 x = 536870912; }",
        "syntax = \"proto3\"; enum E { A = 1; } message R { E e = 1; }",
        "syntax = \"proto3\"; message R { map<float, int32> m = 1; }",
    ] {
        let e = ProtoSchema::compile(text, &[]);
        assert!(matches!(e, Err(ProtoError::Schema(_))), "{text}: {e:?}");
    }
    // Empty and blank: a file with no message.
    for text in ["", "   \n\t", "syntax = \"proto3\";", "// only a comment\n"] {
        let schema = ProtoSchema::compile(text, &[]).unwrap();
        assert_eq!(schema.main_message(), None);
        assert!(matches!(schema.main_reading(), Err(ProtoError::Schema(_))));
        assert!(schema.message(&[0]).is_err());
    }
    // Base64 that is no descriptor falls back to text and fails there.
    for text in ["AAAA", "////", "Zm9v", "CgA="] {
        let _ = ProtoSchema::compile(text, &[]);
    }
}

#[test]
fn editions_syntax_compiles_or_is_refused() {
    let text = r#"edition = "2023"; message M { int32 x = 1; repeated int32 r = 2; }"#;
    match ProtoSchema::compile(text, &[]) {
        Ok(schema) => {
            let reading = schema.main_reading().unwrap();
            // Explicit presence by default in editions; packed repeated by default.
            assert_eq!(json(&reading, &[]).unwrap(), r#"{"x":null,"r":[]}"#);
        }
        Err(e) => assert!(matches!(e, ProtoError::Schema(_)), "{e}"),
    }
}

/// A file of one message `M` with `fields` and `nested`, as base64.
fn descriptor(fields: Vec<FieldDescriptorProto>, nested: Vec<DescriptorProto>) -> String {
    b64(&FileDescriptorProto {
        name: Some("hostile.proto".into()),
        syntax: Some("proto3".into()),
        message_type: vec![DescriptorProto {
            name: Some("M".into()),
            field: fields,
            nested_type: nested,
            ..Default::default()
        }],
        ..Default::default()
    })
}

#[test]
fn descriptors_with_hostile_names_and_indexes() {
    let cases: Vec<String> = vec![
        // A field name that is no identifier, an empty one, one with a quote.
        descriptor(
            vec![field("a-b", 1, Label::Optional, Type::Int32, None)],
            vec![],
        ),
        descriptor(
            vec![field("", 1, Label::Optional, Type::Int32, None)],
            vec![],
        ),
        descriptor(
            vec![field("x\"y", 1, Label::Optional, Type::Int32, None)],
            vec![],
        ),
        // A oneof index with no oneof.
        descriptor(
            vec![FieldDescriptorProto {
                oneof_index: Some(3),
                ..field("o", 1, Label::Optional, Type::Int32, None)
            }],
            vec![],
        ),
        // A field number 0, negative, beyond 2^29.
        descriptor(
            vec![field("z", 0, Label::Optional, Type::Int32, None)],
            vec![],
        ),
        descriptor(
            vec![field("z", -1, Label::Optional, Type::Int32, None)],
            vec![],
        ),
        descriptor(
            vec![field("z", i32::MAX, Label::Optional, Type::Int32, None)],
            vec![],
        ),
        // A type name to nothing, a message type naming an enum, a group in proto3.
        descriptor(
            vec![field("t", 1, Label::Optional, Type::Message, Some(".Nope"))],
            vec![],
        ),
        descriptor(
            vec![field("g", 1, Label::Optional, Type::Group, Some(".M"))],
            vec![],
        ),
        // A Timestamp field without the import.
        descriptor(
            vec![field(
                "t",
                1,
                Label::Optional,
                Type::Message,
                Some(".google.protobuf.Timestamp"),
            )],
            vec![],
        ),
        // proto3_optional without its synthetic oneof.
        descriptor(
            vec![FieldDescriptorProto {
                proto3_optional: Some(true),
                ..field("p", 1, Label::Optional, Type::Int32, None)
            }],
            vec![],
        ),
        // A file that depends on itself, and on a file not given.
        b64(&FileDescriptorProto {
            name: Some("self.proto".into()),
            dependency: vec!["self.proto".into()],
            message_type: vec![DescriptorProto {
                name: Some("M".into()),
                ..Default::default()
            }],
            ..Default::default()
        }),
        b64(&FileDescriptorProto {
            name: Some("a.proto".into()),
            dependency: vec!["missing.proto".into()],
            public_dependency: vec![7],
            message_type: vec![DescriptorProto {
                name: Some("M".into()),
                ..Default::default()
            }],
            ..Default::default()
        }),
        // A message named with a dot, a package with empty parts.
        b64(&FileDescriptorProto {
            name: Some("dots.proto".into()),
            package: Some("a..b".into()),
            message_type: vec![DescriptorProto {
                name: Some("X.Y".into()),
                ..Default::default()
            }],
            ..Default::default()
        }),
    ];
    for (i, text) in cases.iter().enumerate() {
        let outcome = std::panic::catch_unwind(|| {
            let schema = ProtoSchema::compile(text, &[])?;
            let reading = schema.main_reading()?;
            let mut m = Vec::new();
            field_varint(1, 1, &mut m);
            json(&reading, &m).map(|_| ())
        });
        match outcome {
            Ok(Ok(())) | Ok(Err(_)) => {}
            Err(_) => panic!("descriptor {i}: panicked"),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Frames
// ---------------------------------------------------------------------------------------

#[test]
fn message_index_arrays_round_trip_and_random_ones_never_panic() {
    let mut rng = Rng(42);
    for _ in 0..5000 {
        let count = 1 + rng.below(32) as usize;
        let indexes: Vec<i32> = (0..count).map(|_| rng.next() as i32).collect();
        let mut bytes = Vec::new();
        encode_message_indexes(&indexes, &mut bytes);
        bytes.extend_from_slice(b"rest");
        let (read, rest) = split_message_indexes(&bytes).unwrap();
        assert_eq!((read, rest), (indexes, &b"rest"[..]));
    }
    for _ in 0..20_000 {
        let len = rng.below(40) as usize;
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        match split_message_indexes(&bytes) {
            Ok((indexes, rest)) => {
                assert!(!indexes.is_empty() && indexes.len() <= 32);
                assert!(rest.len() < bytes.len());
            }
            Err(e) => assert!(e.is_malformed(), "{e}"),
        }
    }
    // 33 indexes; an index beyond 32 bits; a count of i64::MIN.
    let mut bytes = Vec::new();
    varint(66, &mut bytes);
    bytes.extend_from_slice(&[0; 33]);
    assert!(split_message_indexes(&bytes).is_err());
    assert!(split_message_indexes(&[0x02, 0x80, 0x80, 0x80, 0x80, 0x10]).is_err());
    let mut bytes = Vec::new();
    varint(u64::MAX, &mut bytes);
    assert!(split_message_indexes(&bytes).is_err());
    // Indexes that name nothing are NoMessage, not a panic, however large.
    let schema = compile(RICH);
    for indexes in [
        vec![i32::MAX],
        vec![i32::MIN],
        vec![0, i32::MAX],
        vec![2, 0, 0, 0],
        vec![],
    ] {
        let e = schema.reading(&indexes).unwrap_err();
        assert!(
            matches!(e, ProtoError::NoMessage { .. }),
            "{indexes:?}: {e}"
        );
    }
}

#[test]
fn a_text_schema_that_sets_map_entry_itself() {
    // Found: protoc refuses `option map_entry = true;` in .proto text ("map_entry should not
    // be set explicitly. Use map<KeyType, ValueType> instead."); protox compiles it, and
    // nothing checks the entry's shape after (schema.rs, ProtoSchema::compile). A message
    // marked map_entry without a value field makes `reading()` panic in prost-reflect's
    // map_entry_value_field (called from Layout::message, layout.rs); one without a key
    // field, or with a double key, compiles and lays out, then each record's transcode
    // panics inside prost-reflect's decoder (`unwrap()` on the key field, "invalid type for
    // map key"). A registry schema in plain text thus panics the reader.
    let texts = [
        "syntax = \"proto3\"; message R { message E { option map_entry = true; } repeated E m = 1; }",
        "syntax = \"proto3\"; message R { message E { option map_entry = true; string key = 1; } repeated E m = 1; }",
        "syntax = \"proto3\"; message R { message E { option map_entry = true; string value = 2; } repeated E m = 1; }",
        "syntax = \"proto3\"; message R { message E { option map_entry = true; double key = 1; string value = 2; } repeated E m = 1; }",
        "syntax = \"proto3\"; message R { message E { option map_entry = true; R key = 1; string value = 2; } repeated E m = 1; }",
    ];
    let mut panicked = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        let outcome = std::panic::catch_unwind(|| {
            let schema = ProtoSchema::compile(text, &[])?;
            let reading = schema.main_reading()?;
            let mut entry = Vec::new();
            delimited(2, b"v", &mut entry);
            let mut m = Vec::new();
            delimited(1, &entry, &mut m);
            json(&reading, &m).map(|_| ())
        });
        if outcome.is_err() {
            panicked.push(i);
        }
    }
    assert!(
        panicked.is_empty(),
        "schemas {panicked:?} panicked instead of being refused"
    );
}

#[test]
fn lists_and_maps_of_json_messages_are_one_json_value() {
    let reading = main_reading(
        r#"syntax = "proto3"; import "google/protobuf/struct.proto"; import "google/protobuf/any.proto";
        message M { repeated google.protobuf.Value vs = 1; map<string, google.protobuf.Struct> docs = 2;
                    repeated google.protobuf.Any anys = 3; }"#,
    );
    // vs: [Value{string "a"}, Value{bool true}]; docs: {"k": {}}; anys: [Any of a type the
    // schema lacks].
    let mut m = Vec::new();
    delimited(1, &[0x1a, 0x01, b'a'], &mut m);
    delimited(1, &[0x20, 0x01], &mut m);
    let mut entry = Vec::new();
    delimited(1, b"k", &mut entry);
    delimited(2, &[], &mut entry);
    delimited(2, &entry, &mut m);
    let mut any = Vec::new();
    delimited(1, b"type.googleapis.com/x.Nope", &mut any);
    delimited(2, &[1, 2, 3], &mut any);
    delimited(3, &any, &mut m);
    assert_eq!(
        json(&reading, &m).unwrap(),
        r#"{"vs":"[\"a\",true]","docs":"{\"k\":{}}","anys":"[{\"@type\":\"type.googleapis.com/x.Nope\",\"value\":\"AQID\"}]"}"#
    );
    // A NaN inside the list: refused, not an empty Any.
    let mut m = Vec::new();
    let mut v = vec![0x11];
    v.extend_from_slice(&f64::NAN.to_le_bytes());
    delimited(1, &v, &mut m);
    assert!(matches!(json(&reading, &m), Err(ProtoError::Value { .. })));
}

#[test]
fn an_any_of_an_unknown_type_below_the_depth_limit_is_still_its_fallback() {
    // A message nested deeper than 24 is one JSON value (Node::Json, layout.rs), and
    // json_text (transcode.rs) falls back to {"@type", "value"} only when the message it
    // serializes is itself an Any: an Any of a type the schema lacks anywhere inside the
    // deep message fails prost-reflect's serializer ("message 'x.Nope' not found"), and the
    // record is value_refused with that reason (docs/formats.md says so), while the same Any
    // at depth 1 reads as its fallback.
    let n = 27;
    let mut text = String::from("syntax = \"proto3\"; import \"google/protobuf/any.proto\";\n");
    for i in 0..n {
        text.push_str(&format!(
            "message M{i} {{ M{} next = 1; google.protobuf.Any any = 2; }}\n",
            i + 1
        ));
    }
    text.push_str(&format!(
        "message M{n} {{ google.protobuf.Any any = 2; }}\n"
    ));
    let reading = main_reading(&text);
    let mut any = Vec::new();
    delimited(1, b"type.googleapis.com/x.Nope", &mut any);
    delimited(2, &[1, 2, 3], &mut any);
    let mut m = Vec::new();
    delimited(2, &any, &mut m);
    for _ in 0..n {
        let mut outer = Vec::new();
        delimited(1, &m, &mut outer);
        m = outer;
    }
    let shallow = {
        let mut m = Vec::new();
        delimited(2, &any, &mut m);
        json(&reading, &m).unwrap()
    };
    assert!(
        shallow.contains(r#"\"@type\":\"type.googleapis.com/x.Nope\""#),
        "{shallow}"
    );
    let deep = json(&reading, &m);
    assert!(
        matches!(&deep, Err(ProtoError::Value { reason, .. }) if reason.contains("x.Nope")),
        "the same Any 27 levels down: {deep:?}"
    );
}
