//! Topics of Confluent-framed Protobuf (`format = "protobuf"`): records serialized by
//! Confluent's Python `ProtobufSerializer` (Google's protobuf runtime, the schema's import
//! registered as a schema reference) land in a table made from the schema's main message,
//! with bad records dead-lettered.

use std::time::Duration;

use crate::support::{Stream, inlet_once, terminate};

#[tokio::test]
async fn protobuf_records_serialized_by_confluent_land_in_a_table_made_from_the_message() {
    let stream = Stream::new(1).await;
    let produced = crate::support::interop("protobuf_produce.py", &stream, &["--count", "30"]);
    assert_eq!(
        produced["references"],
        serde_json::json!(["inlet/interop/address.proto"]),
        "the import is a schema reference"
    );
    assert_eq!(
        produced["indexes_byte"],
        serde_json::json!([2, 2]),
        "Order is message [1]"
    );
    // Read as Avro, the topic's records would all be dead letters: check says so first.
    let as_avro = stream.write_config(stream.connector("orders").set("table", "public.orders"));
    let (ok, said) = inlet_once("check", &as_avro);
    assert!(!ok, "{said}");
    assert!(
        said.contains("is a PROTOBUF schema, and the topic's format is avro")
            && said.contains("set the topic's format = \"protobuf\""),
        "{said}"
    );
    let config = stream.write_config(
        stream
            .connector("orders")
            .set("format", "protobuf")
            .set("table", "public.orders"),
    );
    let (ok, said) = inlet_once("check", &config);
    assert!(ok, "{said}");
    assert!(
        said.contains(&format!("{}-value: version 1", stream.topic)) && said.contains("(PROTOBUF)"),
        "{said}"
    );
    // What `inlet schema propose --topic` proposes is the table inlet then makes.
    let proposed = std::process::Command::new(env!("CARGO_BIN_EXE_inlet"))
        .args([
            "schema",
            "propose",
            "--format",
            "protobuf",
            "--json",
            "--topic",
            &stream.topic,
        ])
        .args(["--registry", stream.registry(), "--table", "public.orders"])
        .output()
        .unwrap();
    assert!(
        proposed.status.success(),
        "{}",
        String::from_utf8_lossy(&proposed.stderr)
    );
    let proposed: serde_json::Value = serde_json::from_slice(&proposed.stdout).unwrap();
    let mut inlet = stream.start(&config, "protobuf");
    stream
        .wait_for(
            "SELECT count(*) FROM orders",
            30,
            Duration::from_secs(60),
            "protobuf",
        )
        .await;
    stream
        .wait_for(
            "SELECT count(*) FROM inlet.dead_letters",
            2,
            Duration::from_secs(30),
            "protobuf",
        )
        .await;
    assert!(
        terminate(&mut inlet).success(),
        "{}",
        stream.log("protobuf")
    );

    let types = stream
        .rows(
            "SELECT column_name || ' ' || data_type FROM information_schema.columns WHERE table_name = 'orders' ORDER BY ordinal_position",
            |r| r.get::<_, String>(0),
        )
        .await;
    assert_eq!(
        types,
        [
            "id bigint",
            "customer text",
            "ship_to_street text",
            "ship_to_city text",
            "tags ARRAY",
            "placed_at timestamp with time zone",
            "discount double precision",
            "status text",
            "counts jsonb",
            "card text",
            "iban text",
            "big bigint",
            "extra jsonb",
            "maybe bigint",
            "blob bytea",
            "lines jsonb",
            "note_text text",
        ],
        "the proposal for message inlet.interop.Order"
    );
    let proposed: Vec<String> = proposed["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        proposed,
        types
            .iter()
            .map(|t| t.split(' ').next().unwrap().to_owned())
            .collect::<Vec<_>>(),
        "inlet schema propose --topic"
    );
    let rows = stream
        .rows(
            "SELECT id, customer, ship_to_city, array_to_string(tags, ','), \
             to_char(placed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), discount, status, \
             counts::text, coalesce(card, iban), big, extra::text, maybe, encode(blob, 'hex'), \
             lines::text, note_text FROM orders WHERE id IN (2, 3) ORDER BY id",
            |r| {
                format!(
                    "{} {} {} {} {} {:?} {} {} {} {} {} {:?} {} {} {}",
                    r.get::<_, i64>(0),
                    r.get::<_, String>(1),
                    r.get::<_, String>(2),
                    r.get::<_, String>(3),
                    r.get::<_, String>(4),
                    r.get::<_, Option<f64>>(5),
                    r.get::<_, String>(6),
                    r.get::<_, String>(7),
                    r.get::<_, String>(8),
                    r.get::<_, i64>(9),
                    r.get::<_, String>(10),
                    r.get::<_, Option<i64>>(11),
                    r.get::<_, String>(12),
                    r.get::<_, String>(13),
                    r.get::<_, String>(14),
                )
            },
        )
        .await;
    assert_eq!(
        rows,
        [
            // Even: a discount, the card of the oneof, status at its default, no wrapper.
            "2 c2 city2 a,t2 2024-05-01 10:00:02.123457 Some(1.0) PENDING {\"x\": 2} card2 \
             9223372036854775805 {\"k\": [\"v\", true], \"n\": 2.0} None 02ff \
             [{\"qty\": 2, \"sku\": \"s2\"}] note 2",
            // Odd: no discount (proto3 optional, absent: NULL), the iban, the wrapper's -3.
            "3 c3 city0 a,t3 2024-05-01 10:00:03.123457 None SHIPPED {\"x\": 3} iban3 \
             9223372036854775804 {\"k\": [\"v\", true], \"n\": 3.0} Some(-3) 03ff \
             [{\"qty\": 3, \"sku\": \"s3\"}] note 3",
        ]
    );
    let dead = stream
        .rows(
            "SELECT reason_code, error FROM inlet.dead_letters ORDER BY \"offset\"",
            |r| format!("{}: {}", r.get::<_, String>(0), r.get::<_, String>(1)),
        )
        .await;
    assert_eq!(dead.len(), 2, "{dead:?}");
    assert_eq!(
        dead[0],
        "value_refused: field big: 18446744073709551615 is above bigint's range (a uint64 goes into bigint, whose largest value is 9223372036854775807)"
    );
    assert!(
        dead[1].starts_with("malformed_value: the bytes are not a inlet.interop.Order message: "),
        "{dead:?}"
    );
}

