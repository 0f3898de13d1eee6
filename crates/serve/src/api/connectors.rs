//! `GET /`, `GET /health` and `/connectors/…`: Kafka Connect's endpoints, bodies and codes.
//!
//! A change is written to `inlet.connectors` with a version; a write names the version it
//! read (`If-Match: "<version>"`, or the one read just before), so a concurrent edit gets
//! 409. Workers see the change through `NOTIFY` (or their next beat) and apply it.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Extension, Path, State};

use crate::api::Query;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use inlet_engine::ConnectorState;
use inlet_postgres::control::{
    self, Actor, OffsetsRefused, StoredConnector, TargetState, Versioned,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::{ApiError, App, Body, ConfigBody, Named, Shape, VERSION};
use crate::auth::{Caller, Role};
use crate::flat::{self, FlatConfig, PLUGIN_CLASS};

mod offsets;
mod server;
mod status;

use status::{ConnectorStateInfo, released, status_body};

/// The OpenAPI paths of this module ([`super::openapi`]).
#[derive(OpenApi)]
#[openapi(
    components(schemas(Expand)),
    paths(
        server::root,
        server::health,
        list,
        create,
        info,
        delete,
        config,
        put_config,
        patch_config,
        status::status,
        status::tasks,
        status::task_status,
        status::task_restart,
        status::pause,
        status::resume,
        status::stop,
        status::restart,
        offsets::topics,
        offsets::reset_topics,
        offsets::offsets,
        offsets::alter_offsets,
        offsets::reset_offsets
    )
)]
pub(super) struct Api;

pub(super) fn routes() -> axum::Router<App> {
    use offsets::{alter_offsets, offsets, reset_offsets, reset_topics, topics};
    use server::{health, root};
    use status::{pause, restart, resume, status, stop, task_restart, task_status, tasks};
    axum::Router::new()
        .route("/", get(root))
        .route("/health", get(health))
        .route("/connectors", get(list).post(create))
        .route("/connectors/{name}", get(info).delete(delete))
        .route(
            "/connectors/{name}/config",
            get(config).put(put_config).patch(patch_config),
        )
        .route("/connectors/{name}/status", get(status))
        .route("/connectors/{name}/tasks", get(tasks))
        .route("/connectors/{name}/tasks/{task}/status", get(task_status))
        .route(
            "/connectors/{name}/tasks/{task}/restart",
            post(task_restart),
        )
        .route("/connectors/{name}/pause", put(pause))
        .route("/connectors/{name}/resume", put(resume))
        .route("/connectors/{name}/stop", put(stop))
        .route("/connectors/{name}/restart", post(restart))
        .route("/connectors/{name}/topics", get(topics))
        .route("/connectors/{name}/topics/reset", put(reset_topics))
        .route(
            "/connectors/{name}/offsets",
            get(offsets).patch(alter_offsets).delete(reset_offsets),
        )
}

/// A connector's configuration, from the database or the file.
enum Found {
    Stored(StoredConnector, FlatConfig),
    File(FlatConfig),
}

impl Found {
    fn config(&self) -> &FlatConfig {
        match self {
            Found::Stored(_, c) | Found::File(c) => c,
        }
    }

    fn tasks_max(&self) -> i32 {
        match self {
            Found::Stored(s, _) => s.tasks_max,
            Found::File(_) => 1,
        }
    }
}

async fn find(app: &App, name: &str) -> Result<Found, ApiError> {
    if let Some(raw) = app.0.files.get(name) {
        return Ok(Found::File(flat::from_raw(raw)));
    }
    let client = app.client().await?;
    let stored = control::get_connector(&*client, name)
        .await?
        .ok_or_else(|| ApiError::no_connector(name))?;
    let config = parse_stored(&stored)?;
    Ok(Found::Stored(stored, config))
}

fn parse_stored(stored: &StoredConnector) -> Result<FlatConfig, ApiError> {
    serde_json::from_str(&stored.config).map_err(|e| crate::api::stored_not_a_map(&stored.name, e))
}

/// A change of a file-defined connector is refused.
fn read_only(app: &App, name: &str) -> Result<(), ApiError> {
    if app.0.files.contains_key(name) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "connector {name} is defined in {}: change it there and restart inlet serve",
                app.0.file.as_deref().unwrap_or("the configuration file")
            ),
        ));
    }
    Ok(())
}

/// The configuration as `role` may see it: literal secrets hidden; for a read-only
/// caller, references too.
fn shown(config: &FlatConfig, role: Role) -> FlatConfig {
    match role {
        Role::Admin => flat::hidden(config),
        Role::Read => flat::hidden_all(config),
    }
}

