//! The control plane's rows (`inlet serve`): connectors as stored, the workers and their
//! heartbeats, the tasks workers claim with leases, the audit of changes, and the offsets as
//! the API shows and edits them. Every change of a connector commits with a `NOTIFY
//! inlet_control` and an audit row in one transaction.

use tokio_postgres::{Client, GenericClient, Row};

use crate::error::{Error, Result};

/// The channel workers `LISTEN` on: a notification (the connector's name) says that a
/// connector changed.
pub const CONTROL_CHANNEL: &str = "inlet_control";

/// The state a connector is to be in (Kafka Connect's words), as `inlet.connectors` holds
/// it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetState {
    /// Its tasks consume and write.
    Running,
    /// Its tasks keep their partitions and fetch nothing.
    Paused,
    /// It has no task running: they committed, stopped and left the group.
    Stopped,
}

impl TargetState {
    /// `RUNNING`, `PAUSED` or `STOPPED`.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetState::Running => "RUNNING",
            TargetState::Paused => "PAUSED",
            TargetState::Stopped => "STOPPED",
        }
    }

    /// The state named `RUNNING`, `PAUSED` or `STOPPED`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "RUNNING" => Some(TargetState::Running),
            "PAUSED" => Some(TargetState::Paused),
            "STOPPED" => Some(TargetState::Stopped),
            _ => None,
        }
    }

    /// From a row (the table's CHECK allows only the three; anything else reads as
    /// stopped, which runs nothing).
    fn from_row(text: &str) -> Self {
        TargetState::parse(text).unwrap_or(TargetState::Stopped)
    }
}

/// A connector as stored. `Debug` shows no configuration (it may hold literal secrets).
#[derive(Clone, PartialEq, Eq)]
pub struct StoredConnector {
    /// Its name.
    pub name: String,
    /// Its configuration as sent (Kafka Connect's flat string map; a secret as a
    /// reference, or, when `inlet serve` has no secrets key, as sent), as JSON text.
    pub config: String,
    /// The state it is to be in.
    pub target_state: TargetState,
    /// How many tasks (consumers) it runs.
    pub tasks_max: i32,
    /// Bumped by every change.
    pub version: i64,
}

impl std::fmt::Debug for StoredConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredConnector")
            .field("name", &self.name)
            .field("target_state", &self.target_state)
            .field("tasks_max", &self.tasks_max)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl StoredConnector {
    fn from_row(row: &Row) -> Self {
        StoredConnector {
            name: row.get(0),
            config: row.get(1),
            target_state: TargetState::from_row(row.get(2)),
            tasks_max: row.get(3),
            version: row.get(4),
        }
    }
}

/// A task of a connector, as the worker holding it last reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTask {
    /// Its id (0 .. tasks_max - 1).
    pub task: i32,
    /// The worker holding it while its lease lasts (None: no live worker holds it).
    pub worker_id: Option<String>,
    /// What the worker reported: a Kafka Connect state.
    pub state: String,
    /// Why it failed, when it did.
    pub trace: Option<String>,
}

/// A task a worker holds, with what it is to run. `Debug` shows no configuration.
#[derive(Clone, PartialEq, Eq)]
pub struct HeldTask {
    /// The connector.
    pub connector: String,
    /// The task.
    pub task: i32,
    /// The connector's configuration (JSON text).
    pub config: String,
    /// The connector's target state.
    pub target_state: TargetState,
    /// The connector's version.
    pub version: i64,
    /// Restarts asked of the task so far.
    pub restart_epoch: i64,
}

impl std::fmt::Debug for HeldTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeldTask")
            .field("connector", &self.connector)
            .field("task", &self.task)
            .field("target_state", &self.target_state)
            .field("version", &self.version)
            .field("restart_epoch", &self.restart_epoch)
            .finish_non_exhaustive()
    }
}

/// Who made a change, for the audit: a token's name, a basic-auth user, or `anonymous`.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a>(pub &'a str);

fn query(action: &'static str) -> impl Fn(tokio_postgres::Error) -> Error {
    move |e| Error::query(action, e)
}

