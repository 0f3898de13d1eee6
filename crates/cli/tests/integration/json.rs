//! Topics of JSON documents and of raw text (`format = "json"`, `"text"`): no registry, the
//! table made from a sample of the topic or taken as it is, bad documents dead-lettered
//! with their bytes.

use std::time::Duration;

use serde_json::json;

use crate::support::{Stream, terminate};

/// A reading as a JSON document (keys in serde_json's sorted order; `device-id` is not an
/// Avro name, so its column is `device_id`).
fn document(i: usize) -> Vec<u8> {
    json!({
        "device-id": format!("dev-{}", i % 7),
        "ts": format!("2024-05-01T10:{:02}:{:02}.5+02:00", i / 60 % 60, i % 60),
        "temperature": 20 + i % 10,
        "geo": {"lat": 48.5, "lon": 2.25 + i as f64},
        "tags": ["a", format!("t{i}")],
        "attrs": {"fw": [1, 2, {"x": i}]},
        "ok": i.is_multiple_of(2),
        "price": "12.50",
    })
    .to_string()
    .into_bytes()
}

#[tokio::test]
async fn json_documents_land_in_a_table_made_from_a_sample_of_the_topic() {
    let stream = Stream::new(1).await;
    let p = &stream.producer;
    let t = &stream.topic;
    for i in 0..40 {
        p.send_raw(t, Some(0), None, &document(i)).await;
    }
    p.send_raw(t, Some(0), None, b"{\"device-id\": \"broken\", ")
        .await;
    // No registry: a json topic needs none.
    let config = stream.write_config(
        stream
            .connector("json")
            .set("format", "json")
            .without("registry.url"),
    );
    let mut inlet = stream.start(&config, "json");
    stream
        .wait_for(
            "SELECT count(*) FROM readings",
            40,
            Duration::from_secs(60),
            "json",
        )
        .await;
    // Once the table is made: a document whose temperature is not a number.
    let mut hot = json!({"device-id": "dev-x", "ts": "2024-05-01T11:00:00Z", "temperature": "hot"});
    p.send_raw(t, Some(0), None, hot.to_string().as_bytes())
        .await;
    hot["temperature"] = json!(99.5);
    p.send_raw(t, Some(0), None, hot.to_string().as_bytes())
        .await;
    hot["temperature"] = json!(30);
    p.send_raw(t, Some(0), None, hot.to_string().as_bytes())
        .await;
    stream
        .wait_for(
            "SELECT count(*) FROM readings",
            41,
            Duration::from_secs(60),
            "json",
        )
        .await;
    stream
        .wait_for(
            "SELECT count(*) FROM inlet.dead_letters",
            3,
            Duration::from_secs(30),
            "json",
        )
        .await;
    assert!(terminate(&mut inlet).success(), "{}", stream.log("json"));

    let types = stream
        .rows(
            "SELECT column_name || ' ' || data_type FROM information_schema.columns WHERE table_name = 'readings' ORDER BY ordinal_position",
            |r| r.get::<_, String>(0),
        )
        .await;
    assert_eq!(
        types,
        [
            "attrs_fw jsonb",
            "device_id text",
            "geo_lat double precision",
            "geo_lon double precision",
            "ok boolean",
            "price text",
            "tags ARRAY",
            "temperature bigint",
            "ts timestamp with time zone",
        ],
        "the proposal for the sample"
    );
    let row = stream
        .rows(
            "SELECT device_id, ts::text, temperature, geo_lon, tags::text, attrs_fw::text, ok FROM readings WHERE device_id = 'dev-3' ORDER BY ts LIMIT 1",
            |r| {
                (
                    r.get::<_, String>(0),
                    r.get::<_, String>(1),
                    r.get::<_, i64>(2),
                    r.get::<_, f64>(3),
                    r.get::<_, String>(4),
                    r.get::<_, String>(5),
                    r.get::<_, bool>(6),
                )
            },
        )
        .await;
    let session_tz = stream
        .rows("SELECT current_setting('TimeZone')", |r| {
            r.get::<_, String>(0)
        })
        .await;
    assert_eq!(
        row[0],
        (
            "dev-3".to_owned(),
            // 10:00:03.5+02:00 in the session's time zone.
            stream
                .rows(
                    "SELECT '2024-05-01T10:00:03.5+02:00'::timestamptz::text",
                    |r| r.get::<_, String>(0)
                )
                .await[0]
                .clone(),
            23,
            5.25,
            "{a,t3}".to_owned(),
            "[1, 2, {\"x\": 3}]".to_owned(),
            false
        ),
        "time zone {session_tz:?}"
    );
    assert_eq!(
        stream
            .rows(
                "SELECT temperature FROM readings WHERE device_id = 'dev-x'",
                |r| r.get::<_, i64>(0)
            )
            .await,
        [30],
        "99.5 is not a bigint either: a dead letter too"
    );
    let dead = stream
        .rows(
            "SELECT reason_code, error, value FROM inlet.dead_letters ORDER BY \"offset\"",
            |r| {
                (
                    r.get::<_, String>(0),
                    r.get::<_, String>(1),
                    r.get::<_, Vec<u8>>(2),
                )
            },
        )
        .await;
    let reasons: Vec<(&str, &str)> = dead
        .iter()
        .map(|(code, reason, _)| (code.as_str(), reason.as_str()))
        .collect();
    assert_eq!(dead.len(), 3, "{reasons:?}");
    assert_eq!(dead[0].0, "malformed_value", "{reasons:?}");
    assert!(dead[0].1.starts_with("not JSON: "), "{reasons:?}");
    assert_eq!(
        dead[0].2, b"{\"device-id\": \"broken\", ",
        "the raw bytes are kept"
    );
    assert_eq!(
        reasons[1..],
        [
            (
                "value_refused",
                "field temperature: the string \"hot\" is not an integer in bigint's range"
            ),
            (
                "value_refused",
                "field temperature: the number 99.5 is not an integer in bigint's range"
            ),
        ]
    );
}

