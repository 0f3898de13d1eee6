//! `GET /`, `GET /health` and `/connectors/…`: Kafka Connect's endpoints, bodies and codes.
//!
//! A change is written to `inlet.connectors` with a version; a write names the version it
//! read (`If-Match: "<version>"`, or the one read just before), so a concurrent edit gets
//! 409. Workers see the change through `NOTIFY` (or their next beat) and apply it.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Extension, Path, Query, State};
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

use super::{ApiError, App, Body, ConfigBody, Shape, VERSION};
use crate::auth::{Caller, Role};
use crate::flat::{self, FlatConfig, PLUGIN_CLASS};

/// The OpenAPI paths of this module ([`super::openapi`]).
#[derive(OpenApi)]
#[openapi(
    components(schemas(Expand)),
    paths(
        root,
        health,
        list,
        create,
        info,
        delete,
        config,
        put_config,
        patch_config,
        status,
        tasks,
        task_status,
        task_restart,
        pause,
        resume,
        stop,
        restart,
        topics,
        reset_topics,
        offsets,
        alter_offsets,
        reset_offsets
    )
)]
pub(super) struct Api;

pub(super) fn routes() -> axum::Router<App> {
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

/// Kafka Connect's ServerInfo.
#[derive(Serialize, ToSchema)]
pub struct ServerInfo {
    /// inlet's version.
    version: String,
    /// The git commit of this build (empty when built outside a git checkout).
    commit: String,
    /// The Kafka cluster of the first connector's brokers (empty when there is none, or its
    /// brokers do not answer).
    kafka_cluster_id: String,
}

/// The server's version (Kafka Connect's ServerInfo); a browser (`Accept: text/html`)
/// gets the web console's page.
#[utoipa::path(get, path = "/", security(()), responses(
    (status = 200, description = "The server's version.", body = ServerInfo),
))]
async fn root(State(app): State<App>, headers: axum::http::HeaderMap) -> Response {
    if super::web::wants_html(&headers) {
        return super::web::index();
    }
    let cluster = kafka_cluster_id(&app).await.unwrap_or_default();
    Json(ServerInfo {
        version: VERSION.to_owned(),
        commit: COMMIT.to_owned(),
        kafka_cluster_id: cluster,
    })
    .into_response()
}

/// The commit this build is from (empty when built outside a git checkout).
pub const COMMIT: &str = env!("INLET_COMMIT");

/// How long `GET /` keeps the cluster id it found.
const CLUSTER_ID_KEPT: std::time::Duration = std::time::Duration::from_secs(300);

/// How long `GET /` keeps that the brokers did not answer before it asks again.
const NO_CLUSTER_ID_KEPT: std::time::Duration = std::time::Duration::from_secs(30);

/// The id of the Kafka cluster of the first connector (by name: the file's, then the
/// stored ones), asked once per [`CLUSTER_ID_KEPT`] with that connector's own settings, at
/// most 5 s; None when there is no connector or its brokers do not answer (kept for
/// [`NO_CLUSTER_ID_KEPT`]: `GET /` is open, and makes at most one lookup at a time). inlet has no cluster
/// of its own: each connector names its brokers.
async fn kafka_cluster_id(app: &App) -> Option<String> {
    let mut kept = app.0.cluster_id.lock().await;
    if let Some((id, at)) = kept.as_ref() {
        let kept_for = if id.is_some() {
            CLUSTER_ID_KEPT
        } else {
            NO_CLUSTER_ID_KEPT
        };
        if at.elapsed() < kept_for {
            return id.clone();
        }
    }
    let first = match app.0.files.keys().next() {
        Some(name) => Some(name.clone()),
        None => {
            let client = app.client().await.ok()?;
            control::list_connectors(&*client)
                .await
                .ok()?
                .into_iter()
                .map(|c| c.name)
                .min()
        }
    };
    let mut id = None;
    // No connector: nothing to ask, and nothing kept (the next one made is asked).
    let name = first?;
    if let Ok(config) = super::dead_letters::running_config(app, &name).await {
        let kafka = config.kafka.clone();
        id = tokio::task::spawn_blocking(move || {
            inlet_kafka::cluster_id(&kafka, std::time::Duration::from_secs(5))
        })
        .await
        .ok()
        .flatten();
    }
    *kept = Some((id.clone(), std::time::Instant::now()));
    id
}

/// Kafka Connect's health answer.
#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `healthy` or `unhealthy`.
    status: HealthStatus,
    /// Why.
    message: String,
}

/// Whether the worker can serve.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    /// The database answers.
    Healthy,
    /// The database does not.
    Unhealthy,
}