/// Every connector stored, by name.
pub async fn list_connectors(client: &impl GenericClient) -> Result<Vec<StoredConnector>> {
    let rows = client
        .query(include_str!("sql/control_connectors_list.sql"), &[])
        .await
        .map_err(query("listing the connectors"))?;
    Ok(rows.iter().map(StoredConnector::from_row).collect())
}

/// The connector `name`, if stored.
pub async fn get_connector(
    client: &impl GenericClient,
    name: &str,
) -> Result<Option<StoredConnector>> {
    let row = client
        .query_opt(include_str!("sql/control_connector_get.sql"), &[&name])
        .await
        .map_err(query("reading a connector"))?;
    Ok(row.as_ref().map(StoredConnector::from_row))
}

/// Stores a new connector with its tasks; None when the name is taken.
pub async fn create_connector(
    client: &mut Client,
    name: &str,
    config: &str,
    target_state: TargetState,
    tasks_max: i32,
    who: Actor<'_>,
) -> Result<Option<StoredConnector>> {
    let action = "creating a connector";
    let tx = client.transaction().await.map_err(query(action))?;
    let Some(row) = tx
        .query_opt(
            include_str!("sql/control_connector_insert.sql"),
            &[&name, &config, &target_state.as_str(), &tasks_max],
        )
        .await
        .map_err(query(action))?
    else {
        return Ok(None);
    };
    let stored = StoredConnector::from_row(&row);
    fit_tasks(&tx, name, tasks_max).await?;
    changed(&tx, who, "create", name, None, Some(stored.version)).await?;
    tx.commit().await.map_err(query(action))?;
    Ok(Some(stored))
}

/// What a write that names the version it read found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Versioned {
    /// Written: the connector as it is now.
    Written(StoredConnector),
    /// No such connector.
    Missing,
    /// Another write came first: the version is no longer the one read.
    Conflict,
}

/// A new configuration and task count for `name`, only if its version is still
/// `read_version`. When the configuration changed, its tasks are UNASSIGNED until their
/// worker starts them again with it.
pub async fn update_connector(
    client: &mut Client,
    name: &str,
    config: &str,
    tasks_max: i32,
    read_version: i64,
    who: Actor<'_>,
) -> Result<Versioned> {
    let action = "changing a connector's configuration";
    let tx = client.transaction().await.map_err(query(action))?;
    let row = tx
        .query_opt(
            include_str!("sql/control_connector_update.sql"),
            &[&name, &config, &tasks_max, &read_version],
        )
        .await
        .map_err(query(action))?;
    let Some(row) = row else {
        let exists = get_connector(&tx, name).await?.is_some();
        return Ok(if exists {
            Versioned::Conflict
        } else {
            Versioned::Missing
        });
    };
    let stored = StoredConnector::from_row(&row);
    if row.get::<_, bool>(5) {
        tx.execute(include_str!("sql/control_tasks_unassign.sql"), &[&name])
            .await
            .map_err(query(action))?;
    }
    fit_tasks(&tx, name, tasks_max).await?;
    changed(
        &tx,
        who,
        "update",
        name,
        Some(read_version),
        Some(stored.version),
    )
    .await?;
    tx.commit().await.map_err(query(action))?;
    Ok(Versioned::Written(stored))
}

/// The state `name` is to be in; None: no such connector.
pub async fn set_target_state(
    client: &mut Client,
    name: &str,
    state: TargetState,
    who: Actor<'_>,
) -> Result<Option<StoredConnector>> {
    let action = "changing a connector's state";
    let tx = client.transaction().await.map_err(query(action))?;
    let Some(row) = tx
        .query_opt(
            include_str!("sql/control_connector_state.sql"),
            &[&name, &state.as_str()],
        )
        .await
        .map_err(query(action))?
    else {
        return Ok(None);
    };
    let stored = StoredConnector::from_row(&row);
    let what = match state {
        TargetState::Running => "resume",
        TargetState::Paused => "pause",
        TargetState::Stopped => "stop",
    };
    changed(
        &tx,
        who,
        what,
        name,
        Some(stored.version),
        Some(stored.version),
    )
    .await?;
    tx.commit().await.map_err(query(action))?;
    Ok(Some(stored))
}

