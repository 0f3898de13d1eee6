//! The supervisor: owns the connectors running in this process, starts, pauses, resumes,
//! restarts and stops each, restarts one that failed with a retriable error (capped
//! backoff), and reports each one's status in Kafka Connect's words.
//!
//! One task per connector ("supervising task") runs [`Connector::run`] and takes commands;
//! the connector's [`Progress`] is shared with it, so that a status is a snapshot read
//! without asking the task.

use inlet_fault::Classify as _;
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use inlet_postgres::DatabaseConfig;
use serde::Serialize;
use tokio::sync::{mpsc, oneshot, watch};
use tracing::Instrument as _;

use crate::backoff::RESTARTS;
use crate::config::{ConnectorConfig, RawConnector};
use crate::connector::{Connector, Control};
use crate::progress::Progress;

/// A connector's or a task's state, as Kafka Connect names them (`GET
/// /connectors/{name}/status`): the one list of states, from the supervisor to the
/// `inlet.tasks.state` column (whose CHECK takes exactly these) and the console's types
/// (generated from the API's OpenAPI document).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ConnectorState {
    /// Started, not yet consuming: connecting, preparing its tables, subscribing.
    Unassigned,
    /// Consuming and writing.
    Running,
    /// Paused: its partitions stay with this worker and fetch nothing.
    Paused,
    /// Stopped: it holds no partition and writes nothing; its configuration and offsets
    /// are kept.
    Stopped,
    /// Stopped by an error that retrying cannot fix (the status's `trace` says which).
    Failed,
    /// Being restarted: asked to, or after an error retrying may fix (with a backoff).
    Restarting,
}

impl ConnectorState {
    /// Every state, in the order above.
    pub const ALL: [ConnectorState; 6] = [
        ConnectorState::Unassigned,
        ConnectorState::Running,
        ConnectorState::Paused,
        ConnectorState::Stopped,
        ConnectorState::Failed,
        ConnectorState::Restarting,
    ];

    /// The state Kafka Connect's name says (`RUNNING`); None for another text.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Kafka Connect's name of it: `RUNNING`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ConnectorState::Unassigned => "UNASSIGNED",
            ConnectorState::Running => "RUNNING",
            ConnectorState::Paused => "PAUSED",
            ConnectorState::Stopped => "STOPPED",
            ConnectorState::Failed => "FAILED",
            ConnectorState::Restarting => "RESTARTING",
        }
    }
}

impl std::fmt::Display for ConnectorState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A snapshot of one connector, serializable (the API's status body is made from it).
#[derive(Debug, Clone, Serialize)]
pub struct ConnectorStatus {
    /// The connector's name.
    pub name: String,
    /// Its state.
    pub state: ConnectorState,
    /// Why it is FAILED or RESTARTING (the error, as a sentence); None otherwise.
    pub trace: Option<String>,
    /// The worker that runs it (`host:port` or `host:pid`).
    pub worker_id: String,
    /// The partitions this worker holds, by topic and partition.
    pub partitions: Vec<PartitionStatus>,
    /// Rows stored per second, over the last 10 seconds or so.
    pub rows_per_second: f64,
    /// Rows stored since it was started in this process (appended, upserted or deleted).
    pub rows: u64,
    /// Dead letters stored since it was started in this process.
    pub dead_letters: u64,
    /// Batches committed since it was started in this process.
    pub batches: u64,
    /// The last error it met, retried or not (None: none yet).
    pub last_error: Option<String>,
    /// What holds it up now: the last error, met in the last minute with no batch committed
    /// since (brokers that do not answer, a registry being retried).
    pub held_up_by: Option<String>,
    /// The value schemas met, by topic and schema id, with the fields each carries that
    /// the table does not store.
    pub schemas: Vec<SchemaStatus>,
}

/// Where a partition held by this worker stands.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct PartitionStatus {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The stored next offset: every record before it is stored (a row or a dead letter).
    pub next_offset: i64,
    /// The partition's last stable offset, as the consumer last saw it (None: not yet).
    #[schema(required = true)]
    pub last_stable_offset: Option<i64>,
    /// Records not yet stored: last stable offset − next offset (None: not known yet).
    #[schema(required = true)]
    pub lag: Option<i64>,
}

