//! A connector's counters (`Progress`), read by the live progress line and rendered in
//! Prometheus' text format for `/metrics`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use inlet_kafka::PartitionEnds;

/// Counters of one connector, shared between its task, the progress line and `/metrics`.
#[derive(Debug, Default)]
pub struct Progress {
    /// Rows stored (appended, upserted or deleted).
    pub rows: AtomicU64,
    /// Bytes of COPY rows committed.
    pub bytes: AtomicU64,
    /// Dead letters stored.
    pub dead_letters: AtomicU64,
    /// Batches committed.
    pub batches: AtomicU64,
    /// Batches dropped by the fence (another worker stored their offsets first).
    pub fenced: AtomicU64,
    /// Partition assignments and revocations.
    pub rebalances: AtomicU64,
    /// Operations retried because the database or the registry did not answer.
    pub retries: AtomicU64,
    /// Restarts by the supervisor (asked for, or after an error that may pass).
    pub restarts: AtomicU64,
    /// Time to write and commit a batch.
    pub batch_seconds: Histogram,
    /// The partitions' ends (last stable offsets, see [`PartitionEnds`]) the consumer last reported.
    pub ends: PartitionEnds,
    /// The stored next offset of each partition this worker owns, or the consumer position
    /// past it when the offsets between hold no record (transaction markers): lag's start.
    pub stored: Mutex<BTreeMap<(String, i32), i64>>,
    /// Whether the connector is consuming: its tables are prepared and it is subscribed.
    pub consuming: AtomicBool,
    /// Whether it is paused (its partitions do not fetch).
    pub paused: AtomicBool,
    /// The value schemas met, (topic, schema id) → the field paths of that schema the
    /// table does not store (empty when it stores every field).
    pub schemas: Mutex<BTreeMap<(String, u32), Vec<String>>>,
    /// The last error the connector met and retried (the database or the registry did not
    /// answer, Kafka warned), or the one it stopped for.
    pub last_error: Mutex<Option<String>>,
    /// When `last_error` was met, until a batch commits after it (None: none since).
    pub(crate) error_at: Mutex<Option<std::time::Instant>>,
}

impl Progress {
    /// Records not yet stored, per owned partition: last stable offset − stored next offset.
    pub fn lag(&self) -> Vec<((String, i32), i64)> {
        let stored = self.stored.lock().map(|s| s.clone()).unwrap_or_default();
        let ends = self.ends.lock().map(|h| h.clone()).unwrap_or_default();
        stored
            .into_iter()
            .filter_map(|(key, next)| ends.get(&key).map(|end| (key, (end - next).max(0))))
            .collect()
    }

    /// Notes `error` as the last one met.
    pub(crate) fn note_error(&self, error: &dyn std::fmt::Display) {
        if let Ok(mut last) = self.last_error.lock() {
            *last = Some(error.to_string());
        }
        if let Ok(mut at) = self.error_at.lock() {
            *at = Some(std::time::Instant::now());
        }
    }

    /// The last error, if it was met in the last `within` and no batch committed since:
    /// what a connector that runs but cannot get on (brokers that do not answer, a
    /// registry retried) is held up by.
    pub fn recent_error(&self, within: std::time::Duration) -> Option<String> {
        let at = self.error_at.lock().ok().and_then(|at| *at)?;
        if at.elapsed() > within {
            return None;
        }
        self.last_error.lock().ok().and_then(|e| e.clone())
    }

    /// Notes that a schema of `topic` was met, and the fields of it not stored.
    pub(crate) fn note_schema(&self, topic: &str, schema_id: u32, unstored: Vec<String>) {
        if let Ok(mut schemas) = self.schemas.lock() {
            schemas.insert((topic.to_owned(), schema_id), unstored);
        }
    }

    /// The new stored offsets of the owned partitions.
    pub(crate) fn set_stored(&self, stored: BTreeMap<(String, i32), i64>) {
        if let Ok(mut s) = self.stored.lock() {
            *s = stored;
        }
    }
}

/// Upper bounds of the batch latency buckets, in seconds.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A latency histogram with fixed buckets.
#[derive(Debug, Default)]
pub struct Histogram {
    counts: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    /// Counts one observation.
    pub fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|&b| seconds <= b) {
            self.counts[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add(elapsed.as_micros() as u64, Ordering::Relaxed);
    }
}

