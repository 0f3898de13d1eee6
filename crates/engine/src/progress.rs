//! A connector's statistics (`Progress`), read by the live progress line, the status, the
//! API and `/metrics` ([`crate::metrics`]).
//!
//! Its fields are private: the only writers are the events ([`events`], a child module,
//! so the compiler holds to it), each of which logs what it counts — a metric cannot go
//! dead without its log line going with it. The one exception is the partitions' ends,
//! which the consumer's context writes from librdkafka's statistics ([`PartitionEnds`]).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use inlet_kafka::PartitionEnds;

pub(crate) mod events;

/// Statistics of one connector (or task), shared between its run, its supervisor, the
/// progress line and `/metrics`. Made empty; only its events write it.
#[derive(Debug, Default)]
pub struct Progress {
    rows: AtomicU64,
    bytes: AtomicU64,
    dead_letters: AtomicU64,
    batches: AtomicU64,
    fenced: AtomicU64,
    rebalances: AtomicU64,
    retries: AtomicU64,
    restarts: AtomicU64,
    batch_seconds: Histogram,
    /// The partitions' ends (last stable offsets) the consumer last reported.
    ends: PartitionEnds,
    /// The stored next offset of each partition held, or the consumer position past it
    /// when the offsets between hold no record (transaction markers): lag's start.
    stored: Mutex<BTreeMap<(String, i32), i64>>,
    /// Whether the connector is consuming: its tables are prepared and it is subscribed.
    consuming: AtomicBool,
    /// Whether it is paused (its partitions do not fetch).
    paused: AtomicBool,
    /// The value schemas met, (topic, schema id) → the field paths of that schema the
    /// table does not store.
    schemas: Mutex<BTreeMap<(String, u32), Vec<String>>>,
    /// The last error met and retried, or stopped for.
    last_error: Mutex<Option<String>>,
    /// When `last_error` was met, until a batch commits after it (None: none since).
    error_at: Mutex<Option<Instant>>,
}

/// A connector's counters at one moment, each counted since its `Progress` was made (a
/// restart keeps them). Counts add up (`+`, field by field): a connector's tasks on one
/// worker make the connector's counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Rows stored in target tables (appended, upserted or deleted).
    pub rows: u64,
    /// Bytes of COPY BINARY rows committed.
    pub bytes: u64,
    /// Records stored as dead letters.
    pub dead_letters: u64,
    /// Batches committed.
    pub batches: u64,
    /// Batches rolled back by the fence (another worker had stored their offsets first).
    pub fenced: u64,
    /// Partition assignment changes seen.
    pub rebalances: u64,
    /// Operations retried because the database or the registry did not answer.
    pub retries: u64,
    /// Restarts by the supervisor (asked for, or after an error that may pass).
    pub restarts: u64,
}

impl std::ops::Add for Counts {
    type Output = Counts;

    fn add(self, other: Counts) -> Counts {
        Counts {
            rows: self.rows + other.rows,
            bytes: self.bytes + other.bytes,
            dead_letters: self.dead_letters + other.dead_letters,
            batches: self.batches + other.batches,
            fenced: self.fenced + other.fenced,
            rebalances: self.rebalances + other.rebalances,
            retries: self.retries + other.retries,
            restarts: self.restarts + other.restarts,
        }
    }
}

impl Progress {
    /// Its counters now.
    pub fn counts(&self) -> Counts {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Counts {
            rows: get(&self.rows),
            bytes: get(&self.bytes),
            dead_letters: get(&self.dead_letters),
            batches: get(&self.batches),
            fenced: get(&self.fenced),
            rebalances: get(&self.rebalances),
            retries: get(&self.retries),
            restarts: get(&self.restarts),
        }
    }

    /// Rows stored so far (appended, upserted or deleted).
    pub fn rows(&self) -> u64 {
        self.rows.load(Ordering::Relaxed)
    }