/// A value schema met, and what of it is not stored.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct SchemaStatus {
    /// The topic.
    pub topic: String,
    /// The schema's id in the registry.
    pub schema_id: u32,
    /// Field paths of the schema that no column stores.
    pub unstored_fields: Vec<String>,
}

/// A connector or task a [`Supervisor`] holds, with its statistics.
#[derive(Debug, Clone)]
pub struct Held {
    /// The name it is known by here: the connector's, or a task's (`orders/0`, see
    /// [`Supervisor::start_task`]).
    pub name: String,
    /// The connector it runs (of a task: the connector the task is one of).
    pub connector: String,
    /// Its statistics.
    pub progress: Arc<Progress>,
}

/// A supervisor's refusal.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SupervisorError {
    /// No connector of that name runs here.
    #[error("connector {name} is not running in this process")]
    NotFound {
        /// The name asked for.
        name: String,
    },
    /// A connector of that name runs here already.
    #[error("connector {name} runs already: stop it first, or choose another name")]
    Exists {
        /// The name.
        name: String,
    },
}

impl inlet_fault::Classify for SupervisorError {
    /// Whose fault it is: the caller's, who named a connector that is not there (or is).
    fn fault(&self) -> inlet_fault::Fault {
        inlet_fault::Fault::Config
    }
}

/// How often the rows-per-second sample is taken, and how many are kept.
const SAMPLE_EVERY: Duration = Duration::from_secs(1);
const SAMPLES: usize = 10;

enum Command {
    Pause,
    Resume,
    Restart,
    Stop(oneshot::Sender<()>),
}

/// What the supervising task last decided; with the Progress, the state.
#[derive(Debug, Clone)]
enum Phase {
    Started,
    Restarting(Option<String>),
    Stopped,
    Failed(String),
}

struct Shared {
    progress: Arc<Progress>,
    phase: Mutex<Phase>,
    /// Whether the connector is to be paused (its target state).
    paused: Mutex<bool>,
    /// (when, rows) samples, oldest first.
    samples: Mutex<VecDeque<(Instant, u64)>>,
}

struct Handle {
    /// The connector it runs (for a task, `key` is `<connector>/<task>`).
    connector: String,
    commands: mpsc::UnboundedSender<Command>,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

/// Owns the connectors of this process. Cheap to share behind an `Arc`; every method takes
/// `&self`.
pub struct Supervisor {
    worker_id: String,
    connectors: Mutex<BTreeMap<String, Handle>>,
    /// Bumped on every state change, for waiters ([`Supervisor::changes`]).
    changes: watch::Sender<u64>,
    /// How many connectors (and tasks) this worker holds, or is to hold
    /// ([`Supervisor::expect`]) when that is more: their consumers share the worker's
    /// prefetch memory ([`inlet_kafka::WORKER_QUEUE_BUDGET_KIB`]) and statistics.
    consumers: Arc<AtomicUsize>,
    /// How many the owner said it will start ([`Supervisor::expect`]).
    expected: AtomicUsize,
}

impl Supervisor {
    /// A supervisor for the worker `worker_id` (`host:port` for a server, `host:pid` for
    /// `inlet run`), with no connector.
    pub fn new(worker_id: impl Into<String>) -> Self {
        Supervisor {
            worker_id: worker_id.into(),
            connectors: Mutex::new(BTreeMap::new()),
            changes: watch::channel(0).0,
            consumers: Arc::new(AtomicUsize::new(0)),
            expected: AtomicUsize::new(0),
        }
    }

    /// Says that this worker is about to hold `n` connectors (and tasks) in all: each
    /// consumer started from now on takes its share of the worker's prefetch memory for that
    /// many, even before the others have started (a consumer keeps the share it started
    /// with).
    pub fn expect(&self, n: usize) {
        self.expected.store(n, Ordering::Relaxed);
        let held = self.lock().len();
        self.consumers.store(held.max(n), Ordering::Relaxed);
    }

    /// This worker's id.
    pub fn worker_id(&self) -> &str {
        &self.worker_id
    }

    /// Starts `config` writing to `database` (paused when `paused`); it is UNASSIGNED until
    /// it consumes. Must be called within a tokio runtime.
    pub fn start(
        &self,
        config: ConnectorConfig,
        database: DatabaseConfig,
        paused: bool,
    ) -> Result<(), SupervisorError> {
        let name = config.name.clone();
        self.spawn(name, Definition::Checked(config), database, paused)
    }

