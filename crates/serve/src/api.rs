//! The HTTP API: Kafka Connect's REST API with its shapes and codes ([`connectors`],
//! [`plugins`]), so that the tools people use with Kafka Connect (kafbat kafka-ui, Redpanda
//! Console, AKHQ, Kpow) drive inlet. Any worker answers any request: state is read from
//! the database, where every change is written.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use inlet_engine::Supervisor;
use inlet_engine::config::RawConnector;
use inlet_postgres::DatabaseConfig;

pub mod admin;
pub mod connectors;
pub mod console;
pub mod dead_letters;
pub mod metrics;
pub mod openapi;
pub mod plugins;
pub mod web;

/// This build's version, as `GET /` and the plugin list give it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Database connections for requests: a pool, so that a burst of requests does not open a
/// connection each.
pub type Pool = deadpool::managed::Pool<Connections>;

/// Makes and recycles the pool's connections.
#[derive(Debug)]
pub struct Connections(pub DatabaseConfig);

impl deadpool::managed::Manager for Connections {
    type Type = tokio_postgres::Client;
    type Error = inlet_postgres::Error;

    async fn create(&self) -> Result<tokio_postgres::Client, inlet_postgres::Error> {
        self.0.connect().await
    }

    async fn recycle(
        &self,
        client: &mut tokio_postgres::Client,
        _: &deadpool::managed::Metrics,
    ) -> deadpool::managed::RecycleResult<inlet_postgres::Error> {
        if client.is_closed() {
            return Err(deadpool::managed::RecycleError::message(
                "the connection is closed",
            ));
        }
        Ok(())
    }
}

/// What a task reports of itself each beat (`inlet.tasks.metrics`), and `GET
/// /inlet/v1/connectors/{name}/metrics` sums: counters since the task started, rows per
/// second over the last minute, per partition its stored offset, last stable offset and
/// lag, the schemas met with the fields not stored, the last error, and what holds it up
/// now (an error of the last minute with no batch committed since).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct TaskMetrics {
    pub(crate) rows: u64,
    pub(crate) dead_letters: u64,
    pub(crate) batches: u64,
    pub(crate) rows_per_second: f64,
    pub(crate) partitions: Vec<inlet_engine::PartitionStatus>,
    pub(crate) schemas: Vec<inlet_engine::SchemaStatus>,
    pub(crate) last_error: Option<String>,
    pub(crate) held_up_by: Option<String>,
}

impl TaskMetrics {
    /// The metrics of a task's status.
    pub fn of(status: &inlet_engine::ConnectorStatus) -> Self {
        TaskMetrics {
            rows: status.rows,
            dead_letters: status.dead_letters,
            batches: status.batches,
            rows_per_second: status.rows_per_second,
            partitions: status.partitions.clone(),
            schemas: status.schemas.clone(),
            last_error: status.last_error.clone(),
            held_up_by: status.held_up_by.clone(),
        }
    }
}

/// What every request handler shares.
#[derive(Clone)]
pub struct App(pub(crate) Arc<Inner>);

pub(crate) struct Inner {
    pub(crate) pool: Pool,
    /// The database connectors write into (previews read its tables).
    pub(crate) database: DatabaseConfig,
    pub(crate) worker_id: String,
    pub(crate) supervisor: Arc<Supervisor>,
    /// The families `/metrics` answers with (read from the supervisor at each scrape).
    pub(crate) metrics: prometheus_client::registry::Registry,
    /// Connectors defined in the configuration file (`--config`): shown, not changed.
    pub(crate) files: BTreeMap<String, RawConnector>,
    /// The file they are defined in, for the message that refuses a change.
    pub(crate) file: Option<String>,
    /// Who may call (none: the API is open, on loopback only).
    pub(crate) tokens: crate::auth::Tokens,
    /// Origins a browser may call the API from (none: the same origin only).
    pub(crate) cors_origins: Vec<String>,
    /// The names a request's `Host` may carry.
    pub(crate) hosts: crate::guard::Hosts,
    /// The directory `${file:…}` references of the API's configurations may read from.
    pub(crate) secrets_dir: Option<std::path::PathBuf>,
    /// The key of `${secret:…}` references (none: literal secrets stay in configurations).
    pub(crate) secrets_key: Option<crate::secrets::SecretsKey>,
    /// This process's log levels (none: they cannot change while it runs).
    pub(crate) loggers: Option<Arc<crate::loggers::Loggers>>,
    /// The Kafka cluster id `GET /` answers, and when it was looked up.
    pub(crate) cluster_id: tokio::sync::Mutex<Option<(Option<String>, std::time::Instant)>>,
    /// Setup steps running at once (each may connect to Kafka, the registry and the
    /// database of its own): at most [`MAX_STEPS`], the others wait their turn.
    pub(crate) steps: tokio::sync::Semaphore,
}

