//! inlet's own endpoints, under `/inlet/v1/`: the steps of the console's setup flow, each
//! a call a script can make too. Each takes the configuration as far as the step needs it
//! (Kafka Connect's flat map, as `POST /connectors` will get it): Kafka's credentials
//! ("Authenticate"), the registry's, the cluster's topics with their subjects, the table
//! proposed for a topic, a preview of its records as rows, and creating the table. Nothing
//! but the last writes anything.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use inlet_engine::config::{RawConnector, RawTopic};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiError, App, Body, DraftBody, Shape};
use crate::flat::{self, FlatConfig};
use crate::references::Reference;

/// The most subjects whose latest schema `topics` looks up (one request each).
const MAX_TOPICS_LOOKED_UP: usize = 500;

mod connect;
mod table;

use connect::{cluster_topics, kafka_check, registry_check};
use table::{DesignedColumn, create_table, preview, propose};

/// The OpenAPI paths of this module ([`super::openapi`]).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    connect::kafka_check,
    connect::registry_check,
    connect::cluster_topics,
    table::propose,
    table::preview,
    table::create_table
))]
pub(super) struct Api;

pub(super) fn routes() -> axum::Router<App> {
    axum::Router::new()
        .route("/inlet/v1/kafka/check", post(kafka_check))
        .route("/inlet/v1/registry/check", post(registry_check))
        .route("/inlet/v1/topics", post(cluster_topics))
        .route("/inlet/v1/propose", post(propose))
        .route("/inlet/v1/preview", post(preview))
        .route("/inlet/v1/tables", post(create_table))
        .route_layer(axum::middleware::from_fn(within_step_deadline))
}

/// How long a setup step may take before it is answered 504, saying which systems it
/// waits on: under the API's [`super::REQUEST_TIMEOUT`], above a preview's own limit.
pub const STEP_DEADLINE: std::time::Duration = std::time::Duration::from_secs(40);

/// Answers a setup step that has not finished within [`STEP_DEADLINE`] with a 504 that
/// names the step, the systems it waits on and what to check.
async fn within_step_deadline(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let path = request.uri().path().to_owned();
    match tokio::time::timeout(STEP_DEADLINE, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            let (step, systems) = match path.as_str() {
                "/inlet/v1/kafka/check" => ("checking Kafka", "Kafka's brokers"),
                "/inlet/v1/registry/check" => {
                    ("checking the schema registry", "the schema registry")
                }
                "/inlet/v1/topics" => (
                    "reading the topics",
                    "Kafka's brokers or the schema registry",
                ),
                "/inlet/v1/propose" => ("proposing a table", "the schema registry or the database"),
                "/inlet/v1/preview" => (
                    "previewing records",
                    "Kafka's brokers, the schema registry or the database",
                ),
                _ => ("creating the table", "the schema registry or the database"),
            };
            ApiError::new(
                StatusCode::GATEWAY_TIMEOUT,
                format!(
                    "{step} took more than {} s: {systems} answer too slowly; check that they are up and not overloaded (kafka.bootstrap_servers, registry.url, the database's load), then try again",
                    STEP_DEADLINE.as_secs()
                ),
            )
            .into_response()
        }
    }
}

/// The body of propose, preview and tables: the configuration so far, the topic the step
/// is about, and the table as the console designs it.
#[derive(Deserialize, ToSchema)]
pub struct SetupStepRequest {
    /// The configuration so far, as POST /connectors will get it (Kafka Connect's flat
    /// map; numbers and booleans are taken as their text).
    config: DraftBody,
    /// The topic the step is about (default: the configuration's only one in `topics`).
    #[serde(default)]
    topic: Option<String>,
    /// How many of the topic's latest records a preview shows (default 10, at most 1000).
    #[serde(default)]
    count: Option<usize>,
    /// The table as the console designs it, when it is not the proposal's: its columns in
    /// order (1 to 1600; for propose's DDL, preview and tables).
    #[serde(default)]
    columns: Option<Vec<DesignedColumn>>,
}

impl Shape for SetupStepRequest {
    const SHAPE: &'static str = "{\"config\", \"topic\", \"count\", \"columns\"}";
}

/// 400 with every problem of the keys a step needs.
fn problems(problems: Vec<flat::Problem>) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        problems
            .iter()
            .map(|(k, m)| format!("{k}: {m}"))
            .collect::<Vec<_>>()
            .join("; "),
    )
}

/// The connector a step's keys describe, placeholders standing for what it does not need.
fn lenient(config: &FlatConfig) -> Result<RawConnector, ApiError> {
    let name = config
        .get("name")
        .cloned()
        .unwrap_or_else(|| "console".into());
    flat::to_raw_lenient(&name, config)
        .map(|(raw, _)| raw)
        .map_err(problems)
}

