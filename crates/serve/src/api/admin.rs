//! `/admin/loggers`: this worker's log levels, as Kafka Connect's `LoggingResource` shows
//! and sets them ([`crate::loggers`]).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, App};
use crate::loggers::{LoggerError, Loggers};

/// The OpenAPI paths of this module ([`super::openapi`]).
#[derive(utoipa::OpenApi)]
#[openapi()]
pub(super) struct Api;

pub(super) fn routes() -> axum::Router<App> {
    axum::Router::new()
        .route("/admin/loggers", get(list))
        .route("/admin/loggers/{logger}", get(level).put(set))
}

fn loggers(app: &App) -> Result<&Loggers, ApiError> {
    app.0.loggers.as_deref().ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "this process's log levels cannot be changed while it runs",
        )
    })
}

/// `GET /admin/loggers`: every logger with a level of its own, `root` among them:
/// `{"root": {"level": "INFO", "last_modified": null}, …}`.
async fn list(State(app): State<App>) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(loggers(&app)?.all())))
}

/// `GET /admin/loggers/{logger}`: the level it logs at (its own or its nearest parent's).
async fn level(
    State(app): State<App>,
    Path(logger): Path<String>,
) -> Result<Json<Value>, ApiError> {
    loggers(&app)?
        .level(&logger)
        .map(|level| Json(json!(level)))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                format!("Logger {} not found.", crate::flat::shorten(&logger)),
            )
        })
}

#[derive(Deserialize)]
struct ScopeQuery {
    scope: Option<String>,
}

/// `PUT /admin/loggers/{logger}[?scope=worker]`, body `{"level": "DEBUG"}`: sets it on this
/// worker (the targets under it included) and answers the loggers changed. Connect's
/// `scope=cluster` is refused: each worker's levels are set on that worker.
async fn set(
    State(app): State<App>,
    Path(logger): Path<String>,
    Query(query): Query<ScopeQuery>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    if query
        .scope
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("cluster"))
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "scope=cluster is not supported: inlet's log levels are each worker's; send the PUT to each worker (scope=worker)",
        ));
    }
    let body: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_body("{\"level\": \"DEBUG\"}", e))?;
    let level = body["level"].as_str().ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "Desired 'level' parameter was not specified in request.",
        )
    })?;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    match loggers(&app)?.set(&logger, level, now_ms) {
        Ok(changed) => {
            tracing::info!(logger = %logger, level, "log level set");
            Ok(Json(json!(changed)))
        }
        Err(e @ LoggerError::Level(_)) => Err(ApiError::new(StatusCode::NOT_FOUND, e.to_string())),
        Err(e @ LoggerError::Name(_)) => Err(ApiError::new(StatusCode::BAD_REQUEST, e.to_string())),
        Err(e @ LoggerError::Apply(_)) => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            e.to_string(),
        )),
    }
}
