//! A worker of `inlet serve`: it says it is alive, claims tasks of the stored connectors with
//! leases, runs each task it holds in the [`Supervisor`] as one consumer of its connector's
//! group, and reports their states, so that any worker can answer for all of them.
//!
//! Every [`HEARTBEAT`], and at once when a change is notified (`LISTEN inlet_control`), it
//! reconciles: renew its leases, give up what is beyond its share (a new worker joined),
//! claim free tasks up to its share (a worker died, a connector was made), then make the
//! supervisor match what it holds — start, pause, resume, restart (asked, or the
//! configuration changed), stop and give up STOPPED connectors' tasks. A lost notification
//! only delays a change to the next beat.
//!
//! A task that does not stop within [`STOP_WAIT`] is abandoned, so that renewing the leases
//! never waits on one task. A worker that cannot renew its leases stops its tasks before they can end ([`FENCE`]):
//! another worker may take them then. Exactly once holds whoever runs what anyway: a batch
//! commits only from the stored offsets it started from.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use inlet_engine::{ConnectorState, Supervisor};
use inlet_postgres::DatabaseConfig;
use inlet_postgres::control::{self, HeldTask, TargetState, TaskReport};
use tokio::sync::watch;

use crate::flat::{self, FlatConfig};
use crate::secrets::{self, SecretsKey};

/// How often a worker beats and reconciles.
pub const HEARTBEAT: Duration = Duration::from_secs(3);

/// How long a claimed task stays a worker's without a renewal, and how long a worker
/// counts as alive after its last beat: a killed worker's tasks are taken over after it.
pub const LEASE: Duration = Duration::from_secs(15);

/// A worker that has not renewed its leases for this long stops its tasks: before the
/// leases end, so that no other worker runs them meanwhile.
pub const FENCE: Duration = Duration::from_secs(10);

/// How long a worker waits for a task to stop (commit its batch in flight) before it
/// abandons it: shorter than [`FENCE`] less a [`HEARTBEAT`], so that a task stuck on a
/// system that does not answer never keeps the worker from renewing its other leases.
pub const STOP_WAIT: Duration = Duration::from_secs(4);

/// How often a worker samples its tasks' counters into `inlet.task_samples`.
pub const SAMPLE_EVERY: Duration = Duration::from_secs(15);

/// This build's version, recorded with the worker.
const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What runs here for a task. `Debug` shows no configuration (it may hold secrets).
#[derive(Clone)]
struct Running {
    config: String,
    target_state: TargetState,
    restart_epoch: i64,
    /// Whether this round asked the supervisor to restart it: the restart is under way,
    /// and the status read now is still the old run's (reported RESTARTING, as Connect
    /// does, rather than RUNNING under the new restart epoch).
    restart_asked: bool,
    /// Why the configuration cannot run (it is then not in the supervisor).
    problems: Option<String>,
}

/// The supervisor's name for a task.
pub fn task_key(connector: &str, task: i32) -> String {
    format!("{connector}/{task}")
}

/// The connector and task of a supervisor's name for a task ([`task_key`]); None for a
/// name that is not one (a connector of the configuration file runs under its own name).
pub fn parse_task_key(key: &str) -> Option<(&str, i32)> {
    let (connector, task) = key.rsplit_once('/')?;
    Some((connector, task.parse().ok()?))
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
    /// The key of `${secret:…}` references.
    secrets_key: Option<SecretsKey>,
    /// When the tasks' counters were last sampled (every [`SAMPLE_EVERY`]).
    sampled: Option<Instant>,
    /// When the leases were last renewed.
    renewed: Instant,
}

impl Worker {
    /// A worker `id` over `database`, running tasks in `supervisor` beside the connectors
    /// `files` of its configuration file; `secrets_key` opens `${secret:…}` references.
    pub fn new(
        id: String,
        database: DatabaseConfig,
        supervisor: Arc<Supervisor>,
        files: Vec<String>,
        secrets_key: Option<SecretsKey>,
    ) -> Self {
        Worker {
            id,
            database,
            supervisor,
            files,
            secrets_key,
            running: HashMap::new(),
            sampled: None,
            renewed: Instant::now(),
        }
    }

