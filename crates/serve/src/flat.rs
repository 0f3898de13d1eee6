//! A connector's configuration as Kafka Connect carries it — one flat map of strings — and
//! inlet's configuration as written ([`RawConnector`]), both ways.
//!
//! Every key is a setting of [`settings::SETTINGS`], which says how it is read: Kafka
//! Connect's own (`connector.class`, `tasks.max`, `topics`, `name`), `<section>.<key>` for
//! `[connector.<section>]`'s keys, `<key>` for each topic's (or `topic.<topic>.<key>` for one
//! topic, over the one without), `kafka.properties.<librdkafka key>` for librdkafka's.
//!
//! `mapping` is `auto` or a JSON object (column → source); `key_columns` is separated by
//! commas. `table` may hold `${topic}`, replaced by each topic's name. Secrets (`kafka.password`,
//! `registry.secret`, librdkafka properties that hold secrets) are stored as written: a
//! reference (`${env:…}`, `${file:…}`) or a value that is never shown again
//! ([`HIDDEN`] in its place).

use std::collections::BTreeMap;

use inlet_engine::config::RawConnector;
use inlet_engine::config::settings::{self, Kind, Scope};
use serde_json::Value;

/// The one connector plugin inlet has: a sink into PostgreSQL.
pub const PLUGIN_CLASS: &str = "inlet.PostgresSink";

/// Whether `class` names inlet's plugin: [`PLUGIN_CLASS`], or its short name
/// `PostgresSink` (as Kafka Connect takes a plugin's simple name).
pub fn is_plugin_class(class: &str) -> bool {
    class == PLUGIN_CLASS || class == "PostgresSink"
}

/// What a secret's literal value is shown as, and what means "unchanged" when sent back.
pub const HIDDEN: &str = "[hidden]";

/// A configuration as Kafka Connect carries it.
pub type FlatConfig = BTreeMap<String, String>;

/// A flat configuration from a JSON object whose values are strings, or numbers and
/// booleans, taken as their text as Kafka Connect's JSON binding takes them (`"tasks.max":
/// 2` is `"2"`): the `deserialize_with` of a body's configuration.
///
/// # Errors
/// A value that is null, an array or an object, named by its key.
pub fn strings<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<FlatConfig, D::Error> {
    let values: BTreeMap<String, serde_json::Value> =
        serde::Deserialize::deserialize(deserializer)?;
    values
        .into_iter()
        .map(|(key, value)| match value {
            serde_json::Value::String(s) => Ok((key, s)),
            serde_json::Value::Number(n) => Ok((key, n.to_string())),
            serde_json::Value::Bool(b) => Ok((key, b.to_string())),
            _ => Err(serde::de::Error::custom(format!(
                "the value of {} is not a string, a number or a boolean",
                shorten(&key)
            ))),
        })
        .collect()
}

/// [`strings`] of a JSON body.
///
/// # Errors
/// serde_json's, naming what is wrong.
pub fn parse(body: &[u8]) -> Result<FlatConfig, serde_json::Error> {
    strings(&mut serde_json::Deserializer::from_slice(body))
}

/// A problem with a key of a flat configuration: (key, what is wrong).
pub type Problem = (String, String);

/// Whether the flat key holds a secret.
pub fn is_secret_key(key: &str) -> bool {
    settings::find(key).is_some_and(|s| s.is_secret() && s.scope != Scope::Database)
        || key
            .strip_prefix("kafka.properties.")
            .is_some_and(inlet_kafka::is_secret_property)
}

/// Problems as one sentence: `key: what; key: what` (keys shortened, at most
/// [`MAX_PROBLEMS_LISTED`] and then how many more).
pub fn say(problems: &[Problem]) -> String {
    listed(problems).join("; ")
}