/// Kafka Connect's ConnectorInfo.
#[derive(Serialize, ToSchema)]
pub struct ConnectorInfo {
    /// The connector's name.
    name: String,
    /// Its configuration, secrets hidden (`[hidden]`; for a read token, references too).
    #[schema(value_type = BTreeMap<String, String>)]
    config: FlatConfig,
    /// Its tasks.
    tasks: Vec<TaskId>,
    /// Always `sink`.
    #[serde(rename = "type")]
    kind: ConnectorType,
}

/// What a connector does with Kafka: inlet's write into PostgreSQL.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ConnectorType {
    /// From Kafka into a system.
    Sink,
}

/// A task of a connector.
#[derive(Serialize, ToSchema)]
pub struct TaskId {
    /// The connector's name.
    connector: String,
    /// The task, from 0.
    task: i32,
}

/// Kafka Connect's ConnectorInfo of `name`.
fn info_body(name: &str, found: &Found, role: Role) -> ConnectorInfo {
    ConnectorInfo {
        name: name.to_owned(),
        config: shown(found.config(), role),
        tasks: (0..found.tasks_max())
            .map(|task| TaskId {
                connector: name.to_owned(),
                task,
            })
            .collect(),
        kind: ConnectorType::Sink,
    }
}

/// What `GET /connectors` answers: the names, or with `expand` each name's info and
/// status.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum ConnectorList {
    /// Without `expand`: the names, sorted.
    Names(Vec<String>),
    /// With `expand`: name → what was asked.
    Expanded(BTreeMap<String, Expanded>),
}

/// A connector with what `expand` asked for.
#[derive(Serialize, ToSchema)]
pub struct Expanded {
    /// With `expand=info`.
    #[serde(skip_serializing_if = "Option::is_none")]
    info: Option<ConnectorInfo>,
    /// With `expand=status`.
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<ConnectorStateInfo>,
}

/// What `expand` may ask for.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Expand {
    /// Each connector's status.
    Status,
    /// Each connector's info.
    Info,
}

/// The connectors' names (Kafka Connect's `GET /connectors`); with `expand=status`
/// and/or `expand=info`, each one's status and info.
#[utoipa::path(get, path = "/connectors",
    params(("expand" = Option<Vec<Expand>>, Query, description = "status, info (may repeat)")),
    responses((status = 200, description = "The connectors.", body = ConnectorList)),
)]
async fn list(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    query: axum::extract::RawQuery,
) -> Result<Response, ApiError> {
    // `expand` may repeat: read the query by hand (serde_urlencoded keeps the last only).
    let expand: Vec<String> = query
        .0
        .unwrap_or_default()
        .split('&')
        .filter_map(|p| p.strip_prefix("expand="))
        .map(str::to_owned)
        .collect();
    if let Some(other) = expand
        .iter()
        .find(|e| !["status", "info"].contains(&e.as_str()))
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("expand={} is not status or info", flat::shorten(other)),
        ));
    }
    let client = app.client().await?;
    let stored = control::list_connectors(&*client).await?;
    let mut names: Vec<String> = stored.iter().map(|s| s.name.clone()).collect();
    names.extend(app.0.files.keys().cloned());
    names.sort();
    if expand.is_empty() {
        return Ok(Json(ConnectorList::Names(names)).into_response());
    }
    let mut out = BTreeMap::new();
    for name in names {
        let found = match stored.iter().find(|s| s.name == name) {
            Some(s) => Found::Stored(s.clone(), parse_stored(s)?),
            None => match app.0.files.get(&name) {
                Some(raw) => Found::File(flat::from_raw(raw)),
                None => continue,
            },
        };
        let info = expand
            .iter()
            .any(|e| e == "info")
            .then(|| info_body(&name, &found, caller.role));
        let status = match expand.iter().any(|e| e == "status") {
            true => Some(status_body(&app, &client, &name, &found).await?),
            false => None,
        };
        out.insert(name, Expanded { info, status });
    }
    Ok(Json(ConnectorList::Expanded(out)).into_response())
}

/// A new connector (Kafka Connect's CreateConnectorRequest).
#[derive(Deserialize, ToSchema)]
pub struct CreateConnectorRequest {
    /// Its name: 1 to 200 letters, digits, '-', '_' or '.'.
    #[schema(pattern = "^[A-Za-z0-9._-]{1,200}$")]
    name: String,
    /// Its configuration.
    config: ConfigBody,
    /// The state it starts in (default RUNNING).
    #[serde(default)]
    initial_state: Option<InitialState>,
}