/// The most setup steps (`/inlet/v1/kafka/check`, `preview`…) served at once.
pub const MAX_STEPS: usize = 4;

/// How the API lets callers in, and what their configurations may reference.
#[derive(Debug, Clone, Default)]
pub struct ApiOptions {
    /// Who may call (none: the API is open, on loopback only).
    pub tokens: crate::auth::Tokens,
    /// Web origins a browser may call the API from besides its own (CORS).
    pub cors_origins: Vec<String>,
    /// The names a request's `Host` may carry ([`crate::guard`]).
    pub hosts: crate::guard::Hosts,
    /// The directory `${file:…}` references of the API's configurations may read from.
    pub secrets_dir: Option<std::path::PathBuf>,
    /// The key of `${secret:…}` references (none: literal secrets stay in configurations).
    pub secrets_key: Option<crate::secrets::SecretsKey>,
    /// This process's log levels, for `/admin/loggers` (none: they cannot change).
    pub loggers: Option<Arc<crate::loggers::Loggers>>,
}

impl App {
    /// The state of an API served by worker `worker_id`, over `database`, whose
    /// file-defined connectors (from `file`) run in `supervisor`; `options` say who may
    /// call and from where.
    ///
    /// # Errors
    /// When the pool cannot be made (never for a valid size).
    pub fn new(
        database: DatabaseConfig,
        worker_id: String,
        supervisor: Arc<Supervisor>,
        files: Vec<RawConnector>,
        file: Option<String>,
        options: ApiOptions,
    ) -> Result<Self, String> {
        let pool = Pool::builder(Connections(database.clone()))
            .max_size(8)
            .build()
            .map_err(|e| e.to_string())?;
        let metrics = metrics::registry(&worker_id, supervisor.clone());
        Ok(App(Arc::new(Inner {
            pool,
            database,
            worker_id,
            supervisor,
            metrics,
            files: files.into_iter().map(|c| (c.name.clone(), c)).collect(),
            file,
            tokens: options.tokens,
            cors_origins: options.cors_origins,
            hosts: options.hosts,
            secrets_dir: options.secrets_dir,
            secrets_key: options.secrets_key,
            loggers: options.loggers,
            cluster_id: tokio::sync::Mutex::new(None),
            steps: tokio::sync::Semaphore::new(MAX_STEPS),
        })))
    }

    /// `config` of connector `name` as it may be stored or used: each secret sent back
    /// hidden taken from `stored` (the connector as stored; none for a new one) unless its
    /// section changed ([`crate::flat::keep_hidden`]), and every reference where the rule of
    /// [`crate::references`] lets it stand. Nothing is read or resolved.
    ///
    /// # Errors
    /// 400 with every problem, by key.
    pub(crate) fn admit(
        &self,
        name: &str,
        config: crate::flat::FlatConfig,
        stored: Option<&crate::flat::FlatConfig>,
    ) -> Result<crate::flat::FlatConfig, ApiError> {
        let config =
            crate::flat::keep_hidden(config, stored).map_err(|p| ApiError::problems(&p))?;
        let problems =
            crate::references::problems(name, &config, stored, self.0.secrets_dir.as_deref());
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(ApiError::problems(&problems))
        }
    }

    /// A turn to run a setup step (see [`MAX_STEPS`]).
    pub(crate) async fn step_turn(&self) -> Result<tokio::sync::SemaphorePermit<'_>, ApiError> {
        self.0
            .steps
            .acquire()
            .await
            .map_err(|_| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "inlet serve is stopping"))
    }

    pub(crate) async fn client(&self) -> Result<deadpool::managed::Object<Connections>, ApiError> {
        self.0.pool.get().await.map_err(|e| match e {
            deadpool::managed::PoolError::Backend(e) => ApiError::from(e),
            other => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("no database connection is free: {other}"),
            ),
        })
    }
}