    /// The time batches took to write and commit (or to be fenced).
    pub fn batch_seconds(&self) -> HistogramSnapshot {
        self.batch_seconds.snapshot()
    }

    /// Whether it consumes (tables prepared, subscribed).
    pub fn consuming(&self) -> bool {
        self.consuming.load(Ordering::Relaxed)
    }

    /// Whether it is paused (its partitions fetch nothing).
    pub fn paused(&self) -> bool {
        self.paused.load(Ordering::Relaxed)
    }

    /// Per partition held, by (topic, partition): the stored next offset and the last
    /// stable offset the consumer last reported (None before its first statistics).
    pub fn partitions(&self) -> Vec<((String, i32), i64, Option<i64>)> {
        let stored = self.stored.lock().map(|s| s.clone()).unwrap_or_default();
        let ends = self.ends.lock().map(|e| e.clone()).unwrap_or_default();
        stored
            .into_iter()
            .map(|(key, next)| {
                let end = ends.get(&key).copied();
                (key, next, end)
            })
            .collect()
    }

    /// Records not yet stored, per partition held whose end is known: last stable offset
    /// − stored next offset (never below 0).
    pub fn lag(&self) -> Vec<((String, i32), i64)> {
        self.partitions()
            .into_iter()
            .filter_map(|(key, next, end)| end.map(|end| (key, (end - next).max(0))))
            .collect()
    }

    /// The value schemas met, (topic, schema id) → the field paths the table does not store.
    pub fn schemas(&self) -> BTreeMap<(String, u32), Vec<String>> {
        self.schemas.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The last error met (retried or stopped for), if any.
    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|e| e.clone())
    }

    /// The last error, if it was met in the last `within` and no batch committed since:
    /// what a connector that runs but cannot get on (brokers that do not answer, a
    /// registry retried) is held up by.
    pub fn recent_error(&self, within: Duration) -> Option<String> {
        let at = self.error_at.lock().ok().and_then(|at| *at)?;
        if at.elapsed() > within {
            return None;
        }
        self.last_error()
    }

    /// The partitions' ends, for the consumer's context to write (see the module's docs).
    pub(crate) fn ends(&self) -> PartitionEnds {
        self.ends.clone()
    }

    /// Notes `error` as the last one met (for the events).
    fn note_error(&self, error: &dyn std::fmt::Display) {
        if let Ok(mut last) = self.last_error.lock() {
            *last = Some(error.to_string());
        }
        if let Ok(mut at) = self.error_at.lock() {
            *at = Some(Instant::now());
        }
    }
}

/// Upper bounds of the batch latency buckets, in seconds.
pub const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A latency histogram with the fixed [`BUCKETS`].
#[derive(Debug, Default)]
struct Histogram {
    counts: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    /// Counts one observation.
    fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|&b| seconds <= b) {
            self.counts[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }

    fn snapshot(&self) -> HistogramSnapshot {
        HistogramSnapshot {
            buckets: std::array::from_fn(|i| self.counts[i].load(Ordering::Relaxed)),
            count: self.count.load(Ordering::Relaxed),
            sum_micros: self.sum_micros.load(Ordering::Relaxed),
        }
    }
}

/// A latency histogram at one moment. Snapshots add up (`+`, bucket by bucket).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HistogramSnapshot {
    /// Observations per bucket of [`BUCKETS`] (each counted in its own bucket only, not
    /// cumulative); those above the last bound are only in `count`.
    pub buckets: [u64; BUCKETS.len()],
    /// Observations in all.
    pub count: u64,
    /// Their sum, in microseconds.
    pub sum_micros: u64,
}

impl std::ops::Add for HistogramSnapshot {
    type Output = HistogramSnapshot;

    fn add(self, other: HistogramSnapshot) -> HistogramSnapshot {
        HistogramSnapshot {
            buckets: std::array::from_fn(|i| self.buckets[i] + other.buckets[i]),
            count: self.count + other.count,
            sum_micros: self.sum_micros + other.sum_micros,
        }
    }
}
