//! `/metrics`: the families of every connector a [`Supervisor`] holds, in Prometheus' text
//! format (version 0.0.4), encoded by `prometheus-client` — the Prometheus project's Rust
//! client — from the connectors' [`Progress`] at each scrape.
//!
//! One [`Registry`] per process: `inlet run --metrics` serves [`registry`]'s; `inlet serve`
//! registers its per-task and per-worker families beside them. The families and their
//! labels are listed in docs/metrics.md.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::{Registry, Unit};

use crate::progress::{BUCKETS, Counts, HistogramSnapshot};
use crate::supervisor::{Held, Supervisor};

/// The `Content-Type` of [`encode`]'s text: `text/plain; version=0.0.4; charset=utf-8`.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// A registry holding the connector families of `supervisor` ([`ConnectorFamilies`]).
pub fn registry(supervisor: Arc<Supervisor>) -> Registry {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(ConnectorFamilies::new(supervisor)));
    registry
}

/// `registry`'s families as Prometheus text (version 0.0.4, [`CONTENT_TYPE`]), read now.
pub fn encode(registry: &Registry) -> String {
    let mut text = String::new();
    // Writing into a String cannot fail, and inlet's collectors return no error of their own.
    if let Err(e) = prometheus_client::encoding::prometheus_text::encode(&mut text, registry) {
        tracing::error!(error = %e, "the metrics could not be encoded");
    }
    text
}

/// The families of every connector a supervisor holds, labelled `connector` (and, for lag,
/// `topic` and `partition`): what its tasks on this process counted, summed by connector.
pub struct ConnectorFamilies {
    held: Source,
}

enum Source {
    Supervisor(Arc<Supervisor>),
    #[cfg(test)]
    Fixed(Vec<Held>),
}

impl ConnectorFamilies {
    /// The families of what `supervisor` holds, read at each scrape.
    pub fn new(supervisor: Arc<Supervisor>) -> Self {
        ConnectorFamilies {
            held: Source::Supervisor(supervisor),
        }
    }

    fn held(&self) -> Vec<Held> {
        match &self.held {
            Source::Supervisor(supervisor) => supervisor.progress(),
            #[cfg(test)]
            Source::Fixed(held) => held.clone(),
        }
    }
}

impl fmt::Debug for ConnectorFamilies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectorFamilies").finish_non_exhaustive()
    }
}

/// One connector's statistics on this process: its tasks' summed.
#[derive(Default)]
struct Totals {
    counts: Counts,
    batch_seconds: HistogramSnapshot,
    /// (topic, partition) → records not yet stored. A partition two tasks list at once
    /// (for the moment of a rebalance) counts once, with the larger lag.
    lag: BTreeMap<(String, i32), i64>,
}

fn by_connector(held: &[Held]) -> BTreeMap<&str, Totals> {
    let mut connectors: BTreeMap<&str, Totals> = BTreeMap::new();
    for h in held {
        let totals = connectors.entry(&h.connector).or_default();
        totals.counts = totals.counts + h.progress.counts();
        totals.batch_seconds = totals.batch_seconds + h.progress.batch_seconds();
        for (partition, lag) in h.progress.lag() {
            let at = totals.lag.entry(partition).or_insert(lag);
            *at = (*at).max(lag);
        }
    }
    connectors
}

/// A counter family's name (without `_total`, which the encoder adds), help and value.
type CounterFamily = (&'static str, &'static str, fn(&Counts) -> u64);

const COUNTERS: [CounterFamily; 8] = [
    (
        "inlet_rows",
        "Rows stored in target tables (appends, upserts, deletes).",
        |c| c.rows,
    ),
    ("inlet_bytes", "Bytes of COPY BINARY rows committed.", |c| {
        c.bytes
    }),
    (
        "inlet_dead_letters",
        "Records stored in inlet.dead_letters.",
        |c| c.dead_letters,
    ),
    ("inlet_batches", "Batches committed.", |c| c.batches),
    (
        "inlet_fenced_batches",
        "Batches rolled back because another worker had stored their offsets.",
        |c| c.fenced,
    ),
    (
        "inlet_rebalances",
        "Partition assignments and revocations seen.",
        |c| c.rebalances,
    ),
    (
        "inlet_retries",
        "Operations retried because the database or the registry did not answer.",
        |c| c.retries,
    ),
    (
        "inlet_restarts",
        "Connector restarts by the supervisor.",
        |c| c.restarts,
    ),
];

