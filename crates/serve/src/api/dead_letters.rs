//! `/inlet/v1/connectors/{name}/…`: a connector's metrics (now and over the last
//! minutes), its partitions' earliest and latest offsets, its dead letters, paged and filtered by reason or topic, their raw keys and
//! values, their replay through the connector's current plan (a record that now converts
//! becomes a row exactly once), and their discard (audited).

use axum::Json;
use axum::extract::{Extension, Path, State};

use crate::api::Query;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use inlet_engine::ConnectorConfig;
use inlet_engine::{PartitionStatus, SchemaStatus};
use inlet_postgres::control::Actor;
use inlet_postgres::dead_letters::{
    DeadLetter, DeadLetterFilter, Discard, ReasonCode, Replayed, dead_letter_codes,
    dead_letter_raw, dead_letter_reasons, dead_letters_waiting, discard_dead_letters,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::{ApiError, App, Body, Named, Shape, TaskMetrics};
use crate::auth::Caller;
use crate::flat::{self, FlatConfig};

/// The most dead letters one page holds.
const MAX_PAGE: i64 = 1_000;

/// The OpenAPI paths of this module ([`super::openapi`]).
#[derive(utoipa::OpenApi)]
#[openapi(
    components(schemas(Part)),
    paths(page, raw, replay, discard, metrics, partitions)
)]
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

/// The partitions of a connector's topics, and the topics Kafka does not have.
#[derive(Serialize, ToSchema)]
pub struct Partitions {
    /// Each partition's earliest and latest offset.
    partitions: Vec<PartitionRange>,
    /// The connector's topics the brokers do not know.
    missing_topics: Vec<String>,
}

/// A partition's offsets (Kafka's watermarks).
#[derive(Serialize, ToSchema)]
pub struct PartitionRange {
    /// The topic.
    topic: String,
    /// The partition, from 0.
    partition: i32,
    /// The earliest offset retained.
    earliest: i64,
    /// The offset the next record will get.
    latest: i64,
}

/// Each partition of the connector's topics with its earliest and latest offsets (Kafka's
/// watermarks, read with the connector's own credentials): where an offset reset to
/// earliest or latest puts it.
#[utoipa::path(get, path = "/inlet/v1/connectors/{name}/partitions", params(Named), responses(
    (status = 200, description = "The partitions.", body = Partitions),
))]
async fn partitions(
    State(app): State<App>,
    Path(Named { name }): Path<Named>,
) -> Result<Json<Partitions>, ApiError> {
    let _turn = app.step_turn().await?;
    let config = running_config(&app, &name).await?;
    let topics: Vec<String> = config.topics.iter().map(|t| t.topic.clone()).collect();
    let kafka = config.kafka.clone();
    let (bounds, missing) =
        tokio::task::spawn_blocking(move || inlet_kafka::partition_bounds(&kafka, &topics))
            .await
            .map_err(|e| {
                ApiError::caused(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "reading the partitions' offsets failed",
                    e,
                )
            })?
            .map_err(|e| ApiError::new(StatusCode::BAD_GATEWAY, e))?;
    let partitions = bounds
        .into_iter()
        .map(|b| PartitionRange {
            topic: b.topic,
            partition: b.partition,
            earliest: b.earliest,
            latest: b.latest,
        })
        .collect();
    Ok(Json(Partitions {
        partitions,
        missing_topics: missing,
    }))
}

/// How far back the history goes.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MetricsQuery {
    /// Minutes of history, 1 to 60 (default 15).
    #[param(minimum = 1, maximum = 60)]
    minutes: Option<i32>,
}

/// A connector's figures, its tasks' summed.
#[derive(Serialize, ToSchema)]
pub struct ConnectorMetrics {
    /// Rows per second over the last minute.
    rows_per_second: f64,
    /// Rows stored since the tasks started.
    rows: u64,
    /// Dead letters waiting (not replayed), counted in the table.
    dead_letters: i64,
    /// Records not yet stored, over every partition (null while a partition's is unknown).
    #[schema(required = true)]
    lag: Option<i64>,
    /// Each partition held: its stored offset, last stable offset and lag.
    partitions: Vec<PartitionStatus>,
    /// The value schemas met, with their fields not stored.
    schemas: Vec<SchemaStatus>,
    /// A task's last error.
    #[schema(required = true)]
    last_error: Option<String>,
    /// What holds a task up now (an error of the last minute with no batch committed since).
    #[schema(required = true)]
    held_up_by: Option<String>,
    /// Per 15 s of the last minutes.
    history: Vec<Sample>,
}

/// 15 s of a connector's history.
#[derive(Serialize, ToSchema)]
pub struct Sample {
    /// Its end, in milliseconds since the Unix epoch.
    at_ms: i64,
    /// Rows per second over it.
    rows_per_second: f64,
    /// Dead letters met in it.
    dead_letters: i64,
    /// Records not yet stored at its end.
    #[schema(required = true)]
    lag: Option<i64>,
}

