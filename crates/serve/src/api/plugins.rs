//! `/connector-plugins…`: inlet's one plugin, its configuration keys, and the validation UIs
//! call before they create a connector — a real one: after the keys are checked, it
//! connects to Kafka and the registry (what the console's "Authenticate" buttons do) and
//! puts each failure on the key it concerns. Nothing is stored.

use std::collections::BTreeSet;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use serde_json::{Value, json};

use super::{ApiError, App, VERSION};
use crate::flat::{self, FlatConfig, PLUGIN_CLASS};
use crate::references::{self, Reference};

pub(super) fn routes() -> axum::Router<App> {
    axum::Router::new()
        .route("/connector-plugins", get(list))
        .route("/connector-plugins/{plugin}/config", get(keys))
        .route("/connector-plugins/{plugin}/config/validate", put(validate))
}

/// A configuration key as Kafka Connect describes one (ConfigKeyInfo).
struct Key {
    name: &'static str,
    kind: &'static str,
    required: bool,
    default: Option<&'static str>,
    group: &'static str,
    documentation: &'static str,
}

/// Every key a connector takes, in the order a form shows them (per-topic keys may also be
/// given as `topic.<topic>.<key>`).
const KEYS: &[Key] = &[
    Key {
        name: "connector.class",
        kind: "CLASS",
        required: true,
        default: None,
        group: "Common",
        documentation: "inlet.PostgresSink",
    },
    Key {
        name: "tasks.max",
        kind: "INT",
        required: false,
        default: Some("1"),
        group: "Common",
        documentation: "Consumers of the connector's group, spread over the workers; Kafka spreads the partitions among them.",
    },
    Key {
        name: "topics",
        kind: "LIST",
        required: true,
        default: None,
        group: "Common",
        documentation: "The topics to read, separated by commas.",
    },
    Key {
        name: "kafka.bootstrap_servers",
        kind: "STRING",
        required: true,
        default: None,
        group: "Kafka",
        documentation: "The brokers, host:port separated by commas (a Confluent Cloud cluster's bootstrap endpoint).",
    },
    Key {
        name: "kafka.security_protocol",
        kind: "STRING",
        required: false,
        default: Some("PLAINTEXT"),
        group: "Kafka",
        documentation: "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL (Confluent Cloud: SASL_SSL).",
    },
    Key {
        name: "kafka.sasl_mechanism",
        kind: "STRING",
        required: false,
        default: None,
        group: "Kafka",
        documentation: "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (Confluent Cloud: PLAIN).",
    },
    Key {
        name: "kafka.username",
        kind: "STRING",
        required: false,
        default: None,
        group: "Kafka",
        documentation: "The SASL user (Confluent Cloud: the API key).",
    },
    Key {
        name: "kafka.password",
        kind: "PASSWORD",
        required: false,
        default: None,
        group: "Kafka",
        documentation: "The SASL password (Confluent Cloud: the API secret), or a reference: ${env:NAME}, ${file:PATH}.",
    },
    Key {
        name: "kafka.ca_file",
        kind: "STRING",
        required: false,
        default: None,
        group: "Kafka",
        documentation: "A PEM file of the CA that signs the brokers' certificates (default: the system's).",
    },
    Key {
        name: "kafka.group_prefix",
        kind: "STRING",
        required: false,
        default: Some("inlet"),
        group: "Kafka",
        documentation: "The consumer group is <group_prefix>/<connector name>.",
    },
    Key {
        name: "kafka.start_from",
        kind: "STRING",
        required: false,
        default: Some("earliest"),
        group: "Kafka",
        documentation: "Where a partition with no stored offset starts: earliest or latest.",
    },
    Key {
        name: "registry.url",
        kind: "STRING",
        required: true,
        default: None,
        group: "Schema Registry",
        documentation: "The Confluent-compatible schema registry.",
    },
    Key {
        name: "registry.key",
        kind: "STRING",
        required: false,
        default: None,
        group: "Schema Registry",
        documentation: "The registry's basic-auth user (Confluent Cloud: the API key).",
    },
    Key {
        name: "registry.secret",
        kind: "PASSWORD",
        required: false,
        default: None,
        group: "Schema Registry",
        documentation: "The registry's basic-auth password (Confluent Cloud: the API secret), or a reference.",
    },
    Key {
        name: "table",
        kind: "STRING",
        required: true,
        default: None,
        group: "Table",
        documentation: "The target table, schema.table (${topic} is replaced by each topic's name).",
    },
    Key {
        name: "mapping",
        kind: "STRING",
        required: false,
        default: Some("auto"),
        group: "Table",
        documentation: "auto, or a JSON object of column → source: a field path, kafka.topic|partition|offset|timestamp|key|headers, kafka.key.<path>.",
    },
    Key {
        name: "insert",
        kind: "STRING",
        required: false,
        default: Some("append"),
        group: "Table",
        documentation: "append, upsert or upsert-delete (a tombstone deletes its key's row).",
    },
    Key {
        name: "key_columns",
        kind: "LIST",
        required: false,
        default: None,
        group: "Table",
        documentation: "The upsert modes' key columns (a unique index on exactly them).",
    },
    Key {
        name: "create_table",
        kind: "BOOLEAN",
        required: false,
        default: Some("true"),
        group: "Table",
        documentation: "Create a missing table from the subject's latest schema.",
    },
    Key {
        name: "time_column",
        kind: "STRING",
        required: false,
        default: None,
        group: "Table",
        documentation: "The hypertable's time column when TimescaleDB is present (default: the first non-null timestamp).",
    },
    Key {
        name: "chunk_interval",
        kind: "STRING",
        required: false,
        default: Some("7 days"),
        group: "Table",
        documentation: "The hypertable's chunk interval.",
    },
    Key {
        name: "evolution",
        kind: "STRING",
        required: false,
        default: Some("off"),
        group: "Table",
        documentation: "off, or add-columns: a new field gets a column (with mapping auto).",
    },
    Key {
        name: "columnstore",
        kind: "BOOLEAN",
        required: false,
        default: Some("false"),
        group: "Table",
        documentation: "With TimescaleDB, a hypertable inlet creates gets the columnstore: older chunks converted, segmented and ordered by the time column, newest first.",
    },
    Key {
        name: "columnstore_segment_by",
        kind: "LIST",
        required: false,
        default: None,
        group: "Table",
        documentation: "The columnstore's segmentby columns, separated by commas (default: the key columns but the time column; none for append).",
    },
    Key {
        name: "columnstore_after",
        kind: "STRING",
        required: false,
        default: Some("7 days"),
        group: "Table",
        documentation: "How old a chunk is when the columnstore policy converts it (a PostgreSQL interval).",
    },
    Key {
        name: "batch.max_rows",
        kind: "INT",
        required: false,
        default: Some("50000"),
        group: "Batching",
        documentation: "Rows per transaction at most.",
    },
    Key {
        name: "batch.max_bytes",
        kind: "INT",
        required: false,
        default: Some("16777216"),
        group: "Batching",
        documentation: "Bytes of rows per transaction at most.",
    },
    Key {
        name: "batch.linger_ms",
        kind: "INT",
        required: false,
        default: Some("200"),
        group: "Batching",
        documentation: "How long a batch waits for more records, in milliseconds.",
    },
    Key {
        name: "errors.tolerance",
        kind: "STRING",
        required: false,
        default: Some("all"),
        group: "Errors",
        documentation: "all: a record that cannot be stored is a dead letter; none: the connector stops at it.",
    },
];

