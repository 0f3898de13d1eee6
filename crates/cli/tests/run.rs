//! `inlet run` as users run it, against the real broker, registry and PostgreSQL: records
//! land exactly once, bad records are dead-lettered with their reason, SIGTERM stops cleanly.
//! Needs `scripts/services up`.

mod support;

use std::time::{Duration, Instant};

use support::{EXACTLY_ONCE, READING, Stream, reading, terminate};

#[tokio::test(flavor = "multi_thread")]
async fn records_land_exactly_once_and_sigterm_stops_cleanly() {
    let stream = Stream::new(4).await;
    stream.produce(0..2000).await;
    let config = stream.config("append", "");
    let mut inlet = stream.start(&config, "first.log");
    stream
        .wait_for(
            "SELECT count(*) FROM readings",
            2000,
            Duration::from_secs(90),
            "first.log",
        )
        .await;
    let status = terminate(&mut inlet);
    assert!(
        status.success(),
        "exit {status}; log:\n{}",
        stream.log("first.log")
    );

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
    stream.produce(11..20).await;

    let config = stream.config("poison", "");
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
            5,
            Duration::from_secs(30),
            "poison.log",
        )
        .await;
    assert!(terminate(&mut inlet).success());
    let client = stream.db.connect().await;
    let reasons: Vec<String> = client
        .query(
            r#"SELECT error FROM inlet.dead_letters ORDER BY "offset""#,
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
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
    let raw: Vec<u8> = client
        .query_one(
            r#"SELECT value FROM inlet.dead_letters ORDER BY "offset" LIMIT 1"#,
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(raw, b"garbage, not Avro", "the raw value is kept");
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
    let config = stream.config("strict", "errors = { tolerance = \"none\" }");
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