/// What the live tasks last reported, summed (rows/s, rows; per partition its stored
/// offset, last stable offset and lag; the value schemas met with their fields not stored;
/// a task's last error and what holds one up now), the dead letters waiting (counted in
/// the table, running or not), and per 15 s of the last minutes (at most 60) the rows/s,
/// dead letters met and lag.
#[utoipa::path(get, path = "/inlet/v1/connectors/{name}/metrics", params(Named, MetricsQuery), responses(
    (status = 200, description = "The figures.", body = ConnectorMetrics),
))]
async fn metrics(
    State(app): State<App>,
    Path(Named { name }): Path<Named>,
    Query(query): Query<MetricsQuery>,
) -> Result<Json<ConnectorMetrics>, ApiError> {
    exists(&app, &name).await?;
    let minutes = query.minutes.unwrap_or(15);
    if !(1..=60).contains(&minutes) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("minutes={minutes} is not 1 to 60"),
        ));
    }
    let mut reports: Vec<TaskMetrics> = Vec::new();
    if app.0.files.contains_key(&name)
        && let Ok(status) = app.0.supervisor.status(&name)
    {
        reports.push(TaskMetrics::of(&status));
    }
    let client = app.client().await?;
    for (_, text) in inlet_postgres::control::current_metrics(&*client, &name).await? {
        // A report of another build's shape is left out, not an error of the page.
        if let Ok(report) = serde_json::from_str::<TaskMetrics>(&text) {
            reports.push(report);
        }
    }
    let partitions: Vec<PartitionStatus> = reports
        .iter()
        .flat_map(|r| r.partitions.iter().cloned())
        .collect();
    let mut schemas: Vec<SchemaStatus> = Vec::new();
    for schema in reports.iter().flat_map(|r| r.schemas.iter()) {
        if !schemas.contains(schema) {
            schemas.push(schema.clone());
        }
    }
    let lag = partitions.iter().map(|p| p.lag).sum::<Option<i64>>();
    let samples = inlet_postgres::control::metrics_history(&*client, &name, minutes).await?;
    // Counted in the table: a stopped connector's dead letters, less those replayed.
    let waiting = dead_letters_waiting(&*client, &name).await?;
    // Counters count from each task's start: the rate is the increase, never below 0.
    let history = samples
        .windows(2)
        .map(|w| {
            let seconds = ((w[1].at_ms - w[0].at_ms) as f64 / 1000.0).max(1.0);
            Sample {
                at_ms: w[1].at_ms,
                rows_per_second: ((w[1].rows - w[0].rows).max(0) as f64) / seconds,
                dead_letters: (w[1].dead_letters - w[0].dead_letters).max(0),
                lag: w[1].lag,
            }
        })
        .collect();
    Ok(Json(ConnectorMetrics {
        rows_per_second: reports.iter().map(|r| r.rows_per_second).sum(),
        rows: reports.iter().map(|r| r.rows).sum(),
        dead_letters: waiting,
        lag,
        partitions,
        schemas,
        last_error: reports.iter().find_map(|r| r.last_error.clone()),
        held_up_by: reports.iter().find_map(|r| r.held_up_by.clone()),
        history,
    }))
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
                .map_err(|e| crate::api::stored_not_a_map(name, e))?;
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

/// Which dead letters a page holds.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Only those whose reason contains this text.
    reason: Option<String>,
    /// Only those of this reason code.
    reason_code: Option<ReasonCode>,
    /// Only those of this topic.
    topic: Option<String>,
    /// Ids after this one (the `next_after` of the page before).
    after: Option<i64>,
    /// At most this many, 1 to 1000 (default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    /// Those replayed too.
    replayed: Option<bool>,
}

/// A page of dead letters.
#[derive(Serialize, ToSchema)]
pub struct DeadLetterPage {
    /// The dead letters, by id.
    dead_letters: Vec<DeadLetter>,
    /// The `after` of the next page; null at the end.
    #[schema(required = true)]
    next_after: Option<i64>,
    /// The counts of those waiting, by reason (the most frequent first, at most 100; of the
    /// `reason_code` asked for, when one is).
    reasons: Vec<ReasonCount>,
    /// The counts of those waiting, by reason code (the most frequent first).
    reason_codes: Vec<ReasonCodeCount>,
}

/// How many dead letters wait for one reason.
#[derive(Serialize, ToSchema)]
pub struct ReasonCount {
    /// The reason.
    reason: String,
    /// Its code.
    reason_code: ReasonCode,
    /// How many.
    count: i64,
}

/// How many dead letters wait for one reason code.
#[derive(Serialize, ToSchema)]
pub struct ReasonCodeCount {
    /// The code.
    reason_code: ReasonCode,
    /// How many.
    count: i64,
}

