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

use super::{ApiError, App, Body, ConfigBody, Shape};
use crate::flat::{self, FlatConfig};
use crate::references::Reference;

/// The most subjects whose latest schema `topics` looks up (one request each).
const MAX_TOPICS_LOOKED_UP: usize = 500;

/// The OpenAPI paths of this module ([`super::openapi`]).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    kafka_check,
    registry_check,
    cluster_topics,
    propose,
    preview,
    create_table
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
pub struct StepBody {
    /// The configuration so far, as POST /connectors will get it (Kafka Connect's flat
    /// map; numbers and booleans are taken as their text).
    #[serde(deserialize_with = "flat::strings")]
    #[schema(value_type = std::collections::BTreeMap<String, String>)]
    config: FlatConfig,
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

impl Shape for StepBody {
    const SHAPE: &'static str = "{\"config\", \"topic\", \"count\", \"columns\"}";
}

/// A column of a table designed in the console: `{"name", "type", "nullable"}`.
#[derive(Deserialize, ToSchema)]
pub struct DesignedColumn {
    /// Its name: 1 to 63 bytes, no control characters, not another column's.
    name: String,
    /// Its type as PostgreSQL writes it: boolean, smallint, integer, bigint, real, double
    /// precision, numeric or numeric(p,s), text, varchar or varchar(n), bytea, jsonb, uuid,
    /// date, time, timestamp, timestamptz, interval, or an array of one (`text[]`).
    #[serde(rename = "type")]
    pg_type: String,
    /// Whether it takes NULL (default true).
    #[serde(default = "yes")]
    nullable: bool,
}

/// A column of a table: `{"name", "type", "nullable"}`.
#[derive(Serialize, ToSchema)]
pub struct Column {
    /// Its name.
    name: String,
    /// Its type as PostgreSQL writes it: `integer`, `varchar(20)`, `numeric(10,2)`,
    /// `timestamp with time zone`, `text[]`…
    #[serde(rename = "type")]
    pg_type: String,
    /// Whether it takes NULL.
    nullable: bool,
}

impl From<&inlet_avro::TableColumn> for Column {
    fn from(c: &inlet_avro::TableColumn) -> Self {
        Column {
            name: c.name.clone(),
            pg_type: c.pg_type.to_string(),
            nullable: c.nullable,
        }
    }
}

fn yes() -> bool {
    true
}

/// The most columns a designed table may have (PostgreSQL's own limit).
const MAX_COLUMNS: usize = inlet_avro::MAX_TABLE_COLUMNS;

/// The longest `varchar(n)` PostgreSQL takes, and the most digits of a `numeric(p, s)`.
const MAX_VARCHAR: u32 = 10_485_760;
const MAX_NUMERIC_PRECISION: u32 = 1_000;

/// A designed column's type, written as PostgreSQL writes it (`integer`, `varchar(20)`,
/// `numeric(10,2)`, `timestamp with time zone`, `text[]`…), with the lengths and precisions
/// PostgreSQL accepts; anything else is refused with what inlet writes.
fn strict_type(sql: &str) -> Result<inlet_avro::PgType, String> {
    let refused = || {
        format!(
            "{sql:?} is not a type inlet writes (boolean, smallint, integer, bigint, real, double precision, numeric or numeric(p,s), text, varchar or varchar(n), bytea, jsonb, uuid, date, time, timestamp, timestamptz, interval, or an array of one: text[])"
        )
    };
    let lower = sql.trim().to_ascii_lowercase();
    let element = lower.strip_suffix("[]").unwrap_or(&lower).trim_end();
    let (base, args) = match element.split_once('(') {
        Some((base, rest)) => (
            base.trim_end(),
            Some(rest.strip_suffix(')').ok_or_else(refused)?),
        ),
        None => (element, None),
    };
    const BASES: &[&str] = &[
        "bool",
        "boolean",
        "int2",
        "smallint",
        "int",
        "int4",
        "integer",
        "int8",
        "bigint",
        "float4",
        "real",
        "float8",
        "double precision",
        "numeric",
        "decimal",
        "text",
        "varchar",
        "character varying",
        "bytea",
        "jsonb",
        "uuid",
        "date",
        "time",
        "time without time zone",
        "timestamp",
        "timestamp without time zone",
        "timestamptz",
        "timestamp with time zone",
        "interval",
    ];
    if !BASES.contains(&base) {
        return Err(refused());
    }
    if let Some(args) = args {
        let numbers: Vec<u32> = args
            .split(',')
            .map(|n| n.trim().parse::<u32>().map_err(|_| refused()))
            .collect::<Result<_, _>>()?;
        match (base, numbers.as_slice()) {
            ("varchar" | "character varying", [n]) if (1..=MAX_VARCHAR).contains(n) => {}
            ("varchar" | "character varying", _) => {
                return Err(format!("{sql:?}: a varchar's length is 1 to {MAX_VARCHAR}"));
            }
            ("numeric" | "decimal", [p] | [p, _]) if !(1..=MAX_NUMERIC_PRECISION).contains(p) => {
                return Err(format!(
                    "{sql:?}: a numeric's precision is 1 to {MAX_NUMERIC_PRECISION}"
                ));
            }
            ("numeric" | "decimal", [p, s]) if s > p => {
                return Err(format!("{sql:?}: a numeric's scale is 0 to its precision"));
            }
            ("numeric" | "decimal", [_] | [_, _]) => {}
            _ => return Err(refused()),
        }
    }
    inlet_avro::PgType::parse(&lower).ok_or_else(refused)
}

/// A step's designed columns as the table's, or 400 naming each column whose type inlet
/// does not write or whose name is empty or repeated.
fn design(body: &StepBody) -> Result<Option<Vec<inlet_avro::TableColumn>>, ApiError> {
    let Some(columns) = &body.columns else {
        return Ok(None);
    };
    if columns.is_empty() || columns.len() > MAX_COLUMNS {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("columns: a table needs 1 to {MAX_COLUMNS} columns"),
        ));
    }
    let mut out: Vec<inlet_avro::TableColumn> = Vec::with_capacity(columns.len());
    let mut wrong = Vec::new();
    for c in columns {
        if c.name.trim().is_empty() || c.name.len() > 63 || c.name.chars().any(char::is_control) {
            wrong.push((
                "columns".to_owned(),
                format!(
                    "{:?}: a column name has 1 to 63 bytes, and no control characters",
                    c.name
                ),
            ));
        } else if out.iter().any(|o| o.name == c.name) {
            wrong.push((format!("columns.{}", c.name), "is named twice".to_owned()));
        }
        match strict_type(&c.pg_type) {
            Ok(pg_type) => out.push(inlet_avro::TableColumn {
                name: c.name.clone(),
                pg_type,
                nullable: c.nullable,
                has_default: false,
                generated: None,
            }),
            Err(why) => wrong.push((format!("columns.{}", c.name), why)),
        }
    }
    if wrong.is_empty() {
        Ok(Some(out))
    } else {
        Err(problems(wrong))
    }
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
                    .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?,
            ),
            None => None,
        };
    let config = app.admit(&name, config, stored.as_ref())?;
    crate::secrets::resolve(app.0.secrets_key.as_ref(), &*client, &name, config)
        .await
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e))
}