/// An error as Kafka Connect answers one: `{"error_code": <HTTP status>, "message": …}`,
/// with the error that caused it kept: a 5xx is logged once, as it is answered, with its
/// whole cause chain ([`inlet_fault::with_causes`]).
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    cause: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl ApiError {
    /// An error with `status` and a message that says what to do.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            cause: None,
        }
    }

    /// [`ApiError::new`], caused by `cause` (logged with it when the status is a 5xx; the
    /// message should say it to the caller as far as the caller may know it).
    pub fn caused(
        status: StatusCode,
        message: impl Into<String>,
        cause: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        ApiError {
            cause: Some(cause.into()),
            ..ApiError::new(status, message)
        }
    }

    /// An error answered with the status its fault gives ([`inlet_fault::Fault::http_status`]:
    /// 400, 502 or 500), saying `prefix` then the error.
    pub fn of<E>(prefix: &str, error: E) -> Self
    where
        E: inlet_fault::Classify + Send + Sync + 'static,
    {
        let status = StatusCode::from_u16(error.fault().http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        ApiError::caused(status, format!("{prefix}{error}"), error)
    }

    /// Its HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// What it says.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// 404: no connector `name`.
    pub fn no_connector(name: &str) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, format!("Connector {name} not found"))
    }

    /// 400 with every problem of a configuration, by key, as Kafka Connect words it (the
    /// first [`crate::flat::MAX_PROBLEMS_LISTED`], then how many more).
    pub fn problems(problems: &[crate::flat::Problem]) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "Connector configuration is invalid and contains the following {} error(s):\n{}\nYou can also find the above list of errors at the endpoint `/connector-plugins/{}/config/validate`",
                problems.len(),
                crate::flat::listed(problems).join("\n"),
                crate::flat::PLUGIN_CLASS
            ),
        )
    }

    /// 400: a body that is not the JSON expected.
    pub fn bad_body(what: &str, e: impl std::fmt::Display) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("the request body is not {what}: {e}"),
        )
    }
}

/// An error's body, as Kafka Connect answers one.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorMessage {
    /// The HTTP status.
    pub error_code: u16,
    /// What went wrong and what to do.
    pub message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            let cause = self
                .cause
                .as_deref()
                .map(|cause| inlet_fault::with_causes(cause))
                .unwrap_or_default();
            let status = self.status.as_u16();
            // 500: a bug; 502, 503, 504: a system inlet talks to, or its load.
            if self.status == StatusCode::INTERNAL_SERVER_ERROR {
                tracing::error!(status, message = %self.message, %cause, "answered with a server error");
            } else {
                tracing::warn!(status, message = %self.message, %cause, "answered with a server error");
            }
        }
        let body = ErrorMessage {
            error_code: self.status.as_u16(),
            message: self.message,
        };
        (self.status, Json(body)).into_response()
    }
}

/// A request body that is JSON of `T`, refused as Kafka Connect refuses one: 400 with
/// `{"error_code", "message"}` saying the shape expected ([`Shape::SHAPE`]) and what is
/// wrong. (The `Content-Type` is checked before, by [`crate::guard`].)
pub struct Body<T>(pub T);

/// What a body type says it looks like when a body is not it.
pub trait Shape {
    /// The shape, as a caller reads it: `{"name", "config", "initial_state"}`.
    const SHAPE: &'static str;
}

impl<T, S> axum::extract::FromRequest<S> for Body<T>
where
    T: serde::de::DeserializeOwned + Shape,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|e| ApiError::new(e.status(), e.body_text()))?;
        serde_json::from_slice(&bytes)
            .map(Body)
            .map_err(|e| ApiError::bad_body(T::SHAPE, e))
    }
}

/// A query string of `T`, refused as Kafka Connect refuses one: 400 with `{"error_code",
/// "message"}` naming the parameter that is wrong (`?limit=ten`, `?reason_code=gone`).
pub struct Query<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for Query<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(query)| Query(query))
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.body_text()))
    }
}

/// The path of a connector: `/…/{name}/…`.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct Named {
    /// The connector's name.
    pub name: String,
}

/// A configuration as a body takes one: Kafka Connect's flat map, its values strings, or
/// numbers and booleans taken as their text. Its schema in the document (`ConnectorConfig`)
/// is made from the settings table ([`inlet_engine::config::settings::SETTINGS`]): each
/// setting's key with its type, choices, default and doc, the required ones, the per-topic
/// (`topic.<topic>.<key>`) and librdkafka (`kafka.properties.<property>`) forms, and no other
/// key.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ConfigBody(
    #[serde(deserialize_with = "crate::flat::strings")] pub crate::flat::FlatConfig,
);

