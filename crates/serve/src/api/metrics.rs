//! `GET /metrics`: this worker's Prometheus text — the connector families `inlet run
//! --metrics` serves ([`inlet_engine::metrics`], summed over this worker's tasks of each
//! connector), and the per-task and per-worker families of [`WorkerFamilies`]. Like every
//! read, it needs a token (read or admin) once the API has tokens. Each worker answers for
//! the tasks it runs: Prometheus scrapes every worker (its `instance` label tells them apart).

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use inlet_engine::{ConnectorState, ConnectorStatus, Supervisor};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::registry::{Registry, Unit};

use super::App;

/// The OpenAPI paths of this module ([`super::openapi`]).
#[derive(utoipa::OpenApi)]
#[openapi(paths(metrics))]
pub(super) struct Api;

pub(super) fn routes() -> axum::Router<App> {
    axum::Router::new().route("/metrics", get(metrics))
}

/// This worker's Prometheus text (the families of docs/metrics.md).
#[utoipa::path(get, path = "/metrics", responses(
    (status = 200, description = "Prometheus' text format.", body = String, content_type = "text/plain; version=0.0.4"),
))]
async fn metrics(State(app): State<App>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, inlet_engine::metrics::CONTENT_TYPE)],
        inlet_engine::metrics::encode(&app.0.metrics),
    )
}

/// The registry of a worker `worker_id` whose tasks run in `supervisor`: the connector
/// families and [`WorkerFamilies`].
pub fn registry(worker_id: &str, supervisor: Arc<Supervisor>) -> Registry {
    let mut registry = inlet_engine::metrics::registry(supervisor.clone());
    registry.register_collector(Box::new(WorkerFamilies {
        worker_id: worker_id.to_owned(),
        supervisor,
    }));
    registry
}

/// The families of the tasks a worker runs (labels `connector` and `task`) and of the
/// worker itself (label `worker`, its id), read from its supervisor at each scrape.
pub struct WorkerFamilies {
    worker_id: String,
    supervisor: Arc<Supervisor>,
}

impl fmt::Debug for WorkerFamilies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerFamilies")
            .field("worker_id", &self.worker_id)
            .finish_non_exhaustive()
    }
}

/// A task's connector and number, from its name in the supervisor (`orders/0`); a
/// connector of the configuration file (`--config`) is its own task 0.
fn task_of(status: &ConnectorStatus) -> (&str, String) {
    match crate::worker::parse_task_key(&status.name) {
        Some((connector, task)) => (connector, task.to_string()),
        None => (status.name.as_str(), "0".to_owned()),
    }
}

/// One family (name, unit, type) with one series per task, labelled `connector` and
/// `task`, of the value `metric` reads from its status.
fn per_task<M: EncodeMetric>(
    encoder: &mut DescriptorEncoder,
    (name, unit, metric_type): (&str, Option<Unit>, MetricType),
    help: &str,
    tasks: &[ConnectorStatus],
    metric: impl Fn(&ConnectorStatus) -> M,
) -> Result<(), fmt::Error> {
    let mut family = encoder.encode_descriptor(name, help, unit.as_ref(), metric_type)?;
    for status in tasks {
        let (connector, task) = task_of(status);
        let labels = [("connector", connector), ("task", task.as_str())];
        metric(status).encode(family.encode_family(&labels)?)?;
    }
    Ok(())
}

impl Collector for WorkerFamilies {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), fmt::Error> {
        let tasks = self.supervisor.statuses();
        let mut family = encoder.encode_descriptor(
            "inlet_task_state",
            "1 for the state each task of this worker is in, 0 for the others.",
            None,
            MetricType::Gauge,
        )?;
        for status in &tasks {
            let (connector, task) = task_of(status);
            for state in ConnectorState::ALL {
                let labels = [
                    ("connector", connector),
                    ("task", task.as_str()),
                    ("state", state.as_str()),
                ];
                ConstGauge::new(i64::from(status.state == state))
                    .encode(family.encode_family(&labels)?)?;
            }
        }
        per_task(
            &mut encoder,
            ("inlet_task_rows", None, MetricType::Counter),
            "Rows the task stored since it started on this worker.",
            &tasks,
            |s| ConstCounter::new(s.rows),
        )?;
        per_task(
            &mut encoder,
            ("inlet_task_partitions", None, MetricType::Gauge),
            "Partitions assigned to the task (0 unless it consumes).",
            &tasks,
            |s| ConstGauge::new(s.partitions.len() as i64),
        )?;
        per_task(
            &mut encoder,
            (
                "inlet_task_lag",
                Some(Unit::Other("records".into())),
                MetricType::Gauge,
            ),
            "Records of the task's partitions not yet stored (the sum of their inlet_lag_records).",
            &tasks,
            |s| ConstGauge::new(s.partitions.iter().filter_map(|p| p.lag).sum::<i64>()),
        )?;
        let worker = [("worker", self.worker_id.as_str())];
        let mut family = encoder.encode_descriptor(
            "inlet_worker_tasks",
            "Tasks this worker holds, in any state.",
            None,
            MetricType::Gauge,
        )?;
        ConstGauge::new(tasks.len() as i64).encode(family.encode_family(&worker)?)?;
        let running: BTreeSet<&str> = tasks
            .iter()
            .filter(|s| s.state == ConnectorState::Running)
            .map(|s| task_of(s).0)
            .collect();
        let mut family = encoder.encode_descriptor(
            "inlet_worker_connectors_running",
            "Connectors with at least one task RUNNING on this worker.",
            None,
            MetricType::Gauge,
        )?;
        ConstGauge::new(running.len() as i64).encode(family.encode_family(&worker)?)?;
        Ok(())
    }
}