impl Shape for CreateConnectorRequest {
    const SHAPE: &'static str = "{\"name\", \"config\", \"initial_state\"}";
}

/// The states a connector may be created in.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InitialState {
    /// Running (the default).
    Running,
    /// Paused: its tasks hold their partitions and fetch nothing.
    Paused,
    /// Stopped: no task runs.
    Stopped,
}

/// Checks a name: what Kafka Connect and inlet's tables take.
fn check_name(name: &str) -> Result<(), ApiError> {
    if name.chars().all(|c| c == '.')
        || name.len() > 200
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "connector name {name:?} is not valid: use 1 to 200 letters, digits, '-', '_' or '.'"
            ),
        ));
    }
    Ok(())
}

/// A configuration checked as inlet runs it: its task count, or 400 with every problem.
/// `${secret:…}` references stand for secrets here (they are opened when a task starts).
fn checked(name: &str, config: &FlatConfig) -> Result<i32, ApiError> {
    let mut shown = config.clone();
    for value in shown.values_mut() {
        if value.trim().starts_with("${secret:") {
            *value = "[stored secret]".into();
        }
    }
    flat::to_raw(name, &shown)
        .map(|(_, tasks)| tasks)
        .map_err(|problems| ApiError::problems(&problems))
}

/// Creates a connector: 201 with its info, 409 when the name is taken.
#[utoipa::path(post, path = "/connectors", request_body = CreateConnectorRequest, responses(
    (status = 201, description = "Created.", body = ConnectorInfo, headers(
        ("ETag" = String, description = "The connector's version, for If-Match."),
        ("Location" = String, description = "/connectors/{name}"),
    )),
))]
async fn create(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Body(body): Body<CreateConnectorRequest>,
) -> Result<Response, ApiError> {
    check_name(&body.name)?;
    let state = match body.initial_state {
        None | Some(InitialState::Running) => TargetState::Running,
        Some(InitialState::Paused) => TargetState::Paused,
        Some(InitialState::Stopped) => TargetState::Stopped,
    };
    create_stored(&app, &caller, &body.name, body.config.0, state).await
}

async fn create_stored(
    app: &App,
    caller: &Caller,
    name: &str,
    config: FlatConfig,
    state: TargetState,
) -> Result<Response, ApiError> {
    if app.0.files.contains_key(name) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("Connector {name} already exists"),
        ));
    }
    let config = app.admit(name, config, None)?;
    let tasks_max = checked(name, &config)?;
    let mut client = app.client().await?;
    if let Some(worker) =
        control::file_connector_holder(&*client, name, crate::worker::LEASE.as_secs_f64()).await?
    {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "Connector {name} already exists: worker {worker} runs it from its configuration file"
            ),
        ));
    }
    // Before its secrets are stored under its name.
    if control::get_connector(&*client, name).await?.is_some() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("Connector {name} already exists"),
        ));
    }
    let config = crate::secrets::store_literals(app.0.secrets_key.as_ref(), &*client, name, config)
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e))?;
    let text = serde_json::to_string(&config).unwrap_or_default();
    let Some(stored) = control::create_connector(
        &mut client,
        name,
        &text,
        state,
        tasks_max,
        Actor(&caller.name),
    )
    .await?
    else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("Connector {name} already exists"),
        ));
    };
    let found = Found::Stored(stored.clone(), config);
    Ok((
        StatusCode::CREATED,
        [
            (header::LOCATION, format!("/connectors/{name}")),
            (header::ETAG, etag(stored.version)),
        ],
        Json(info_body(name, &found, caller.role)),
    )
        .into_response())
}

fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// A connector's info (Kafka Connect's ConnectorInfo).
#[utoipa::path(get, path = "/connectors/{name}", params(Named), responses(
    (status = 200, description = "The connector.", body = ConnectorInfo, headers(
        ("ETag" = String, description = "The connector's version, for If-Match (none for a connector of the configuration file)."),
    )),
))]
async fn info(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(Named { name }): Path<Named>,
) -> Result<Response, ApiError> {
    let found = find(&app, &name).await?;
    Ok(with_etag(
        &found,
        Json(info_body(&name, &found, caller.role)),
    ))
}

fn with_etag(found: &Found, body: impl IntoResponse) -> Response {
    match found {
        Found::Stored(s, _) => ([(header::ETAG, etag(s.version))], body).into_response(),
        Found::File(_) => body.into_response(),
    }
}