/// Healthy when the database answers (Kafka Connect's `/health`).
#[utoipa::path(get, path = "/health", security(()), responses(
    (status = 200, description = "The database answers.", body = Health),
    (status = 500, description = "The database does not answer.", body = Health),
))]
async fn health(State(app): State<App>) -> Response {
    let unhealthy = |message: String| {
        let body = Health {
            status: HealthStatus::Unhealthy,
            message,
        };
        (StatusCode::INTERNAL_SERVER_ERROR, Json(body)).into_response()
    };
    match app.client().await {
        Ok(c) => match c.simple_query("SELECT 1").await {
            Ok(_) => Json(Health {
                status: HealthStatus::Healthy,
                message: "Worker has completed startup and is ready to handle requests.".into(),
            })
            .into_response(),
            Err(e) => unhealthy(format!("the database does not answer: {e}")),
        },
        Err(e) => unhealthy(e.message().to_owned()),
    }
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
    serde_json::from_str(&stored.config).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "the stored configuration of {} is not a map of strings: {e}",
                stored.name
            ),
        )
    })
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
pub struct CreateBody {
    /// Its name: 1 to 200 letters, digits, '-', '_' or '.'.
    name: String,
    /// Its configuration.
    #[serde(default)]
    config: ConfigBody,
    /// The state it starts in (default RUNNING).
    #[serde(default)]
    #[schema(value_type = Option<InitialState>)]
    initial_state: Option<String>,
}

impl Shape for CreateBody {
    const SHAPE: &'static str = "{\"name\", \"config\", \"initial_state\"}";
}

/// The states a connector may be created in.
#[derive(ToSchema)]
#[allow(dead_code)]
pub enum InitialState {
    /// Running (the default).
    #[schema(rename = "RUNNING")]
    Running,
    /// Paused: its tasks hold their partitions and fetch nothing.
    #[schema(rename = "PAUSED")]
    Paused,
    /// Stopped: no task runs.
    #[schema(rename = "STOPPED")]
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
#[utoipa::path(post, path = "/connectors", request_body = CreateBody, responses(
    (status = 201, description = "Created.", body = ConnectorInfo, headers(
        ("ETag" = String, description = "The connector's version, for If-Match."),
        ("Location" = String, description = "/connectors/{name}"),
    )),
))]
async fn create(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Body(body): Body<CreateBody>,
) -> Result<Response, ApiError> {
    check_name(&body.name)?;
    let state = match body.initial_state.as_deref() {
        None => TargetState::Running,
        Some(text) => TargetState::parse(text).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("initial_state {text:?} is not RUNNING, PAUSED or STOPPED"),
            )
        })?,
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
    Path(name): Path<String>,
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

/// The path of a connector.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct Named {
    /// The connector's name.
    #[allow(dead_code)]
    name: String,
}

/// A write's `If-Match`: the version it is made from.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IfMatch {
    /// The ETag a read gave (`"3"`, or its bare number); a weak tag matches no version.
    #[serde(rename = "If-Match")]
    #[param(pattern = r#"^("[0-9]+"|[0-9]+)$"#)]
    #[allow(dead_code)]
    if_match: Option<String>,
}

/// The configuration as stored, secrets hidden.
#[utoipa::path(get, path = "/connectors/{name}/config", params(Named), responses(
    (status = 200, description = "The configuration.", body = BTreeMap<String, String>),
))]
async fn config(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
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
#[utoipa::path(put, path = "/connectors/{name}/config", params(Named, IfMatch),
    request_body = ConfigBody,
    responses(
        (status = 200, description = "Replaced.", body = ConnectorInfo),
        (status = 201, description = "Created.", body = ConnectorInfo),
    ),
)]
async fn put_config(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
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
#[utoipa::path(patch, path = "/connectors/{name}/config", params(Named, IfMatch),
    request_body = ConfigPatch,
    responses((status = 200, description = "Changed.", body = ConnectorInfo)),
)]
async fn patch_config(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
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
#[utoipa::path(delete, path = "/connectors/{name}", params(Named, IfMatch), responses(
    (status = 204, description = "Deleted."),
))]
async fn delete(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
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
async fn task_states(
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
async fn status_body(
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
async fn status(
    State(app): State<App>,
    Path(name): Path<String>,
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
async fn tasks(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
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

/// The path of a connector's task.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct Tasked {
    /// The connector's name.
    #[allow(dead_code)]
    name: String,
    /// The task, from 0.
    #[allow(dead_code)]
    task: i32,
}

fn task_id(found: &Found, name: &str, task: &str) -> Result<i32, ApiError> {
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
#[utoipa::path(get, path = "/connectors/{name}/tasks/{task}/status", params(Tasked), responses(
    (status = 200, description = "The task's state.", body = TaskState),
))]
async fn task_status(
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
#[utoipa::path(post, path = "/connectors/{name}/tasks/{task}/restart", params(Tasked), responses(
    (status = 204, description = "Asked of its worker."),
))]
async fn task_restart(
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
fn stopped_refusal(name: &str) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        format!(
            "connector {name} is STOPPED: it has no task to restart; resume it (PUT /connectors/{name}/resume)"
        ),
    )
}

