//! `/admin/loggers`: this worker's log levels, as Kafka Connect's `LoggingResource` shows
//! and sets them ([`crate::loggers`]).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};

use crate::api::Query;
use axum::http::StatusCode;
use axum::routing::get;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::{ApiError, App, Body, Shape};
use crate::loggers::{LoggerError, LoggerLevel, Loggers};

/// The OpenAPI paths of this module ([`super::openapi`]).
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, level, set))]
pub(super) struct Api;

/// The path of a logger.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct Logger {
    /// `root`, or a tracing target (`inlet_serve::worker`).
    logger: String,
}

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

/// Every logger with a level of its own, `root` among them: `{"root": {"level": "INFO",
/// "last_modified": null}, …}`.
#[utoipa::path(get, path = "/admin/loggers", responses(
    (status = 200, description = "Logger → its level.", body = BTreeMap<String, LoggerLevel>),
))]
async fn list(State(app): State<App>) -> Result<Json<BTreeMap<String, LoggerLevel>>, ApiError> {
    Ok(Json(loggers(&app)?.all()))
}

/// The level a logger logs at (its own or its nearest parent's).
#[utoipa::path(get, path = "/admin/loggers/{logger}", params(Logger), responses(
    (status = 200, description = "Its level.", body = LoggerLevel),
))]
async fn level(
    State(app): State<App>,
    Path(Logger { logger }): Path<Logger>,
) -> Result<Json<LoggerLevel>, ApiError> {
    loggers(&app)?.level(&logger).map(Json).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("Logger {} not found.", crate::flat::shorten(&logger)),
        )
    })
}

/// Where a level is set.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScopeQuery {
    /// `worker` (this worker; the default); `cluster` is refused.
    scope: Option<String>,
}

/// A level to set.
#[derive(Deserialize, ToSchema)]
pub struct SetLevel {
    /// TRACE, DEBUG, INFO, WARN, ERROR or OFF (absent: 400, as Connect says it).
    #[schema(required = true, value_type = String)]
    level: Option<String>,
}

impl Shape for SetLevel {
    const SHAPE: &'static str = "{\"level\": \"DEBUG\"}";
}

/// Sets a logger's level on this worker (the targets under it included) and answers the
/// loggers changed. Connect's `scope=cluster` is refused: each worker's levels are set on
/// that worker.
#[utoipa::path(put, path = "/admin/loggers/{logger}", params(Logger, ScopeQuery),
    request_body = SetLevel,
    responses((status = 200, description = "The loggers changed.", body = Vec<String>)),
)]
async fn set(
    State(app): State<App>,
    Path(Logger { logger }): Path<Logger>,
    Query(query): Query<ScopeQuery>,
    Body(body): Body<SetLevel>,
) -> Result<Json<Vec<String>>, ApiError> {
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
    let level = body.level.as_deref().ok_or_else(|| {
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
            Ok(Json(changed))
        }
        Err(e @ LoggerError::Level(_)) => Err(ApiError::new(StatusCode::NOT_FOUND, e.to_string())),
        Err(e @ LoggerError::Name(_)) => Err(ApiError::new(StatusCode::BAD_REQUEST, e.to_string())),
        Err(e @ LoggerError::Apply(_)) => Err(ApiError::caused(
            StatusCode::INTERNAL_SERVER_ERROR,
            e.to_string(),
            e,
        )),
    }
}