/// A page of dead letters by id (`next_after` is the `after` of the next page, null at
/// the end), and the counts of those not replayed, by reason.
#[utoipa::path(get, path = "/inlet/v1/connectors/{name}/dead-letters", params(Named, PageQuery), responses(
    (status = 200, description = "The page.", body = DeadLetterPage),
))]
async fn page(
    State(app): State<App>,
    Path(Named { name }): Path<Named>,
    Query(query): Query<PageQuery>,
) -> Result<Json<DeadLetterPage>, ApiError> {
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
        reason_code: query.reason_code,
        topic: query.topic.filter(|t| !t.is_empty()),
        replayed: query.replayed.unwrap_or(false),
        after: query.after.unwrap_or(0),
        limit,
    };
    let client = app.client().await?;
    let letters = inlet_postgres::dead_letters::dead_letters(&*client, &name, &filter).await?;
    let reasons = dead_letter_reasons(&*client, &name, filter.reason_code).await?;
    let codes = dead_letter_codes(&*client, &name).await?;
    let next = (letters.len() as i64 == limit)
        .then(|| letters.last().map(|d| d.id))
        .flatten();
    Ok(Json(DeadLetterPage {
        dead_letters: letters,
        next_after: next,
        reasons: reasons
            .into_iter()
            .map(|(reason, reason_code, count)| ReasonCount {
                reason,
                reason_code,
                count,
            })
            .collect(),
        reason_codes: codes
            .into_iter()
            .map(|(reason_code, count)| ReasonCodeCount { reason_code, count })
            .collect(),
    }))
}

/// A part of a dead letter.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    /// The raw key.
    Key,
    /// The raw value.
    Value,
    /// Both, decoded.
    Decoded,
}

/// A dead letter's raw key or value: its bytes as Kafka had them (for the document).
pub struct RawBytes;

impl utoipa::PartialSchema for RawBytes {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .description(Some("The bytes as Kafka had them."))
            .into()
    }
}

impl ToSchema for RawBytes {}

/// A dead letter's key and value, decoded.
#[derive(Serialize, ToSchema, Default)]
pub struct Decoded {
    /// The key as JSON (null when absent or not decoded).
    #[schema(required = true)]
    key: Option<Value>,
    /// The value as JSON (null when absent or not decoded).
    #[schema(required = true)]
    value: Option<Value>,
    /// Why the key was not decoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    key_error: Option<String>,
    /// Why the value was not decoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    value_error: Option<String>,
}

/// A dead letter's raw key or value, as a download; or (`decoded`) both as JSON where
/// they are Confluent-framed Avro whose schema the registry has, or why not.
#[utoipa::path(get, path = "/inlet/v1/connectors/{name}/dead-letters/{id}/{part}", params(
        ("name" = String, Path, description = "The connector's name."),
        ("id" = i64, Path, description = "The dead letter's id (another text is no dead letter: 404)."),
        ("part" = Part, Path, description = "`key` or `value` (the raw bytes), or `decoded` (both as JSON)."),
    ), responses(
    (status = 200, description = "The raw bytes (key, value), or both decoded (decoded).", content(
        (RawBytes = "application/octet-stream"),
        (Decoded = "application/json"),
    )),
))]
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
async fn decoded(app: &App, name: &str, id: i64) -> Result<Json<Decoded>, ApiError> {
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
        .map_err(|e| ApiError::of("", e))?;
    let mut out = Decoded::default();
    if let Some(key) = key {
        match decode_json(&registry, &key).await {
            Ok(v) => out.key = Some(v),
            Err(e) => out.key_error = Some(e),
        }
    }
    if let Some(value) = value {
        match decode_json(&registry, &value).await {
            Ok(v) => out.value = Some(v),
            Err(e) => out.value_error = Some(e),
        }
    }
    Ok(Json(out))
}

/// A Confluent-framed value (Avro or Protobuf) as JSON, or why it is not one.
async fn decode_json(
    registry: &inlet_registry::RegistryClient,
    bytes: &[u8],
) -> Result<Value, String> {
    let text = inlet_engine::framed_value_json(registry, bytes).await?;
    serde_json::from_str(&text).map_err(|e| e.to_string())
}

/// The dead letters to replay.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayRequest {
    /// Their ids, at most 1000.
    #[serde(deserialize_with = "whole_numbers")]
    #[schema(max_items = 1000)]
    ids: Vec<i64>,
}

/// Ids as JSON numbers that are whole: `12`, or `12.0` (JSON Schema's integers include it).
fn whole_numbers<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<i64>, D::Error> {
    let numbers: Vec<serde_json::Number> = Deserialize::deserialize(deserializer)?;
    numbers
        .iter()
        .map(|n| {
            n.as_i64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                        .map(|f| f as i64)
                })
                .ok_or_else(|| serde::de::Error::custom(format!("{n} is not a dead letter id")))
        })
        .collect()
}