const GROUPS: &[&str] = &[
    "Common",
    "Kafka",
    "Schema Registry",
    "Table",
    "Batching",
    "Errors",
];

fn definition(key: &Key, order: usize) -> Value {
    json!({
        "name": key.name,
        "type": key.kind,
        "required": key.required,
        "default_value": key.default,
        "importance": if key.required { "HIGH" } else { "MEDIUM" },
        "documentation": key.documentation,
        "group": key.group,
        "order_in_group": order,
        "width": "MEDIUM",
        "display_name": key.name,
        "dependents": [],
    })
}

fn check_plugin(plugin: &str) -> Result<(), ApiError> {
    if plugin == PLUGIN_CLASS || plugin == "PostgresSink" {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!(
                "Failed to find any class that implements Connector and which name matches {plugin}: inlet has one plugin, {PLUGIN_CLASS}"
            ),
        ))
    }
}

/// `GET /connector-plugins`: inlet's one plugin.
async fn list() -> Json<Value> {
    Json(json!([{"class": PLUGIN_CLASS, "type": "sink", "version": VERSION}]))
}

/// `GET /connector-plugins/{plugin}/config`: its keys.
async fn keys(Path(plugin): Path<String>) -> Result<Json<Value>, ApiError> {
    check_plugin(&plugin)?;
    Ok(Json(Value::Array(
        KEYS.iter()
            .enumerate()
            .map(|(i, k)| definition(k, i + 1))
            .collect(),
    )))
}