    /// Works until `shutdown` turns true; then stops its tasks (each commits its batch in
    /// flight) and gives them up at once, for other workers to take.
    pub async fn run(mut self, mut shutdown: watch::Receiver<bool>) {
        let mut client: Option<tokio_postgres::Client> = None;
        let mut notes: Option<tokio::sync::mpsc::UnboundedReceiver<String>> = None;
        let mut _listener: Option<tokio_postgres::Client> = None;
        // A task that changes state is reported at once, not at the next beat.
        let mut changes = self.supervisor.changes();
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
            if self.renewed.elapsed() >= FENCE && !self.running.is_empty() {
                tracing::warn!(
                    "the worker could not renew its leases for {} s: its tasks stop, for another worker to take them",
                    self.renewed.elapsed().as_secs()
                );
                let all: Vec<(String, i32)> = self.running.keys().cloned().collect();
                self.stop_tasks(&all).await;
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
                _ = changes.changed() => {}
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
        control::listen(&client).await?;
        Ok((client, notes))
    }

    /// One round: beat, renew, give up the surplus, claim, run what is held, report.
    async fn reconcile(
        &mut self,
        client: &mut tokio_postgres::Client,
    ) -> Result<(), inlet_postgres::Error> {
        let lease = LEASE.as_secs_f64();
        control::heartbeat(&*client, &self.id, VERSION, &self.files).await?;
        let live = control::live_workers(&*client, lease).await?.len();
        let stored = control::list_connectors(&*client).await?;
        // Claims take every connector's task 0 before any task 1, so that one connector's
        // tasks spread over the workers; only what is beyond the share is given up (a worker
        // joined).
        let total: i64 = stored
            .iter()
            .filter(|c| c.target_state != TargetState::Stopped)
            .map(|c| i64::from(c.tasks_max))
            .sum();
        let share = share_of(total, live);
        // Their consumers share the worker's prefetch memory as that many, with the file's.
        self.supervisor
            .expect(usize::try_from(share).unwrap_or(0) + self.files.len());
        let mut held = control::renew_tasks(&*client, &self.id, lease).await?;
        self.renewed = Instant::now();
        let running: Vec<&HeldTask> = held
            .iter()
            .filter(|t| t.target_state != TargetState::Stopped)
            .collect();
        let surplus = surplus_of(
            &running
                .iter()
                .map(|t| (t.connector.as_str(), t.task))
                .collect::<Vec<_>>(),
            share,
        );
        if !surplus.is_empty() {
            self.stop_tasks(&surplus).await;
            for (connector, task) in &surplus {
                control::release_task(&*client, &self.id, connector, *task).await?;
                tracing::info!(%connector, task, "task given up to another worker");
            }
            held.retain(|t| !surplus.contains(&(t.connector.clone(), t.task)));
        }
        let claimed = control::claim_tasks(client, &self.id, lease, share).await?;
        if !claimed.is_empty() {
            tracing::info!(tasks = ?claimed, "tasks claimed");
            held = control::renew_tasks(&*client, &self.id, lease).await?;
        }
        // What runs here and is no longer held (deleted, taken over after a lost lease), or
        // is to stop.
        let gone: Vec<(String, i32)> = self
            .running
            .keys()
            .filter(|k| {
                !held.iter().any(|t| {
                    t.connector == k.0 && t.task == k.1 && t.target_state != TargetState::Stopped
                })
            })
            .cloned()
            .collect();
        self.stop_tasks(&gone).await;
        for task in held
            .iter()
            .filter(|t| t.target_state == TargetState::Stopped)
        {
            control::release_task(&*client, &self.id, &task.connector, task.task).await?;
        }
        let sample = self.sampled.is_none_or(|at| at.elapsed() >= SAMPLE_EVERY);
        if sample {
            self.sampled = Some(Instant::now());
        }
        for task in held
            .iter()
            .filter(|t| t.target_state != TargetState::Stopped)
        {
            self.apply(&*client, task).await;
            self.report(&*client, task, sample).await?;
        }
        Ok(())
    }

    /// Reports a held task's state, trace and counters (a sample of them when `sample`).
    async fn report(
        &self,
        client: &tokio_postgres::Client,
        task: &HeldTask,
        sample: bool,
    ) -> Result<(), inlet_postgres::Error> {
        let key = task_key(&task.connector, task.task);
        let running = self.running.get(&(task.connector.clone(), task.task));
        let status = self.supervisor.status(&key).ok();
        let (state, trace) = match (running.and_then(|r| r.problems.clone()), &status) {
            (Some(problems), _) => (ConnectorState::Failed, Some(problems)),
            (None, Some(_)) if running.is_some_and(|r| r.restart_asked) => {
                (ConnectorState::Restarting, None)
            }
            // A running task that cannot get on says why (Connect's UIs show the trace).
            (None, Some(status)) => (
                status.state,
                status.trace.clone().or_else(|| status.held_up_by.clone()),
            ),
            (None, None) => (ConnectorState::Unassigned, None),
        };
        control::report_task(
            client,
            &self.id,
            &TaskReport {
                connector: &task.connector,
                task: task.task,
                state: state.as_str(),
                trace: trace.as_deref(),
                applied_version: task.version,
                applied_restart: running.map_or(0, |r| r.restart_epoch),
            },
        )
        .await?;
        let Some(status) = status else {
            return Ok(());
        };
        let metrics = crate::api::TaskMetrics::of(&status);
        control::report_metrics(
            client,
            &self.id,
            &task.connector,
            task.task,
            &serde_json::to_string(&metrics).unwrap_or_default(),
        )
        .await?;
        if sample {
            let lag = status.partitions.iter().map(|p| p.lag).sum::<Option<i64>>();
            control::sample_task(
                client,
                &task.connector,
                task.task,
                i64::try_from(status.rows).unwrap_or(i64::MAX),
                i64::try_from(status.dead_letters).unwrap_or(i64::MAX),
                lag,
            )
            .await?;
        }
        Ok(())
    }

    /// Makes the supervisor run `task` as stored.
    async fn apply(&mut self, client: &tokio_postgres::Client, task: &HeldTask) {
        let id = (task.connector.clone(), task.task);
        let key = task_key(&task.connector, task.task);
        let paused = task.target_state == TargetState::Paused;
        if let Some(running) = self.running.get_mut(&id) {
            if running.config != task.config {
                // A new configuration: the task starts again with it.
                self.stop_tasks(std::slice::from_ref(&id)).await;
            } else {
                running.restart_asked = false;
                if running.problems.is_none() {
                    if running.target_state != task.target_state {
                        let _ = if paused {
                            self.supervisor.pause(&key)
                        } else {
                            self.supervisor.resume(&key)
                        };
                    }
                    if task.restart_epoch > running.restart_epoch {
                        running.restart_asked = self.supervisor.restart(&key).is_ok();
                    }
                }
                running.target_state = task.target_state;
                running.restart_epoch = task.restart_epoch;
                return;
            }
        }
        let problems = match self.raw(client, task).await {
            Ok(raw) => self
                .supervisor
                .start_task(key, raw, self.database.clone(), paused)
                .err()
                .map(|e| e.to_string()),
            Err(problems) => Some(problems),
        };
        self.running.insert(
            id,
            Running {
                config: task.config.clone(),
                target_state: task.target_state,
                restart_epoch: task.restart_epoch,
                restart_asked: false,
                problems,
            },
        );
    }

    /// The task's connector as inlet runs it: the stored flat configuration, its
    /// `${secret:…}` opened, turned into inlet's; or why it cannot run.
    async fn raw(
        &self,
        client: &tokio_postgres::Client,
        task: &HeldTask,
    ) -> Result<inlet_engine::config::RawConnector, String> {
        let config: FlatConfig = serde_json::from_str(&task.config)
            .map_err(|e| format!("the stored configuration is not a map of strings: {e}"))?;
        let config =
            secrets::resolve(self.secrets_key.as_ref(), client, &task.connector, config).await?;
        flat::to_raw(&task.connector, &config)
            .map(|(raw, _)| raw)
            .map_err(|problems| flat::say(&problems))
    }

    /// Stops these tasks here, all at once (each commits its batch in flight), and forgets
    /// them; one that has not stopped after [`STOP_WAIT`] is abandoned (its batch in flight
    /// is not committed), so that the others and the leases go on.
    async fn stop_tasks(&mut self, tasks: &[(String, i32)]) {
        let mut stopping = Vec::new();
        for (connector, task) in tasks {
            if self.running.remove(&(connector.clone(), *task)).is_some() {
                stopping.push(task_key(connector, *task));
            }
        }
        let supervisor = &self.supervisor;
        futures_util::future::join_all(
            stopping.iter().map(|key| supervisor.remove(key, STOP_WAIT)),
        )
        .await;
    }
}

/// A worker's share of the tasks to run: ⌈`total` tasks / `live` workers⌉ (this one counted
/// when no beat of it is seen yet), so that every task finds a worker.
pub fn share_of(total: i64, live: usize) -> i64 {
    let live = i64::try_from(live.max(1)).unwrap_or(i64::MAX);
    (total.max(0) + live - 1) / live
}

/// The tasks a worker running `running` ((connector, task)) gives up to keep to `share`: of
/// the connectors it holds most of first, their highest tasks — so that a connector's tasks
/// spread as workers join. Empty when it runs no more than its share.
pub fn surplus_of(running: &[(&str, i32)], share: i64) -> Vec<(String, i32)> {
    let beyond = usize::try_from(running.len() as i64 - share.max(0)).unwrap_or(0);
    if beyond == 0 {
        return Vec::new();
    }
    let mut counted: HashMap<&str, usize> = HashMap::new();
    for (connector, _) in running {
        *counted.entry(connector).or_default() += 1;
    }
    let mut by_load = running.to_vec();
    by_load.sort_by_key(|(connector, task)| std::cmp::Reverse((counted[connector], *task)));
    by_load
        .into_iter()
        .take(beyond)
        .map(|(connector, task)| (connector.to_owned(), task))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_share_is_the_tasks_over_the_live_workers_rounded_up() {
        for (total, live, share) in [
            (0, 1, 0),
            (1, 0, 1),
            (1, 3, 1),
            (3, 3, 1),
            (4, 3, 2),
            (7, 2, 4),
            (10, 1, 10),
        ] {
            assert_eq!(
                share_of(total, live),
                share,
                "{total} tasks, {live} workers"
            );
        }
    }

    #[test]
    fn the_surplus_is_the_highest_tasks_of_the_connectors_held_most() {
        let running = [("a", 0), ("a", 1), ("a", 2), ("b", 0), ("b", 1), ("c", 0)];
        let cases: [(i64, Vec<(&str, i32)>); 4] = [
            (6, vec![]),
            (9, vec![]),
            (5, vec![("a", 2)]),
            (3, vec![("a", 2), ("a", 1), ("a", 0)]),
        ];
        for (share, expected) in cases {
            let expected: Vec<(String, i32)> = expected
                .into_iter()
                .map(|(c, t)| (c.to_owned(), t))
                .collect();
            assert_eq!(surplus_of(&running, share), expected, "share {share}");
        }
        assert_eq!(surplus_of(&running, 0).len(), 6);
    }
}