/// One thing a check looked at.
#[derive(Serialize, ToSchema)]
pub struct Finding {
    /// Whether it is as it should be.
    ok: bool,
    /// What was checked: `database`, `kafka`, `topic`, `group`, `registry`, `subject` or
    /// `table`.
    what: String,
    /// What was found; when not ok, also what to do.
    detail: String,
}

/// The findings of a probe, as answered.
fn findings(found: &[inlet_engine::Finding]) -> Vec<Finding> {
    found
        .iter()
        .map(|f| Finding {
            ok: f.ok,
            what: f.what.to_owned(),
            detail: f.detail.clone(),
        })
        .collect()
}

/// What Kafka's "Authenticate" found: each thing checked, and the cluster's topics.
#[derive(Serialize, ToSchema)]
pub struct KafkaCheck {
    /// Whether every finding is ok.
    ok: bool,
    /// The brokers' answer, the credentials, each topic asked for and the consumer group:
    /// ok, or what to do.
    findings: Vec<Finding>,
    /// Every topic of the cluster the credentials may see (internal ones left out), by name.
    topics: Vec<ClusterTopic>,
}

/// A topic of the Kafka cluster.
#[derive(Serialize, ToSchema)]
pub struct ClusterTopic {
    /// Its name.
    name: String,
    /// How many partitions it has.
    partitions: usize,
}

