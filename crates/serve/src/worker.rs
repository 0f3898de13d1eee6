//! A worker of `inlet serve`: it says it is alive, claims tasks of the stored connectors with
//! leases, runs each task it holds in the [`Supervisor`] as one consumer of its connector's
//! group, and reports their states, so that any worker can answer for all of them.
//!
//! Every [`HEARTBEAT`], and at once when a change is notified (`LISTEN inlet_control`), it
//! reconciles: renew its leases, give up what is beyond its share (a new worker joined),
//! claim free tasks up to its share (a worker died, a connector was made), then make the
//! supervisor match what it holds — start, pause, resume, restart (asked, or the
//! configuration changed), stop and give up STOPPED connectors' tasks. A lost notification
//! only delays a change to the next beat. Exactly once holds whoever runs what: a batch
//! commits only from the stored offsets it started from.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use inlet_engine::{ConnectorState, Supervisor};
use inlet_postgres::DatabaseConfig;
use inlet_postgres::control::{self, HeldTask, TaskReport};
use tokio::sync::watch;

use crate::flat::{self, FlatConfig};

/// How often a worker beats and reconciles.
pub const HEARTBEAT: Duration = Duration::from_secs(3);

/// How long a claimed task stays a worker's without a renewal, and how long a worker
/// counts as alive after its last beat: a killed worker's tasks are taken over after it.
pub const LEASE: Duration = Duration::from_secs(15);

/// This build's version, recorded with the worker.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What runs here for a task.
#[derive(Debug, Clone)]
struct Running {
    config: String,
    target_state: String,
    restart_epoch: i64,
    /// Why the configuration cannot run (it is then not in the supervisor).
    problems: Option<String>,
}

/// The supervisor's name for a task.
pub fn task_key(connector: &str, task: i32) -> String {
    format!("{connector}/{task}")
}

/// A worker: its id (`host:port`), the database it coordinates through (the one its
/// connectors write into), and the supervisor its tasks run in.
pub struct Worker {
    id: String,
    database: DatabaseConfig,
    supervisor: Arc<Supervisor>,
    running: HashMap<(String, i32), Running>,
    /// The connectors this worker runs from its configuration file.
    files: Vec<String>,
    /// When the tasks' counters were last sampled (every [`SAMPLE_EVERY`]).
    sampled: Option<std::time::Instant>,
}

/// How often a worker samples its tasks' counters into `inlet.task_samples`.
pub const SAMPLE_EVERY: Duration = Duration::from_secs(15);

impl Worker {
    /// A worker `id` over `database`, running tasks in `supervisor` beside the connectors
    /// `files` of its configuration file.
    pub fn new(
        id: String,
        database: DatabaseConfig,
        supervisor: Arc<Supervisor>,
        files: Vec<String>,
    ) -> Self {
        Worker {
            id,
            database,
            supervisor,
            files,
            running: HashMap::new(),
            sampled: None,
        }
    }