impl Collector for ConnectorFamilies {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), fmt::Error> {
        let held = self.held();
        let connectors = by_connector(&held);
        for (name, help, value) in COUNTERS {
            let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
            for (connector, totals) in &connectors {
                let labels = [("connector", *connector)];
                ConstCounter::new(value(&totals.counts)).encode(family.encode_family(&labels)?)?;
            }
        }
        let mut family = encoder.encode_descriptor(
            "inlet_batch",
            "Time to write and commit a batch.",
            Some(&Unit::Seconds),
            MetricType::Histogram,
        )?;
        for (connector, totals) in &connectors {
            let labels = [("connector", *connector)];
            let h = &totals.batch_seconds;
            let buckets: Vec<(f64, u64)> = BUCKETS.into_iter().zip(h.buckets).collect();
            family
                .encode_family(&labels)?
                .encode_histogram::<NoLabelSet>(
                    h.sum_micros as f64 / 1e6,
                    h.count,
                    &buckets,
                    None,
                )?;
        }
        let records = Unit::Other("records".into());
        let mut family = encoder.encode_descriptor(
            "inlet_lag",
            "Records in the partition not yet stored: its last stable offset (read_committed) minus the stored next offset.",
            Some(&records),
            MetricType::Gauge,
        )?;
        for (connector, totals) in &connectors {
            for ((topic, partition), lag) in &totals.lag {
                let partition = partition.to_string();
                let labels = [
                    ("connector", *connector),
                    ("topic", topic.as_str()),
                    ("partition", partition.as_str()),
                ];
                ConstGauge::new(*lag).encode(family.encode_family(&labels)?)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use super::*;
    use crate::progress::Progress;
    use crate::progress::events::{BatchCommitted, PositionsMoved};

    fn committed(progress: &Progress, rows: u64, elapsed: Duration) {
        BatchCommitted {
            rows,
            dead_letters: 0,
            bytes: 10 * rows,
            elapsed,
        }
        .emit(progress);
    }

    fn text(held: Vec<Held>) -> String {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(ConnectorFamilies {
            held: Source::Fixed(held),
        }));
        encode(&registry)
    }

    #[test]
    fn counters_histogram_and_lag_in_prometheus_text() {
        let p = Arc::new(Progress::default());
        committed(&p, 40, Duration::from_millis(30));
        committed(&p, 2, Duration::from_millis(3));
        PositionsMoved {
            stored: BTreeMap::from([(("t\"1".to_owned(), 0), 90)]),
        }
        .emit(&p);
        p.ends().lock().unwrap().insert(("t\"1".to_owned(), 0), 100);
        let text = text(vec![Held {
            name: "c".into(),
            connector: "c".into(),
            progress: p,
        }]);
        for line in [
            "# TYPE inlet_rows_total counter\n",
            "inlet_rows_total{connector=\"c\"} 42\n",
            "inlet_bytes_total{connector=\"c\"} 420\n",
            "inlet_batches_total{connector=\"c\"} 2\n",
            "inlet_restarts_total{connector=\"c\"} 0\n",
            "# TYPE inlet_batch_seconds histogram\n",
            "inlet_batch_seconds_bucket{connector=\"c\",le=\"0.005\"} 1\n",
            "inlet_batch_seconds_bucket{connector=\"c\",le=\"0.025\"} 1\n",
            "inlet_batch_seconds_bucket{connector=\"c\",le=\"0.05\"} 2\n",
            "inlet_batch_seconds_bucket{connector=\"c\",le=\"+Inf\"} 2\n",
            "inlet_batch_seconds_sum{connector=\"c\"} 0.033\n",
            "inlet_batch_seconds_count{connector=\"c\"} 2\n",
            "# TYPE inlet_lag_records gauge\n",
            "inlet_lag_records{connector=\"c\",topic=\"t\\\"1\",partition=\"0\"} 10\n",
        ] {
            assert!(text.contains(line), "{line:?} not in:\n{text}");
        }
    }

    #[test]
    fn the_tasks_of_one_connector_are_one_series_of_their_sums() {
        let (a, b) = (Arc::new(Progress::default()), Arc::new(Progress::default()));
        committed(&a, 5, Duration::from_millis(1));
        committed(&b, 7, Duration::from_millis(2));
        let held = |name: &str, progress: &Arc<Progress>| Held {
            name: name.into(),
            connector: "orders".into(),
            progress: progress.clone(),
        };
        let text = text(vec![held("orders/0", &a), held("orders/1", &b)]);
        assert_eq!(
            text.matches("inlet_rows_total{").count(),
            1,
            "one series per connector:\n{text}"
        );
        assert!(
            text.contains("inlet_rows_total{connector=\"orders\"} 12\n"),
            "{text}"
        );
        assert!(
            text.contains("inlet_batch_seconds_count{connector=\"orders\"} 2\n"),
            "{text}"
        );
    }
}