/// Checks Kafka's settings (the console's "Authenticate"), and lists the cluster's topics.
///
/// The body is the `kafka.*` keys (and `topics`, to check them). The brokers, the
/// credentials, each topic and the consumer group are checked, each failure with its fix.
/// Nothing is written; the group is not joined.
#[utoipa::path(post, path = "/inlet/v1/kafka/check", request_body = ConfigBody, responses(
    (status = 200, description = "What was found (ok false: a finding says what to do).", body = KafkaCheck),
))]
async fn kafka_check(
    State(app): State<App>,
    Body(ConfigBody(config)): Body<ConfigBody>,
) -> Result<Json<KafkaCheck>, ApiError> {
    let _turn = app.step_turn().await?;
    let config = prepared(&app, config).await?;
    let raw = lenient(&config)?;
    let settings = kafka_of(&raw)?;
    let probe = inlet_engine::probe_kafka(&settings, &topics_of(&config)).await;
    Ok(Json(KafkaCheck {
        ok: probe.findings.iter().all(|f| f.ok),
        findings: findings(&probe.findings),
        topics: probe
            .topics
            .into_iter()
            .map(|t| ClusterTopic {
                name: t.name,
                partitions: t.partitions,
            })
            .collect(),
    }))
}

/// The Kafka settings of a step's connector, or 400 with their problems by flat key.
fn kafka_of(raw: &RawConnector) -> Result<inlet_kafka::KafkaSettings, ApiError> {
    raw.kafka
        .check(&raw.name)
        .map_err(|e| problems(prefixed(e.problems, "kafka.")))
}

/// The registry settings of a step's connector, or 400 with their problems by flat key.
fn registry_of(raw: &RawConnector) -> Result<inlet_registry::RegistryConfig, ApiError> {
    raw.registry
        .check()
        .map_err(|e| problems(prefixed(e.problems, "registry.")))
}

/// The engine's key paths under a section, as flat keys.
fn prefixed(problems: Vec<(String, String)>, prefix: &str) -> Vec<flat::Problem> {
    problems
        .into_iter()
        .map(|(k, m)| {
            if k.starts_with(prefix) {
                (k, m)
            } else {
                (format!("{prefix}{k}"), m)
            }
        })
        .collect()
}

/// What the registry's "Authenticate" found, and its subjects.
#[derive(Serialize, ToSchema)]
pub struct RegistryCheck {
    /// Whether every finding is ok.
    ok: bool,
    /// The registry's answer, the credentials, each topic's value subject: ok, or what to
    /// do.
    findings: Vec<Finding>,
    /// The registry's subjects (none when it did not answer).
    subjects: Vec<String>,
}

/// Checks the schema registry's settings (the console's "Authenticate").
///
/// The body is the `registry.*` keys (and `topics`, to check their subjects): the registry
/// answers, it takes the credentials, each topic's value subject has a schema.
#[utoipa::path(post, path = "/inlet/v1/registry/check", request_body = ConfigBody, responses(
    (status = 200, description = "What was found (ok false: a finding says what to do).", body = RegistryCheck),
))]
async fn registry_check(
    State(app): State<App>,
    Body(ConfigBody(config)): Body<ConfigBody>,
) -> Result<Json<RegistryCheck>, ApiError> {
    let _turn = app.step_turn().await?;
    let config = prepared(&app, config).await?;
    let raw = lenient(&config)?;
    let registry = registry_of(&raw)?;
    let (found, subjects) = inlet_engine::probe_registry(&registry, &topics_of(&config)).await;
    Ok(Json(RegistryCheck {
        ok: found.iter().all(|f| f.ok),
        findings: findings(&found),
        subjects,
    }))
}

