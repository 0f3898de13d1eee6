//! `/inlet/v1/connectors/{name}/…`: a connector's metrics (now and over the last
//! minutes), its partitions' earliest and latest offsets, its dead letters, paged and filtered by reason or topic, their raw keys and
//! values, their replay through the connector's current plan (a record that now converts
//! becomes a row exactly once), and their discard (audited).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use inlet_engine::ConnectorConfig;
use inlet_postgres::control::Actor;
use inlet_postgres::dead_letters::{
    DeadLetterFilter, Discard, dead_letter_raw, dead_letter_reasons, dead_letters_waiting,
    discard_dead_letters,
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, App};
use crate::auth::Caller;
use crate::flat::{self, FlatConfig};

/// The most dead letters one page holds.
const MAX_PAGE: i64 = 1_000;

/// The OpenAPI paths of this module ([`super::openapi`]).
#[derive(utoipa::OpenApi)]
#[openapi()]
pub(super) struct Api;

pub(super) fn routes() -> axum::Router<App> {
    axum::Router::new()
        .route("/inlet/v1/connectors/{name}/dead-letters", get(page))
        .route(
            "/inlet/v1/connectors/{name}/dead-letters/{id}/{part}",
            get(raw),
        )
        .route(
            "/inlet/v1/connectors/{name}/dead-letters/replay",
            post(replay),
        )
        .route(
            "/inlet/v1/connectors/{name}/dead-letters/discard",
            post(discard),
        )
        .route("/inlet/v1/connectors/{name}/metrics", get(metrics))
        .route("/inlet/v1/connectors/{name}/partitions", get(partitions))
}

/// `GET …/partitions`: each partition of the connector's topics with its earliest and
/// latest offsets (Kafka's watermarks, read with the connector's own credentials): where
/// an offset reset to earliest or latest puts it.
async fn partitions(
    State(app): State<App>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let _turn = app.step_turn().await?;
    let config = running_config(&app, &name).await?;
    let topics: Vec<String> = config.topics.iter().map(|t| t.topic.clone()).collect();
    let kafka = config.kafka.clone();
    let (bounds, missing) =
        tokio::task::spawn_blocking(move || inlet_kafka::partition_bounds(&kafka, &topics))
            .await
            .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
            .map_err(|e| ApiError::new(StatusCode::BAD_GATEWAY, e))?;
    Ok(Json(
        json!({ "partitions": bounds, "missing_topics": missing }),
    ))
}

#[derive(Deserialize)]
struct MetricsQuery {
    minutes: Option<i32>,
}

/// `GET …/metrics[?minutes=15]`: what the live tasks last reported, summed (rows/s, rows;
/// per partition its stored offset, last stable offset and lag; the value
/// schemas met with their fields not stored; a task's last error and what holds one up
/// now), the dead letters waiting (counted in the table, running or not), and per 15 s of
/// the last minutes (at most 60) the rows/s, dead letters met and lag.
async fn metrics(
    State(app): State<App>,
    Path(name): Path<String>,
    Query(query): Query<MetricsQuery>,
) -> Result<Json<Value>, ApiError> {
    exists(&app, &name).await?;
    let minutes = query.minutes.unwrap_or(15);
    if !(1..=60).contains(&minutes) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("minutes={minutes} is not 1 to 60"),
        ));
    }
    let mut reports: Vec<Value> = Vec::new();
    if app.0.files.contains_key(&name)
        && let Ok(status) = app.0.supervisor.status(&name)
    {
        reports.push(json!(super::TaskMetrics::of(&status)));
    }
    let client = app.client().await?;
    for (_, text) in inlet_postgres::control::current_metrics(&*client, &name).await? {
        if let Ok(v) = serde_json::from_str::<Value>(&text) {
            reports.push(v);
        }
    }
    let sum = |key: &str| -> f64 { reports.iter().filter_map(|r| r[key].as_f64()).sum() };
    let partitions: Vec<Value> = reports
        .iter()
        .filter_map(|r| r["partitions"].as_array())
        .flatten()
        .cloned()
        .collect();
    let mut schemas: Vec<Value> = Vec::new();
    for schema in reports
        .iter()
        .filter_map(|r| r["schemas"].as_array())
        .flatten()
    {
        if !schemas.contains(schema) {
            schemas.push(schema.clone());
        }
    }
    let first = |key: &str| {
        reports
            .iter()
            .find_map(|r| r[key].as_str().map(str::to_owned))
    };
    let lag = partitions
        .iter()
        .map(|p| p["lag"].as_i64())
        .sum::<Option<i64>>();
    let samples = inlet_postgres::control::metrics_history(&*client, &name, minutes).await?;
    // Counted in the table: a stopped connector's dead letters, less those replayed.
    let waiting = dead_letters_waiting(&*client, &name).await?;
    // Counters count from each task's start: the rate is the increase, never below 0.
    let history: Vec<Value> = samples
        .windows(2)
        .map(|w| {
            let seconds = ((w[1].at_ms - w[0].at_ms) as f64 / 1000.0).max(1.0);
            json!({
                "at_ms": w[1].at_ms,
                "rows_per_second": ((w[1].rows - w[0].rows).max(0) as f64) / seconds,
                "dead_letters": (w[1].dead_letters - w[0].dead_letters).max(0),
                "lag": w[1].lag,
            })
        })
        .collect();
    Ok(Json(json!({
        "rows_per_second": sum("rows_per_second"),
        "rows": sum("rows") as u64,
        "dead_letters": waiting,
        "lag": lag,
        "partitions": partitions,
        "schemas": schemas,
        "last_error": first("last_error"),
        "held_up_by": first("held_up_by"),
        "history": history,
    })))
}