    /// Starts a connector from its configuration as written: it is checked, and its secret
    /// references resolved, at every start (a rotated secret is read on restart); a
    /// configuration that does not check is FAILED with every problem.
    pub fn start_raw(
        &self,
        config: RawConnector,
        database: DatabaseConfig,
        paused: bool,
    ) -> Result<(), SupervisorError> {
        let name = config.name.clone();
        self.spawn(name, Definition::Raw(config), database, paused)
    }

    /// Starts one task of a connector from its configuration as written, known here as
    /// `key` (e.g. `orders/0`; its status carries that name): several tasks of one
    /// connector are consumers of its group, and Kafka spreads the partitions among them.
    /// Otherwise as [`start_raw`](Self::start_raw).
    pub fn start_task(
        &self,
        key: impl Into<String>,
        config: RawConnector,
        database: DatabaseConfig,
        paused: bool,
    ) -> Result<(), SupervisorError> {
        self.spawn(key.into(), Definition::Raw(config), database, paused)
    }

    fn spawn(
        &self,
        name: String,
        config: Definition,
        database: DatabaseConfig,
        paused: bool,
    ) -> Result<(), SupervisorError> {
        let mut connectors = self.lock();
        if connectors.contains_key(&name) {
            return Err(SupervisorError::Exists { name });
        }
        let shared = Arc::new(Shared {
            progress: Arc::new(Progress::default()),
            phase: Mutex::new(Phase::Started),
            paused: Mutex::new(paused),
            samples: Mutex::new(VecDeque::new()),
        });
        let (commands, receiver) = mpsc::unbounded_channel();
        let connector = config.name().to_owned();
        // Counted before its task starts, which reads the count.
        self.consumers.store(
            (connectors.len() + 1).max(self.expected.load(Ordering::Relaxed)),
            Ordering::Relaxed,
        );
        // The field is `connector` (not `name`, which JSON logs use for the span's own).
        let span = tracing::info_span!("connector", connector = %name);
        let task = tokio::spawn(
            supervise(
                config,
                database,
                shared.clone(),
                receiver,
                self.changes.clone(),
                self.consumers.clone(),
            )
            .instrument(span),
        );
        connectors.insert(
            name,
            Handle {
                connector,
                commands,
                shared,
                task,
            },
        );
        self.changed();
        Ok(())
    }

    /// Pauses `name`: the batch in flight is written, then its partitions fetch nothing
    /// (they stay with this worker). PAUSED once that is so.
    pub fn pause(&self, name: &str) -> Result<(), SupervisorError> {
        self.send(name, Command::Pause)
    }

    /// Resumes `name` (paused or stopped): it reads on from its stored offsets.
    pub fn resume(&self, name: &str) -> Result<(), SupervisorError> {
        self.send(name, Command::Resume)
    }

    /// Restarts `name`: the batch in flight is committed, the connector stops and starts
    /// again (RESTARTING meanwhile); a FAILED or STOPPED one starts again.
    pub fn restart(&self, name: &str) -> Result<(), SupervisorError> {
        self.send(name, Command::Restart)
    }

    /// Stops `name` and returns once it is STOPPED (the batch in flight committed). It
    /// stays known here, and [`resume`](Self::resume) or [`restart`](Self::restart) start
    /// it again.
    pub async fn stop(&self, name: &str) -> Result<(), SupervisorError> {
        let (done, stopped) = oneshot::channel();
        self.send(name, Command::Stop(done))?;
        let _ = stopped.await;
        Ok(())
    }

    /// Stops every connector; returns once each is STOPPED or FAILED.
    pub async fn stop_all(&self) {
        let names: Vec<String> = self.lock().keys().cloned().collect();
        let stops = names.iter().map(|name| self.stop(name));
        futures_util::future::join_all(stops).await;
    }