/// Deletes `name`, its tasks, its stored offsets, the record of its columns' fields and
/// its secrets (a connector made again under the name starts afresh), only from version
/// `read_version` when given. Its dead letters stay. Stop its tasks first: a batch
/// committed after would store offsets again.
///
/// # Errors
/// [`Error::Query`] when the database fails.
pub async fn delete_connector(
    client: &mut Client,
    name: &str,
    read_version: Option<i64>,
    who: Actor<'_>,
) -> Result<Versioned> {
    let action = "deleting a connector";
    let tx = client.transaction().await.map_err(query(action))?;
    let Some(row) = tx
        .query_opt(
            include_str!("sql/control_connector_delete.sql"),
            &[&name, &read_version],
        )
        .await
        .map_err(query(action))?
    else {
        let exists = get_connector(&tx, name).await?.is_some();
        return Ok(if exists {
            Versioned::Conflict
        } else {
            Versioned::Missing
        });
    };
    let gone = StoredConnector::from_row(&row);
    changed(&tx, who, "delete", name, Some(gone.version), None).await?;
    tx.commit().await.map_err(query(action))?;
    Ok(Versioned::Written(gone))
}

/// Asks `name`'s tasks to restart: all of them, only the FAILED ones (`only_failed`), or
/// only `task`. Returns the tasks asked.
pub async fn restart_tasks(
    client: &mut Client,
    name: &str,
    only_failed: bool,
    task: Option<i32>,
    who: Actor<'_>,
) -> Result<Vec<i32>> {
    let action = "asking tasks to restart";
    let tx = client.transaction().await.map_err(query(action))?;
    let rows = tx
        .query(
            include_str!("sql/control_tasks_restart.sql"),
            &[&name, &only_failed, &task],
        )
        .await
        .map_err(query(action))?;
    changed(&tx, who, "restart", name, None, None).await?;
    tx.commit().await.map_err(query(action))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// `name`'s tasks, in order.
pub async fn tasks_of(client: &impl GenericClient, name: &str) -> Result<Vec<StoredTask>> {
    let rows = client
        .query(include_str!("sql/control_tasks_of.sql"), &[&name])
        .await
        .map_err(query("reading a connector's tasks"))?;
    Ok(rows
        .iter()
        .map(|r| StoredTask {
            task: r.get(0),
            worker_id: r.get(1),
            state: r.get(2),
            trace: r.get(3),
        })
        .collect())
}

/// Worker `worker_id` is alive (its row made the first time), running `files` from its
/// configuration file.
pub async fn heartbeat(
    client: &impl GenericClient,
    worker_id: &str,
    version: &str,
    files: &[String],
) -> Result<()> {
    client
        .execute(
            include_str!("sql/control_worker_heartbeat.sql"),
            &[&worker_id, &version, &files],
        )
        .await
        .map_err(query("recording the worker's heartbeat"))?;
    Ok(())
}

/// A worker heard of in the last `within_secs` seconds that runs connector `name` from
/// its configuration file.
pub async fn file_connector_holder(
    client: &impl GenericClient,
    name: &str,
    within_secs: f64,
) -> Result<Option<String>> {
    let row = client
        .query_opt(
            include_str!("sql/control_file_holder.sql"),
            &[&name, &within_secs],
        )
        .await
        .map_err(query("looking for the connector in workers' files"))?;
    Ok(row.map(|r| r.get(0)))
}

/// Takes worker id `worker_id` for the session of `client` (keep the connection open while
/// the worker runs); false when another live session holds it — two workers of one id
/// would run the same tasks.
///
/// # Errors
/// [`Error::Query`] when the database fails.
pub async fn lock_worker_id(client: &Client, worker_id: &str) -> Result<bool> {
    let row = client
        .query_one(include_str!("sql/control_worker_lock.sql"), &[&worker_id])
        .await
        .map_err(query("taking the worker's id"))?;
    Ok(row.get(0))
}

/// The workers heard of in the last `within_secs` seconds.
pub async fn live_workers(client: &impl GenericClient, within_secs: f64) -> Result<Vec<String>> {
    let rows = client
        .query(
            include_str!("sql/control_workers_live.sql"),
            &[&within_secs],
        )
        .await
        .map_err(query("listing the live workers"))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Worker `worker_id` leaves: its tasks are free at once.
pub async fn leave(client: &impl GenericClient, worker_id: &str) -> Result<()> {
    client
        .execute(include_str!("sql/control_worker_leave.sql"), &[&worker_id])
        .await
        .map_err(query("giving the worker's tasks up"))?;
    Ok(())
}

/// Claims, for `worker_id`, tasks no live worker holds, until it holds `share` tasks of
/// connectors that run, each for `lease_secs` seconds; every connector's task 0 before any
/// task 1. Workers that claim at once skip each other's candidates. Returns the tasks
/// claimed.
///
/// # Errors
/// [`Error::Query`] when the database fails.
pub async fn claim_tasks(
    client: &mut Client,
    worker_id: &str,
    lease_secs: f64,
    share: i64,
) -> Result<Vec<(String, i32)>> {
    let action = "claiming tasks";
    let tx = client.transaction().await.map_err(query(action))?;
    let held: i64 = tx
        .query(include_str!("sql/control_tasks_held.sql"), &[])
        .await
        .map_err(query(action))?
        .iter()
        .filter(|r| r.get::<_, String>(1) == worker_id)
        .map(|r| r.get::<_, i64>(2))
        .sum();
    let room = (share - held).max(0);
    if room == 0 {
        return Ok(Vec::new());
    }
    let candidates = tx
        .query(include_str!("sql/control_tasks_claimable.sql"), &[&room])
        .await
        .map_err(query(action))?;
    let mut claimed = Vec::new();
    for row in &candidates {
        let connector: String = row.get(0);
        let task: i32 = row.get(1);
        tx.execute(
            include_str!("sql/control_task_claim.sql"),
            &[&worker_id, &connector, &task, &lease_secs],
        )
        .await
        .map_err(query(action))?;
        claimed.push((connector, task));
    }
    tx.commit().await.map_err(query(action))?;
    Ok(claimed)
}

/// Starts hearing of changes of connectors on `client` (a connection whose notifications
/// are read: `DatabaseConfig::connect_listening`).
///
/// # Errors
/// [`Error::Query`] when the database fails.
pub async fn listen(client: &Client) -> Result<()> {
    client
        .batch_execute(include_str!("sql/control_listen.sql"))
        .await
        .map_err(query("listening for changes of connectors"))
}

/// Renews the leases of `worker_id`'s tasks for `lease_secs` seconds; returns them with what
/// each is to run. A task missing here is no longer this worker's.
pub async fn renew_tasks(
    client: &impl GenericClient,
    worker_id: &str,
    lease_secs: f64,
) -> Result<Vec<HeldTask>> {
    let rows = client
        .query(
            include_str!("sql/control_tasks_renew.sql"),
            &[&worker_id, &lease_secs],
        )
        .await
        .map_err(query("renewing the worker's leases"))?;
    Ok(rows
        .iter()
        .map(|r| HeldTask {
            connector: r.get(0),
            task: r.get(1),
            config: r.get(2),
            target_state: TargetState::from_row(r.get(3)),
            version: r.get(4),
            restart_epoch: r.get(5),
        })
        .collect())
}

/// `worker_id` gives task (`connector`, `task`) up.
pub async fn release_task(
    client: &impl GenericClient,
    worker_id: &str,
    connector: &str,
    task: i32,
) -> Result<()> {
    client
        .execute(
            include_str!("sql/control_task_release.sql"),
            &[&worker_id, &connector, &task],
        )
        .await
        .map_err(query("giving a task up"))?;
    Ok(())
}

/// What a worker reports of a task it holds.
#[derive(Debug, Clone)]
pub struct TaskReport<'a> {
    /// The connector.
    pub connector: &'a str,
    /// The task.
    pub task: i32,
    /// Its Kafka Connect state.
    pub state: &'a str,
    /// Why it failed.
    pub trace: Option<&'a str>,
    /// The connector version it runs.
    pub applied_version: i64,
    /// The restarts it has made.
    pub applied_restart: i64,
}

/// Records what `worker_id` reports of a task it holds.
pub async fn report_task(
    client: &impl GenericClient,
    worker_id: &str,
    report: &TaskReport<'_>,
) -> Result<()> {
    client
        .execute(
            include_str!("sql/control_task_report.sql"),
            &[
                &worker_id,
                &report.connector,
                &report.task,
                &report.state,
                &report.trace,
                &report.applied_version,
                &report.applied_restart,
            ],
        )
        .await
        .map_err(query("reporting a task's state"))?;
    Ok(())
}

/// Connector `name`'s stored next offsets: (topic, partition, next offset).
pub async fn offsets_of(
    client: &impl GenericClient,
    name: &str,
) -> Result<Vec<(String, i32, i64)>> {
    let rows = client
        .query(include_str!("sql/control_offsets_of.sql"), &[&name])
        .await
        .map_err(query("reading a connector's offsets"))?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect())
}