/// `PUT /connector-plugins/{plugin}/config/validate`: each key with its errors (200 even
/// when some have errors), in Kafka Connect's ConfigInfos shape. The rule of
/// [`crate::references`] comes first and nothing it refuses is read or resolved; the keys
/// are checked as a connector's start checks them (with a stand-in for each stored secret,
/// so no error can hold one); then Kafka and the registry are asked, when their keys are
/// usable and nothing was refused. Validations take turns with the setup steps
/// ([`super::MAX_STEPS`] at once); at most [`flat::MAX_PROBLEMS_LISTED`] keys outside the
/// plugin's list get an entry of their own (`error_count` counts them all).
async fn validate(
    State(app): State<App>,
    Path(plugin): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    check_plugin(&plugin)?;
    let _turn = app.step_turn().await?;
    let sent = flat::parse(&body).map_err(|e| ApiError::bad_body("a JSON object of strings", e))?;
    // Kafka Connect's refusal of a configuration of another plugin.
    if let Some(class) = sent.get("connector.class")
        && class != PLUGIN_CLASS
        && class != "PostgresSink"
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!(
                "Included connector type {} does not match request type {plugin}",
                flat::shorten(class)
            ),
        ));
    }
    let name = sent
        .get("name")
        .cloned()
        .unwrap_or_else(|| "validate".into());
    // A UI validates an edit before it sends it: secrets it shows [hidden], or as their
    // ${secret:…}, are the stored connector's (when its settings are the same).
    let stored = match app.client().await {
        Ok(client) => inlet_postgres::control::get_connector(&*client, &name)
            .await
            .ok()
            .flatten()
            .and_then(|s| serde_json::from_str::<FlatConfig>(&s.config).ok()),
        Err(_) => None,
    };
    let (config, mut refused) = match flat::keep_hidden(sent.clone(), stored.as_ref()) {
        Ok(config) => (config, Vec::new()),
        Err(problems) => (sent, problems),
    };
    refused.extend(references::problems(
        &name,
        &config,
        stored.as_ref(),
        app.0.secrets_dir.as_deref(),
    ));
    let refused_keys: BTreeSet<String> = refused.iter().map(|(k, _)| k.clone()).collect();
    // The keys' own checks, on a copy where each refused value and each ${secret:…} is a
    // stand-in: nothing refused is read, and no sentence can quote a stored secret.
    let stand_in: FlatConfig = config
        .iter()
        .map(|(k, v)| {
            let stand =
                refused_keys.contains(k) || matches!(Reference::of(v), Some(Reference::Secret(_)));
            (
                k.clone(),
                if stand {
                    STAND_IN.to_owned()
                } else {
                    v.clone()
                },
            )
        })
        .collect();
    let mut errors: Vec<(String, String)> = match flat::to_raw(&name, &stand_in) {
        Ok(_) => Vec::new(),
        Err(problems) => problems
            .into_iter()
            .filter(|(k, _)| !refused_keys.contains(k))
            .collect(),
    };
    let probe = refused.is_empty();
    errors.extend(refused);
    // Connecting, for what the keys allow: each section alone, as the wizard's steps.
    let sealed = config
        .values()
        .any(|v| matches!(Reference::of(v), Some(Reference::Secret(_))));
    let resolved = match (probe, sealed) {
        (false, _) => None,
        (true, false) => Some(config.clone()),
        (true, true) => match app.client().await {
            Ok(client) => {
                crate::secrets::resolve(app.0.secrets_key.as_ref(), &*client, &name, config.clone())
                    .await
                    .ok()
            }
            Err(_) => None,
        },
    };
    if let Some(resolved) = resolved
        && let Ok((raw, _)) =
            flat::to_raw(&name, &resolved).or_else(|_| flat::to_raw_lenient(&name, &resolved))
    {
        probe_sections(&name, &raw, &flat::topics(&config), &mut errors).await;
    }
    let shown = |key: &str| {
        config.get(key).map(|v| {
            if flat::is_secret_key(key) {
                flat::hidden(&FlatConfig::from([(key.to_owned(), v.clone())]))[key].clone()
            } else {
                flat::shorten(v).into_owned()
            }
        })
    };
    let mut configs: Vec<Value> = KEYS
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let mine: Vec<&str> = errors
                .iter()
                .filter(|(key, _)| key == k.name)
                .map(|(_, m)| m.as_str())
                .collect();
            json!({
                "definition": definition(k, i + 1),
                "value": {
                    "name": k.name,
                    "value": shown(k.name).or(k.default.map(str::to_owned)),
                    "recommended_values": [],
                    "errors": mine,
                    "visible": true,
                },
            })
        })
        .collect();
    // Errors of keys not in the list (per-topic keys, unknown keys) get an entry of their
    // own: the first ones, and one entry that counts the rest.
    let others: Vec<&(String, String)> = errors
        .iter()
        .filter(|(key, _)| !KEYS.iter().any(|k| k.name == key))
        .collect();
    for (key, message) in others.iter().take(flat::MAX_PROBLEMS_LISTED) {
        configs.push(other_entry(&flat::shorten(key), shown(key), message));
    }
    if others.len() > flat::MAX_PROBLEMS_LISTED {
        let more = others.len() - flat::MAX_PROBLEMS_LISTED;
        configs.push(other_entry(
            "…",
            None,
            &format!("and {more} more keys with errors, not listed one by one"),
        ));
    }
    Ok(Json(json!({
        "name": PLUGIN_CLASS,
        "error_count": errors.len(),
        "groups": GROUPS,
        "configs": configs,
    })))
}