    /// Stops `name` and forgets it. Returns `Ok(true)` once its supervising task (and its
    /// run) ended within `within`; `Ok(false)` when it did not (it waits on a registry, a
    /// broker or the database that does not answer): it is then abandoned — its task is
    /// aborted at its next await, so its batch in flight never commits (and could not past
    /// the offsets' fence anyway) — and the caller goes on. Errors:
    /// [`SupervisorError::NotFound`].
    pub async fn remove(&self, name: &str, within: Duration) -> Result<bool, SupervisorError> {
        let deadline = tokio::time::Instant::now() + within;
        let stopped = tokio::time::timeout_at(deadline, self.stop(name)).await;
        if let Ok(Err(e)) = stopped {
            return Err(e);
        }
        let handle = {
            let mut connectors = self.lock();
            let handle = connectors.remove(name);
            self.consumers.store(
                connectors.len().max(self.expected.load(Ordering::Relaxed)),
                Ordering::Relaxed,
            );
            handle
        };
        let mut ended = stopped.is_ok();
        if let Some(handle) = handle {
            // Its commands close with the handle: a stopped task ends, a running one (a
            // resume came in between) is stopped first.
            drop(handle.commands);
            let mut task = handle.task;
            ended = ended && tokio::time::timeout_at(deadline, &mut task).await.is_ok();
            if !ended {
                task.abort();
                tracing::warn!(
                    connector = name,
                    seconds = within.as_secs_f64(),
                    "the task did not stop in time (it waits on a system that does not answer): abandoned, its batch in flight is not committed"
                );
            }
        }
        self.changed();
        Ok(ended)
    }

    /// The status of `name`.
    pub fn status(&self, name: &str) -> Result<ConnectorStatus, SupervisorError> {
        let connectors = self.lock();
        let handle = connectors
            .get(name)
            .ok_or_else(|| SupervisorError::NotFound {
                name: name.to_owned(),
            })?;
        Ok(self.snapshot(name, &handle.shared))
    }

    /// Every connector's status, by name.
    pub fn statuses(&self) -> Vec<ConnectorStatus> {
        self.lock()
            .iter()
            .map(|(name, handle)| self.snapshot(name, &handle.shared))
            .collect()
    }

    /// What runs here and its statistics, by name (for `/metrics`).
    pub fn progress(&self) -> Vec<Held> {
        self.lock()
            .iter()
            .map(|(name, handle)| Held {
                name: name.clone(),
                connector: handle.connector.clone(),
                progress: handle.shared.progress.clone(),
            })
            .collect()
    }

    /// A receiver that sees a change whenever a connector's state may have changed.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    fn changed(&self) {
        self.changes.send_modify(|n| *n += 1);
    }

