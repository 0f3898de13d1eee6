//! The REST API, on the paths and with the bodies of Confluent Schema Registry.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::RegistryError;
use crate::store::{Reference, SchemaKind, Store, StoredSchema, SubjectVersion, VersionSelector};

/// Confluent's response content type.
pub const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// A JSON body sent with Confluent's content type.
pub struct ConfluentJson(pub Value);

impl IntoResponse for ConfluentJson {
    fn into_response(self) -> Response {
        let mut response = self.0.to_string().into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        response
    }
}

/// HTTP basic-auth credentials the registry requires. `Debug` does not show the password.
#[derive(Clone)]
pub struct BasicAuth {
    /// The expected user name.
    pub user: String,
    /// The expected password.
    pub password: String,
}

impl std::fmt::Debug for BasicAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BasicAuth")
            .field("user", &self.user)
            .field("password", &"[redacted]")
            .finish()
    }
}

impl BasicAuth {
    /// Parses `user:password`.
    pub fn parse(text: &str) -> Option<Self> {
        let (user, password) = text.split_once(':')?;
        Some(Self {
            user: user.to_owned(),
            password: password.to_owned(),
        })
    }

    fn accepts(&self, header: Option<&HeaderValue>) -> bool {
        let Some(encoded) = header
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Basic "))
        else {
            return false;
        };
        let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
            return false;
        };
        let expected = format!("{}:{}", self.user, self.password);
        decoded == expected.as_bytes()
    }
}

#[derive(Clone)]
struct AppState {
    store: Arc<Mutex<Store>>,
    auth: Option<Arc<BasicAuth>>,
}

impl AppState {
    fn store(&self) -> MutexGuard<'_, Store> {
        // A poisoned lock means a handler panicked mid-change; the data is still usable.
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The registry's routes over `store`, requiring `auth` when given.
pub fn app(store: Store, auth: Option<BasicAuth>) -> Router {
    let state = AppState {
        store: Arc::new(Mutex::new(store)),
        auth: auth.map(Arc::new),
    };
    Router::new()
        .route("/", get(|| async { ConfluentJson(json!({})) }))
        .route(
            "/schemas/types",
            get(|| async { ConfluentJson(json!(["AVRO", "PROTOBUF", "JSON"])) }),
        )
        .route(
            "/config",
            get(|| async { ConfluentJson(json!({"compatibilityLevel": "NONE"})) }),
        )
        .route("/subjects", get(list_subjects))
        .route("/subjects/{subject}", post(lookup).delete(delete_subject))
        .route(
            "/subjects/{subject}/versions",
            get(list_versions).post(register),
        )
        .route(
            "/subjects/{subject}/versions/{version}",
            get(get_version).delete(delete_version),
        )
        .route(
            "/subjects/{subject}/versions/{version}/schema",
            get(get_version_schema),
        )
        .route("/schemas/ids/{id}", get(get_schema))
        .route("/schemas/ids/{id}/schema", get(get_raw_schema))
        .route("/schemas/ids/{id}/versions", get(get_schema_versions))
        .fallback(|| async { RegistryError::no_route() })
        .layer(middleware::from_fn_with_state(state.clone(), require_auth))
        .with_state(state)
}

async fn require_auth(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match &state.auth {
        Some(auth) if !auth.accepts(request.headers().get(header::AUTHORIZATION)) => {
            RegistryError::unauthorized().into_response()
        }
        _ => next.run(request).await,
    }
}

type ApiResult = Result<ConfluentJson, RegistryError>;

#[derive(Deserialize)]
struct SchemaRequest {
    schema: String,
    #[serde(default, rename = "schemaType")]
    schema_type: Option<String>,
    #[serde(default)]
    references: Option<Vec<Reference>>,
}

impl SchemaRequest {
    fn parse(body: &[u8]) -> Result<Self, RegistryError> {
        let request: SchemaRequest = serde_json::from_slice(body).map_err(|e| {
            RegistryError::bad_request(format!(
                "Unrecognized request body: expected {{\"schema\": \"...\", \"references\": [...]}}: {e}"
            ))
        })?;
        match SchemaKind::parse(request.schema_type.as_deref()) {
            Some(_) => Ok(request),
            None => Err(RegistryError::unsupported_schema_type(
                request.schema_type.as_deref().unwrap_or_default(),
            )),
        }
    }