/// Why offsets were not changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OffsetsRefused {
    /// No such connector.
    Missing,
    /// The connector is not STOPPED (its state), or a live worker still holds a task.
    NotStopped(TargetState),
}

/// Changes connector `name`'s offsets in one transaction: each (topic, partition) set to
/// its next offset, or forgotten (None; read again from `start_from`); `None` for the whole
/// list forgets every offset. Only while the connector is STOPPED and no worker holds a
/// task of it.
pub async fn alter_offsets(
    client: &mut Client,
    name: &str,
    offsets: Option<&[(String, i32, Option<i64>)]>,
    who: Actor<'_>,
) -> Result<std::result::Result<(), OffsetsRefused>> {
    let action = "changing a connector's offsets";
    let tx = client.transaction().await.map_err(query(action))?;
    let Some(row) = tx
        .query_opt(include_str!("sql/control_offsets_editable.sql"), &[&name])
        .await
        .map_err(query(action))?
    else {
        return Ok(Err(OffsetsRefused::Missing));
    };
    let state = TargetState::from_row(row.get(0));
    let held: i64 = row.get(1);
    if state != TargetState::Stopped || held > 0 {
        return Ok(Err(OffsetsRefused::NotStopped(state)));
    }
    match offsets {
        None => {
            tx.execute(include_str!("sql/control_offsets_delete.sql"), &[&name])
                .await
                .map_err(query(action))?;
        }
        Some(offsets) => {
            for (topic, partition, next) in offsets {
                match next {
                    Some(next) => tx
                        .execute(
                            include_str!("sql/control_offset_set.sql"),
                            &[&name, topic, partition, next],
                        )
                        .await
                        .map_err(query(action))?,
                    None => tx
                        .execute(
                            include_str!("sql/control_offset_delete.sql"),
                            &[&name, topic, partition],
                        )
                        .await
                        .map_err(query(action))?,
                };
            }
        }
    }
    let what = if offsets.is_some() {
        "alter offsets"
    } else {
        "reset offsets"
    };
    changed(&tx, who, what, name, None, None).await?;
    tx.commit().await.map_err(query(action))?;
    Ok(Ok(()))
}

