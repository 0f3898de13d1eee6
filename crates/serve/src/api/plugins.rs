//! `/connector-plugins…`: inlet's one plugin, its configuration keys, and the validation UIs
//! call before they create a connector — a real one: after the keys are checked, it
//! connects to Kafka and the registry (what the console's "Authenticate" buttons do) and
//! puts each failure on the key it concerns. Nothing is stored.

use std::collections::BTreeSet;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiError, App, Body, DraftBody, VERSION};
use crate::flat::{self, FlatConfig, PLUGIN_CLASS};
use crate::references::{self, Reference};
use inlet_engine::config::settings::{self, Group, Setting};

/// The OpenAPI paths of this module ([`super::openapi`]).
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, keys, validate))]
pub(super) struct Api;

/// A plugin (Kafka Connect's PluginInfo).
#[derive(Serialize, ToSchema)]
pub struct PluginInfo {
    /// Its class.
    class: &'static str,
    /// `sink`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// inlet's version.
    version: &'static str,
}

/// A configuration key (Kafka Connect's ConfigKeyInfo).
#[derive(Serialize, ToSchema)]
pub struct ConfigKeyInfo {
    /// The flat key.
    name: String,
    /// Kafka Connect's type: STRING, INT, BOOLEAN, LIST, PASSWORD, CLASS.
    #[serde(rename = "type")]
    kind: &'static str,
    /// Whether a connector must have it.
    required: bool,
    /// Its default, as text.
    #[schema(required = true)]
    default_value: Option<&'static str>,
    /// HIGH for the required keys, MEDIUM for the others (LOW for keys outside the list).
    importance: &'static str,
    /// What it is.
    documentation: &'static str,
    /// The group a form shows it in.
    group: &'static str,
    /// Its place in its group, from 1.
    order_in_group: usize,
    /// MEDIUM (NONE for keys outside the list).
    width: &'static str,
    /// Its name, as a form shows it.
    display_name: String,
    /// Always empty.
    dependents: Vec<String>,
}

/// A key's value and errors in a validation (Kafka Connect's ConfigValueInfo).
#[derive(Serialize, ToSchema)]
pub struct ConfigValueInfo {
    /// The flat key.
    name: String,
    /// Its value as sent (a secret hidden), else its default.
    #[schema(required = true)]
    value: Option<String>,
    /// The values it takes, when they are few.
    recommended_values: Vec<&'static str>,
    /// What is wrong with it.
    errors: Vec<String>,
    /// Always true.
    visible: bool,
}

/// A key's definition and value (Kafka Connect's ConfigInfo).
#[derive(Serialize, ToSchema)]
pub struct ConfigInfo {
    /// The key.
    definition: ConfigKeyInfo,
    /// Its value and errors.
    value: ConfigValueInfo,
}

/// A validation (Kafka Connect's ConfigInfos).
#[derive(Serialize, ToSchema)]
pub struct ConfigInfos {
    /// The plugin.
    name: &'static str,
    /// How many errors, every key's.
    error_count: usize,
    /// The groups, in order.
    groups: Vec<&'static str>,
    /// Each listed key, then the keys outside the list that have errors.
    configs: Vec<ConfigInfo>,
}

/// The path of a plugin.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct Plugin {
    /// inlet.PostgresSink (or PostgresSink).
    plugin: String,
}

pub(super) fn routes() -> axum::Router<App> {
    axum::Router::new()
        .route("/connector-plugins", get(list))
        .route("/connector-plugins/{plugin}/config", get(keys))
        .route("/connector-plugins/{plugin}/config/validate", put(validate))
}

/// The settings the plugin lists, in the order a form shows them (per-topic keys may also
/// be given as `topic.<topic>.<key>`).
fn listed() -> impl Iterator<Item = &'static Setting> {
    settings::SETTINGS.iter().filter(|s| s.is_listed())
}

/// A setting as Kafka Connect describes a key (ConfigKeyInfo); `order` counts from 1 in
/// its group.
fn definition(setting: &Setting, order: usize) -> ConfigKeyInfo {
    ConfigKeyInfo {
        name: setting.key.to_owned(),
        kind: setting.kind.connect_type(),
        required: setting.required,
        default_value: setting.default,
        importance: if setting.required { "HIGH" } else { "MEDIUM" },
        documentation: setting.doc,
        group: setting.group.title(),
        order_in_group: order,
        width: "MEDIUM",
        display_name: setting.key.to_owned(),
        dependents: Vec::new(),
    }
}