/// A topic of the cluster as the console lists it, with its value subject.
#[derive(Serialize, ToSchema)]
pub struct TopicRow {
    /// Its name.
    name: String,
    /// How many partitions it has.
    partitions: usize,
    /// `<topic>-value`, when the registry has that subject (else null).
    #[schema(required = true)]
    value_subject: Option<String>,
    /// The id of the subject's latest schema, when it was read and inlet can read the
    /// schema (else null).
    #[schema(required = true)]
    latest_schema_id: Option<u32>,
    /// Why the latest schema id was not read (a slow or failing registry); null when read
    /// or not looked up.
    #[schema(required = true)]
    latest_schema_error: Option<String>,
}

/// Lists the cluster's topics, each with its value subject and latest schema id.
///
/// The body is the `kafka.*` and `registry.*` keys (and `topics`, to list only those).
/// The topics come by name, each with its partitions and whether `<topic>-value` has a
/// schema.
/// The latest ids are looked up for the first 500 topics with a subject, 8 at once, all
/// within 8 s: one not read by then has `latest_schema_error`, why. 502 when Kafka or the
/// registry fails a check.
#[utoipa::path(post, path = "/inlet/v1/topics", request_body = ConfigBody, responses(
    (status = 200, description = "The topics, by name.", body = Vec<TopicRow>),
))]
async fn cluster_topics(
    State(app): State<App>,
    Body(ConfigBody(config)): Body<ConfigBody>,
) -> Result<Json<Vec<TopicRow>>, ApiError> {
    let _turn = app.step_turn().await?;
    let config = prepared(&app, config).await?;
    let raw = lenient(&config)?;
    let settings = kafka_of(&raw)?;
    let registry = registry_of(&raw)?;
    let probe = inlet_engine::probe_kafka(&settings, &[]).await;
    if let Some(failed) = probe.findings.iter().find(|f| !f.ok) {
        return Err(ApiError::new(
            StatusCode::BAD_GATEWAY,
            failed.detail.clone(),
        ));
    }
    let (findings, subjects) = inlet_engine::probe_registry(&registry, &[]).await;
    if let Some(failed) = findings.iter().find(|f| !f.ok) {
        return Err(ApiError::new(
            StatusCode::BAD_GATEWAY,
            failed.detail.clone(),
        ));
    }
    let subjects: std::collections::HashSet<String> = subjects.into_iter().collect();
    // Only the topics named in `topics`, when it names some.
    let wanted = topics_of(&config);
    let mut listed: Vec<&inlet_engine::TopicInfo> = probe
        .topics
        .iter()
        .filter(|t| wanted.is_empty() || wanted.contains(&t.name))
        .collect();
    listed.sort_by(|a, b| a.name.cmp(&b.name));
    // The latest ids of the first subjects, looked up at once (a few in flight) and all
    // answered within the budget: a slow registry costs the budget, not a wait per topic.
    let looked_up: Vec<String> = listed
        .iter()
        .map(|t| format!("{}-value", t.name))
        .filter(|s| subjects.contains(s))
        .take(MAX_TOPICS_LOOKED_UP)
        .collect();
    let ids =
        inlet_engine::latest_schema_ids(&registry, &looked_up, LOOKUPS_AT_ONCE, LOOKUP_BUDGET)
            .await;
    let mut out = Vec::new();
    for topic in listed {
        let subject = format!("{}-value", topic.name);
        let has_subject = subjects.contains(&subject);
        let (latest, unread) = match looked_up.iter().position(|s| *s == subject) {
            Some(i) => match &ids[i] {
                inlet_engine::LatestId::Id(id) => (Some(*id), None),
                inlet_engine::LatestId::None => (None, None),
                inlet_engine::LatestId::Unread(why) => (None, Some(why.clone())),
            },
            None => (None, None),
        };
        out.push(TopicRow {
            name: topic.name.clone(),
            partitions: topic.partitions,
            value_subject: has_subject.then_some(subject),
            latest_schema_id: latest,
            latest_schema_error: unread,
        });
    }
    Ok(Json(out))
}

/// How many latest schema ids `topics` asks the registry for at once.
const LOOKUPS_AT_ONCE: usize = 8;

