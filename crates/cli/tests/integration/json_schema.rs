//! Topics of Confluent-framed JSON Schema (`format = "json-schema"`): documents serialized
//! by Confluent's Python `JSONSerializer` land in a table made from the registry's schema,
//! documents the schema's types refuse and bytes that are not JSON are dead-lettered.

use std::time::Duration;

use crate::support::{Stream, terminate};

#[tokio::test]
async fn json_schema_records_serialized_by_confluent_land_in_a_table_made_from_the_schema() {
    let stream = Stream::new(1).await;
    let produced = crate::support::interop("json_schema_produce.py", &stream, &["--count", "30"]);
    assert_eq!(produced["schema_type"], "JSON", "{produced}");
    let config = stream.write_config(
        stream
            .connector("orders")
            .set("format", "json-schema")
            .set("table", "public.orders"),
    );
    let mut inlet = stream.start(&config, "json_schema");
    stream
        .wait_for(
            "SELECT count(*) FROM orders",
            30,
            Duration::from_secs(60),
            "json_schema",
        )
        .await;
    stream
        .wait_for(
            "SELECT count(*) FROM inlet.dead_letters",
            2,
            Duration::from_secs(30),
            "json_schema",
        )
        .await;
    assert!(
        terminate(&mut inlet).success(),
        "{}",
        stream.log("json_schema")
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
            "at timestamp with time zone",
            "attrs jsonb",
            "customer text",
            "home_city text",
            "home_zip text",
            "id bigint",
            "kind text",
            "paid boolean",
            "price double precision",
            "tags ARRAY",
        ],
        "the proposal for the schema (properties in name order, $ref followed)"
    );
    let rows = stream
        .rows(
            "SELECT id, customer, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), \
             price, array_to_string(tags, ','), home_city, home_zip, paid, kind, attrs::text \
             FROM orders WHERE id IN (2, 3) ORDER BY id",
            |r| {
                format!(
                    "{} {} {} {} {} {} {} {:?} {} {}",
                    r.get::<_, i64>(0),
                    r.get::<_, String>(1),
                    r.get::<_, String>(2),
                    r.get::<_, f64>(3),
                    r.get::<_, String>(4),
                    r.get::<_, String>(5),
                    r.get::<_, String>(6),
                    r.get::<_, Option<bool>>(7),
                    r.get::<_, String>(8),
                    r.get::<_, String>(9),
                )
            },
        )
        .await;
    assert_eq!(
        rows,
        [
            "2 c2 2024-05-01 08:00:02.250000 3 a,t2 city2 10002 Some(true) web {\"n\": 2}",
            "3 c3 2024-05-01 08:00:03.250000 4.5 a,t3 city0 10003 None shop {\"n\": 3}",
        ]
    );
    let dead = stream
        .rows(
            "SELECT reason_code, error FROM inlet.dead_letters ORDER BY \"offset\"",
            |r| format!("{}: {}", r.get::<_, String>(0), r.get::<_, String>(1)),
        )
        .await;
    assert_eq!(dead.len(), 2, "{dead:?}");
    assert!(
        dead[0].starts_with("value_refused: field id: the string \"not a number\""),
        "{dead:?}"
    );
    assert!(dead[1].starts_with("malformed_value: "), "{dead:?}");
}

/// JSON Schema keys: their fields fill the columns the value lacks, and a tombstone's key
/// deletes its row (upsert-delete).
#[tokio::test]
async fn json_schema_keys_fill_key_columns_and_tombstones_delete_their_rows() {
    let stream = Stream::new(1).await;
    crate::support::interop(
        "json_schema_produce.py",
        &stream,
        &["--count", "6", "--keyed"],
    );
    let config = stream.write_config(
        stream
            .connector("keyed")
            .set("format", "json-schema")
            .set("table", "public.keyed")
            .set("insert", "upsert-delete")
            .set("key_columns", serde_json::json!(["id", "region"])),
    );
    let mut inlet = stream.start(&config, "json_schema_keyed");
    // Six orders, then order 0's tombstone: five rows once the tombstone is applied.
    stream
        .wait_for(
            "SELECT count(*) FROM keyed WHERE id <> 0 OR region IS NULL",
            5,
            Duration::from_secs(60),
            "json_schema_keyed",
        )
        .await;
    stream
        .wait_for(
            "SELECT 5 - count(*) FROM keyed WHERE id = 0",
            5,
            Duration::from_secs(30),
            "json_schema_keyed",
        )
        .await;
    assert!(
        terminate(&mut inlet).success(),
        "{}",
        stream.log("json_schema_keyed")
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
        "region from the JSON Schema key; order 0 deleted by its tombstone"
    );
    assert_eq!(
        stream
            .count("SELECT count(*) FROM inlet.dead_letters")
            .await,
        0,
        "{}",
        stream.log("json_schema_keyed")
    );
}