/// The connector's configuration as it runs (secret references resolved).
pub(super) async fn running_config(app: &App, name: &str) -> Result<ConnectorConfig, ApiError> {
    let raw = match app.0.files.get(name) {
        Some(raw) => raw.clone(),
        None => {
            let client = app.client().await?;
            let stored = inlet_postgres::control::get_connector(&*client, name)
                .await?
                .ok_or_else(|| ApiError::no_connector(name))?;
            let config: FlatConfig = serde_json::from_str(&stored.config)
                .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
            let config =
                crate::secrets::resolve(app.0.secrets_key.as_ref(), &*client, name, config)
                    .await
                    .map_err(|e| ApiError::new(StatusCode::CONFLICT, e))?;
            flat::to_raw(name, &config)
                .map_err(|p| {
                    ApiError::new(
                        StatusCode::CONFLICT,
                        format!(
                            "the connector's configuration does not check: {}",
                            flat::say(&p)
                        ),
                    )
                })?
                .0
        }
    };
    raw.check().map_err(|e| {
        ApiError::new(
            StatusCode::CONFLICT,
            format!("the connector's configuration does not check: {e}"),
        )
    })
}

/// That the connector exists (stored or from the file).
async fn exists(app: &App, name: &str) -> Result<(), ApiError> {
    if app.0.files.contains_key(name) {
        return Ok(());
    }
    let client = app.client().await?;
    inlet_postgres::control::get_connector(&*client, name)
        .await?
        .map(|_| ())
        .ok_or_else(|| ApiError::no_connector(name))
}

#[derive(Deserialize)]
struct PageQuery {
    reason: Option<String>,
    topic: Option<String>,
    after: Option<i64>,
    limit: Option<i64>,
    replayed: Option<bool>,
}

/// `GET …/dead-letters[?reason=TEXT&topic=T&after=ID&limit=N&replayed=true]`: a page of
/// dead letters by id (`next_after` is the `after` of the next page, null at the end), and
/// the counts of those not replayed, by reason.
async fn page(
    State(app): State<App>,
    Path(name): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    exists(&app, &name).await?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("limit={limit} is not 1 to {MAX_PAGE}"),
        ));
    }
    let filter = DeadLetterFilter {
        reason: query.reason.filter(|r| !r.is_empty()),
        topic: query.topic.filter(|t| !t.is_empty()),
        replayed: query.replayed.unwrap_or(false),
        after: query.after.unwrap_or(0),
        limit,
    };
    let client = app.client().await?;
    let letters = inlet_postgres::dead_letters::dead_letters(&*client, &name, &filter).await?;
    let reasons = dead_letter_reasons(&*client, &name).await?;
    let next = (letters.len() as i64 == limit)
        .then(|| letters.last().map(|d| d.id))
        .flatten();
    // Headers as the JSON they are, not a string of it.
    let letters: Vec<Value> = letters
        .into_iter()
        .map(|d| {
            let headers = d
                .headers
                .as_deref()
                .and_then(|h| serde_json::from_str::<Value>(h).ok());
            let mut v = json!(d);
            v["headers"] = headers.unwrap_or(Value::Null);
            v
        })
        .collect();
    Ok(Json(json!({
        "dead_letters": letters,
        "next_after": next,
        "reasons": reasons.iter().map(|(r, n)| json!({"reason": r, "count": n})).collect::<Vec<_>>(),
    })))
}

/// `GET …/dead-letters/{id}/key` or `/value`: the raw bytes, as a download.
async fn raw(
    State(app): State<App>,
    Path((name, id, part)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let id: i64 = id.parse().map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no dead letter {id} of {name}"),
        )
    })?;
    if part != "key" && part != "value" && part != "decoded" {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("a dead letter has a key, a value and their decoding, not a {part}"),
        ));
    }
    if part == "decoded" {
        return decoded(&app, &name, id)
            .await
            .map(IntoResponse::into_response);
    }
    let client = app.client().await?;
    let (key, value) = dead_letter_raw(&*client, &name, id).await?.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("no dead letter {id} of {name}"),
        )
    })?;
    let bytes = if part == "key" { key } else { value }.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!("dead letter {id} has no {part} (it was null)"),
        )
    })?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}-{id}.{part}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// `GET …/dead-letters/{id}/decoded`: the key and the value as JSON where they are