/// Each problem as `key: what` (the key shortened), the first [`MAX_PROBLEMS_LISTED`], then
/// `… and N more problems` when there are more.
pub fn listed(problems: &[Problem]) -> Vec<String> {
    let mut lines: Vec<String> = problems
        .iter()
        .take(MAX_PROBLEMS_LISTED)
        .map(|(k, m)| format!("{}: {m}", shorten(k)))
        .collect();
    if problems.len() > MAX_PROBLEMS_LISTED {
        lines.push(format!(
            "… and {} more problems",
            problems.len() - MAX_PROBLEMS_LISTED
        ));
    }
    lines
}

/// The topics of a flat configuration's `topics`, without empty entries.
pub fn topics(config: &FlatConfig) -> Vec<&str> {
    config
        .get("topics")
        .map(|t| {
            t.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a secret's value is a reference, which may be shown (`${secret:…}` included).
pub fn is_reference(value: &str) -> bool {
    crate::references::Reference::of(value).is_some()
}

pub use settings::{ECHOED_CHARS, shorten};

/// The most problems an answer lists one by one; the rest are counted.
pub const MAX_PROBLEMS_LISTED: usize = 100;

/// `config` as it may be shown: secrets that are references as written, others
/// [`HIDDEN`].
pub fn hidden(config: &FlatConfig) -> FlatConfig {
    config
        .iter()
        .map(|(k, v)| {
            let shown = if is_secret_key(k) && !is_reference(v) {
                HIDDEN.to_owned()
            } else {
                v.clone()
            };
            (k.clone(), shown)
        })
        .collect()
}

/// `config` as a read-only caller may see it: every secret [`HIDDEN`], references too.
pub fn hidden_all(config: &FlatConfig) -> FlatConfig {
    config
        .iter()
        .map(|(k, v)| {
            let shown = if is_secret_key(k) {
                HIDDEN.to_owned()
            } else {
                v.clone()
            };
            (k.clone(), shown)
        })
        .collect()
}

/// Whether a secret's value stands for "unchanged": [`HIDDEN`], or asterisks (what some
/// UIs send back for a masked field).
pub fn is_kept(value: &str) -> bool {
    value == HIDDEN || (!value.is_empty() && value.chars().all(|c| c == '*'))
}

/// The keys a secret is sent with: its section's (`kafka.`, `registry.`). A kept secret is
/// never sent with any of them changed: another address, another protocol (SASL_SSL to
/// SASL_PLAINTEXT sends a password in clear), another token endpoint.
fn section_of(secret_key: &str) -> &'static str {
    if secret_key.starts_with("registry.") {
        "registry."
    } else {
        "kafka."
    }
}

/// `new` with each secret sent back as [`HIDDEN`] (or `******`) taken from `old` (none for
/// a new connector): what the user did not change stays as stored. A kept secret — sent
/// back hidden, left out of a PATCH, or its `${secret:…}` sent back — whose section changed
/// (any `kafka.*` or `registry.*` key that is not a secret) must be sent again, so that
/// whoever may edit a connector cannot have its secret sent to a server of theirs; one with
/// nothing stored to keep must be sent. (`${env:…}` and `${file:…}` references are the
/// operator's, open to every admin by design.)
///
/// # Errors
/// Every secret that must be sent, by key.
pub fn keep_hidden(
    mut new: FlatConfig,
    old: Option<&FlatConfig>,
) -> Result<FlatConfig, Vec<Problem>> {
    let mut problems = Vec::new();
    let changed = |section: &str| -> Option<String> {
        let old = old?;
        let keys: std::collections::BTreeSet<&String> = new
            .keys()
            .chain(old.keys())
            .filter(|k| k.starts_with(section) && !is_secret_key(k))
            .collect();
        keys.into_iter()
            .find(|k| new.get(*k) != old.get(*k))
            .cloned()
    };
    let kafka_changed = changed("kafka.");
    let registry_changed = changed("registry.");
    for (key, value) in &mut new {
        if !is_secret_key(key) {
            continue;
        }
        let moved = match section_of(key) {
            "registry." => &registry_changed,
            _ => &kafka_changed,
        };
        let stored = old.and_then(|old| old.get(key));
        let again = |moved: &str| {
            (
                key.clone(),
                format!(
                    "{moved} changed: send {key} again (a kept secret is never sent with changed settings)"
                ),
            )
        };
        if is_kept(value) {
            match (stored, moved) {
                (None, _) => problems.push((
                    key.clone(),
                    format!("is {value:?} and no secret is stored for it: send the secret (or a reference)"),
                )),
                (Some(_), Some(moved)) => problems.push(again(moved)),
                (Some(stored), None) => value.clone_from(stored),
            }
        } else if let (Some(moved), Some(stored)) = (moved, stored)
            && stored == value
            && !matches!(
                crate::references::Reference::of(value),
                Some(crate::references::Reference::Env(_) | crate::references::Reference::File(_))
            )
        {
            // The stored secret (left out of a PATCH, or its ${secret:…} sent back) with
            // changed settings: as good as kept.
            problems.push(again(moved));
        }
    }
    if problems.is_empty() {
        Ok(new)
    } else {
        Err(problems)
    }
}

/// The connector `name` of `config`, and its task count; or every problem, by flat key.
/// Each key is read as its setting of [`settings::SETTINGS`] says; a key no setting has is
/// a problem.
pub fn to_raw(name: &str, config: &FlatConfig) -> Result<(RawConnector, i32), Vec<Problem>> {
    let mut problems: Vec<Problem> = Vec::new();
    // The keys read, to name the ones no one reads.
    let used = std::cell::RefCell::new(std::collections::BTreeSet::new());
    let take = |key: &str| {
        used.borrow_mut().insert(key.to_owned());
        config.get(key).cloned()
    };
    if let Some(n) = take("name")
        && n != name
    {
        problems.push((
            "name".into(),
            format!("{:?} is not the connector's name {name:?}", shorten(&n)),
        ));
    }
    match take("connector.class") {
        Some(c) if is_plugin_class(&c) => {}
        Some(c) => problems.push((
            "connector.class".into(),
            format!(
                "{:?} is not a plugin of inlet: use {PLUGIN_CLASS}",
                shorten(&c)
            ),
        )),
        None => problems.push((
            "connector.class".into(),
            format!("missing: set it to {PLUGIN_CLASS}"),
        )),
    }
    let tasks_max = match take("tasks.max") {
        None => settings::default_of("tasks.max"),
        Some(t) => match t.trim().parse::<i32>() {
            Ok(n) if settings::TASKS_MAX.contains(&n) => n,
            _ => {
                problems.push((
                    "tasks.max".into(),
                    format!(
                        "{:?} is not a whole number from {} to {}",
                        shorten(&t),
                        settings::TASKS_MAX.start(),
                        settings::TASKS_MAX.end()
                    ),
                ));
                1
            }
        },
    };
    let topics: Vec<String> = take("topics")
        .unwrap_or_default()
        .split(',')
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    if topics.is_empty() {
        problems.push((
            "topics".into(),
            settings::find("topics")
                .map(settings::missing)
                .unwrap_or_default(),
        ));
    }

    // The nested configuration, a RawConnector's JSON, key by key.
    let mut nested = serde_json::Map::new();
    nested.insert("name".into(), name.into());
    let mut put = |section: &str, key: &str, value: Value| {
        if let Value::Object(keys) = nested
            .entry(section)
            .or_insert_with(|| Value::Object(Default::default()))
        {
            keys.insert(key.to_owned(), value);
        }
    };
    for setting in settings::of(Scope::Connector) {
        let Some((section, key)) = setting.path() else {
            continue;
        };
        if setting.kind == Kind::Properties {
            let prefix = format!("{}.", setting.key);
            let properties: serde_json::Map<String, Value> = config
                .iter()
                .filter_map(|(k, v)| Some((k.strip_prefix(&prefix)?.to_owned(), v.clone())))
                .map(|(k, v)| {
                    used.borrow_mut().insert(format!("{prefix}{k}"));
                    (k, Value::String(v))
                })
                .collect();
            put(section, key, Value::Object(properties));
            continue;
        }
        match take(setting.key).map(|text| setting.kind.parse(&text)) {
            Some(Ok(Some(value))) => put(section, key, value),
            Some(Ok(None)) => {}
            Some(Err(problem)) => problems.push((setting.key.to_owned(), problem)),
            None if setting.required => {
                problems.push((setting.key.to_owned(), settings::missing(setting)));
            }
            None => {}
        }
    }
    let mut entries = Vec::new();
    for topic in &topics {
        let mut entry = serde_json::Map::new();
        entry.insert("name".into(), topic.as_str().into());
        for setting in settings::of(Scope::Topic) {
            let specific = format!("topic.{topic}.{}", setting.key);
            let (key, text) = match take(&specific) {
                Some(text) => (specific, Some(text)),
                None => (setting.key.to_owned(), take(setting.key)),
            };
            // `table` is a template of the topic's name.
            let text = text.map(|t| match setting.key {
                "table" => t.replace("${topic}", topic),
                _ => t,
            });
            match text.map(|text| setting.kind.parse(&text)) {
                Some(Ok(Some(value))) => {
                    entry.insert(setting.key.to_owned(), value);
                }
                Some(Ok(None)) => {}
                Some(Err(problem)) => problems.push((key, problem)),
                None if setting.required => {
                    problems.push((
                        key,
                        format!("{} (topic {topic})", settings::missing(setting)),
                    ));
                }
                None => {}
            }
        }
        entries.push(Value::Object(entry));
    }
    nested.insert("topic".into(), Value::Array(entries));

    let used = used.into_inner();
    let topic_keys: Vec<&str> = settings::of(Scope::Topic).map(|s| s.key).collect();
    for key in config.keys() {
        let per_topic = key
            .strip_prefix("topic.")
            .is_some_and(|rest| topic_keys.iter().any(|k| rest.ends_with(&format!(".{k}"))));
        // A topic's key given while `topics` names none is not "unknown": `topics` is said.
        let topic_key = topic_keys.contains(&key.as_str()) && topics.is_empty();
        if !used.contains(key) && !per_topic && !topic_key {
            problems.push((key.clone(), "not a key inlet knows".into()));
        } else if per_topic && !used.contains(key) {
            problems.push((key.clone(), "names a topic that is not in topics".into()));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let raw: RawConnector = serde_json::from_value(Value::Object(nested))
        .map_err(|e| vec![("connector.class".to_owned(), e.to_string())])?;
    // The engine's own checks, with their key paths said as flat keys.
    if let Err(e) = raw.check() {
        return Err(e
            .problems
            .into_iter()
            .map(|(path, message)| (flat_key(&path, &raw, config), message))
            .collect());
    }
    Ok((raw, tasks_max))
}

/// The flat key of the engine's key path `path` (`topic[0].table` → `topic.orders.table` or
/// `table`, whichever the configuration used).
fn flat_key(path: &str, raw: &RawConnector, config: &FlatConfig) -> String {
    if let Some(rest) = path.strip_prefix("topic[")
        && let Some((index, key)) = rest.split_once("].")
        && let Ok(i) = index.parse::<usize>()
        && let Some(topic) = raw.topic.get(i)
    {
        let key = key.split('.').next().unwrap_or(key);
        let specific = format!("topic.{}.{key}", topic.name);
        return if config.contains_key(&specific) {
            specific
        } else {
            key.to_owned()
        };
    }
    if path == "topic" {
        return "topics".into();
    }
    // `kafka.properties."session.timeout.ms"` → `kafka.properties.session.timeout.ms`.
    if let Some(property) = path.strip_prefix("kafka.properties.") {
        return format!("kafka.properties.{}", property.trim_matches('"'));
    }
    path.to_owned()
}

/// A connector defined in a file, as a flat configuration (shown read-only): each setting
/// of [`settings::SETTINGS`] with a value, per-topic ones as `topic.<topic>.<key>`.
pub fn from_raw(raw: &RawConnector) -> FlatConfig {
    let mut flat = FlatConfig::new();
    flat.insert("connector.class".into(), PLUGIN_CLASS.into());
    flat.insert("name".into(), raw.name.clone());
    let topics: Vec<&str> = raw.topic.iter().map(|t| t.name.as_str()).collect();
    flat.insert("topics".into(), topics.join(","));
    let nested = serde_json::to_value(raw).unwrap_or_default();
    for setting in settings::of(Scope::Connector) {
        let Some((section, key)) = setting.path() else {
            continue;
        };
        match (&nested[section][key], setting.kind) {
            (Value::Object(properties), Kind::Properties) => {
                for (property, value) in properties {
                    if let Some(text) = setting.kind.flat_text(value) {
                        flat.insert(format!("{}.{property}", setting.key), text);
                    }
                }
            }
            (value, kind) => {
                if let Some(text) = kind.flat_text(value) {
                    flat.insert(setting.key.to_owned(), text);
                }
            }
        }
    }
    for (topic, entry) in topics
        .iter()
        .zip(nested["topic"].as_array().into_iter().flatten())
    {
        for setting in settings::of(Scope::Topic) {
            if let Some(text) = setting.kind.flat_text(&entry[setting.key]) {
                flat.insert(format!("topic.{topic}.{}", setting.key), text);
            }
        }
    }
    flat
}

/// The connector of `config` with placeholders for the keys a step does not need (a
/// table, topics, brokers), so that each section can be checked alone: the wizard
/// authenticates to Kafka before it has a table; a registry only for Avro topics (the
/// default format): a draft whose `format` is another has none. Problems of the keys given
/// are still reported.
pub fn to_raw_lenient(
    name: &str,
    config: &FlatConfig,
) -> Result<(RawConnector, i32), Vec<Problem>> {
    let mut partial = config.clone();
    partial
        .entry("connector.class".into())
        .or_insert_with(|| PLUGIN_CLASS.into());
    for (key, placeholder) in [
        ("table", "public.validate"),
        ("topics", "validate"),
        ("kafka.bootstrap_servers", "127.0.0.1:9"),
    ] {
        partial
            .entry(key.into())
            .or_insert_with(|| placeholder.into());
    }
    if config.get("format").is_none_or(|f| f.trim() == "avro") {
        partial
            .entry("registry.url".into())
            .or_insert_with(|| "http://127.0.0.1:9".into());
    }
    // Kafka's, the registry's and the topics' keys; batching and errors are not asked.
    partial.retain(|k, _| {
        k.starts_with("kafka.")
            || k.starts_with("registry.")
            || k.starts_with("topic.")
            || settings::find(k).is_some_and(|s| s.scope == Scope::Topic)
            || ["connector.class", "topics", "name"].contains(&k.as_str())
    });
    to_raw(name, &partial)
}

#[cfg(test)]
mod tests {
    use super::*;
    use inlet_engine::config::RawMapping;

    fn flat(pairs: &[(&str, &str)]) -> FlatConfig {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_flat_config_becomes_inlets_and_back() {
        let config = flat(&[
            ("connector.class", PLUGIN_CLASS),
            ("tasks.max", "2"),
            ("topics", "orders, pay.ments"),
            ("kafka.bootstrap_servers", "b:9092"),
            ("kafka.security_protocol", "SASL_SSL"),
            ("kafka.sasl_mechanism", "PLAIN"),
            ("kafka.username", "key"),
            ("kafka.password", "secret"),
            ("kafka.properties.session.timeout.ms", "6000"),
            ("registry.url", "http://r:8081"),
            ("table", "public.${topic}"),
            ("topic.pay.ments.table", "public.payments"),
            (
                "topic.pay.ments.mapping",
                r#"{"id":"id","ts":"kafka.timestamp"}"#,
            ),
            ("insert", "append"),
            ("batch.linger_ms", "50"),
        ]);
        let (raw, tasks) = to_raw("shop", &config).unwrap();
        assert_eq!(tasks, 2);
        assert_eq!(raw.topic[0].table, "public.orders");
        assert_eq!(raw.topic[1].name, "pay.ments");
        assert_eq!(raw.topic[1].table, "public.payments");
        assert!(
            matches!(&raw.topic[1].mapping, RawMapping::Columns(c) if c["ts"] == "kafka.timestamp")
        );
        assert_eq!(raw.kafka.properties["session.timeout.ms"], "6000");
        assert_eq!(raw.batch.linger_ms, 50);
        let back = from_raw(&raw);
        let (again, _) = to_raw("shop", &back).unwrap();
        assert_eq!(again, raw);
    }

    #[test]
    fn every_problem_is_named_by_its_flat_key() {
        let config = flat(&[
            (
                "connector.class",
                "io.confluent.connect.jdbc.JdbcSinkConnector",
            ),
            ("tasks.max", "zero"),
            ("topics", "orders"),
            ("registry.url", "http://r:8081"),
            ("topic.orders.mapping", "{not json"),
            ("topic.other.table", "public.x"),
            ("kafka.bootstrap_server", "typo:9092"),
        ]);
        let problems = to_raw("shop", &config).unwrap_err();
        let keys: Vec<&str> = problems.iter().map(|(k, _)| k.as_str()).collect();
        for key in [
            "connector.class",
            "tasks.max",
            "kafka.bootstrap_servers",
            "table",
            "topic.orders.mapping",
            "topic.other.table",
            "kafka.bootstrap_server",
        ] {
            assert!(keys.contains(&key), "{key} not in {problems:?}");
        }
    }

    #[test]
    fn the_engines_checks_are_said_as_flat_keys() {
        let config = flat(&[
            ("connector.class", PLUGIN_CLASS),
            ("topics", "orders"),
            ("kafka.bootstrap_servers", "b:9092"),
            ("registry.url", "http://r:8081"),
            ("table", "public.orders"),
            ("topic.orders.mapping", r#"{"id":"kafka.ofset"}"#),
        ]);
        let problems = to_raw("shop", &config).unwrap_err();
        assert!(
            problems
                .iter()
                .any(|(k, m)| k == "topic.orders.mapping" && m.contains("ofset")),
            "{problems:?}"
        );
    }

    #[test]
    fn secrets_are_hidden_unless_references_and_kept_when_sent_back_hidden() {
        let stored = flat(&[
            ("kafka.password", "s3cret"),
            ("registry.secret", "${env:REG}"),
            ("kafka.properties.sasl.oauthbearer.client.secret", "x"),
            ("kafka.username", "key"),
        ]);
        let shown = hidden(&stored);
        assert_eq!(shown["kafka.password"], HIDDEN);
        assert_eq!(shown["registry.secret"], "${env:REG}");
        assert_eq!(
            shown["kafka.properties.sasl.oauthbearer.client.secret"],
            HIDDEN
        );
        assert_eq!(shown["kafka.username"], "key");
        let mut sent = shown.clone();
        sent.insert("table".into(), "public.other".into());
        let kept = keep_hidden(sent.clone(), Some(&stored)).unwrap();
        assert_eq!(kept["kafka.password"], "s3cret");
        assert_eq!(kept["table"], "public.other");
        // Another user (or protocol, or address) for a kept password: send it again.
        sent.insert("kafka.username".into(), "other".into());
        let problems = keep_hidden(sent, Some(&stored)).unwrap_err();
        assert!(
            problems[0].1.contains("kafka.username changed"),
            "{problems:?}"
        );
        let mut masked = stored.clone();
        masked.insert("kafka.password".into(), "******".into());
        let masked = keep_hidden(masked, Some(&stored)).unwrap();
        assert_eq!(masked["kafka.password"], "s3cret");
        // Never to a new address, never a secret that was not stored.
        let moved = flat(&[
            ("kafka.password", HIDDEN),
            ("kafka.bootstrap_servers", "attacker:9092"),
        ]);
        let problems = keep_hidden(moved, Some(&stored)).unwrap_err();
        assert!(
            problems[0].1.contains("kafka.bootstrap_servers changed"),
            "{problems:?}"
        );
        let problems = keep_hidden(flat(&[("registry.secret", HIDDEN)]), None).unwrap_err();
        assert!(
            problems[0].1.contains("no secret is stored"),
            "{problems:?}"
        );
    }
}
