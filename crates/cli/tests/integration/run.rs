//! `inlet run` as users run it, against the real broker, registry and PostgreSQL: records
//! land exactly once, bad records are dead-lettered with their reason, SIGTERM stops cleanly.
//! Needs `scripts/services up`.

use std::time::{Duration, Instant};

use apache_avro::types::Value;
use serde_json::json;

use crate::support::{EXACTLY_ONCE, READING, Stream, inlet_once, reading, terminate};

#[tokio::test(flavor = "multi_thread")]
async fn records_land_exactly_once_and_sigterm_stops_cleanly() {
    let stream = Stream::new(4).await;
    stream.produce(0..2000).await;
    let config = stream.config("append");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let metrics_at = format!("127.0.0.1:{port}");
    let mut inlet = stream.start_with(&config, "first.log", &["--metrics", &metrics_at]);
    stream
        .wait_for(
            "SELECT count(*) FROM readings",
            2000,
            Duration::from_secs(90),
            "first.log",
        )
        .await;
    // The metrics count what was stored; the lag falls to 0 once the consumer's statistics
    // (every 5 s) have seen the high watermarks.
    let start = Instant::now();
    let lags = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with("inlet_lag_records{"))
            .map(str::to_owned)
            .collect()
    };
    let metrics = loop {
        let text = http_get(&metrics_at, "/metrics");
        let lag = lags(&text);
        // One line per partition with an offset stored (the producer may fill only some).
        if !lag.is_empty() && lag.iter().all(|l| l.ends_with("} 0")) {
            break text;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no lag, or not 0:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    assert!(
        metrics.contains("inlet_rows_total{connector=\"append\"} 2000\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("inlet_dead_letters_total{connector=\"append\"} 0\n"),
        "{metrics}"
    );
    // Every committed batch is timed: as many observations as batches, none of them 0.
    let value = |name: &str| -> u64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}{{connector=\"append\"}} ")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} is missing: {metrics}"))
    };
    let batches = value("inlet_batches_total");
    assert!(batches > 0, "{metrics}");
    assert_eq!(value("inlet_batch_seconds_count"), batches, "{metrics}");
    assert!(
        !metrics.contains("inlet_batch_seconds_sum{connector=\"append\"} 0\n"),
        "{metrics}"
    );
    assert!(
        !metrics.contains("inlet_rebalances_total{connector=\"append\"} 0\n"),
        "the assignment is counted: {metrics}"
    );
    let status = terminate(&mut inlet);
    assert!(
        status.success(),
        "exit {status}; log:\n{}",
        stream.log("first.log")
    );
    // Each line a connector logs names it, those from librdkafka's threads included.
    let log = stream.log("first.log");
    for event in ["partitions assigned", "running"] {
        assert!(
            log.lines()
                .any(|l| l.contains(event) && l.contains("connector{connector=append}")),
            "{event}: {log}"
        );
    }

    // A restart reads on from the stored offsets.
    stream.produce(2000..2500).await;
    let mut inlet = stream.start(&config, "second.log");
    stream
        .wait_for(
            "SELECT count(*) FROM readings",
            2500,
            Duration::from_secs(90),
            "second.log",
        )
        .await;
    assert!(terminate(&mut inlet).success());
    assert_eq!(stream.count(EXACTLY_ONCE).await, 0, "no duplicates");
    assert_eq!(
        stream
            .count("SELECT count(*) FROM inlet.dead_letters")
            .await,
        0
    );
    assert_eq!(
        stream
            .count("SELECT sum(next_offset)::bigint FROM inlet.offsets WHERE connector = 'append'")
            .await,
        2500,
        "every offset is stored"
    );
    let note: Option<String> = stream
        .db
        .connect()
        .await
        .query_one("SELECT note FROM readings WHERE device_id = 'dev-7'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(note, None);
}

/// READING with an optional decimal price.
fn reading_priced() -> String {
    evolve(|fields| {
        fields.push(json!({"name": "price", "default": null, "type": ["null",
            {"type": "bytes", "logicalType": "decimal", "precision": 8, "scale": 3}]}))
    })
}

/// A plain HTTP/1.0 GET on loopback; the body.
fn http_get(addr: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    assert!(
        head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
        "{head}"
    );
    body.to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_records_become_dead_letters_with_their_reason() {
    let stream = Stream::new(1).await;
    stream.produce(0..10).await;
    let p = &stream.producer;
    let t = &stream.topic;
    p.send_raw(t, Some(0), None, b"garbage, not Avro").await;
    p.send_raw(t, Some(0), None, &[1, 0, 0, 0, 1, 2]).await; // wrong magic byte
    p.send_raw(t, Some(0), None, &[0, 0x7f, 0xff, 0xff, 0xf0, 2])
        .await; // unknown schema id
    let (id, _) = p.register(&format!("{t}-value"), READING).await;
    let mut truncated = vec![0];
    truncated.extend_from_slice(&id.0.to_be_bytes());
    truncated.extend_from_slice(&[0x80, 0x80]);
    p.send_raw(t, Some(0), None, &truncated).await;
    let schema = p.register(&format!("{t}-value"), READING).await;
    p.send_avro(
        t,
        Some(0),
        None,
        (schema.0, &schema.1),
        reading(10, Some("nul\0here")),
    )
    .await;
    // The table exists, narrower than the proposal: rssi smallint, price numeric(6,2).
    stream
        .db
        .connect()
        .await
        .batch_execute(
            "CREATE TABLE readings (ts timestamptz NOT NULL, device_id text NOT NULL, site text NOT NULL, \
             temperature double precision, humidity double precision, pressure double precision, \
             battery real, rssi smallint, ok boolean, note text, price numeric(6,2))",
        )
        .await
        .unwrap();
    let Value::Record(mut loud) = reading(100, None) else {
        unreachable!()
    };
    for (name, value) in &mut loud {
        if name == "rssi" {
            *value = Value::Int(40_000); // out of smallint's range
        }
    }
    p.send_avro(t, Some(0), None, (schema.0, &schema.1), Value::Record(loud))
        .await;
    let priced = p.register(&format!("{t}-value"), &reading_priced()).await;
    let Value::Record(mut fine) = reading(101, None) else {
        unreachable!()
    };
    // 12.345: three decimals where the column keeps two.
    fine.push((
        "price".into(),
        Value::Union(
            1,
            Box::new(Value::Decimal(apache_avro::Decimal::from(
                12_345i32.to_be_bytes().to_vec(),
            ))),
        ),
    ));
    p.send_avro(t, Some(0), None, (priced.0, &priced.1), Value::Record(fine))
        .await;
    stream.produce(11..20).await;

    let config = stream.config("poison");
    let mut inlet = stream.start(&config, "poison.log");
    stream
        .wait_for(
            "SELECT count(*) FROM readings",
            19,
            Duration::from_secs(90),
            "poison.log",
        )
        .await;
    stream
        .wait_for(
            "SELECT count(*) FROM inlet.dead_letters",
            7,
            Duration::from_secs(30),
            "poison.log",
        )
        .await;
    assert!(terminate(&mut inlet).success());
    let reasons: Vec<String> = stream
        .rows(
            r#"SELECT error FROM inlet.dead_letters ORDER BY "offset""#,
            |r| r.get(0),
        )
        .await;
    assert!(
        reasons[0].starts_with("not a Confluent Avro frame"),
        "{reasons:?}"
    );
    assert!(reasons[1].contains("magic"), "{reasons:?}");
    assert!(
        reasons[2].contains("is not in the schema registry"),
        "{reasons:?}"
    );
    assert!(reasons[3].contains("truncated"), "{reasons:?}");
    assert!(reasons[4].contains("NUL"), "{reasons:?}");
    assert!(
        reasons[5].contains("rssi") && reasons[5].contains("40000"),
        "{reasons:?}"
    );
    assert!(
        reasons[6].contains("price") && reasons[6].contains("3 digits after the point"),
        "{reasons:?}"
    );
    // Each with the code the console filters by.
    let codes: Vec<String> = stream
        .rows(
            r#"SELECT reason_code FROM inlet.dead_letters ORDER BY "offset""#,
            |r| r.get(0),
        )
        .await;
    assert_eq!(
        codes,
        [
            "bad_frame",
            "bad_frame",
            "unknown_schema",
            "malformed_value",
            "value_refused",
            "value_refused",
            "value_refused"
        ]
    );
    let raw: Vec<Vec<u8>> = stream
        .rows(
            r#"SELECT value FROM inlet.dead_letters ORDER BY "offset" LIMIT 1"#,
            |r| r.get(0),
        )
        .await;
    assert_eq!(raw[0], b"garbage, not Avro", "the raw value is kept");
    assert_eq!(stream.count(EXACTLY_ONCE).await, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn tolerance_none_stops_at_the_first_bad_record() {
    let stream = Stream::new(1).await;
    stream.produce(0..10).await;
    stream
        .producer
        .send_raw(&stream.topic, Some(0), None, b"garbage")
        .await;
    stream.produce(10..20).await;
    let config = stream.write_config(stream.connector("strict").set("errors.tolerance", "none"));
    let mut inlet = stream.start(&config, "strict.log");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = inlet.try_wait().unwrap() {
            break status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "inlet did not stop: {}",
            stream.log("strict.log")
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(!status.success());
    let log = stream.log("strict.log");
    assert!(log.contains("offset 10 (errors.tolerance = none)"), "{log}");
    assert!(log.contains("not a Confluent Avro frame"), "{log}");
    assert_eq!(stream.count("SELECT count(*) FROM readings").await, 10);
    assert_eq!(
        stream
            .count("SELECT count(*) FROM inlet.dead_letters")
            .await,
        0
    );
    assert_eq!(
        stream.count("SELECT next_offset FROM inlet.offsets").await,
        10,
        "the offset stops before the bad record"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn upserts_keep_the_last_record_of_a_key_and_tombstones_delete() {
    let stream = Stream::new(1).await;
    let p = &stream.producer;
    let t = &stream.topic;
    let schema = p.register(&format!("{t}-value"), READING).await;
    for i in 0..10 {
        let key = format!("dev-{i}");
        p.send_avro(
            t,
            Some(0),
            Some(key.as_bytes()),
            (schema.0, &schema.1),
            reading(i, None),
        )
        .await;
    }
    // dev-3 again, updated; dev-5 deleted by a plain text key; dev-6 by a Confluent-framed
    // Avro string key.
    p.send_avro(
        t,
        Some(0),
        Some(b"dev-3"),
        (schema.0, &schema.1),
        reading(3, Some("updated")),
    )
    .await;
    p.send_tombstone(t, Some(0), b"dev-5").await;
    let (key_id, _) = p.register(&format!("{t}-key"), r#""string""#).await;
    let mut framed_key = vec![0];
    framed_key.extend_from_slice(&key_id.0.to_be_bytes());
    framed_key.push(10); // an Avro string's length, 5, zigzag-encoded
    framed_key.extend_from_slice(b"dev-6");
    p.send_tombstone(t, Some(0), &framed_key).await;
    p.send_tombstone(t, Some(0), b"dev-404").await; // nothing to delete: harmless

    let config = stream.write_config(
        stream
            .connector("upsert")
            .set("insert", "upsert-delete")
            .set("key_columns", json!(["device_id"])),
    );
    let mut inlet = stream.start(&config, "upsert.log");
    stream
        .wait_for(
            "SELECT next_offset FROM inlet.offsets",
            14,
            Duration::from_secs(90),
            "upsert.log",
        )
        .await;
    assert!(terminate(&mut inlet).success());
    let rows: Vec<(String, Option<String>)> = stream
        .rows(
            "SELECT device_id, note FROM readings ORDER BY device_id",
            |r| (r.get(0), r.get(1)),
        )
        .await;
    let devices: Vec<&str> = rows.iter().map(|(d, _)| d.as_str()).collect();
    assert_eq!(
        devices,
        [
            "dev-0", "dev-1", "dev-2", "dev-3", "dev-4", "dev-7", "dev-8", "dev-9"
        ]
    );
    assert_eq!(rows[3].1.as_deref(), Some("updated"));
    assert_eq!(
        stream
            .count("SELECT count(*) FROM inlet.dead_letters")
            .await,
        0,
        "{}",
        stream.log("upsert.log")
    );
    // The table was created with the key as its primary key.
    assert_eq!(
        stream
            .count(
                "SELECT count(*) FROM pg_index WHERE indrelid = 'readings'::regclass AND indisprimary"
            )
            .await,
        1
    );
}

/// READING, evolved: a field added with a default, rssi int → long, battery float →
/// double, a new branch in note's union.
fn reading_v2() -> String {
    evolve(|fields| {
        for field in fields.iter_mut() {
            match field["name"].as_str() {
                Some("battery") => field["type"] = json!("double"),
                Some("rssi") => field["type"] = json!("long"),
                Some("note") => field["type"] = json!(["null", "string", "long"]),
                _ => {}
            }
        }
        fields.push(json!({"name": "firmware", "type": "string", "default": "1.0"}));
    })
}

/// READING's schema with its fields changed by `change`.
fn evolve(change: impl FnOnce(&mut Vec<serde_json::Value>)) -> String {
    let mut schema: serde_json::Value = serde_json::from_str(READING).unwrap();
    let serde_json::Value::Array(fields) = &mut schema["fields"] else {
        unreachable!("a record has fields")
    };
    change(fields);
    schema.to_string()
}

/// READING without its optional note.
fn reading_v3() -> String {
    evolve(|fields| fields.retain(|f| f["name"] != "note"))
}

fn evolved(v: &str, i: usize) -> Value {
    let Value::Record(mut fields) = reading(i, None) else {
        unreachable!()
    };
    match v {
        "v2" => {
            for (name, value) in &mut fields {
                match name.as_str() {
                    "battery" => *value = Value::Double(3.25),
                    "rssi" => *value = Value::Long(-70),
                    "note" => *value = Value::Union(2, Box::new(Value::Long(42))),
                    _ => {}
                }
            }
            fields.push(("firmware".into(), Value::String("2.1".into())));
        }
        _ => fields.retain(|(name, _)| name != "note"),
    }
    Value::Record(fields)
}

#[tokio::test(flavor = "multi_thread")]
async fn new_schemas_mid_stream_keep_flowing_and_add_columns() {
    let stream = Stream::new(1).await;
    stream.produce(0..5).await;
    let config = stream.write_config(stream.connector("evolve").set("evolution", "add-columns"));
    let mut inlet = stream.start(&config, "evolve.log");
    stream
        .wait_for(
            "SELECT count(*) FROM readings",
            5,
            Duration::from_secs(90),
            "evolve.log",
        )
        .await;
    // While it runs: two new schema versions.
    let p = &stream.producer;
    let subject = format!("{}-value", stream.topic);
    let v2 = p.register(&subject, &reading_v2()).await;
    let v3 = p.register(&subject, &reading_v3()).await;
    for i in 5..10 {
        p.send_avro(
            &stream.topic,
            Some(0),
            None,
            (v2.0, &v2.1),
            evolved("v2", i),
        )
        .await;
    }
    for i in 10..15 {
        p.send_avro(
            &stream.topic,
            Some(0),
            None,
            (v3.0, &v3.1),
            evolved("v3", i),
        )
        .await;
    }
    stream
        .wait_for(
            "SELECT count(*) FROM readings",
            15,
            Duration::from_secs(90),
            "evolve.log",
        )
        .await;
    assert!(terminate(&mut inlet).success());
    type Row = (String, Option<String>, Option<String>, i32, f32);
    let rows: Vec<Row> = stream
        .rows(
            "SELECT device_id, firmware, note, rssi, battery FROM readings ORDER BY ts",
            |r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)),
        )
        .await;
    assert_eq!(rows.len(), 15);
    assert_eq!(rows[0].1, None, "rows of the first schema have no firmware");
    assert_eq!(
        rows[5].1.as_deref(),
        Some("2.1"),
        "the new field became a column"
    );
    assert_eq!(
        rows[5].2.as_deref(),
        Some("42"),
        "the new union branch, as text"
    );
    assert_eq!(
        (rows[5].3, rows[5].4),
        (-70, 3.25),
        "long into integer, double into real"
    );
    assert_eq!(rows[12].1, None);
    assert_eq!(rows[12].2, None, "a removed field stores NULL");
    assert_eq!(
        stream
            .count("SELECT count(*) FROM inlet.dead_letters")
            .await,
        0,
        "{}",
        stream.log("evolve.log")
    );
}

/// `inlet check` and `inlet run --config`, with the output of both streams.

#[tokio::test(flavor = "multi_thread")]
async fn a_table_the_schema_cannot_fill_is_refused_before_anything_runs() {
    let stream = Stream::new(1).await;
    stream.produce(0..10).await;
    let config = stream.config("unfit");
    let client = stream.db.connect().await;

    // No column of the table has a field of the schema's name.
    client
        .batch_execute("CREATE TABLE readings (a integer, b text)")
        .await
        .unwrap();
    for command in ["check", "run"] {
        let (ok, out) = inlet_once(command, &config);
        assert!(
            !ok,
            "inlet {command} accepted a table it cannot fill: {out}"
        );
        assert!(
            out.contains("fills none of the columns of public.readings")
                && out.contains("the table's columns: a, b")
                && out.contains("the topic's mapping"),
            "inlet {command} does not say what is wrong: {out}"
        );
        assert!(!out.contains("syntax error"), "{out}");
    }

    // A NOT NULL column without a default that no field fills.
    client
        .batch_execute(
            "DROP TABLE readings; CREATE TABLE readings (device_id text, owner text NOT NULL)",
        )
        .await
        .unwrap();
    for command in ["check", "run"] {
        let (ok, out) = inlet_once(command, &config);
        assert!(!ok, "inlet {command}: {out}");
        assert!(
            out.contains("column owner of public.readings is NOT NULL and has no default"),
            "inlet {command} does not name the column: {out}"
        );
    }
    assert_eq!(stream.count("SELECT count(*) FROM readings").await, 0);
    assert_eq!(
        stream
            .count("SELECT count(*) FROM inlet.offsets")
            .await
            .max(0),
        0,
        "nothing was consumed"
    );
}

const GEO_V1: &str = r#"{"type":"record","name":"Place","namespace":"inlet.test","fields":[
 {"name":"id","type":"int"},
 {"name":"geo","type":{"type":"record","name":"Geo","fields":[
   {"name":"lat","type":"double"},{"name":"lon","type":"double"}]}}]}"#;

/// Version 2 adds a top-level `geo_lat` before `geo`: its proposal would name the new field's
/// column `geo_lat`, the column made for `geo.lat`.
const GEO_V2: &str = r#"{"type":"record","name":"Place","namespace":"inlet.test","fields":[
 {"name":"id","type":"int"},
 {"name":"geo_lat","type":"double","default":0.0},
 {"name":"geo","type":{"type":"record","name":"Geo","fields":[
   {"name":"lat","type":"double"},{"name":"lon","type":"double"}]}}]}"#;

fn place(id: i32, top: Option<f64>, lat: f64, lon: f64) -> Value {
    let mut fields = vec![("id".to_owned(), Value::Int(id))];
    if let Some(top) = top {
        fields.push(("geo_lat".to_owned(), Value::Double(top)));
    }
    fields.push((
        "geo".to_owned(),
        Value::Record(vec![
            ("lat".into(), Value::Double(lat)),
            ("lon".into(), Value::Double(lon)),
        ]),
    ));
    Value::Record(fields)
}

/// (id, geo_lat, geo_lon, geo_lat_2 when the table has it), by id.
async fn places(stream: &Stream, with_new: bool) -> Vec<(i32, f64, f64, Option<f64>)> {
    let sql = if with_new {
        "SELECT id, geo_lat, geo_lon, geo_lat_2 FROM readings ORDER BY id"
    } else {
        "SELECT id, geo_lat, geo_lon, NULL::float8 FROM readings ORDER BY id"
    };
    stream
        .rows(sql, |r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_column_keeps_the_field_it_was_made_for_across_versions_and_restarts() {
    for evolution in ["add-columns", "off"] {
        let stream = Stream::new(1).await;
        let subject = format!("{}-value", stream.topic);
        let v1 = stream.producer.register(&subject, GEO_V1).await;
        stream
            .producer
            .send_avro(
                &stream.topic,
                Some(0),
                None,
                (v1.0, &v1.1),
                place(1, None, 1.5, 3.5),
            )
            .await;
        let config = stream.write_config(stream.connector("places").set("evolution", evolution));
        let mut inlet = stream.start(&config, "first.log");
        stream
            .wait_for(
                "SELECT count(*) FROM readings",
                1,
                Duration::from_secs(60),
                "first.log",
            )
            .await;

        let v2 = stream.producer.register(&subject, GEO_V2).await;
        stream
            .producer
            .send_avro(
                &stream.topic,
                Some(0),
                None,
                (v2.0, &v2.1),
                place(2, Some(9.0), 2.5, 4.5),
            )
            .await;
        stream
            .wait_for(
                "SELECT count(*) FROM readings",
                2,
                Duration::from_secs(60),
                "first.log",
            )
            .await;
        assert!(terminate(&mut inlet).success());

        // After a restart the record of the columns' fields still holds.
        stream
            .producer
            .send_avro(
                &stream.topic,
                Some(0),
                None,
                (v2.0, &v2.1),
                place(3, Some(7.0), 5.5, 6.5),
            )
            .await;
        stream.run_until(&config, "second.log", 3).await;

        let added = evolution == "add-columns";
        let rows = places(&stream, added).await;
        let new = |v: f64| if added { Some(v) } else { None };
        assert_eq!(
            rows,
            [
                (1, 1.5, 3.5, None),
                (2, 2.5, 4.5, new(9.0)),
                (3, 5.5, 6.5, new(7.0)),
            ],
            "evolution = {evolution}: geo_lat must stay geo.lat; the new field gets geo_lat_2 with add-columns"
        );
        if !added {
            let log = stream.log("first.log");
            assert!(
                log.contains("a field of this schema is not stored") && log.contains("geo_lat"),
                "the field that is not stored is not named: {log}"
            );
        }
        assert_eq!(
            stream
                .count("SELECT count(*) FROM inlet.dead_letters")
                .await,
            0
        );
    }
}

const PK_KEY: &str = r#"{"type":"record","name":"Pk","namespace":"inlet.test","fields":[
 {"name":"pk1","type":"string"},{"name":"pk2","type":"int"}]}"#;
const PK_VALUE: &str = r#"{"type":"record","name":"Cols","namespace":"inlet.test","fields":[
 {"name":"col3","type":["null","string"]},{"name":"col4","type":["null","int"]}]}"#;