/// Escapes a label value.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A counter's name, help text and value.
type Counter = (&'static str, &'static str, fn(&Progress) -> u64);

/// The Prometheus text exposition of every connector's counters.
pub fn render(connectors: &[(String, Arc<Progress>)]) -> String {
    let mut out = String::new();
    let counters: [Counter; 8] = [
        (
            "inlet_rows_total",
            "Rows stored in target tables (appends, upserts, deletes).",
            |p| p.rows.load(Ordering::Relaxed),
        ),
        (
            "inlet_bytes_total",
            "Bytes of COPY BINARY rows committed.",
            |p| p.bytes.load(Ordering::Relaxed),
        ),
        (
            "inlet_dead_letters_total",
            "Records stored in inlet.dead_letters.",
            |p| p.dead_letters.load(Ordering::Relaxed),
        ),
        ("inlet_batches_total", "Batches committed.", |p| {
            p.batches.load(Ordering::Relaxed)
        }),
        (
            "inlet_fenced_batches_total",
            "Batches rolled back because another worker had stored their offsets.",
            |p| p.fenced.load(Ordering::Relaxed),
        ),
        (
            "inlet_rebalances_total",
            "Partition assignments and revocations seen.",
            |p| p.rebalances.load(Ordering::Relaxed),
        ),
        (
            "inlet_retries_total",
            "Operations retried because the database or the registry did not answer.",
            |p| p.retries.load(Ordering::Relaxed),
        ),
        (
            "inlet_restarts_total",
            "Connector restarts by the supervisor.",
            |p| p.restarts.load(Ordering::Relaxed),
        ),
    ];
    for (name, help, value) in counters {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
        for (connector, p) in connectors {
            let _ = writeln!(
                out,
                "{name}{{connector=\"{}\"}} {}",
                label(connector),
                value(p)
            );
        }
    }
    let name = "inlet_batch_seconds";
    let _ = writeln!(
        out,
        "# HELP {name} Time to write and commit a batch.\n# TYPE {name} histogram"
    );
    for (connector, p) in connectors {
        let c = label(connector);
        let h = &p.batch_seconds;
        let mut cumulative = 0;
        for (bound, count) in BUCKETS.iter().zip(&h.counts) {
            cumulative += count.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "{name}_bucket{{connector=\"{c}\",le=\"{bound}\"}} {cumulative}"
            );
        }
        let total = h.count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "{name}_bucket{{connector=\"{c}\",le=\"+Inf\"}} {total}\n{name}_sum{{connector=\"{c}\"}} {}\n{name}_count{{connector=\"{c}\"}} {total}",
            h.sum_micros.load(Ordering::Relaxed) as f64 / 1e6
        );
    }
    let name = "inlet_lag_records";
    let _ = writeln!(
        out,
        "# HELP {name} Records in the partition not yet stored: its last stable offset (read_committed) minus the stored next offset.\n# TYPE {name} gauge"
    );
    for (connector, p) in connectors {
        for ((topic, partition), lag) in p.lag() {
            let _ = writeln!(
                out,
                "{name}{{connector=\"{}\",topic=\"{}\",partition=\"{partition}\"}} {lag}",
                label(connector),
                label(&topic)
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_histogram_and_lag_render_in_prometheus_text() {
        let p = Arc::new(Progress::default());
        p.rows.store(42, Ordering::Relaxed);
        p.batch_seconds.observe(Duration::from_millis(30));
        p.batch_seconds.observe(Duration::from_millis(3));
        p.set_stored(BTreeMap::from([(("t\"1".to_owned(), 0), 90)]));
        p.ends.lock().unwrap().insert(("t\"1".to_owned(), 0), 100);
        let text = render(&[("c".to_owned(), p)]);
        assert!(
            text.contains("inlet_rows_total{connector=\"c\"} 42\n"),
            "{text}"
        );
        assert!(
            text.contains("inlet_batch_seconds_bucket{connector=\"c\",le=\"0.01\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("inlet_batch_seconds_bucket{connector=\"c\",le=\"0.05\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("inlet_batch_seconds_count{connector=\"c\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "inlet_lag_records{connector=\"c\",topic=\"t\\\"1\",partition=\"0\"} 10\n"
            ),
            "{text}"
        );
    }
}
