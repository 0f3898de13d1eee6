//! A connector's and its tasks' states (Kafka Connect's ConnectorStateInfo), its tasks, and
//! what changes them: restarts, pause, resume and stop.

use super::*;

/// A task's state (Kafka Connect's TaskState).
#[derive(Serialize, ToSchema)]
pub struct TaskState {
    /// The task, from 0.
    id: i32,
    /// Its state.
    state: ConnectorState,
    /// The worker that runs it (empty while none does).
    worker_id: String,
    /// Why it FAILED.
    #[serde(skip_serializing_if = "Option::is_none")]
    trace: Option<String>,
}

/// Kafka Connect's ConnectorStateInfo.
#[derive(Serialize, ToSchema)]
pub struct ConnectorStateInfo {
    /// The connector's name.
    name: String,
    /// The connector's own state: its tasks' taken together.
    connector: ConnectorStatus,
    /// Each task's.
    tasks: Vec<TaskState>,
    /// Always `sink`.
    #[serde(rename = "type")]
    kind: ConnectorType,
}

/// A connector's own state.
#[derive(Serialize, ToSchema)]
pub struct ConnectorStatus {
    /// The state.
    state: ConnectorState,
    /// The worker of its first live task (this worker's when none is).
    worker_id: String,
    /// Why it FAILED.
    #[serde(skip_serializing_if = "Option::is_none")]
    trace: Option<String>,
}

/// The tasks' states: from the database for a stored connector (any worker's), from this
/// worker's supervisor for a file-defined one.
pub(super) async fn task_states(
    app: &App,
    client: &tokio_postgres::Client,
    name: &str,
    found: &Found,
) -> Result<Vec<TaskState>, ApiError> {
    match found {
        Found::File(_) => Ok(app
            .0
            .supervisor
            .status(name)
            .map(|s| {
                vec![TaskState {
                    id: 0,
                    state: s.state,
                    worker_id: s.worker_id,
                    trace: s.trace,
                }]
            })
            .unwrap_or_default()),
        Found::Stored(stored, _) if stored.target_state == TargetState::Stopped => Ok(Vec::new()),
        Found::Stored(..) => Ok(control::tasks_of(client, name)
            .await?
            .into_iter()
            .map(|t| match t.worker_id {
                Some(worker_id) => TaskState {
                    id: t.task,
                    // The column's CHECK takes Kafka Connect's states only.
                    state: ConnectorState::parse(&t.state).unwrap_or(ConnectorState::Unassigned),
                    worker_id,
                    trace: t.trace,
                },
                None => TaskState {
                    id: t.task,
                    state: ConnectorState::Unassigned,
                    worker_id: String::new(),
                    trace: None,
                },
            })
            .collect()),
    }
}

/// Kafka Connect's ConnectorStateInfo of `name`.
pub(super) async fn status_body(
    app: &App,
    client: &tokio_postgres::Client,
    name: &str,
    found: &Found,
) -> Result<ConnectorStateInfo, ApiError> {
    use ConnectorState as S;
    let tasks = task_states(app, client, name, found).await?;
    let live: Vec<&TaskState> = tasks.iter().filter(|t| t.state != S::Unassigned).collect();
    let (state, trace) = match found {
        Found::Stored(s, _) if s.target_state == TargetState::Stopped => (S::Stopped, None),
        _ if live.is_empty() => (S::Unassigned, None),
        _ if live.iter().all(|t| t.state == S::Failed) => (S::Failed, live[0].trace.clone()),
        Found::Stored(s, _) if s.target_state == TargetState::Paused => (S::Paused, None),
        _ if live.iter().all(|t| t.state == S::Paused) => (S::Paused, None),
        _ => (S::Running, None),
    };
    let worker_id = live
        .first()
        .map_or_else(|| app.0.worker_id.clone(), |t| t.worker_id.clone());
    Ok(ConnectorStateInfo {
        name: name.to_owned(),
        connector: ConnectorStatus {
            state,
            worker_id,
            trace,
        },
        tasks,
        kind: ConnectorType::Sink,
    })
}