/// Each listed setting with its place in its group.
fn ordered() -> impl Iterator<Item = (&'static Setting, usize)> {
    listed().map(|s| {
        let order = listed()
            .filter(|other| other.group == s.group)
            .position(|other| other.key == s.key)
            .unwrap_or(0);
        (s, order + 1)
    })
}

fn check_plugin(plugin: &str) -> Result<(), ApiError> {
    if flat::is_plugin_class(plugin) {
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

/// The plugins: inlet's one, a sink into PostgreSQL.
#[utoipa::path(get, path = "/connector-plugins", responses(
    (status = 200, description = "The plugins.", body = Vec<PluginInfo>),
))]
async fn list() -> Json<Vec<PluginInfo>> {
    Json(vec![PluginInfo {
        class: PLUGIN_CLASS,
        kind: "sink",
        version: VERSION,
    }])
}

/// The plugin's configuration keys, with their defaults (the settings table).
#[utoipa::path(get, path = "/connector-plugins/{plugin}/config", params(Plugin), responses(
    (status = 200, description = "The keys.", body = Vec<ConfigKeyInfo>),
))]
async fn keys(Path(Plugin { plugin }): Path<Plugin>) -> Result<Json<Vec<ConfigKeyInfo>>, ApiError> {
    check_plugin(&plugin)?;
    Ok(Json(
        ordered().map(|(s, order)| definition(s, order)).collect(),
    ))
}

/// Validates a configuration: each key with its errors (200 even when some have errors),
/// in Kafka Connect's ConfigInfos shape. The rule of
/// [`crate::references`] comes first and nothing it refuses is read or resolved; the keys
/// are checked as a connector's start checks them (with a stand-in for each stored secret,
/// so no error can hold one); then Kafka and the registry are asked, when their keys are
/// usable and nothing was refused. Validations take turns with the setup steps
/// ([`super::MAX_STEPS`] at once); at most [`flat::MAX_PROBLEMS_LISTED`] keys outside the
/// plugin's list get an entry of their own (`error_count` counts them all).
#[utoipa::path(put, path = "/connector-plugins/{plugin}/config/validate", params(Plugin),
    request_body = DraftBody,
    responses((status = 200, description = "Each key with its errors.", body = ConfigInfos)),
)]
async fn validate(
    State(app): State<App>,
    Path(Plugin { plugin }): Path<Plugin>,
    Body(DraftBody(sent)): Body<DraftBody>,
) -> Result<Json<ConfigInfos>, ApiError> {
    check_plugin(&plugin)?;
    let _turn = app.step_turn().await?;
    // Kafka Connect's refusal of a configuration of another plugin.
    if let Some(class) = sent.get("connector.class")
        && !flat::is_plugin_class(class)
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
    let mut configs: Vec<ConfigInfo> = ordered()
        .map(|(s, order)| ConfigInfo {
            definition: definition(s, order),
            value: ConfigValueInfo {
                name: s.key.to_owned(),
                value: shown(s.key).or(s.default.map(str::to_owned)),
                recommended_values: s.choices.to_vec(),
                errors: errors
                    .iter()
                    .filter(|(key, _)| key == s.key)
                    .map(|(_, m)| m.clone())
                    .collect(),
                visible: true,
            },
        })
        .collect();
    // Errors of keys not in the list (per-topic keys, unknown keys) get an entry of their
    // own: the first ones, and one entry that counts the rest.
    let others: Vec<&(String, String)> = errors
        .iter()
        .filter(|(key, _)| !listed().any(|s| s.key == key))
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
    Ok(Json(ConfigInfos {
        name: PLUGIN_CLASS,
        error_count: errors.len(),
        groups: groups(),
        configs,
    }))
}

/// The titles of the groups of the listed settings, in order.
fn groups() -> Vec<&'static str> {
    Group::ALL
        .iter()
        .filter(|g| listed().any(|s| s.group == **g))
        .map(|g| g.title())
        .collect()
}

/// What stands for a refused value or a stored secret while the keys are checked.
const STAND_IN: &str = "[stand-in]";

/// An entry of ConfigInfos for a key outside the plugin's list.
fn other_entry(key: &str, value: Option<String>, message: &str) -> ConfigInfo {
    ConfigInfo {
        definition: ConfigKeyInfo {
            name: key.to_owned(),
            kind: "STRING",
            required: false,
            default_value: None,
            importance: "LOW",
            documentation: "",
            group: Group::Common.title(),
            order_in_group: 0,
            width: "NONE",
            display_name: key.to_owned(),
            dependents: Vec::new(),
        },
        value: ConfigValueInfo {
            name: key.to_owned(),
            value,
            recommended_values: Vec::new(),
            errors: vec![message.to_owned()],
            visible: true,
        },
    }
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