async fn set_state(
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
async fn pause(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    set_state(&app, &caller, &name, TargetState::Paused).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Resumes a connector: 202; a paused or stopped connector runs again.
#[utoipa::path(put, path = "/connectors/{name}/resume", params(Named), responses(
    (status = 202, description = "Asked of its workers."),
))]
async fn resume(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    set_state(&app, &caller, &name, TargetState::Running).await?;
    Ok(StatusCode::ACCEPTED)
}

/// Stops a connector: 204 once its tasks have committed, stopped and left the group (or
/// after 30 s, when a worker is slow to): offsets can be changed then.
#[utoipa::path(put, path = "/connectors/{name}/stop", params(Named), responses(
    (status = 204, description = "Stopped."),
))]
async fn stop(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    set_state(&app, &caller, &name, TargetState::Stopped).await?;
    let client = app.client().await?;
    released(&client, &name, STOP_WAIT).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// How long a stop waits for the workers to let the connector's tasks go.
const STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Waits until no live worker holds a task of `name`, at most `limit`; whether none does.
async fn released(
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
    #[serde(default, deserialize_with = "super::query_bool")]
    include_tasks: Option<bool>,
    /// Only the FAILED tasks.
    #[serde(default, deserialize_with = "super::query_bool")]
    only_failed: Option<bool>,
}

/// Restarts a connector's tasks: 204 without parameters; with them 202 and the status,
/// the tasks to restart shown RESTARTING. (A connector of inlet is its tasks: restarting it
/// restarts them, or the FAILED ones with `onlyFailed`.)
#[utoipa::path(post, path = "/connectors/{name}/restart", params(Named, RestartQuery), responses(
    (status = 202, description = "Asked; the states, the tasks to restart RESTARTING.", body = ConnectorStateInfo),
    (status = 204, description = "Asked."),
))]
async fn restart(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
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

/// The topics a connector reads.
#[derive(Serialize, ToSchema)]
pub struct ConnectorTopics {
    /// Its configuration's topics.
    topics: Vec<String>,
}

/// The topics a connector reads, under its name (Kafka Connect's shape).
#[utoipa::path(get, path = "/connectors/{name}/topics", params(Named), responses(
    (status = 200, description = "name → its topics.", body = BTreeMap<String, ConnectorTopics>),
))]
async fn topics(
    State(app): State<App>,
    Path(name): Path<String>,
) -> Result<Json<BTreeMap<String, ConnectorTopics>>, ApiError> {
    let found = find(&app, &name).await?;
    let topics = flat::topics(found.config())
        .into_iter()
        .map(str::to_owned)
        .collect();
    Ok(Json(BTreeMap::from([(name, ConnectorTopics { topics })])))
}

/// Taken, 202: Kafka Connect forgets the topics a connector has used; an inlet
/// connector's topics are its configuration's, so there is nothing to forget (the call is
/// taken, for the clients that make it).
#[utoipa::path(put, path = "/connectors/{name}/topics/reset", params(Named), responses(
    (status = 202, description = "Taken."),
))]
async fn reset_topics(
    State(app): State<App>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    read_only(&app, &name)?;
    find(&app, &name).await?;
    Ok(StatusCode::ACCEPTED)
}

/// A connector's offsets, in Kafka Connect's sink shape (ConnectorOffsets).
#[derive(Serialize, Deserialize, ToSchema)]
pub struct Offsets {
    /// One per partition.
    offsets: Vec<OffsetEntry>,
}

impl Shape for Offsets {
    const SHAPE: &'static str = "{\"offsets\": [{\"partition\": {\"kafka_topic\", \"kafka_partition\"}, \"offset\": {\"kafka_offset\"} or null}]}";
}

/// A partition's offset.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct OffsetEntry {
    /// The partition.
    partition: SinkPartition,
    /// Its stored next offset; null (in a change) forgets it.
    offset: Option<SinkOffset>,
}