/// Confluent-framed Avro whose schema the registry has (`{"key", "value"}`, null when
/// absent), or why not (`key_error`, `value_error`).
async fn decoded(app: &App, name: &str, id: i64) -> Result<Json<Value>, ApiError> {
    let (key, value) = {
        let client = app.client().await?;
        dead_letter_raw(&*client, name, id).await?.ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                format!("no dead letter {id} of {name}"),
            )
        })?
    };
    let config = running_config(app, name).await?;
    let registry = inlet_registry::RegistryClient::new(config.registry.clone())
        .map_err(|e| ApiError::new(StatusCode::BAD_GATEWAY, e.to_string()))?;
    let mut out = json!({"key": null, "value": null});
    for (part, bytes) in [("key", key), ("value", value)] {
        let Some(bytes) = bytes else { continue };
        match decode_json(&registry, &bytes).await {
            Ok(v) => out[part] = v,
            Err(e) => out[format!("{part}_error")] = json!(e),
        }
    }
    Ok(Json(out))
}

/// A Confluent-framed Avro value as JSON, or why it is not one.
async fn decode_json(
    registry: &inlet_registry::RegistryClient,
    bytes: &[u8],
) -> Result<Value, String> {
    let frame =
        inlet_avro::Frame::parse(bytes).map_err(|e| format!("not Confluent-framed Avro: {e}"))?;
    let resolved = registry
        .resolve(frame.schema_id.0)
        .await
        .map_err(|e| e.to_string())?;
    let schema = inlet_avro::WriterSchema::parse(&resolved.schema, &resolved.dependencies)
        .map_err(|e| e.to_string())?;
    let text = inlet_avro::value_json(&schema, frame.body)?;
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

#[derive(Deserialize)]
struct ReplayBody {
    ids: Vec<i64>,
}

/// `POST …/dead-letters/replay`, body `{"ids": [...]}` (at most 1000): each goes through
/// the connector's current plan; `stored` (a row now, the dead letter marked replayed, in
/// one transaction), `still_dead` with the new reason, or `already_replayed`.
async fn replay(
    State(app): State<App>,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let body: ReplayBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_body("{\"ids\": [dead letter ids]}", e))?;
    if body.ids.len() > inlet_engine::MAX_REPLAY {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "at most {} dead letters per replay: send them in parts",
                inlet_engine::MAX_REPLAY
            ),
        ));
    }
    let config = running_config(&app, &name).await?;
    let results = inlet_engine::replay_dead_letters(&config, &app.0.database, &body.ids).await?;
    let mut results: Vec<Value> = results
        .into_iter()
        .map(|(id, outcome)| {
            let mut v = json!(outcome);
            v["id"] = json!(id);
            v
        })
        .collect();
    // The ids asked for that no waiting dead letter of the connector has.
    let mut asked = body.ids.clone();
    asked.sort_unstable();
    asked.dedup();
    for id in asked {
        if !results.iter().any(|r| r["id"] == id) {
            results.push(json!({
                "id": id,
                "outcome": "skipped",
                "reason": "no dead letter of this connector with this id waits: replayed already, or another connector's",
            }));
        }
    }
    Ok(Json(json!({ "results": results })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DiscardBody {
    ids: Option<Vec<i64>>,
    reason: Option<String>,
}

/// `POST …/dead-letters/discard`, body `{"ids": [...]}` (at most 1000) or `{"reason":
/// TEXT}` (every waiting one of that reason, as the page's `reasons` list it): removes them,
/// recorded in `inlet.audit` with the caller's name. Answers `{"discarded": N}`. The records
/// stay in Kafka: resetting the connector's offsets reads them again.
async fn discard(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let shape = "{\"ids\": [dead letter ids]} or {\"reason\": \"a reason as listed\"}";
    let body: DiscardBody =
        serde_json::from_slice(&body).map_err(|e| ApiError::bad_body(shape, e))?;
    let which = match (&body.ids, &body.reason) {
        (Some(ids), None) if ids.len() <= inlet_engine::MAX_REPLAY => Discard::Ids(ids),
        (Some(_), None) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!(
                    "at most {} dead letters per discard by id: send them in parts, or discard by reason",
                    inlet_engine::MAX_REPLAY
                ),
            ));
        }
        (None, Some(reason)) if !reason.is_empty() => Discard::Reason(reason),
        _ => return Err(ApiError::bad_body(shape, "give ids or a reason, not both")),
    };
    exists(&app, &name).await?;
    let mut client = app.client().await?;
    let discarded = discard_dead_letters(&mut client, &name, which, Actor(&caller.name)).await?;
    Ok(Json(json!({ "discarded": discarded })))
}