#[tokio::test]
async fn json_documents_upsert_into_a_table_of_ones_own_by_field_path() {
    let stream = Stream::new(1).await;
    stream
        .db
        .connect()
        .await
        .batch_execute(
            "CREATE TABLE readings (id bigint PRIMARY KEY, total numeric(10,2) NOT NULL, \
             placed timestamptz, customer varchar(8), lines jsonb, topic text)",
        )
        .await
        .unwrap();
    let p = &stream.producer;
    let t = &stream.topic;
    let order = |id: serde_json::Value, total: serde_json::Value, customer: &str| {
        json!({
            "order": {"id": id, "total": total, "placed": "2024-05-01 10:00:00-05"},
            "customer": {"name": customer},
            "lines": [{"sku": "a", "qty": 2}],
            "ignored": true,
        })
        .to_string()
    };
    for doc in [
        order(json!(1), json!(10.5), "ann"),
        order(json!(2), json!("20"), "bob"),
        order(json!(1), json!(11), "ann"), // the upsert's update of order 1
        order(json!("x"), json!(1), "eve"),
        order(json!(3), json!(1.234), "cy"), // more decimals than numeric(10,2) keeps
        order(json!(4), json!(1), "a-very-long-name"), // longer than varchar(8)
        json!({"customer": {"name": "no order"}}).to_string(), // id is NOT NULL
    ] {
        p.send_raw(t, Some(0), None, doc.as_bytes()).await;
    }
    let config = stream.write_config(
        stream
            .connector("orders")
            .set("format", "json")
            .set("insert", "upsert")
            .set("key_columns", json!(["id"]))
            .set(
                "mapping",
                json!({
                    "id": "order.id",
                    "total": "order.total",
                    "placed": "order.placed",
                    "customer": "customer.name",
                    "lines": "lines",
                    "topic": "kafka.topic",
                }),
            ),
    );
    stream.run_until_offset(&config, "orders", 7).await;
    let rows = stream
        .rows(
            "SELECT id, total::text, placed = '2024-05-01 15:00:00+00', customer, lines::text, topic = $$TOPIC$$ FROM readings ORDER BY id"
                .replace("$$TOPIC$$", &format!("'{t}'"))
                .as_str(),
            |r| {
                (
                    r.get::<_, i64>(0),
                    r.get::<_, String>(1),
                    r.get::<_, bool>(2),
                    r.get::<_, String>(3),
                    r.get::<_, String>(4),
                    r.get::<_, bool>(5),
                )
            },
        )
        .await;
    let lines = "[{\"qty\": 2, \"sku\": \"a\"}]".to_owned();
    assert_eq!(
        rows,
        [
            (
                1,
                "11.00".to_owned(),
                true,
                "ann".to_owned(),
                lines.clone(),
                true
            ),
            (2, "20.00".to_owned(), true, "bob".to_owned(), lines, true),
        ]
    );
    let dead = stream
        .rows(
            "SELECT reason_code, error FROM inlet.dead_letters ORDER BY \"offset\"",
            |r| (r.get::<_, String>(0), r.get::<_, String>(1)),
        )
        .await;
    let codes: Vec<&str> = dead.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(codes, ["value_refused"; 4], "{dead:#?}");
    assert!(
        dead[0]
            .1
            .starts_with("field order.id: the string \"x\" is not an integer"),
        "{dead:#?}"
    );
    assert!(dead[1].1.contains("numeric(10,2)"), "{dead:#?}");
    assert!(
        dead[2].1.contains("varchar(8)") || dead[2].1.contains("character varying(8)"),
        "{dead:#?}"
    );
    assert!(dead[3].1.contains("NOT NULL"), "{dead:#?}");
}