/// A partition, as a sink's offsets name it.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct SinkPartition {
    /// The topic.
    kafka_topic: String,
    /// The partition, from 0.
    kafka_partition: i32,
}

/// A sink's offset: the next record to read.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct SinkOffset {
    /// The offset, from 0.
    kafka_offset: i64,
}

/// What an offsets change answers.
#[derive(Serialize, ToSchema)]
pub struct Message {
    /// What was done.
    message: String,
}

/// A connector's stored next offsets, in the sink shape.
#[utoipa::path(get, path = "/connectors/{name}/offsets", params(Named), responses(
    (status = 200, description = "The offsets.", body = Offsets),
))]
async fn offsets(
    State(app): State<App>,
    Path(name): Path<String>,
) -> Result<Json<Offsets>, ApiError> {
    find(&app, &name).await?;
    let client = app.client().await?;
    let offsets = control::offsets_of(&*client, &name)
        .await?
        .into_iter()
        .map(|(kafka_topic, kafka_partition, kafka_offset)| OffsetEntry {
            partition: SinkPartition {
                kafka_topic,
                kafka_partition,
            },
            offset: Some(SinkOffset { kafka_offset }),
        })
        .collect();
    Ok(Json(Offsets { offsets }))
}

fn offsets_refused(name: &str, refused: OffsetsRefused) -> ApiError {
    match refused {
        OffsetsRefused::Missing => ApiError::no_connector(name),
        OffsetsRefused::NotStopped(TargetState::Stopped) => ApiError::new(
            StatusCode::CONFLICT,
            format!(
                "connector {name} is STOPPED, but a worker has not let one of its tasks go yet: retry in a few seconds"
            ),
        ),
        OffsetsRefused::NotStopped(state) => ApiError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/{name}/stop' endpoint (it is {})",
                state.as_str()
            ),
        ),
    }
}

/// Sets (or, with `"offset": null`, forgets) the stored offsets of the partitions given;
/// only while STOPPED.
#[utoipa::path(patch, path = "/connectors/{name}/offsets", params(Named), request_body = Offsets,
    responses((status = 200, description = "Altered.", body = Message)),
)]
async fn alter_offsets(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    Body(body): Body<Offsets>,
) -> Result<Json<Message>, ApiError> {
    read_only(&app, &name)?;
    let found = find(&app, &name).await?;
    let topics = flat::topics(found.config());
    if let Some(other) = body
        .offsets
        .iter()
        .find(|o| !topics.contains(&o.partition.kafka_topic.as_str()))
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "topic {:?} is not one the connector reads ({})",
                other.partition.kafka_topic,
                topics.join(", ")
            ),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(twice) = body.offsets.iter().find(|o| {
        !seen.insert((
            o.partition.kafka_topic.as_str(),
            o.partition.kafka_partition,
        ))
    }) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "{}/{} is given twice",
                twice.partition.kafka_topic, twice.partition.kafka_partition
            ),
        ));
    }
    if body.offsets.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "The offsets to modify must not be empty",
        ));
    }
    if let Some(bad) = body.offsets.iter().find(|o| {
        o.partition.kafka_partition < 0 || o.offset.as_ref().is_some_and(|o| o.kafka_offset < 0)
    }) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "partition {} and offsets of {} must not be negative",
                bad.partition.kafka_partition, bad.partition.kafka_topic
            ),
        ));
    }
    let offsets: Vec<(String, i32, Option<i64>)> = body
        .offsets
        .into_iter()
        .map(|o| {
            (
                o.partition.kafka_topic,
                o.partition.kafka_partition,
                o.offset.map(|o| o.kafka_offset),
            )
        })
        .collect();
    let mut client = app.client().await?;
    control::alter_offsets(&mut client, &name, Some(&offsets), Actor(&caller.name))
        .await?
        .map_err(|r| offsets_refused(&name, r))?;
    Ok(Json(Message {
        message: "The offsets for this connector have been altered successfully".into(),
    }))
}

/// Forgets every stored offset (the topics are read again from `kafka.start_from`); only
/// while STOPPED.
#[utoipa::path(delete, path = "/connectors/{name}/offsets", params(Named), responses(
    (status = 200, description = "Reset.", body = Message),
))]
async fn reset_offsets(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
) -> Result<Json<Message>, ApiError> {
    read_only(&app, &name)?;
    let mut client = app.client().await?;
    control::alter_offsets(&mut client, &name, None, Actor(&caller.name))
        .await?
        .map_err(|r| offsets_refused(&name, r))?;
    Ok(Json(Message {
        message: "The offsets for this connector have been reset successfully".into(),
    }))
}