fn topics_of(config: &FlatConfig) -> Vec<String> {
    flat::topics(config)
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// A step's configuration, admitted as a write of the connector it edits (`name`) would
/// be ([`App::admit`]: the rule of [`crate::references`]), its `${secret:…}` opened: a
/// step may use a stored secret only in the key that connector stores it in, with the
/// settings of its section (`kafka.*`, `registry.*`) unchanged — so that a step cannot send
/// a stored secret to another address, or show it in an answer.
async fn prepared(app: &App, config: FlatConfig) -> Result<FlatConfig, ApiError> {
    let name = config.get("name").cloned().unwrap_or_default();
    // The stored connector matters only to a secret sent as stored or as hidden.
    let uses_stored = config.iter().any(|(key, value)| {
        matches!(Reference::of(value), Some(Reference::Secret(_)))
            || (flat::is_secret_key(key) && flat::is_kept(value))
    });
    if !uses_stored {
        return app.admit(&name, config, None);
    }
    let client = app.client().await?;
    let stored: Option<FlatConfig> =
        match inlet_postgres::control::get_connector(&*client, &name).await? {
            Some(stored) => Some(
                serde_json::from_str(&stored.config)
                    .map_err(|e| crate::api::stored_not_a_map(&name, e))?,
            ),
            None => None,
        };
    let config = app.admit(&name, config, stored.as_ref())?;
    crate::secrets::resolve(app.0.secrets_key.as_ref(), &*client, &name, config)
        .await
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e))
}

/// The topic a step is about: `topic`, else the configuration's only one.
fn step_topic(body: &SetupStepRequest) -> Result<String, ApiError> {
    if let Some(topic) = &body.topic {
        return Ok(topic.clone());
    }
    match topics_of(&body.config.0).as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "name the topic: {\"config\": {...}, \"topic\": \"orders\"}",
        )),
    }
}

/// The settings of `topic` in `raw` (its defaults filled).
fn topic_of<'a>(raw: &'a RawConnector, topic: &str) -> Result<&'a RawTopic, ApiError> {
    raw.topic.iter().find(|t| t.name == topic).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("topic {topic} is not in the configuration's topics"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::connect::{LOOKUP_BUDGET, LOOKUPS_AT_ONCE};
    use super::table::{MAX_COLUMNS, MAX_REASON, PREVIEW_COUNT, strict_type};
    use super::*;

    #[test]
    fn the_document_says_the_limits_the_steps_keep() {
        let doc: serde_json::Value =
            serde_json::from_str(super::super::openapi::document()).unwrap();
        let said = |path: &str| {
            let op = &doc["paths"][path]["post"];
            [&op["summary"], &op["description"]]
                .map(|text| text.as_str().unwrap_or_default())
                .join(" ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        };
        let topics = said("/inlet/v1/topics");
        let budget = format!(
            "the first {MAX_TOPICS_LOOKED_UP} topics with a subject, {LOOKUPS_AT_ONCE} at once, all within {} s",
            LOOKUP_BUDGET.as_secs()
        );
        assert!(topics.contains(&budget), "{topics}");
        let preview = said("/inlet/v1/preview");
        let count = format!(
            "(default {PREVIEW_COUNT}, at most {})",
            inlet_kafka::MAX_SAMPLE
        );
        assert!(preview.contains(&count), "{preview}");
        assert!(
            preview.contains(&format!("after {MAX_REASON} bytes")),
            "{preview}"
        );
        let step = doc["components"]["schemas"]["SetupStepRequest"]["properties"].to_string();
        assert!(
            step.contains(&format!(
                "(default {PREVIEW_COUNT}, at most {})",
                inlet_kafka::MAX_SAMPLE
            )),
            "{step}"
        );
        assert!(step.contains(&format!("(1 to {MAX_COLUMNS};")), "{step}");
    }

    #[test]
    fn designed_types_are_the_ones_postgresql_takes_as_inlet_writes_them() {
        for ok in [
            "integer",
            "varchar(20)",
            "character varying(20)",
            "numeric(10,2)",
            "NUMERIC( 10 , 2 )",
            "timestamp with time zone",
            "text[]",
            "varchar(10485760)",
        ] {
            assert!(strict_type(ok).is_ok(), "{ok} refused");
        }
        for (bad, says) in [
            ("varchar(0)", "length is 1 to"),
            ("varchar(99999999)", "length is 1 to"),
            ("numeric(2000,1)", "precision is 1 to"),
            ("numeric(0)", "precision is 1 to"),
            ("numeric(5,6)", "scale is 0 to"),
            ("varchar(3) ); DROP TABLE x; --", "not a type inlet writes"),
            ("int(); DROP--[]", "not a type inlet writes"),
            ("text(5)", "not a type inlet writes"),
            ("money", "not a type inlet writes"),
        ] {
            let why = strict_type(bad).expect_err(bad);
            assert!(why.contains(says), "{bad}: {why}");
        }
    }
}