/// Makes `name`'s task rows fit `tasks_max`.
async fn fit_tasks(tx: &tokio_postgres::Transaction<'_>, name: &str, tasks_max: i32) -> Result<()> {
    tx.execute(
        include_str!("sql/control_tasks_fit.sql"),
        &[&name, &tasks_max],
    )
    .await
    .map_err(query("fitting a connector's tasks"))?;
    Ok(())
}

/// The audit row of a change, and the notification workers act on.
async fn changed(
    tx: &tokio_postgres::Transaction<'_>,
    who: Actor<'_>,
    action: &str,
    connector: &str,
    old_version: Option<i64>,
    new_version: Option<i64>,
) -> Result<()> {
    tx.execute(
        include_str!("sql/control_audit.sql"),
        &[&who.0, &action, &connector, &old_version, &new_version],
    )
    .await
    .map_err(query("recording the change in inlet.audit"))?;
    tx.execute(include_str!("sql/control_notify.sql"), &[&connector])
        .await
        .map_err(query("notifying the workers"))?;
    Ok(())
}

/// Records what `worker_id` measured of a task it holds: `metrics`, a JSON object
/// (counters and partitions, as the API shows them).
pub async fn report_metrics(
    client: &impl GenericClient,
    worker_id: &str,
    connector: &str,
    task: i32,
    metrics: &str,
) -> Result<()> {
    client
        .execute(
            include_str!("sql/control_task_metrics.sql"),
            &[&worker_id, &connector, &task, &metrics],
        )
        .await
        .map_err(query("reporting a task's metrics"))?;
    Ok(())
}