/// The configuration as stored, secrets hidden.
#[utoipa::path(get, path = "/connectors/{name}/config", params(Named), responses(
    (status = 200, description = "The configuration.", body = BTreeMap<String, String>),
))]
async fn config(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(Named { name }): Path<Named>,
) -> Result<Response, ApiError> {
    let found = find(&app, &name).await?;
    Ok(with_etag(&found, Json(shown(found.config(), caller.role))))
}

/// The version a write is made from: `If-Match`, else the one just read. `If-Match`
/// compares strongly (RFC 9110 §13.1.1): a weak tag (`W/"3"`) matches no version, 412.
fn read_version(headers: &HeaderMap, stored: &StoredConnector) -> Result<i64, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(stored.version);
    };
    let value = value.to_str().map(str::trim).unwrap_or_default();
    if value.starts_with("W/") {
        return Err(ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            "If-Match compares strongly: a weak tag (W/\"…\") matches no version; send the ETag as this API gave it (e.g. \"3\")",
        ));
    }
    // The quoted ETag, or its bare number as a script may write it.
    let version = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    version.parse().ok().ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "If-Match is not a version this API gave (its ETag, e.g. \"3\")",
        )
    })
}

/// Writes `config` (admitted by [`App::admit`]) over `stored`: 200 with the info, 409 when
/// another write came first.
async fn update(
    app: &App,
    caller: &Caller,
    stored: &StoredConnector,
    config: FlatConfig,
    version: i64,
) -> Result<Response, ApiError> {
    let tasks_max = checked(&stored.name, &config)?;
    if parse_stored(stored)? == config && stored.tasks_max == tasks_max && version == stored.version
    {
        // Nothing changes: no new version, nothing for the workers to do.
        let found = Found::Stored(stored.clone(), config);
        return Ok(with_etag(
            &found,
            Json(info_body(&stored.name, &found, caller.role)),
        ));
    }
    let mut client = app.client().await?;
    let config =
        crate::secrets::store_literals(app.0.secrets_key.as_ref(), &*client, &stored.name, config)
            .await
            .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e))?;
    let text = serde_json::to_string(&config).unwrap_or_default();
    match control::update_connector(
        &mut client,
        &stored.name,
        &text,
        tasks_max,
        version,
        Actor(&caller.name),
    )
    .await?
    {
        Versioned::Written(now) => {
            let found = Found::Stored(now, config);
            Ok(with_etag(
                &found,
                Json(info_body(&stored.name, &found, caller.role)),
            ))
        }
        Versioned::Missing => Err(ApiError::no_connector(&stored.name)),
        Versioned::Conflict => Err(ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "Cannot complete request because of a conflicting operation: connector {} was changed meanwhile (it is no longer at version {version}); read it again and retry",
                stored.name
            ),
        )),
    }
}

/// Creates (201) or replaces (200) a connector's configuration; with `If-Match`, only
/// over that version (409 otherwise). A secret sent back `[hidden]` stays as stored.
#[utoipa::path(put, path = "/connectors/{name}/config", params(Named, ("If-Match" = Option<String>, Header, pattern = r#"^("[0-9]+"|[0-9]+)$"#, description = "The ETag a read gave (`\"3\"`, or its bare number); a weak tag matches no version.")),
    request_body = ConfigBody,
    responses(
        (status = 200, description = "Replaced.", body = ConnectorInfo),
        (status = 201, description = "Created.", body = ConnectorInfo),
    ),
)]
async fn put_config(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(Named { name }): Path<Named>,
    headers: HeaderMap,
    Body(ConfigBody(config)): Body<ConfigBody>,
) -> Result<Response, ApiError> {
    check_name(&name)?;
    read_only(&app, &name)?;
    let stored = {
        let client = app.client().await?;
        control::get_connector(&*client, &name).await?
    };
    match stored {
        None => create_stored(&app, &caller, &name, config, TargetState::Running).await,
        Some(stored) => {
            let version = read_version(&headers, &stored)?;
            let old = parse_stored(&stored)?;
            update(
                &app,
                &caller,
                &stored,
                app.admit(&name, config, Some(&old))?,
                version,
            )
            .await
        }
    }
}

/// A configuration's change: key → its new value, or null to remove it.
#[derive(Deserialize, ToSchema)]
#[schema(value_type = BTreeMap<String, Option<String>>)]
pub struct ConfigPatch(BTreeMap<String, Value>);

impl Shape for ConfigPatch {
    const SHAPE: &'static str = "a JSON object of strings or nulls";
}