impl utoipa::PartialSchema for ConfigBody {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use inlet_engine::config::settings::{Kind, SETTINGS, Scope};
        use utoipa::openapi::schema::{
            AdditionalProperties, AnyOfBuilder, ObjectBuilder, Schema, Type,
        };
        let text = || ObjectBuilder::new().schema_type(Type::String);
        let mut object = ObjectBuilder::new().schema_type(Type::Object).description(Some(
            "Kafka Connect's flat configuration: each setting by its key (docs/configuration.md), its value as text, or a number or a boolean taken as its text; a topic's own value of a per-topic setting as topic.<topic>.<key>, a librdkafka property as kafka.properties.<property>.",
        ));
        for setting in SETTINGS.iter().filter(|s| s.scope != Scope::Database) {
            let doc = Some(setting.doc);
            let default = setting.default.map(serde_json::Value::from);
            let value: Schema = match setting.kind {
                // Its properties are keys of their own (the document's patternProperties).
                Kind::Properties => continue,
                Kind::Int => AnyOfBuilder::new()
                    .item(text().pattern(Some(r"^\s*[0-9]+\s*$")))
                    .item(match setting.key {
                        "tasks.max" => ObjectBuilder::new()
                            .schema_type(Type::Integer)
                            .minimum(Some(*inlet_engine::config::settings::TASKS_MAX.start()))
                            .maximum(Some(*inlet_engine::config::settings::TASKS_MAX.end())),
                        _ => ObjectBuilder::new()
                            .schema_type(Type::Integer)
                            .minimum(Some(0)),
                    })
                    .description(doc)
                    .default(default)
                    .into(),
                Kind::Boolean => AnyOfBuilder::new()
                    .item(text().enum_values(Some(["true", "false"])))
                    .item(ObjectBuilder::new().schema_type(Type::Boolean))
                    .description(doc)
                    .default(default)
                    .into(),
                Kind::Class => text()
                    .enum_values(Some([crate::flat::PLUGIN_CLASS, "PostgresSink"]))
                    .description(doc)
                    .into(),
                _ if !setting.choices.is_empty() => text()
                    .enum_values(Some(setting.choices.iter().copied()))
                    .description(doc)
                    .default(default)
                    .into(),
                // When given, the connector's name (the body's or the path's).
                _ if setting.key == "name" => text()
                    .pattern(Some("^[A-Za-z0-9._-]{1,200}$"))
                    .description(doc)
                    .into(),
                _ => text().description(doc).default(default).into(),
            };
            object = object.property(setting.key, value);
            // `name` is the body's or the path's; a per-topic setting may be given for each
            // topic instead (`topic.<topic>.table`).
            if setting.required && setting.key != "name" && setting.scope != Scope::Topic {
                object = object.required(setting.key);
            }
        }
        object
            .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)))
            .into()
    }
}

impl utoipa::ToSchema for ConfigBody {
    fn name() -> std::borrow::Cow<'static, str> {
        "ConnectorConfig".into()
    }

    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        schemas.push((
            "ConfigValue".into(),
            <ConfigValue as utoipa::PartialSchema>::schema(),
        ));
    }
}

/// A value of a configuration sent: text, or a number or a boolean taken as its text
/// (`"tasks.max": 2` is `"2"`). For the document only.
pub struct ConfigValue;

impl utoipa::PartialSchema for ConfigValue {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        OneOfBuilder::new()
            .item(ObjectBuilder::new().schema_type(Type::String))
            .item(ObjectBuilder::new().schema_type(Type::Number))
            .item(ObjectBuilder::new().schema_type(Type::Boolean))
            .description(Some(
                "Text, or a number or a boolean taken as its text (\"tasks.max\": 2 is \"2\").",
            ))
            .into()
    }
}

impl utoipa::ToSchema for ConfigValue {}

/// A configuration on its way to being one (the console's setup steps, Connect's validate):
/// any flat map of a connector's keys and their values; what is missing or wrong is the
/// answer.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = ConnectorConfigDraft, value_type = BTreeMap<String, ConfigValue>)]
pub struct DraftBody(
    #[serde(deserialize_with = "crate::flat::strings")] pub crate::flat::FlatConfig,
);

impl Shape for DraftBody {
    const SHAPE: &'static str = "a JSON object of strings";
}