impl Shape for ReplayRequest {
    const SHAPE: &'static str = "{\"ids\": [dead letter ids]}";
}

/// What each replay did.
#[derive(Serialize, ToSchema)]
pub struct ReplayResponse {
    /// One per id asked.
    results: Vec<ReplayResult>,
}

/// What the replay of one dead letter did.
#[derive(Serialize, ToSchema)]
pub struct ReplayResult {
    /// The dead letter.
    id: i64,
    /// What it became.
    #[serde(flatten)]
    outcome: Replayed,
}

/// Replays dead letters (`{"ids": [...]}`, at most 1000): each goes through the
/// connector's current plan; `stored` (a row now, the dead letter marked replayed, in one
/// transaction), `still_dead` with the new reason, `already_replayed`, or `skipped`.
#[utoipa::path(post, path = "/inlet/v1/connectors/{name}/dead-letters/replay", params(Named),
    request_body = ReplayRequest,
    responses((status = 200, description = "What each became.", body = ReplayResponse)),
)]
async fn replay(
    State(app): State<App>,
    Path(Named { name }): Path<Named>,
    Body(body): Body<ReplayRequest>,
) -> Result<Json<ReplayResponse>, ApiError> {
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
    let mut results: Vec<ReplayResult> = results
        .into_iter()
        .map(|(id, outcome)| ReplayResult { id, outcome })
        .collect();
    // The ids asked for that no waiting dead letter of the connector has.
    let mut asked = body.ids.clone();
    asked.sort_unstable();
    asked.dedup();
    for id in asked {
        if !results.iter().any(|r| r.id == id) {
            results.push(ReplayResult {
                id,
                outcome: Replayed::Skipped {
                    reason: "no dead letter of this connector with this id waits: replayed already, or another connector's".into(),
                },
            });
        }
    }
    Ok(Json(ReplayResponse { results }))
}

/// The dead letters to discard: by id (`{"ids": [...]}`, at most 1000), or every waiting one
/// of a reason (`{"reason": "…"}`, as the page's `reasons` list it); not both.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscardRequest {
    /// Their ids, at most 1000.
    #[serde(default, deserialize_with = "some_whole_numbers")]
    ids: Option<Vec<i64>>,
    /// A reason, as the page's `reasons` list it.
    reason: Option<String>,
}

fn some_whole_numbers<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<i64>>, D::Error> {
    whole_numbers(deserializer).map(Some)
}

impl utoipa::PartialSchema for DiscardRequest {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{
            AdditionalProperties, ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, Type,
        };
        let closed = || AdditionalProperties::<Schema>::FreeForm(false);
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .property(
                        "ids",
                        ArrayBuilder::new()
                            .items(ObjectBuilder::new().schema_type(Type::Integer).format(Some(
                                utoipa::openapi::schema::SchemaFormat::KnownFormat(
                                    utoipa::openapi::schema::KnownFormat::Int64,
                                ),
                            )))
                            .max_items(Some(1000))
                            .description(Some("Their ids, at most 1000.")),
                    )
                    .required("ids")
                    .additional_properties(Some(closed())),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .property(
                        "reason",
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .min_length(Some(1))
                            .description(Some("A reason, as the page's `reasons` list it.")),
                    )
                    .required("reason")
                    .additional_properties(Some(closed())),
            )
            .description(Some(
                "The dead letters to discard: by id, or every waiting one of a reason; not both.",
            ))
            .into()
    }
}

impl ToSchema for DiscardRequest {}

impl Shape for DiscardRequest {
    const SHAPE: &'static str =
        "{\"ids\": [dead letter ids]} or {\"reason\": \"a reason as listed\"}";
}

/// How many dead letters were discarded.
#[derive(Serialize, ToSchema)]
pub struct Discarded {
    /// How many.
    discarded: u64,
}

/// Discards dead letters (`{"ids": [...]}`, at most 1000, or `{"reason": TEXT}`: every
/// waiting one of that reason, as the page's `reasons` list it), recorded in `inlet.audit`
/// with the caller's name. The records stay in Kafka: resetting the connector's offsets
/// reads them again.
#[utoipa::path(post, path = "/inlet/v1/connectors/{name}/dead-letters/discard", params(Named),
    request_body = DiscardRequest,
    responses((status = 200, description = "How many went.", body = Discarded)),
)]
async fn discard(
    State(app): State<App>,
    Extension(caller): Extension<Caller>,
    Path(Named { name }): Path<Named>,
    Body(body): Body<DiscardRequest>,
) -> Result<Json<Discarded>, ApiError> {
    let shape = DiscardRequest::SHAPE;
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
    Ok(Json(Discarded { discarded }))
}