/// What stands for a refused value or a stored secret while the keys are checked.
const STAND_IN: &str = "[stand-in]";

/// An entry of ConfigInfos for a key outside the plugin's list.
fn other_entry(key: &str, value: Option<String>, message: &str) -> Value {
    json!({
        "definition": {
            "name": key, "type": "STRING", "required": false, "default_value": null,
            "importance": "LOW", "documentation": "", "group": "Common",
            "order_in_group": 0, "width": "NONE", "display_name": key, "dependents": [],
        },
        "value": {
            "name": key,
            "value": value,
            "recommended_values": [],
            "errors": [message],
            "visible": true,
        },
    })
}

/// Kafka and the registry asked with `raw`'s settings, each when none of its keys has an
/// error yet; each failure put on the key it concerns.
async fn probe_sections(
    name: &str,
    raw: &inlet_engine::config::RawConnector,
    topics: &[&str],
    errors: &mut Vec<(String, String)>,
) {
    // Only the topics given (the lenient form may hold a placeholder).
    let topics: Vec<String> = topics.iter().map(|t| (*t).to_owned()).collect();
    if !errors.iter().any(|(k, _)| k.starts_with("kafka."))
        && let Ok(settings) = raw.kafka.check(name)
    {
        let probe = inlet_engine::probe_kafka(&settings, &topics).await;
        for f in probe.findings.iter().filter(|f| !f.ok) {
            let key = match f.what {
                "topic" => "topics",
                "group" => "kafka.group_prefix",
                _ if f.detail.contains("the credentials were refused") => "kafka.password",
                _ => "kafka.bootstrap_servers",
            };
            errors.push((key.into(), f.detail.clone()));
        }
    }
    if !errors.iter().any(|(k, _)| k.starts_with("registry."))
        && let Ok(registry) = raw.registry.check()
    {
        let (findings, _) = inlet_engine::probe_registry(&registry, &topics).await;
        for f in findings.iter().filter(|f| !f.ok) {
            let key = match f.what {
                "subject" => "topics",
                _ if f.detail.contains("401") || f.detail.contains("credentials") => {
                    "registry.secret"
                }
                _ => "registry.url",
            };
            errors.push((key.into(), f.detail.clone()));
        }
    }
}