/// Changes some keys of a connector's configuration: the keys given replace, `null`
/// removes; with `If-Match`, only over that version.
#[utoipa::path(patch, path = "/connectors/{name}/config", params(Named, ("If-Match" = Option<String>, Header, pattern = r#"^("[0-9]+"|[0-9]+)$"#, description = "The ETag a read gave (`\"3\"`, or its bare number); a weak tag matches no version.")),
    request_body = ConfigPatch,
    responses((status = 200, description = "Changed.", body = ConnectorInfo)),
)]
async fn patch_config(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(Named { name }): Path<Named>,
    headers: HeaderMap,
    Body(ConfigPatch(patch)): Body<ConfigPatch>,
) -> Result<Response, ApiError> {
    // Numbers and booleans as their text, as Kafka Connect's binding takes them.
    let patch: BTreeMap<String, Option<String>> = patch
        .into_iter()
        .map(|(key, value)| match value {
            Value::Null => Ok((key, None)),
            Value::String(s) => Ok((key, Some(s))),
            Value::Number(n) => Ok((key, Some(n.to_string()))),
            Value::Bool(b) => Ok((key, Some(b.to_string()))),
            _ => Err(ApiError::bad_body(
                "a JSON object of strings or nulls",
                format!(
                    "the value of {} is an array or an object",
                    flat::shorten(&key)
                ),
            )),
        })
        .collect::<Result<_, _>>()?;
    read_only(&app, &name)?;
    // Without If-Match a patch applies to whatever is stored: one that meets a concurrent
    // write is applied again to the new version (a few times).
    let mut attempts = 0;
    loop {
        let Found::Stored(stored, old) = find(&app, &name).await? else {
            return Err(ApiError::no_connector(&name));
        };
        let version = read_version(&headers, &stored)?;
        let mut config = old.clone();
        for (key, value) in &patch {
            match value {
                Some(v) => {
                    config.insert(key.clone(), v.clone());
                }
                None => {
                    config.remove(key);
                }
            }
        }
        let config = app.admit(&name, config, Some(&old))?;
        match update(&app, &caller, &stored, config, version).await {
            Err(e)
                if e.status() == StatusCode::CONFLICT
                    && !headers.contains_key(header::IF_MATCH)
                    && attempts < 5 =>
            {
                attempts += 1;
            }
            answer => return answer,
        }
    }
}

/// Deletes a connector: 204. Its tasks are stopped first (each commits its batch
/// in flight and leaves the group), then the connector goes with its stored offsets, the
/// record of its columns, its secrets and its dead letters (one made again under the name
/// starts afresh). With `If-Match`, only from that version (409 otherwise).
#[utoipa::path(delete, path = "/connectors/{name}", params(Named, ("If-Match" = Option<String>, Header, pattern = r#"^("[0-9]+"|[0-9]+)$"#, description = "The ETag a read gave (`\"3\"`, or its bare number); a weak tag matches no version.")), responses(
    (status = 204, description = "Deleted."),
))]
async fn delete(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(Named { name }): Path<Named>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    read_only(&app, &name)?;
    let Found::Stored(stored, _) = find(&app, &name).await? else {
        return Err(ApiError::no_connector(&name));
    };
    let version = match headers.contains_key(header::IF_MATCH) {
        true => Some(read_version(&headers, &stored)?),
        false => None,
    };
    if version.is_some_and(|v| v != stored.version) {
        return Err(changed_since(&name));
    }
    let mut client = app.client().await?;
    // Stopped first, so that no batch commits offsets after they are gone.
    control::set_target_state(
        &mut client,
        &name,
        TargetState::Stopped,
        Actor(&caller.name),
    )
    .await?;
    if !released(&client, &name, DELETE_WAIT).await? {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "connector {name} is STOPPED, but a worker still holds one of its tasks after {} s: retry the DELETE shortly",
                DELETE_WAIT.as_secs()
            ),
        ));
    }
    match control::delete_connector(&mut client, &name, version, Actor(&caller.name)).await? {
        Versioned::Written(_) => Ok(StatusCode::NO_CONTENT.into_response()),
        Versioned::Missing => Err(ApiError::no_connector(&name)),
        Versioned::Conflict => Err(changed_since(&name)),
    }
}

/// How long a DELETE waits for the workers to stop the connector's tasks.
const DELETE_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// 409: the connector changed since the version given in `If-Match`.
fn changed_since(name: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        format!("connector {name} was changed since the version given in If-Match: read it again"),
    )
}