    /// Works until `shutdown` turns true; then stops its tasks (each commits its batch in
    /// flight) and gives them up at once, for other workers to take.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        let mut client: Option<tokio_postgres::Client> = None;
        let mut notes: Option<tokio::sync::mpsc::UnboundedReceiver<String>> = None;
        let mut _listener: Option<tokio_postgres::Client> = None;
        loop {
            if client
                .as_ref()
                .is_none_or(tokio_postgres::Client::is_closed)
            {
                client = match self.database.connect().await {
                    Ok(c) => Some(c),
                    Err(e) => {
                        tracing::warn!(error = %e, "the worker cannot reach the database; retrying");
                        None
                    }
                };
            }
            if notes.is_none() {
                match self.listen().await {
                    Ok((c, n)) => {
                        _listener = Some(c);
                        notes = Some(n);
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, "cannot listen for changes; reconciling every beat")
                    }
                }
            }
            if let Some(c) = client.as_mut()
                && let Err(e) = self.reconcile(c).await
            {
                tracing::warn!(error = %e, "reconciling the worker's tasks failed; retrying at the next beat");
            }
            let beat = tokio::time::sleep(HEARTBEAT);
            tokio::select! {
                _ = shutdown.changed() => break,
                note = async {
                    match notes.as_mut() {
                        Some(n) => n.recv().await,
                        None => std::future::pending().await,
                    }
                } => {
                    if note.is_none() {
                        notes = None; // the listening connection ended: made again
                    }
                    // Several changes at once are one reconcile.
                    if let Some(n) = notes.as_mut() {
                        while n.try_recv().is_ok() {}
                    }
                }
                () = beat => {}
            }
        }
        self.supervisor.stop_all().await;
        if let Ok(c) = self.database.connect().await
            && let Err(e) = control::leave(&c, &self.id).await
        {
            tracing::warn!(error = %e, "cannot give the worker's tasks up; they are taken over when their leases end");
        }
    }

    async fn listen(
        &self,
    ) -> Result<
        (
            tokio_postgres::Client,
            tokio::sync::mpsc::UnboundedReceiver<String>,
        ),
        inlet_postgres::Error,
    > {
        let (client, notes) = self.database.connect_listening().await?;
        client
            .batch_execute(&format!("LISTEN {}", control::CONTROL_CHANNEL))
            .await
            .map_err(|e| inlet_postgres::Error::Query {
                action: "listening for changes of connectors".into(),
                source: e,
            })?;
        Ok((client, notes))
    }

    /// One round: beat, renew, give up the surplus, claim, run what is held, report.
    async fn reconcile(
        &mut self,
        client: &mut tokio_postgres::Client,
    ) -> Result<(), inlet_postgres::Error> {
        let lease = LEASE.as_secs_f64();
        control::heartbeat(&*client, &self.id, VERSION, &self.files).await?;
        let live = control::live_workers(&*client, lease).await?.len().max(1) as i64;
        let stored = control::list_connectors(&*client).await?;
        let connectors: HashMap<String, i64> = stored
            .iter()
            .map(|c| (c.name.clone(), i64::from(c.tasks_max)))
            .collect();
        // Each worker's share of a connector's tasks: ⌈tasks_max / live workers⌉; and of
        // all tasks to run: ⌈their sum / live workers⌉, so that many one-task connectors
        // spread too.
        let share = |connector: &str| {
            connectors
                .get(connector)
                .map_or(0, |tasks| (tasks + live - 1) / live)
        };
        let total: i64 = stored
            .iter()
            .filter(|c| c.target_state != "STOPPED")
            .map(|c| i64::from(c.tasks_max))
            .sum();
        let overall = (total + live - 1) / live;
        let mut held = control::renew_tasks(&*client, &self.id, lease).await?;
        // Beyond a share (a worker joined): the highest tasks are given up.
        held.sort_by(|a, b| (&a.connector, a.task).cmp(&(&b.connector, b.task)));
        let mut counted: HashMap<String, i64> = HashMap::new();
        let mut surplus = Vec::new();
        for task in &held {
            let n = counted.entry(task.connector.clone()).or_default();
            *n += 1;
            if *n > share(&task.connector) {
                surplus.push((task.connector.clone(), task.task));
            }
        }
        let running: Vec<&HeldTask> = held
            .iter()
            .filter(|t| {
                t.target_state != "STOPPED" && !surplus.contains(&(t.connector.clone(), t.task))
            })
            .collect();
        let beyond = running.len() as i64 - overall;
        if beyond > 0 {
            // The last ones, of the connectors this worker holds most of first.
            let mut by_load: Vec<&HeldTask> = running.clone();
            by_load.sort_by_key(|t| std::cmp::Reverse((counted[&t.connector], t.task)));
            for task in by_load.into_iter().take(beyond as usize) {
                surplus.push((task.connector.clone(), task.task));
            }
        }
        for (connector, task) in &surplus {
            self.stop_task(connector, *task).await;
            control::release_task(&*client, &self.id, connector, *task).await?;
            tracing::info!(%connector, task, "task given up to another worker");
        }
        held.retain(|t| !surplus.contains(&(t.connector.clone(), t.task)));
        let claimed = control::claim_tasks(client, &self.id, lease, share, overall).await?;
        if !claimed.is_empty() {
            tracing::info!(tasks = ?claimed, "tasks claimed");
            held = control::renew_tasks(&*client, &self.id, lease).await?;
        }
        // What runs here and is no longer held (deleted, or taken over after a lost lease).
        let keep: Vec<(String, i32)> = held.iter().map(|t| (t.connector.clone(), t.task)).collect();
        let gone: Vec<(String, i32)> = self
            .running
            .keys()
            .filter(|k| !keep.contains(k))
            .cloned()
            .collect();
        for (connector, task) in gone {
            self.stop_task(&connector, task).await;
        }
        let sample = self.sampled.is_none_or(|at| at.elapsed() >= SAMPLE_EVERY);
        if sample {
            self.sampled = Some(std::time::Instant::now());
        }
        for task in &held {
            if task.target_state == "STOPPED" {
                self.stop_task(&task.connector, task.task).await;
                control::release_task(&*client, &self.id, &task.connector, task.task).await?;
                continue;
            }
            self.apply(task).await;
            let key = task_key(&task.connector, task.task);
            let running = self.running.get(&(task.connector.clone(), task.task));
            let status = self.supervisor.status(&key).ok();
            let (state, trace) = match (running.and_then(|r| r.problems.clone()), &status) {
                (Some(problems), _) => (ConnectorState::Failed, Some(problems)),
                (None, Some(status)) => (status.state, status.trace.clone()),
                (None, None) => (ConnectorState::Unassigned, None),
            };
            control::report_task(
                &*client,
                &self.id,
                &TaskReport {
                    connector: &task.connector,
                    task: task.task,
                    state: &state.to_string(),
                    trace: trace.as_deref(),
                    applied_version: task.version,
                    applied_restart: running.map_or(0, |r| r.restart_epoch),
                },
            )
            .await?;
            if let Some(status) = status {
                let metrics = serde_json::json!({
                    "rows": status.rows,
                    "dead_letters": status.dead_letters,
                    "batches": status.batches,
                    "rows_per_second": status.rows_per_second,
                    "partitions": status.partitions,
                    "schemas": status.schemas,
                    "last_error": status.last_error,
                });
                control::report_metrics(
                    &*client,
                    &self.id,
                    &task.connector,
                    task.task,
                    &metrics.to_string(),
                )
                .await?;
                if sample {
                    let lag = status.partitions.iter().map(|p| p.lag).sum::<Option<i64>>();
                    control::sample_task(
                        &*client,
                        &task.connector,
                        task.task,
                        i64::try_from(status.rows).unwrap_or(i64::MAX),
                        i64::try_from(status.dead_letters).unwrap_or(i64::MAX),
                        lag,
                    )
                    .await?;
                }
            }
        }
        Ok(())
    }

    /// Makes the supervisor run `task` as stored.
    async fn apply(&mut self, task: &HeldTask) {
        let id = (task.connector.clone(), task.task);
        let key = task_key(&task.connector, task.task);
        let paused = task.target_state == "PAUSED";
        if let Some(running) = self.running.get_mut(&id) {
            if running.config != task.config {
                // A new configuration: the task starts again with it.
                self.stop_task(&task.connector, task.task).await;
            } else {
                if running.problems.is_none() {
                    if running.target_state != task.target_state {
                        let _ = if paused {
                            self.supervisor.pause(&key)
                        } else {
                            self.supervisor.resume(&key)
                        };
                    }
                    if task.restart_epoch > running.restart_epoch {
                        let _ = self.supervisor.restart(&key);
                    }
                }
                running.target_state.clone_from(&task.target_state);
                running.restart_epoch = task.restart_epoch;
                return;
            }
        }
        let problems = match serde_json::from_str::<FlatConfig>(&task.config)
            .map_err(|e| vec![("config".to_owned(), e.to_string())])
            .and_then(|config| flat::to_raw(&task.connector, &config))
        {
            Ok((raw, _)) => {
                match self
                    .supervisor
                    .start_task(key, raw, self.database.clone(), paused)
                {
                    Ok(()) => None,
                    Err(e) => Some(e.to_string()),
                }
            }
            Err(problems) => Some(
                problems
                    .iter()
                    .map(|(k, m)| format!("{k}: {m}"))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
        };
        self.running.insert(
            id,
            Running {
                config: task.config.clone(),
                target_state: task.target_state.clone(),
                restart_epoch: task.restart_epoch,
                problems,
            },
        );
    }

    /// Stops a task here (its batch in flight committed) and forgets it.
    async fn stop_task(&mut self, connector: &str, task: i32) {
        if self.running.remove(&(connector.to_owned(), task)).is_some() {
            let _ = self.supervisor.remove(&task_key(connector, task)).await;
        }
    }
}