    fn send(&self, name: &str, command: Command) -> Result<(), SupervisorError> {
        let connectors = self.lock();
        let handle = connectors
            .get(name)
            .ok_or_else(|| SupervisorError::NotFound {
                name: name.to_owned(),
            })?;
        if let Command::Pause | Command::Resume = command
            && let Ok(mut paused) = handle.shared.paused.lock()
        {
            *paused = matches!(command, Command::Pause);
        }
        // The task lives as long as the handle: the send cannot fail while it is here.
        let _ = handle.commands.send(command);
        drop(connectors);
        self.changed();
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Handle>> {
        // A panic while holding this lock leaves the map as it was: take it as it is.
        self.connectors
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn snapshot(&self, name: &str, shared: &Shared) -> ConnectorStatus {
        let progress = &shared.progress;
        let phase = shared
            .phase
            .lock()
            .map(|p| p.clone())
            .unwrap_or(Phase::Started);
        let paused = shared.paused.lock().map(|p| *p).unwrap_or(false);
        let consuming = progress.consuming();
        let (state, trace) = match phase {
            Phase::Failed(reason) => (ConnectorState::Failed, Some(reason)),
            Phase::Restarting(reason) => (ConnectorState::Restarting, reason),
            Phase::Stopped => (ConnectorState::Stopped, None),
            Phase::Started if progress.paused() || (paused && !consuming) => {
                (ConnectorState::Paused, None)
            }
            Phase::Started if consuming => (ConnectorState::Running, None),
            Phase::Started => (ConnectorState::Unassigned, None),
        };
        let partitions = if consuming {
            progress
                .partitions()
                .into_iter()
                .map(|((topic, partition), next, end)| PartitionStatus {
                    topic,
                    partition,
                    next_offset: next,
                    last_stable_offset: end,
                    lag: end.map(|end| (end - next).max(0)),
                })
                .collect()
        } else {
            Vec::new()
        };
        let schemas = progress
            .schemas()
            .into_iter()
            .map(|((topic, schema_id), unstored_fields)| SchemaStatus {
                topic,
                schema_id,
                unstored_fields,
            })
            .collect();
        let counts = progress.counts();
        ConnectorStatus {
            name: name.to_owned(),
            state,
            trace,
            worker_id: self.worker_id.clone(),
            partitions,
            rows_per_second: rate(shared),
            rows: counts.rows,
            dead_letters: counts.dead_letters,
            batches: counts.batches,
            last_error: progress.last_error(),
            held_up_by: progress.recent_error(Duration::from_secs(60)),
            schemas,
        }
    }
}

/// Rows per second between the oldest and the newest sample.
fn rate(shared: &Shared) -> f64 {
    let Ok(samples) = shared.samples.lock() else {
        return 0.0;
    };
    match (samples.front(), samples.back()) {
        (Some((t0, r0)), Some((t1, r1))) if t1 > t0 => {
            (r1.saturating_sub(*r0)) as f64 / (*t1 - *t0).as_secs_f64()
        }
        _ => 0.0,
    }
}

fn sample(shared: &Shared) {
    if let Ok(mut samples) = shared.samples.lock() {
        samples.push_back((Instant::now(), shared.progress.rows()));
        while samples.len() > SAMPLES {
            samples.pop_front();
        }
    }
}

/// A run ended: its rate is no more (a stopped connector stores 0 rows per second).
fn clear_samples(shared: &Shared) {
    if let Ok(mut samples) = shared.samples.lock() {
        samples.clear();
    }
}

fn set_phase(shared: &Shared, phase: Phase, changes: &watch::Sender<u64>) {
    let (to, reason) = match &phase {
        Phase::Started => (ConnectorState::Unassigned, None),
        Phase::Restarting(reason) => (ConnectorState::Restarting, reason.as_deref()),
        Phase::Stopped => (ConnectorState::Stopped, None),
        Phase::Failed(reason) => (ConnectorState::Failed, Some(reason.as_str())),
    };
    crate::progress::events::StateChanged { to, reason }.emit(&shared.progress);
    if let Ok(mut p) = shared.phase.lock() {
        *p = phase;
    }
    changes.send_modify(|n| *n += 1);
}

/// A connector's configuration, as the supervisor was given it.
enum Definition {
    Checked(ConnectorConfig),
    Raw(RawConnector),
}

impl Definition {
    /// The connector's name.
    fn name(&self) -> &str {
        match self {
            Definition::Checked(config) => &config.name,
            Definition::Raw(raw) => &raw.name,
        }
    }

    /// The settings to start with: a raw configuration is checked now.
    fn settings(&self) -> Result<ConnectorConfig, String> {
        match self {
            Definition::Checked(config) => Ok(config.clone()),
            Definition::Raw(raw) => raw
                .check()
                .map_err(|e| format!("connector {}: {e}", raw.name)),
        }
    }
}

/// What ends a run of the connector, as asked.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Asked {
    Nothing,
    Stop,
    Restart,
}

/// The supervising task of one connector: runs it, takes commands, restarts it after
/// retriable errors, and waits for a command after it stopped or failed. Ends when its
/// command channel closes.
async fn supervise(
    definition: Definition,
    database: DatabaseConfig,
    shared: Arc<Shared>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    changes: watch::Sender<u64>,
    consumers: Arc<AtomicUsize>,
) {
    let name = definition.name().to_owned();
    let initially_paused = shared.paused.lock().map(|p| *p).unwrap_or(false);
    let (pause_tx, pause) = watch::channel(initially_paused);
    let mut backoff = RESTARTS;
    let mut tick = tokio::time::interval(SAMPLE_EVERY);
    let mut waiters: Vec<oneshot::Sender<()>> = Vec::new();
    loop {
        let config = match definition.settings() {
            Ok(config) => config,
            Err(reason) => {
                set_phase(&shared, Phase::Failed(reason), &changes);
                if !wait_for_start(&mut commands, &pause_tx, true).await {
                    return;
                }
                continue;
            }
        };
        set_phase(&shared, Phase::Started, &changes);
        let (stop_tx, stop) = watch::channel(false);
        let control = Control {
            stop,
            pause: pause.clone(),
        };
        let mut config = config;
        // Its share of the worker's prefetch memory and statistics, as many as the worker
        // holds now.
        config.kafka = config
            .kafka
            .sharing_worker(consumers.load(Ordering::Relaxed));
        // Every log line of the connector, in this crate and below, carries its name (the
        // supervising task runs in the same span).
        let mut run = tokio::spawn(
            Connector::new(config, database.clone())
                .run(control, shared.progress.clone())
                .in_current_span(),
        );
        let started = Instant::now();
        let mut asked = Asked::Nothing;
        let result = loop {
            tokio::select! {
                result = &mut run => break result,
                _ = tick.tick() => sample(&shared),
                command = commands.recv() => match command {
                    Some(Command::Pause) => { pause_tx.send_replace(true); }
                    Some(Command::Resume) => { pause_tx.send_replace(false); }
                    // A stop asked for stays asked for: a restart after it does not undo it.
                    Some(Command::Restart) if asked != Asked::Stop => {
                        asked = Asked::Restart;
                        set_phase(&shared, Phase::Restarting(None), &changes);
                        stop_tx.send_replace(true);
                    }
                    Some(Command::Restart) => {}
                    Some(Command::Stop(done)) => {
                        asked = Asked::Stop;
                        waiters.push(done);
                        stop_tx.send_replace(true);
                    }
                    None => {
                        asked = Asked::Stop;
                        stop_tx.send_replace(true);
                    }
                },
            }
        };
        clear_samples(&shared);
        // A run that lasted starts the backoff over: its failure is not one of a series.
        if started.elapsed() >= backoff.max() {
            backoff.reset();
        }
        let failure = match result {
            Ok(Ok(())) => None,
            // The run noted its error as it ended.
            Ok(Err(e)) => Some((e.to_string(), e.is_retriable())),
            Err(e) => Some((format!("connector {name}: its task failed: {e}"), false)),
        };
        match (asked, failure) {
            (Asked::Restart, _) => {
                backoff.reset();
                continue;
            }
            (_, Some((reason, true))) if asked == Asked::Nothing => {
                set_phase(&shared, Phase::Restarting(Some(reason)), &changes);
                let wait = tokio::time::sleep(backoff.next_delay());
                tokio::pin!(wait);
                // A stop while waiting is a stop; anything else restarts it now or later.
                let stopped = loop {
                    tokio::select! {
                        _ = &mut wait => break false,
                        command = commands.recv() => match command {
                            Some(Command::Stop(done)) => { waiters.push(done); break true }
                            None => break true,
                            Some(Command::Restart) => break false,
                            Some(Command::Pause) => { pause_tx.send_replace(true); }
                            Some(Command::Resume) => { pause_tx.send_replace(false); }
                        },
                    }
                };
                if !stopped {
                    continue;
                }
                set_phase(&shared, Phase::Stopped, &changes);
            }
            (_, Some((reason, _))) if asked == Asked::Nothing => {
                set_phase(&shared, Phase::Failed(reason), &changes);
            }
            _ => {
                set_phase(&shared, Phase::Stopped, &changes);
            }
        }
        for done in waiters.drain(..) {
            let _ = done.send(());
        }
        let failed = matches!(shared.phase.lock().map(|p| p.clone()), Ok(Phase::Failed(_)));
        if !wait_for_start(&mut commands, &pause_tx, failed).await {
            return;
        }
        backoff.reset();
    }
}

/// Stopped or failed: waits for what starts it again (true) — a restart, or a resume of a
/// stopped one (a FAILED connector needs a restart, as in Kafka Connect) — or for the end
/// (false).
async fn wait_for_start(
    commands: &mut mpsc::UnboundedReceiver<Command>,
    pause_tx: &watch::Sender<bool>,
    failed: bool,
) -> bool {
    loop {
        match commands.recv().await {
            None => return false,
            Some(Command::Stop(done)) => {
                let _ = done.send(());
            }
            Some(Command::Pause) => {
                pause_tx.send_replace(true);
            }
            Some(Command::Resume) => {
                pause_tx.send_replace(false);
                if !failed {
                    return true;
                }
            }
            Some(Command::Restart) => return true,
        }
    }
}