/// The JDBC sink's `pk.mode=record_key` case: the primary key is only in the Kafka key
/// (Confluent-framed Avro). `A/1 → {x,10}`, `B/2 → {y,20}`, `A/1 → {z,30}`, `B/2 → tombstone`.
async fn keyed_records(stream: &Stream) {
    let p = &stream.producer;
    let key = p.register(&format!("{}-key", stream.topic), PK_KEY).await;
    let value = p
        .register(&format!("{}-value", stream.topic), PK_VALUE)
        .await;
    let k = |pk1: &str, pk2: i32| {
        Value::Record(vec![
            ("pk1".into(), Value::String(pk1.into())),
            ("pk2".into(), Value::Int(pk2)),
        ])
    };
    let v = |col3: &str, col4: i32| {
        Value::Record(vec![
            (
                "col3".into(),
                Value::Union(1, Box::new(Value::String(col3.into()))),
            ),
            ("col4".into(), Value::Union(1, Box::new(Value::Int(col4)))),
        ])
    };
    for (pk1, pk2, row) in [
        ("A", 1, Some(("x", 10))),
        ("B", 2, Some(("y", 20))),
        ("A", 1, Some(("z", 30))),
        ("B", 2, None),
    ] {
        let value = row.map(|(col3, col4)| ((value.0, &value.1), v(col3, col4)));
        p.send_keyed(&stream.topic, ((key.0, &key.1), k(pk1, pk2)), value)
            .await;
    }
}