/// A sample of a task's counters (kept an hour): rows and dead letters since it started,
/// and its lag (None: not measured yet).
pub async fn sample_task(
    client: &impl GenericClient,
    connector: &str,
    task: i32,
    rows: i64,
    dead_letters: i64,
    lag: Option<i64>,
) -> Result<()> {
    client
        .execute(
            include_str!("sql/control_task_sample.sql"),
            &[&connector, &task, &rows, &dead_letters, &lag],
        )
        .await
        .map_err(query("sampling a task's counters"))?;
    Ok(())
}

/// The metrics each live task of `connector` last reported: (task, JSON text).
pub async fn current_metrics(
    client: &impl GenericClient,
    connector: &str,
) -> Result<Vec<(i32, String)>> {
    let rows = client
        .query(
            include_str!("sql/control_metrics_current.sql"),
            &[&connector],
        )
        .await
        .map_err(query("reading a connector's metrics"))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// One 15-second interval of a connector's history: its start (milliseconds since the
/// Unix epoch), and the rows, dead letters and lag its tasks reported, summed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// The interval's start, in milliseconds since the Unix epoch.
    pub at_ms: i64,
    /// Rows stored since each task started, summed.
    pub rows: i64,
    /// Dead letters since each task started, summed.
    pub dead_letters: i64,
    /// Records not yet stored (None: not measured).
    pub lag: Option<i64>,
}

/// `connector`'s samples over the last `minutes`, per 15 s.
pub async fn metrics_history(
    client: &impl GenericClient,
    connector: &str,
    minutes: i32,
) -> Result<Vec<Sample>> {
    let rows = client
        .query(
            include_str!("sql/control_metrics_history.sql"),
            &[&connector, &minutes],
        )
        .await
        .map_err(query("reading a connector's history"))?;
    Ok(rows
        .iter()
        .map(|r| Sample {
            at_ms: r.get(0),
            rows: r.get(1),
            dead_letters: r.get(2),
            lag: r.get(3),
        })
        .collect())
}

/// Stores secret `name`, encrypted: its `nonce` and `ciphertext` (the database never sees
/// the secret).
pub async fn put_secret(
    client: &impl GenericClient,
    name: &str,
    nonce: &[u8],
    ciphertext: &[u8],
) -> Result<()> {
    client
        .execute(
            include_str!("sql/control_secret_put.sql"),
            &[&name, &nonce, &ciphertext],
        )
        .await
        .map_err(query("storing a secret"))?;
    Ok(())
}

/// Secret `name`, encrypted: (nonce, ciphertext); None: no such secret.
pub async fn get_secret(
    client: &impl GenericClient,
    name: &str,
) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
    let row = client
        .query_opt(include_str!("sql/control_secret_get.sql"), &[&name])
        .await
        .map_err(query("reading a secret"))?;
    Ok(row.map(|r| (r.get(0), r.get(1))))
}

/// Forgets the secrets of `connector` (named `<connector>/<key>`).
pub async fn delete_secrets(client: &impl GenericClient, connector: &str) -> Result<()> {
    client
        .execute(
            include_str!("sql/control_secrets_delete.sql"),
            &[&connector],
        )
        .await
        .map_err(query("forgetting a connector's secrets"))?;
    Ok(())
}