/// How long `topics` waits for the latest schema ids, all of them together: those not read
/// by then are listed without, with why (`latest_schema_error`).
const LOOKUP_BUDGET: std::time::Duration = std::time::Duration::from_secs(8);

/// The topic a step is about: `topic`, else the configuration's only one.
fn step_topic(body: &StepBody) -> Result<String, ApiError> {
    if let Some(topic) = &body.topic {
        return Ok(topic.clone());
    }
    match topics_of(&body.config).as_slice() {
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

/// The table of `topic` in `raw`.
fn table_of(raw: &RawConnector, topic: &str) -> Result<inlet_postgres::TableName, ApiError> {
    let checked = topic_of(raw, topic)?
        .check()
        .map_err(|e| problems(e.problems))?;
    Ok(checked.table)
}

/// The table proposed for a step's topic: (table, proposal, its DDL, the key columns).
async fn proposed(
    app: &App,
    body: &StepBody,
) -> Result<
    (
        inlet_postgres::TableName,
        inlet_avro::Proposal,
        String,
        Vec<String>,
    ),
    ApiError,
> {
    let topic = step_topic(body)?;
    let mut config = prepared(app, body.config.clone()).await?;
    config
        .entry("topics".into())
        .or_insert_with(|| topic.clone());
    let raw = lenient(&config)?;
    let table = table_of(&raw, &topic)?;
    let registry = registry_of(&raw)?;
    let key_columns = raw
        .topic
        .iter()
        .find(|t| t.name == topic)
        .map(|t| t.key_columns.clone())
        .unwrap_or_default();
    let (mut proposal, mut ddl) =
        inlet_engine::propose_table(&registry, &topic, &table, &key_columns).await?;
    if let Some(columns) = design(body)? {
        let missing: Vec<flat::Problem> = key_columns
            .iter()
            .filter(|k| !columns.iter().any(|c| &c.name == *k))
            .map(|k| {
                (
                    "key_columns".to_owned(),
                    format!(
                        "{k} is not a column of the table: choose key columns among its columns"
                    ),
                )
            })
            .collect();
        if !missing.is_empty() {
            return Err(problems(missing));
        }
        let key = (!key_columns.is_empty()).then_some(key_columns.as_slice());
        ddl = inlet_postgres::ddl::create_table(&table, &columns, key);
        let time = config.get("time_column").filter(|t| !t.is_empty());
        if let Some(time) = time {
            let column = columns.iter().find(|c| &c.name == time);
            if !column.is_some_and(|c| {
                matches!(
                    c.pg_type,
                    inlet_avro::PgType::Timestamptz | inlet_avro::PgType::Timestamp
                )
            }) {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "time_column: {time} is not a timestamp column of the table: choose one of its timestamp columns, or none"
                    ),
                ));
            }
            if key.is_none_or(|k| k.contains(time)) {
                ddl.push_str(&inlet_postgres::ddl::hypertable_comment(&table, time));
            }
        }
        proposal.columns = columns;
    }
    // Only a table PostgreSQL can store every row of is proposed or created.
    if let Err(reason) = inlet_avro::check_table_width(&proposal.columns) {
        return Err(inlet_engine::ProposeError::TooWide { topic, reason }.into());
    }
    Ok((table, proposal, ddl, key_columns))
}

/// The table proposed for a topic, whether it exists, and what its columns can be filled
/// from.
#[derive(Serialize, ToSchema)]
pub struct Proposal {
    /// The table's schema.
    schema: String,
    /// The table's name.
    table: String,
    /// Its columns in order: the proposal's, or the ones designed (`columns`).
    columns: Vec<Column>,
    /// What fills each column of the proposal.
    mapping: Vec<MappedColumn>,
    /// The column to partition a hypertable by: the first timestamp field (null: none).
    #[schema(required = true)]
    time_column: Option<String>,
    /// The DDL that creates the table (with the hypertable's comment when `time_column` is
    /// set).
    ddl: String,
    /// Whether the table exists already.
    exists: bool,
    /// The existing table's columns in order (null when it does not exist).
    #[schema(required = true)]
    existing_columns: Option<Vec<ExistingColumn>>,
    /// Whether TimescaleDB is installed in the database.
    timescaledb: bool,
    /// Every source a column can take, with the types inlet converts it to.
    sources: Vec<SourceChoice>,
}