    fn kind(&self) -> SchemaKind {
        SchemaKind::parse(self.schema_type.as_deref()).unwrap_or_default()
    }
}

#[derive(Deserialize)]
struct DeletedQuery {
    #[serde(default)]
    deleted: bool,
}

#[derive(Deserialize)]
struct PermanentQuery {
    #[serde(default)]
    permanent: bool,
}

fn references_json(references: &[Reference]) -> Option<Value> {
    (!references.is_empty()).then(|| json!(references))
}

fn version_json(found: &SubjectVersion<'_>) -> Value {
    let mut body = json!({
        "subject": found.subject,
        "version": found.version,
        "id": found.schema.id,
        "schema": found.schema.schema,
    });
    if let Some(references) = references_json(&found.schema.references) {
        body["references"] = references;
    }
    if let Some(kind) = schema_type(found.schema.kind) {
        body["schemaType"] = json!(kind);
    }
    body
}

/// The `schemaType` of an answer: absent for Avro, as Confluent's registry answers.
fn schema_type(kind: SchemaKind) -> Option<&'static str> {
    match kind {
        SchemaKind::Avro => None,
        SchemaKind::Protobuf => Some("PROTOBUF"),
        SchemaKind::Json => Some("JSON"),
    }
}

fn parse_id(text: &str) -> Result<u32, RegistryError> {
    text.parse().map_err(|_| RegistryError::schema_not_found())
}

async fn list_subjects(State(state): State<AppState>, Query(q): Query<DeletedQuery>) -> ApiResult {
    Ok(ConfluentJson(json!(state.store().subjects(q.deleted))))
}

async fn list_versions(State(state): State<AppState>, Path(subject): Path<String>) -> ApiResult {
    Ok(ConfluentJson(json!(
        state.store().version_numbers(&subject)?
    )))
}

async fn register(
    State(state): State<AppState>,
    Path(subject): Path<String>,
    body: Bytes,
) -> ApiResult {
    let request = SchemaRequest::parse(&body)?;
    let mut store = state.store();
    let found = store.register_kind(
        &subject,
        request.kind(),
        &request.schema,
        request.references.unwrap_or_default(),
    )?;
    tracing::info!(
        subject,
        id = found.schema.id,
        version = found.version,
        "registered"
    );
    Ok(ConfluentJson(version_json(&found)))
}

async fn lookup(
    State(state): State<AppState>,
    Path(subject): Path<String>,
    body: Bytes,
) -> ApiResult {
    let request = SchemaRequest::parse(&body)?;
    let store = state.store();
    let found = store.lookup(
        &subject,
        request.kind(),
        &request.schema,
        request.references.as_deref().unwrap_or_default(),
    )?;
    Ok(ConfluentJson(version_json(&found)))
}

async fn delete_subject(
    State(state): State<AppState>,
    Path(subject): Path<String>,
    Query(q): Query<PermanentQuery>,
) -> ApiResult {
    Ok(ConfluentJson(json!(
        state.store().delete_subject(&subject, q.permanent)?
    )))
}

async fn get_version(
    State(state): State<AppState>,
    Path((subject, version)): Path<(String, String)>,
) -> ApiResult {
    let selector = VersionSelector::parse(&version)?;
    let store = state.store();
    Ok(ConfluentJson(version_json(
        &store.version(&subject, selector)?,
    )))
}

async fn get_version_schema(
    State(state): State<AppState>,
    Path((subject, version)): Path<(String, String)>,
) -> Result<Response, RegistryError> {
    let selector = VersionSelector::parse(&version)?;
    let store = state.store();
    raw_schema(store.version(&subject, selector)?.schema)
}

async fn delete_version(
    State(state): State<AppState>,
    Path((subject, version)): Path<(String, String)>,
) -> ApiResult {
    let selector = VersionSelector::parse(&version)?;
    Ok(ConfluentJson(json!(
        state.store().delete_version(&subject, selector)?
    )))
}

async fn get_schema(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult {
    // `?subject=` only scopes the look-up in Confluent's multi-context registry; ids are global here.
    let store = state.store();
    let schema = store.schema(parse_id(&id)?)?;
    let mut body = json!({ "schema": schema.schema });
    if let Some(references) = references_json(&schema.references) {
        body["references"] = references;
    }
    if let Some(kind) = schema_type(schema.kind) {
        body["schemaType"] = json!(kind);
    }
    Ok(ConfluentJson(body))
}

async fn get_raw_schema(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, RegistryError> {
    let store = state.store();
    raw_schema(store.schema(parse_id(&id)?)?)
}

/// The schema text alone: Avro's JSON as JSON, a Protobuf schema's text as it is.
fn raw_schema(schema: &StoredSchema) -> Result<Response, RegistryError> {
    if schema.kind == SchemaKind::Protobuf {
        return Ok(schema.schema.clone().into_response());
    }
    let text = &schema.schema;
    let value: Value = serde_json::from_str(text)
        .map_err(|e| RegistryError::store(format!("stored schema is not JSON: {e}")))?;
    Ok(ConfluentJson(value).into_response())
}

async fn get_schema_versions(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult {
    let pairs = state.store().versions_of_schema(parse_id(&id)?)?;
    let body: Vec<Value> = pairs
        .into_iter()
        .map(|(subject, version)| json!({"subject": subject, "version": version}))
        .collect();
    Ok(ConfluentJson(json!(body)))
}
