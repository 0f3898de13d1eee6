//! The control plane's rows (`inlet serve`), one concept per module: `connectors` (as
//! stored, changed by the version read), `tasks` (claimed by workers with leases, reported,
//! restarted), `workers` (heartbeats, ids, who is alive, the channel), `offsets` (as the API
//! shows and edits them), `metrics` (the tasks' figures and samples) and `secrets` (sealed).
//! Every change of a connector commits with a `NOTIFY inlet_control` and an audit row in one
//! transaction (`changed`).

use tokio_postgres::{Client, GenericClient, Row};

use crate::error::{Error, Result};

mod connectors;
mod metrics;
mod offsets;
mod secrets;
mod tasks;
mod workers;

pub use connectors::*;
pub use metrics::*;
pub use offsets::*;
pub use secrets::*;
pub use tasks::*;
pub use workers::*;

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

pub(super) fn query(action: &'static str) -> impl Fn(tokio_postgres::Error) -> Error {
    move |e| Error::query(action, e)
}

/// The audit row of a change, and the notification workers act on.
pub(super) async fn changed(
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
