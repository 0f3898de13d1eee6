//! Faults: `inlet run` killed with SIGKILL again and again, two workers sharing a group
//! while one of them is killed, database backends terminated mid-stream. Afterwards every
//! (partition, offset) is stored exactly once: as a row or as a dead letter. Needs
//! `scripts/services up`.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use support::{EXACTLY_ONCE, Stream, terminate};

fn kill(child: &mut std::process::Child) {
    Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .unwrap();
    child.wait().unwrap();
}

/// A small deterministic generator for the kill moments.
fn moments(seed: u64, count: usize) -> Vec<Duration> {
    let mut x = seed;
    (0..count)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            Duration::from_millis(2_000 + x % 7_000)
        })
        .collect()
}

async fn assert_exactly_once(stream: &Stream, connector: &str, total: i64) {
    assert_eq!(
        stream.count(EXACTLY_ONCE).await,
        0,
        "a record was stored twice"
    );
    assert_eq!(
        stream
            .count("SELECT count(*) FROM inlet.dead_letters")
            .await,
        0
    );
    assert_eq!(stream.count("SELECT count(*) FROM readings").await, total);
    assert_eq!(
        stream
            .count(&format!(
                "SELECT sum(next_offset)::bigint FROM inlet.offsets WHERE connector = '{connector}'"
            ))
            .await,
        total,
        "every offset below the stored ones is a row"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_at_random_moments_loses_and_duplicates_nothing() {
    const TOTAL: usize = 200_000;
    let stream = Stream::new(4).await;
    stream.produce(0..TOTAL).await;
    let config = stream.config("crash", "");
    let mut kills = 0;
    for (i, moment) in moments(0x5eed, 6).into_iter().enumerate() {
        let mut inlet = stream.start(&config, &format!("crash-{i}.log"));
        tokio::time::sleep(moment).await;
        if inlet.try_wait().unwrap().is_none() {
            kill(&mut inlet);
            kills += 1;
        }
        let stored = stream.count("SELECT count(*) FROM readings").await;
        eprintln!("kill {i} after {moment:?}: {stored} rows stored");
    }
    assert!(kills >= 5, "only {kills} kills landed");
    let mut inlet = stream.start(&config, "crash-final.log");
    stream
        .wait_for(
            "SELECT count(*) FROM readings",
            TOTAL as i64,
            Duration::from_secs(300),
            "crash-final.log",
        )
        .await;
    assert!(terminate(&mut inlet).success());
    assert_exactly_once(&stream, "crash", TOTAL as i64).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_workers_in_one_group_share_partitions_exactly_once() {
    const TOTAL: usize = 60_000;
    let stream = Stream::new(4).await;
    stream.produce(0..TOTAL / 2).await;
    let config = stream.config("pair", "");
    let mut first = stream.start(&config, "pair-1.log");
    let mut second = stream.start(&config, "pair-2.log");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    kill(&mut second);
    stream.produce(TOTAL / 2..TOTAL).await;
    let mut second = stream.start(&config, "pair-2b.log");
    stream
        .wait_for(
            "SELECT count(*) FROM readings",
            TOTAL as i64,
            Duration::from_secs(300),
            "pair-1.log",
        )
        .await;
    assert!(
        terminate(&mut second).success(),
        "{}",
        stream.log("pair-2b.log")
    );
    assert!(
        terminate(&mut first).success(),
        "{}",
        stream.log("pair-1.log")
    );
    assert_exactly_once(&stream, "pair", TOTAL as i64).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn terminated_backends_are_reconnected_without_exit() {
    const TOTAL: usize = 100_000;
    let stream = Stream::new(4).await;
    stream.produce(0..TOTAL).await;
    let config = stream.config("terminated", "");
    let mut inlet = stream.start(&config, "terminated.log");
    let admin = stream.db.connect().await;
    let start = Instant::now();
    let mut terminated = 0u64;
    while stream.count("SELECT count(*) FROM readings").await < TOTAL as i64 {
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "not done; log:\n{}",
            stream.log("terminated.log")
        );
        let n: i64 = admin
            .query_one(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        terminated += n as u64;
        assert!(
            inlet.try_wait().unwrap().is_none(),
            "inlet exited: {}",
            stream.log("terminated.log")
        );
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    assert!(
        terminated >= 3,
        "only {terminated} backends were terminated"
    );
    assert!(terminate(&mut inlet).success());
    assert_exactly_once(&stream, "terminated", TOTAL as i64).await;
}