/// The table of the keyed tests, with its unique `key` (a table constraint).
async fn keyed_table(stream: &Stream, key: &str) {
    stream
        .db
        .connect()
        .await
        .batch_execute(&format!(
            "CREATE TABLE readings (pk1 text, pk2 int, col3 text, col4 int, {key})"
        ))
        .await
        .unwrap();
}

/// (pk1, pk2, col3, col4) of every row, by key.
async fn keyed_rows(stream: &Stream) -> Vec<(String, i32, Option<String>, Option<i32>)> {
    stream
        .rows(
            "SELECT pk1, pk2, col3, col4 FROM readings ORDER BY pk1, pk2",
            |r| (r.get(0), r.get(1), r.get(2), r.get(3)),
        )
        .await
}

fn row(pk1: &str, pk2: i32, col3: &str, col4: i32) -> (String, i32, Option<String>, Option<i32>) {
    (pk1.into(), pk2, Some(col3.into()), Some(col4))
}

#[tokio::test(flavor = "multi_thread")]
async fn key_columns_come_from_the_kafka_key_with_the_auto_mapping() {
    let stream = Stream::new(1).await;
    keyed_records(&stream).await;
    keyed_table(&stream, "PRIMARY KEY (pk1, pk2)").await;
    let config = stream.write_config(
        stream
            .connector("keyed")
            .set("insert", "upsert-delete")
            .set("key_columns", json!(["pk1", "pk2"])),
    );
    let (ok, out) = inlet_once("check", &config);
    assert!(
        ok && out.contains("4 of its 4 columns filled"),
        "check must see the key's fields fill pk1 and pk2: {out}"
    );
    stream.run_until_offset(&config, "keyed.log", 4).await;
    assert_eq!(
        keyed_rows(&stream).await,
        [row("A", 1, "z", 30)],
        "{}",
        stream.log("keyed.log")
    );
    assert_eq!(
        stream
            .count("SELECT count(*) FROM inlet.dead_letters")
            .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn key_columns_come_from_the_kafka_key_by_an_explicit_mapping() {
    let stream = Stream::new(1).await;
    keyed_records(&stream).await;
    keyed_table(&stream, "UNIQUE (pk1, pk2)").await;
    // upsert: the last record of a key wins, and the tombstone is a dead letter (only
    // upsert-delete acts on one).
    let config = stream.write_config(
        stream
            .connector("keyed")
            .set("insert", "upsert")
            .set("key_columns", json!(["pk1", "pk2"]))
            .set(
                "mapping",
                json!({"pk1": "kafka.key.pk1", "pk2": "kafka.key.pk2", "col3": "col3", "col4": "col4"}),
            ),
    );
    stream.run_until_offset(&config, "keyed.log", 4).await;
    assert_eq!(
        keyed_rows(&stream).await,
        [row("A", 1, "z", 30), row("B", 2, "y", 20)],
        "{}",
        stream.log("keyed.log")
    );
    assert_eq!(
        stream
            .count("SELECT count(*) FROM inlet.dead_letters WHERE error LIKE '%tombstone%'")
            .await,
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_table_created_for_a_keyed_topic_has_the_key_fields_as_columns() {
    let stream = Stream::new(1).await;
    keyed_records(&stream).await;
    let config = stream.config("keyed");
    stream.run_until_offset(&config, "keyed.log", 4).await;
    // append: every record a row; the tombstone is a dead letter.
    assert_eq!(
        keyed_rows(&stream).await,
        [
            row("A", 1, "x", 10),
            row("A", 1, "z", 30),
            row("B", 2, "y", 20)
        ],
        "{}",
        stream.log("keyed.log")
    );
    let columns: Vec<String> = stream
        .rows(
            "SELECT column_name::text FROM information_schema.columns WHERE table_name = 'readings' ORDER BY ordinal_position",
            |r| r.get(0),
        )
        .await;
    assert_eq!(columns, ["col3", "col4", "pk1", "pk2"]);
    // A record without a key cannot fill pk1 (NOT NULL, from the key's schema): it is a
    // dead letter that says so.
    let value = stream
        .producer
        .register(&format!("{}-value", stream.topic), PK_VALUE)
        .await;
    stream
        .producer
        .send_avro(
            &stream.topic,
            Some(0),
            None,
            (value.0, &value.1),
            Value::Record(vec![
                ("col3".into(), Value::Union(0, Box::new(Value::Null))),
                ("col4".into(), Value::Union(0, Box::new(Value::Null))),
            ]),
        )
        .await;
    stream.run_until_offset(&config, "again.log", 5).await;
    let reasons: Vec<String> = stream
        .rows(
            "SELECT error FROM inlet.dead_letters ORDER BY \"offset\"",
            |r| r.get(0),
        )
        .await;
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(
        reasons[1].contains("the record's key is missing") && reasons[1].contains("pk1"),
        "{reasons:?}"
    );
}

const EVENTS: &str = r#"[
 {"type":"record","name":"Click","namespace":"shop.events","fields":[
   {"name":"id","type":"long"},{"name":"url","type":"string"},
   {"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}}]},
 {"type":"record","name":"View","namespace":"shop.events","fields":[
   {"name":"id","type":"long"},{"name":"seconds","type":"double"},
   {"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},
   {"name":"url","type":"bytes"}]}]"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_union_of_records_maps_field_by_field() {
    let stream = Stream::new(1).await;
    let value = stream
        .producer
        .register(&format!("{}-value", stream.topic), EVENTS)
        .await;
    let click = Value::Union(
        0,
        Box::new(Value::Record(vec![
            ("id".into(), Value::Long(1)),
            ("url".into(), Value::String("/a".into())),
            ("at".into(), Value::TimestampMillis(1_700_000_000_000)),
        ])),
    );
    let view = Value::Union(
        1,
        Box::new(Value::Record(vec![
            ("id".into(), Value::Long(2)),
            ("seconds".into(), Value::Double(4.5)),
            ("at".into(), Value::TimestampMillis(1_700_000_001_000)),
            ("url".into(), Value::Bytes(b"/b".to_vec())),
        ])),
    );
    for event in [click, view] {
        stream
            .producer
            .send_avro(&stream.topic, Some(0), None, (value.0, &value.1), event)
            .await;
    }
    let config = stream.config("events");
    stream.run_until_offset(&config, "events.log", 2).await;
    // id and at are shared; url is a string in Click and bytes in View: a column each.
    type Event = (i64, String, Option<String>, Option<f64>, Option<Vec<u8>>);
    let rows: Vec<Event> = stream
        .rows(
            "SELECT id, at::text, url, seconds, url_2 FROM readings ORDER BY id",
            |r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)),
        )
        .await;
    assert_eq!(
        rows,
        [
            (
                1,
                "2023-11-14 22:13:20+00".into(),
                Some("/a".into()),
                None,
                None
            ),
            (
                2,
                "2023-11-14 22:13:21+00".into(),
                None,
                Some(4.5),
                Some(b"/b".to_vec())
            ),
        ],
        "{}",
        stream.log("events.log")
    );
    let sources: Vec<(String, String)> = stream
        .rows(
            "SELECT column_name, source FROM inlet.columns ORDER BY column_name",
            |r| (r.get(0), r.get(1)),
        )
        .await;
    assert!(
        sources.contains(&("url".into(), "[shop.events.Click].url".into()))
            && sources.contains(&("url_2".into(), "[shop.events.View].url".into())),
        "{sources:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_schema_too_wide_for_a_table_is_refused_before_anything_runs() {
    let stream = Stream::new(1).await;
    let fields: Vec<serde_json::Value> = (0..1700)
        .map(|i| json!({"name": format!("f{i}"), "type": "int"}))
        .collect();
    let schema = json!({"type": "record", "name": "Wide", "fields": fields}).to_string();
    let value = stream
        .producer
        .register(&format!("{}-value", stream.topic), &schema)
        .await;
    let record = Value::Record(
        (0..1700)
            .map(|i| (format!("f{i}"), Value::Int(i)))
            .collect(),
    );
    stream
        .producer
        .send_avro(&stream.topic, Some(0), None, (value.0, &value.1), record)
        .await;
    let config = stream.config("wide");
    for command in ["check", "run"] {
        let (ok, out) = inlet_once(command, &config);
        assert!(!ok, "inlet {command}: {out}");
        assert!(
            out.contains("has 1700 columns, more than PostgreSQL's 1600"),
            "inlet {command} does not say why: {out}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_raw_key_with_a_nul_byte_is_a_dead_letter_not_a_stop() {
    let stream = Stream::new(1).await;
    let value = stream
        .producer
        .register(&format!("{}-value", stream.topic), READING)
        .await;
    for (i, key) in [&b"\x00\xff"[..], b"ok"].into_iter().enumerate() {
        stream
            .producer
            .send_avro(
                &stream.topic,
                Some(0),
                Some(key),
                (value.0, &value.1),
                reading(i, None),
            )
            .await;
    }
    stream
        .db
        .connect()
        .await
        .batch_execute("CREATE TABLE readings (device_id text, k text)")
        .await
        .unwrap();
    let config = stream.write_config(stream.connector("rawkey").set(
        "mapping",
        json!({"device_id": "device_id", "k": "kafka.key"}),
    ));
    stream.run_until_offset(&config, "rawkey.log", 2).await;
    let rows: Vec<(String, String)> = stream
        .rows("SELECT device_id, k FROM readings", |r| {
            (r.get(0), r.get(1))
        })
        .await;
    assert_eq!(rows, [("dev-1".to_owned(), "ok".to_owned())]);
    let errors: Vec<String> = stream
        .rows("SELECT error FROM inlet.dead_letters", |r| r.get(0))
        .await;
    assert!(
        errors.len() == 1 && errors[0].contains("not UTF-8"),
        "{errors:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connector_that_fails_at_once_ends_the_run_with_its_reason() {
    let stream = Stream::new(1).await;
    // No table, and none to be made: the connector fails as it starts, before anything is
    // read (a configuration that does not check is refused even earlier).
    let config = stream.write_config(stream.connector("unusable").set("create_table", false));
    let (ok, out) = inlet_once("run", &config);
    assert!(!ok, "{out}");
    assert!(
        out.contains("table public.readings does not exist"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_group_setting_the_brokers_refuse_fails_the_connector_with_what_to_change() {
    let stream = Stream::new(1).await;
    stream.produce(0..10).await;
    // Below the brokers' group.min.session.timeout.ms: the group can never be joined.
    let config = stream.write_config(
        stream
            .connector("refused")
            .set("kafka.properties.session.timeout.ms", "1"),
    );
    // A run that never fails would never end: bounded (timeout's 124 is a failure too).
    let run = std::process::Command::new("timeout")
        .arg("90")
        .arg(env!("CARGO_BIN_EXE_inlet"))
        .args(["run", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(run.status.code(), Some(1), "{out}");
    assert!(
        out.contains("refused the consumer group's settings") && out.contains("session.timeout.ms"),
        "{out}"
    );
}

/// `note` renamed `remark` with `"aliases": ["note"]` in version 2, then `comment` without
/// an alias in version 3: each version's field named by its own schema.
fn renamed(version: u32) -> String {
    let field = match version {
        1 => r#"{"name":"note","type":["null","string"]}"#,
        2 => r#"{"name":"remark","type":["null","string"],"aliases":["note"]}"#,
        _ => r#"{"name":"comment","type":["null","string"]}"#,
    };
    format!(
        r#"{{"type":"record","name":"Noted","namespace":"inlet.test","fields":[{{"name":"id","type":"int"}},{field}]}}"#
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_field_renamed_with_an_alias_keeps_filling_its_column() {
    let stream = Stream::new(1).await;
    let subject = format!("{}-value", stream.topic);
    let config = stream.write_config(stream.connector("renamed").set("evolution", "add-columns"));
    let mut inlet = None;
    for (version, text) in [(1, "a"), (2, "b"), (3, "c")] {
        let schema = stream.producer.register(&subject, &renamed(version)).await;
        let name = ["note", "remark", "comment"][version as usize - 1];
        let record = Value::Record(vec![
            ("id".into(), Value::Int(version as i32)),
            (
                name.into(),
                Value::Union(1, Box::new(Value::String(text.into()))),
            ),
        ]);
        stream
            .producer
            .send_avro(&stream.topic, Some(0), None, (schema.0, &schema.1), record)
            .await;
        if inlet.is_none() {
            inlet = Some(stream.start(&config, "renamed.log"));
        }
        stream
            .wait_for(
                "SELECT count(*) FROM readings",
                i64::from(version),
                Duration::from_secs(60),
                "renamed.log",
            )
            .await;
    }
    assert!(terminate(&mut inlet.unwrap()).success());
    let columns: Vec<String> = stream
        .rows(
            "SELECT column_name::text FROM information_schema.columns WHERE table_name = 'readings' ORDER BY ordinal_position",
            |r| r.get(0),
        )
        .await;
    // No column for `remark`: the alias says it is `note`. `comment` (no alias) is new.
    assert_eq!(columns, ["id", "note", "comment"]);
    let rows: Vec<(i32, Option<String>, Option<String>)> = stream
        .rows("SELECT id, note, comment FROM readings ORDER BY id", |r| {
            (r.get(0), r.get(1), r.get(2))
        })
        .await;
    assert_eq!(
        rows,
        [
            (1, Some("a".into()), None),
            (2, Some("b".into()), None),
            (3, None, Some("c".into())),
        ]
    );
    let log = stream.log("renamed.log");
    assert!(
        log.contains("renamed with an alias fills its column") && log.contains("remark"),
        "{log}"
    );
    assert!(
        log.contains("this schema has no field for the column") && log.contains("aliases"),
        "{log}"
    );
}