/// A connector's state and its tasks' (Kafka Connect's ConnectorStateInfo).
#[utoipa::path(get, path = "/connectors/{name}/status", params(Named), responses(
    (status = 200, description = "The states.", body = ConnectorStateInfo),
))]
pub(super) async fn status(
    State(app): State<App>,
    Path(Named { name }): Path<Named>,
) -> Result<Json<ConnectorStateInfo>, ApiError> {
    let found = find(&app, &name).await?;
    let client = app.client().await?;
    Ok(Json(status_body(&app, &client, &name, &found).await?))
}

/// A task and its configuration (Kafka Connect's TaskInfo).
#[derive(Serialize, ToSchema)]
pub struct TaskInfo {
    /// The task.
    id: TaskId,
    /// The connector's configuration with `task.class`, secrets hidden.
    #[schema(value_type = BTreeMap<String, String>)]
    config: FlatConfig,
}

/// A connector's tasks and their configuration (Kafka Connect's TaskInfo list).
#[utoipa::path(get, path = "/connectors/{name}/tasks", params(Named), responses(
    (status = 200, description = "The tasks.", body = Vec<TaskInfo>),
))]
pub(super) async fn tasks(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(Named { name }): Path<Named>,
) -> Result<Json<Vec<TaskInfo>>, ApiError> {
    let found = find(&app, &name).await?;
    let mut config = shown(found.config(), caller.role);
    config.insert("task.class".into(), format!("{PLUGIN_CLASS}Task"));
    let tasks = (0..found.tasks_max())
        .map(|task| TaskInfo {
            id: TaskId {
                connector: name.clone(),
                task,
            },
            config: config.clone(),
        })
        .collect();
    Ok(Json(tasks))
}

pub(super) fn task_id(found: &Found, name: &str, task: &str) -> Result<i32, ApiError> {
    task.parse::<i32>()
        .ok()
        .filter(|t| (0..found.tasks_max()).contains(t))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                format!("Task {name}-{task} not found"),
            )
        })
}

/// A task's state (Kafka Connect's TaskState).
#[utoipa::path(get, path = "/connectors/{name}/tasks/{task}/status", params(
        ("name" = String, Path, description = "The connector's name."),
        ("task" = i32, Path, description = "The task, from 0 (another text is no task: 404)."),
    ), responses(
    (status = 200, description = "The task's state.", body = TaskState),
))]
pub(super) async fn task_status(
    State(app): State<App>,
    Path((name, task)): Path<(String, String)>,
) -> Result<Json<TaskState>, ApiError> {
    let found = find(&app, &name).await?;
    let id = task_id(&found, &name, &task)?;
    let client = app.client().await?;
    let states = task_states(&app, &client, &name, &found).await?;
    states
        .into_iter()
        .find(|t| t.id == id)
        .map(Json)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                format!("Task {name}-{task} not found (the connector is STOPPED)"),
            )
        })
}