#[tokio::test]
async fn text_lines_fill_one_column_and_bytes_that_are_not_utf8_are_dead_letters() {
    let stream = Stream::new(1).await;
    let p = &stream.producer;
    let t = &stream.topic;
    for line in [
        &b"GET /index.html 200"[..],
        b"caf\xc3\xa9",
        b"\xff\xfe not text",
        b"POST /login 302",
    ] {
        p.send_raw(t, Some(0), None, line).await;
    }
    let config = stream.write_config(stream.connector("lines").set("format", "text"));
    stream.run_until_offset(&config, "lines", 4).await;
    assert_eq!(
        stream
            .rows(
                "SELECT column_name || ' ' || data_type || ' ' || is_nullable FROM information_schema.columns WHERE table_name = 'readings'",
                |r| r.get::<_, String>(0)
            )
            .await,
        ["value text NO"]
    );
    assert_eq!(
        stream
            .rows("SELECT value FROM readings ORDER BY value", |r| r
                .get::<_, String>(0))
            .await,
        ["GET /index.html 200", "POST /login 302", "café"]
    );
    let dead = stream
        .rows("SELECT reason_code, value FROM inlet.dead_letters", |r| {
            (r.get::<_, String>(0), r.get::<_, Vec<u8>>(1))
        })
        .await;
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0].1, b"\xff\xfe not text");
    assert_eq!(dead[0].0, "malformed_value", "{dead:?}");
}

#[tokio::test]
async fn bytes_values_fill_a_column_of_ones_own_named_by_the_empty_path() {
    let stream = Stream::new(1).await;
    stream
        .db
        .connect()
        .await
        .batch_execute("CREATE TABLE readings (raw bytea NOT NULL, at timestamptz, span interval)")
        .await
        .unwrap();
    let p = &stream.producer;
    for value in [&b"\x00\x01\xff"[..], b"", b"\xc3\xa9"] {
        p.send_raw(&stream.topic, Some(0), None, value).await;
    }
    let config = stream.write_config(
        stream
            .connector("raw")
            .set("format", "bytes")
            .set("mapping", json!({"raw": "", "at": "kafka.timestamp"})),
    );
    stream.run_until_offset(&config, "raw", 3).await;
    assert_eq!(
        stream
            .rows(
                "SELECT encode(raw, 'hex'), at IS NOT NULL, span IS NULL FROM readings ORDER BY raw",
                |r| (r.get::<_, String>(0), r.get::<_, bool>(1), r.get::<_, bool>(2))
            )
            .await,
        [
            (String::new(), true, true),
            ("0001ff".to_owned(), true, true),
            ("c3a9".to_owned(), true, true)
        ]
    );
    assert_eq!(
        stream
            .count("SELECT count(*) FROM inlet.dead_letters")
            .await,
        0
    );
}
