//! `GET /` and `GET /health`: the server's own answers — its version and build, the Kafka
//! cluster of its first connector, and whether its database answers.

use super::*;

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
pub(super) async fn root(State(app): State<App>, headers: axum::http::HeaderMap) -> Response {
    if crate::api::web::wants_html(&headers) {
        return crate::api::web::index();
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
pub(super) const CLUSTER_ID_KEPT: std::time::Duration = std::time::Duration::from_secs(300);

/// How long `GET /` keeps that the brokers did not answer before it asks again.
pub(super) const NO_CLUSTER_ID_KEPT: std::time::Duration = std::time::Duration::from_secs(30);

/// The id of the Kafka cluster of the first connector (by name: the file's, then the
/// stored ones), asked once per [`CLUSTER_ID_KEPT`] with that connector's own settings, at
/// most 5 s; None when there is no connector or its brokers do not answer (kept for
/// [`NO_CLUSTER_ID_KEPT`]: `GET /` is open, and makes at most one lookup at a time). inlet has no cluster
/// of its own: each connector names its brokers.
pub(super) async fn kafka_cluster_id(app: &App) -> Option<String> {
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
    if let Ok(config) = crate::api::dead_letters::running_config(app, &name).await {
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
pub(super) async fn health(State(app): State<App>) -> Response {
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