/// Restarts a task: 204.
#[utoipa::path(post, path = "/connectors/{name}/tasks/{task}/restart", params(
        ("name" = String, Path, description = "The connector's name."),
        ("task" = i32, Path, description = "The task, from 0 (another text is no task: 404)."),
    ), responses(
    (status = 204, description = "Asked of its worker."),
))]
pub(super) async fn task_restart(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path((name, task)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let found = find(&app, &name).await?;
    let id = task_id(&found, &name, &task)?;
    if let Found::File(_) = found {
        app.0
            .supervisor
            .restart(&name)
            .map_err(|e| ApiError::new(StatusCode::CONFLICT, e.to_string()))?;
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    if let Found::Stored(stored, _) = &found
        && stored.target_state == TargetState::Stopped
    {
        return Err(stopped_refusal(&name));
    }
    let mut client = app.client().await?;
    control::restart_tasks(&mut client, &name, false, Some(id), Actor(&caller.name)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// 409: a stopped connector has no task to restart.
pub(super) fn stopped_refusal(name: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        format!(
            "connector {name} is STOPPED: it has no task to restart; resume it (PUT /connectors/{name}/resume)"
        ),
    )
}

pub(super) async fn set_state(
    app: &App,
    caller: &Caller,
    name: &str,
    state: TargetState,
) -> Result<(), ApiError> {
    read_only(app, name)?;
    let mut client = app.client().await?;
    control::set_target_state(&mut client, name, state, Actor(&caller.name))
        .await?
        .map(|_| ())
        .ok_or_else(|| ApiError::no_connector(name))
}

/// Pauses a connector: 202; its tasks keep their partitions and fetch nothing.
#[utoipa::path(put, path = "/connectors/{name}/pause", params(Named), responses(
    (status = 202, description = "Asked of its workers."),
))]
pub(super) async fn pause(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(Named { name }): Path<Named>,
) -> Result<StatusCode, ApiError> {
    set_state(&app, &caller, &name, TargetState::Paused).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Resumes a connector: 202; a paused or stopped connector runs again.
#[utoipa::path(put, path = "/connectors/{name}/resume", params(Named), responses(
    (status = 202, description = "Asked of its workers."),
))]
pub(super) async fn resume(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(Named { name }): Path<Named>,
) -> Result<StatusCode, ApiError> {
    set_state(&app, &caller, &name, TargetState::Running).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Stops a connector: 204 once its tasks have committed, stopped and left the group (or
/// after 30 s, when a worker is slow to): offsets can be changed then.
#[utoipa::path(put, path = "/connectors/{name}/stop", params(Named), responses(
    (status = 204, description = "Stopped."),
))]
pub(super) async fn stop(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(Named { name }): Path<Named>,
) -> Result<StatusCode, ApiError> {
    set_state(&app, &caller, &name, TargetState::Stopped).await?;
    let client = app.client().await?;
    released(&client, &name, STOP_WAIT).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// How long a stop waits for the workers to let the connector's tasks go.
pub(super) const STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Waits until no live worker holds a task of `name`, at most `limit`; whether none does.
pub(super) async fn released(
    client: &tokio_postgres::Client,
    name: &str,
    limit: std::time::Duration,
) -> Result<bool, ApiError> {
    let start = std::time::Instant::now();
    loop {
        if !control::tasks_of(client, name)
            .await?
            .iter()
            .any(|t| t.worker_id.is_some())
        {
            return Ok(true);
        }
        if start.elapsed() > limit {
            return Ok(false);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// What a restart restarts.
#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct RestartQuery {
    /// Its tasks too (a connector of inlet is its tasks: they restart either way).
    #[serde(default, deserialize_with = "crate::api::query_bool")]
    include_tasks: Option<bool>,
    /// Only the FAILED tasks.
    #[serde(default, deserialize_with = "crate::api::query_bool")]
    only_failed: Option<bool>,
}

/// Restarts a connector's tasks: 204 without parameters; with them 202 and the status,
/// the tasks to restart shown RESTARTING. (A connector of inlet is its tasks: restarting it
/// restarts them, or the FAILED ones with `onlyFailed`.)
#[utoipa::path(post, path = "/connectors/{name}/restart", params(Named, RestartQuery), responses(
    (status = 202, description = "Asked; the states, the tasks to restart RESTARTING.", body = ConnectorStateInfo),
    (status = 204, description = "Asked."),
))]
pub(super) async fn restart(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(Named { name }): Path<Named>,
    Query(query): Query<RestartQuery>,
) -> Result<Response, ApiError> {
    let found = find(&app, &name).await?;
    let only_failed = query.only_failed.unwrap_or(false);
    if let Found::File(_) = found {
        app.0
            .supervisor
            .restart(&name)
            .map_err(|e| ApiError::new(StatusCode::CONFLICT, e.to_string()))?;
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    if let Found::Stored(stored, _) = &found
        && stored.target_state == TargetState::Stopped
    {
        return Err(stopped_refusal(&name));
    }
    let mut client = app.client().await?;
    let restarted =
        control::restart_tasks(&mut client, &name, only_failed, None, Actor(&caller.name)).await?;
    if query.include_tasks.is_none() && query.only_failed.is_none() {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let mut body = status_body(&app, &client, &name, &found).await?;
    for task in &mut body.tasks {
        if restarted.contains(&task.id) {
            task.state = ConnectorState::Restarting;
        }
    }
    if !restarted.is_empty() {
        body.connector.state = ConnectorState::Restarting;
    }
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}