/// Protobuf keys: their fields fill the columns the value lacks, and a tombstone's key
/// deletes its row (upsert-delete).
#[tokio::test]
async fn protobuf_keys_fill_key_columns_and_tombstones_delete_their_rows() {
    let stream = Stream::new(1).await;
    crate::support::interop("protobuf_produce.py", &stream, &["--count", "6", "--keyed"]);
    let config = stream.write_config(
        stream
            .connector("keyed")
            .set("format", "protobuf")
            .set("table", "public.keyed")
            .set("insert", "upsert-delete")
            .set("key_columns", serde_json::json!(["id", "region"])),
    );
    let mut inlet = stream.start(&config, "protobuf_keyed");
    // Six orders, then order 0's tombstone: five rows once the tombstone is applied.
    stream
        .wait_for(
            "SELECT count(*) FROM keyed WHERE id <> 0 OR region IS NULL",
            5,
            Duration::from_secs(60),
            "protobuf_keyed",
        )
        .await;
    stream
        .wait_for(
            "SELECT 5 - count(*) FROM keyed WHERE id = 0",
            5,
            Duration::from_secs(30),
            "protobuf_keyed",
        )
        .await;
    assert!(
        terminate(&mut inlet).success(),
        "{}",
        stream.log("protobuf_keyed")
    );
    let rows = stream
        .rows("SELECT id, region, customer FROM keyed ORDER BY id", |r| {
            format!(
                "{} {} {}",
                r.get::<_, i64>(0),
                r.get::<_, String>(1),
                r.get::<_, String>(2)
            )
        })
        .await;
    assert_eq!(
        rows,
        ["1 r1 c1", "2 r0 c2", "3 r1 c3", "4 r0 c4", "5 r1 c5"],
        "region from the Protobuf key; order 0 deleted by its tombstone"
    );
    assert_eq!(
        stream
            .count("SELECT count(*) FROM inlet.dead_letters")
            .await,
        0,
        "{}",
        stream.log("protobuf_keyed")
    );
}