impl Shape for ConfigBody {
    const SHAPE: &'static str = "a JSON object of strings";
}

impl From<inlet_engine::PreviewError> for ApiError {
    fn from(e: inlet_engine::PreviewError) -> Self {
        ApiError::of("", e)
    }
}

impl From<inlet_engine::ProposeError> for ApiError {
    fn from(e: inlet_engine::ProposeError) -> Self {
        ApiError::of("", e)
    }
}

impl From<inlet_postgres::Error> for ApiError {
    fn from(e: inlet_postgres::Error) -> Self {
        ApiError::of("the database: ", e)
    }
}

/// 500: connector `name`'s stored configuration is not the JSON map of strings inlet
/// stores (a row written by hand, say).
pub(crate) fn stored_not_a_map(name: &str, e: serde_json::Error) -> ApiError {
    ApiError::caused(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("the stored configuration of {name} is not a map of strings: {e}"),
        e,
    )
}

/// A boolean query parameter as Kafka Connect (JAX-RS) reads one: `true` or `false` in any
/// case (`?includeTasks=True`).
pub(crate) fn query_bool<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<bool>, D::Error> {
    let text: Option<String> = serde::Deserialize::deserialize(deserializer)?;
    match text {
        None => Ok(None),
        Some(t) if t.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(t) if t.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(t) => Err(serde::de::Error::custom(format!(
            "{:?} is not true or false",
            crate::flat::shorten(&t)
        ))),
    }
}

/// How long a request may take, its body included (a preview or a probe of Kafka takes
/// up to about 20 s).
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// The API's routes, Kafka Connect's shapes, behind the token check and the CORS
/// allow-list.
pub fn router(app: App) -> axum::Router {
    let cors = cors(&app.0.cors_origins);
    let authorize = axum::middleware::from_fn_with_state(app.clone(), crate::auth::authorize);
    let guard = axum::middleware::from_fn_with_state(app.clone(), crate::guard::guard);
    let routes = connectors::routes()
        .merge(plugins::routes())
        .merge(console::routes())
        .merge(dead_letters::routes())
        .merge(admin::routes())
        .merge(metrics::routes())
        .route("/console/{*file}", axum::routing::get(web::file))
        .route(
            "/openapi.json",
            axum::routing::get(|| async {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    openapi::document(),
                )
            }),
        )
        .with_state(app)
        .fallback(|| async {
            ApiError::new(StatusCode::NOT_FOUND, "no such endpoint: see /openapi.json")
        })
        .layer(authorize)
        .layer(guard)
        // A request (its body included) that takes longer is answered 408: a stalled
        // client cannot hold a connection of the pool or a worker's attention for ever.
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(axum::middleware::map_response(json_errors))
        .layer(cors);
    // `/connectors/` and `/connectors/{name}/status/` are the paths without the slash, as
    // Kafka Connect's (Jersey's) answer them: trimmed before the routes are matched.
    axum::Router::new()
        .fallback_service(tower_http::normalize_path::NormalizePath::trim_trailing_slash(routes))
}

/// The CORS layer: browsers on `origins` may call the API (with a token); none by
/// default, so only pages of the API's own origin can.
fn cors(origins: &[String]) -> tower_http::cors::CorsLayer {
    use axum::http::{HeaderName, HeaderValue, Method, header};
    let allowed: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    tower_http::cors::CorsLayer::new()
        .allow_origin(allowed)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            HeaderName::from_static("www-authenticate"),
        ])
}

/// Every error answer in Kafka Connect's shape: what axum itself answers (a path or query
/// it cannot parse, a method the path does not take) is text; it becomes
/// `{"error_code", "message"}` with the same status.
async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let text = axum::body::to_bytes(response.into_body(), 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let message = if status == StatusCode::METHOD_NOT_ALLOWED {
        "this path does not take this method: /openapi.json lists the methods of each path"
            .to_owned()
    } else if status == StatusCode::REQUEST_TIMEOUT {
        format!(
            "the request took more than {} s: its body came too slowly, or inlet waited on a system that answers slowly (Kafka, the schema registry, the database); try again, and check them if it happens again",
            REQUEST_TIMEOUT.as_secs()
        )
    } else if text.is_empty() {
        status
            .canonical_reason()
            .unwrap_or("the request was refused")
            .to_owned()
    } else {
        text
    };
    ApiError::new(status, message).into_response()
}