/// A column of the proposal and what fills it.
#[derive(Serialize, ToSchema)]
pub struct MappedColumn {
    /// The column's name.
    column: String,
    /// Its source, as a mapping writes it: `a.b`, `choice[string]`, `kafka.key.id`,
    /// `kafka.offset`.
    source: String,
}

/// A column of a table that exists.
#[derive(Serialize, ToSchema)]
pub struct ExistingColumn {
    /// Its name, type and nullability.
    #[serde(flatten)]
    column: Column,
    /// Whether it has a default (a column no source fills takes it).
    has_default: bool,
}

/// A source a column can take, with the PostgreSQL types inlet converts it to.
#[derive(Serialize, ToSchema)]
pub struct SourceChoice {
    /// As a mapping writes it: `a.b`, `choice[string]`, `kafka.key.id`, `kafka.offset`.
    source: String,
    /// The Avro type it reads (`long`, `["null", string]`, `timestamp-micros`…), or the
    /// metadata's kind.
    avro_type: String,
    /// The column types inlet converts it to, in a fixed order (`text[]` for arrays);
    /// empty when the schema has more distinct types than are looked into.
    types: Vec<String>,
}

/// Proposes the table for a topic's latest schemas, and what its columns can be filled
/// from.
///
/// The answer has the columns, their types, the mapping from fields, the hypertable's time
/// column and the DDL; whether the table exists already and TimescaleDB is installed; and
/// every source a column can take, with the types inlet converts it to. The configuration
/// gives the `registry.*` keys, `table`, and `key_columns` for an
/// upsert. With `columns` (the table as the console designs it), the DDL is theirs.
#[utoipa::path(post, path = "/inlet/v1/propose", request_body = StepBody, responses(
    (status = 200, description = "The proposal.", body = Proposal),
))]
async fn propose(
    State(app): State<App>,
    Body(body): Body<StepBody>,
) -> Result<Json<Proposal>, ApiError> {
    let _turn = app.step_turn().await?;
    let (table, proposal, ddl, _) = proposed(&app, &body).await?;
    let config = prepared(&app, body.config.clone()).await?;
    let raw = lenient(&config)?;
    let registry = registry_of(&raw)?;
    let sources = inlet_engine::topic_sources(&registry, &step_topic(&body)?).await?;
    let client = app.client().await?;
    let existing = inlet_postgres::table_columns(&client, &table).await?;
    let timescaledb = inlet_postgres::timescaledb_present(&client).await?;
    Ok(Json(Proposal {
        schema: table.schema,
        table: table.table,
        columns: proposal.columns.iter().map(Column::from).collect(),
        mapping: proposal
            .mapping
            .iter()
            .map(|m| MappedColumn {
                column: m.column.clone(),
                source: m.source.to_string(),
            })
            .collect(),
        time_column: proposal.time_column,
        ddl,
        exists: existing.is_some(),
        existing_columns: existing.map(|columns| {
            columns
                .iter()
                .map(|c| ExistingColumn {
                    column: Column::from(c),
                    has_default: c.has_default,
                })
                .collect()
        }),
        timescaledb,
        sources: sources
            .into_iter()
            .map(|s| SourceChoice {
                source: s.source,
                avro_type: s.avro_type,
                types: s.types,
            })
            .collect(),
    }))
}

/// Shows a topic's latest records as the rows the connector would store, or dead letters.
///
/// The configuration is a whole connector's keys; `count` records are read (default 10, at
/// most 1000), without joining the group, and handed to PostgreSQL in a transaction rolled
/// back: nothing is written. A record that would be a dead letter comes with the reason
/// (cut after 2000 bytes).
#[utoipa::path(post, path = "/inlet/v1/preview", request_body = StepBody, responses(
    (status = 200, description = "The records, as rows or dead letters.", body = inlet_engine::Preview),
))]
async fn preview(
    State(app): State<App>,
    Body(body): Body<StepBody>,
) -> Result<Json<inlet_engine::Preview>, ApiError> {
    let _turn = app.step_turn().await?;
    let topic = step_topic(&body)?;
    let name = body
        .config
        .get("name")
        .cloned()
        .unwrap_or_else(|| "preview".into());
    let config = prepared(&app, body.config.clone()).await?;
    let (raw, _) = flat::to_raw(&name, &config).map_err(problems)?;
    let connector = raw.check().map_err(|e| problems(e.problems))?;
    let preview = inlet_engine::preview_designed(
        &connector,
        &app.0.database,
        &topic,
        body.count.unwrap_or(PREVIEW_COUNT),
        design(&body)?,
    )
    .await?;
    Ok(Json(cut_reasons(preview)))
}

/// How many records a preview shows when the body does not say (`count`).
const PREVIEW_COUNT: usize = 10;

/// The longest reason a preview answers for one record (PostgreSQL's own can quote a
/// whole row of a wide table).
const MAX_REASON: usize = 2_000;

/// `preview` with each reason longer than [`MAX_REASON`] bytes cut.
fn cut_reasons(mut preview: inlet_engine::Preview) -> inlet_engine::Preview {
    for record in &mut preview.records {
        if let inlet_engine::PreviewOutcome::DeadLetter { reason } = &mut record.outcome
            && reason.len() > MAX_REASON
        {
            let mut end = MAX_REASON;
            while !reason.is_char_boundary(end) {
                end -= 1;
            }
            reason.truncate(end);
            reason.push_str("… (cut)");
        }
    }
    preview
}

/// The table a step created, or found.
#[derive(Serialize, ToSchema)]
pub struct TableCreated {
    /// The table, `schema.table` (unquoted).
    table: String,
    /// Whether it was created (false: it existed already, nothing was run).
    created: bool,
    /// Whether it was made a hypertable.
    hypertable: bool,
    /// The table's DDL (run only when `created`).
    ddl: String,
}

/// Creates the table propose showed: 201, or 200 when it exists already (nothing run).
///
/// The table has the schema, name and primary key (for an upsert) of the configuration,
/// and `columns` when given. When TimescaleDB is installed and `time_column` is set, it is
/// made a hypertable on that column (chunks of `chunk_interval`), with the columnstore when
/// `columnstore` is true.
#[utoipa::path(post, path = "/inlet/v1/tables", request_body = StepBody, responses(
    (status = 201, description = "Created.", body = TableCreated),
    (status = 200, description = "The table exists already: nothing was run.", body = TableCreated),
))]
async fn create_table(
    State(app): State<App>,
    Body(body): Body<StepBody>,
) -> Result<(StatusCode, Json<TableCreated>), ApiError> {
    let _turn = app.step_turn().await?;
    let (table, proposal, _, key_columns) = proposed(&app, &body).await?;
    let key = (!key_columns.is_empty()).then_some(key_columns.as_slice());
    let ddl = inlet_postgres::ddl::create_table(&table, &proposal.columns, key);
    let mut client = app.client().await?;
    let created = inlet_postgres::create_table(&mut client, &table, &ddl).await?;
    let config = prepared(&app, body.config.clone()).await?;
    let time_column = config.get("time_column").filter(|t| !t.is_empty());
    let mut hypertable = false;
    if let Some(time) = time_column.filter(|t| created && key.is_none_or(|k| k.contains(t)))
        && inlet_postgres::timescaledb_present(&client).await?
    {
        // The topic's settings (its defaults filled), as the connector would make its table.
        let topic = step_topic(&body)?;
        let raw = lenient(&config)?;
        let settings = topic_of(&raw, &topic)?;
        inlet_postgres::create_hypertable(&client, &table, time, &settings.chunk_interval).await?;
        hypertable = true;
        let columnstore = settings.check().ok().and_then(|t| t.columnstore);
        if let Some(columnstore) = columnstore {
            inlet_postgres::enable_columnstore(
                &client,
                &table,
                time,
                &columnstore.segment_by,
                &columnstore.after,
            )
            .await?;
        }
    }
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(TableCreated {
            table: table.to_string(),
            created,
            hypertable,
            ddl,
        }),
    ))
}

#[cfg(test)]
mod tests {
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
        let step = doc["components"]["schemas"]["StepBody"]["properties"].to_string();
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
