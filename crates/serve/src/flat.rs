//! A connector's configuration as Kafka Connect carries it — one flat map of strings — and
//! inlet's configuration as written ([`RawConnector`]), both ways.
//!
//! | flat key | inlet |
//! |---|---|
//! | `connector.class` | must be [`PLUGIN_CLASS`] (or its short name `PostgresSink`) |
//! | `tasks.max` | consumers of the connector's group (default 1) |
//! | `topics` | the topics, separated by commas |
//! | `kafka.<key>` | `[connector.kafka]` `<key>` (`kafka.properties.<librdkafka key>` for `properties`) |
//! | `registry.<key>` | `[connector.registry]` `<key>` |
//! | `table`, `mapping`, `insert`, `key_columns`, `create_table`, `time_column`, `chunk_interval`, `evolution`, `columnstore`, `columnstore_segment_by`, `columnstore_after` | each topic's `[[connector.topic]]` key |
//! | `topic.<topic>.<key>` | the same key for one topic, over the one without a topic |
//! | `batch.<key>`, `errors.<key>` | `[connector.batch]`, `[connector.errors]` |
//!
//! `mapping` is `auto` or a JSON object (column → source); `key_columns` is separated by
//! commas. `table` may hold `${topic}`, replaced by each topic's name. Secrets (`kafka.password`,
//! `registry.secret`, librdkafka properties that hold secrets) are stored as written: a
//! reference (`${env:…}`, `${file:…}`) or a value that is never shown again
//! ([`HIDDEN`] in its place).

use std::collections::BTreeMap;

use inlet_engine::config::{
    RawBatch, RawConnector, RawErrors, RawKafka, RawMapping, RawRegistry, RawSecret, RawTopic,
};

/// The one connector plugin inlet has: a sink into PostgreSQL.
pub const PLUGIN_CLASS: &str = "inlet.PostgresSink";

/// What a secret's literal value is shown as, and what means "unchanged" when sent back.
pub const HIDDEN: &str = "[hidden]";

/// A configuration as Kafka Connect carries it.
pub type FlatConfig = BTreeMap<String, String>;

/// The keys each topic takes (alone, or as `topic.<topic>.<key>`).
const TOPIC_KEYS: &[&str] = &[
    "table",
    "mapping",
    "insert",
    "key_columns",
    "create_table",
    "time_column",
    "chunk_interval",
    "evolution",
    "columnstore",
    "columnstore_segment_by",
    "columnstore_after",
];

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
    key == "kafka.password"
        || key == "registry.secret"
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

/// The longest key or value echoed in an answer, in characters; longer ones are cut.
pub const ECHOED_CHARS: usize = 120;

/// `text` as an answer may echo it: at most [`ECHOED_CHARS`] characters, then `…` (a
/// megabyte of key name is not sent back, nor logged).
pub fn shorten(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(ECHOED_CHARS) {
        None => text.into(),
        Some((end, _)) => format!("{}…", &text[..end]).into(),
    }
}

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
        Some(c) if c == PLUGIN_CLASS || c == "PostgresSink" => {}
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
        None => 1,
        Some(t) => match t.trim().parse::<i32>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                problems.push((
                    "tasks.max".into(),
                    format!("{:?} is not a whole number from 1 to 1000", shorten(&t)),
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
            "missing: the topics to read, separated by commas".into(),
        ));
    }

    let mut properties = BTreeMap::new();
    for (key, value) in config {
        if let Some(property) = key.strip_prefix("kafka.properties.") {
            used.borrow_mut().insert(key.clone());
            properties.insert(property.to_owned(), value.clone());
        }
    }
    let kafka = RawKafka {
        bootstrap_servers: take("kafka.bootstrap_servers").unwrap_or_else(|| {
            problems.push((
                "kafka.bootstrap_servers".into(),
                "missing: the brokers, host:port separated by commas".into(),
            ));
            String::new()
        }),
        security_protocol: take("kafka.security_protocol").unwrap_or_else(|| "PLAINTEXT".into()),
        sasl_mechanism: take("kafka.sasl_mechanism"),
        username: take("kafka.username"),
        password: take("kafka.password").map(RawSecret::new),
        ca_file: take("kafka.ca_file").map(Into::into),
        group_prefix: take("kafka.group_prefix").unwrap_or_else(|| "inlet".into()),
        start_from: take("kafka.start_from").unwrap_or_else(|| "earliest".into()),
        properties,
    };
    let registry = RawRegistry {
        url: take("registry.url").unwrap_or_else(|| {
            problems.push((
                "registry.url".into(),
                "missing: the schema registry's URL".into(),
            ));
            String::new()
        }),
        key: take("registry.key"),
        secret: take("registry.secret").map(RawSecret::new),
    };
    let mut topic_configs = Vec::new();
    for topic in &topics {
        let value = |key: &str| -> (String, Option<String>) {
            let specific = format!("topic.{topic}.{key}");
            match take(&specific) {
                Some(v) => (specific, Some(v)),
                None => (key.to_owned(), take(key)),
            }
        };
        let (table_key, table) = value("table");
        let table = table
            .map(|t| t.replace("${topic}", topic))
            .unwrap_or_else(|| {
                problems.push((
                    table_key,
                    format!("missing: the table of topic {topic} (schema.table)"),
                ));
                String::new()
            });
        let (mapping_key, mapping) = value("mapping");
        let mapping = match mapping.as_deref().map(str::trim) {
            None | Some("auto" | "") => RawMapping::Auto,
            Some(json) => match serde_json::from_str::<BTreeMap<String, String>>(json) {
                Ok(columns) => RawMapping::Columns(columns),
                Err(e) => {
                    problems.push((
                        mapping_key,
                        format!(
                            "not \"auto\" nor a JSON object of column → source ({e}), e.g. {{\"ts\": \"kafka.timestamp\", \"id\": \"order.id\"}}"
                        ),
                    ));
                    RawMapping::Auto
                }
            },
        };
        let (_, insert) = value("insert");
        let (_, key_columns) = value("key_columns");
        let (create_key, create_table) = value("create_table");
        let create_table = match create_table.as_deref().map(str::trim) {
            None => true,
            Some("true") => true,
            Some("false") => false,
            Some(other) => {
                problems.push((
                    create_key,
                    format!("{:?} is not true or false", shorten(other)),
                ));
                true
            }
        };
        let (_, time_column) = value("time_column");
        let (_, chunk_interval) = value("chunk_interval");
        let (_, evolution) = value("evolution");
        let (columnstore_key, columnstore) = value("columnstore");
        let columnstore = match columnstore.as_deref().map(str::trim) {
            None | Some("false") => false,
            Some("true") => true,
            Some(other) => {
                problems.push((
                    columnstore_key,
                    format!("{:?} is not true or false", shorten(other)),
                ));
                false
            }
        };
        let (_, segment_by) = value("columnstore_segment_by");
        let (_, columnstore_after) = value("columnstore_after");
        topic_configs.push(RawTopic {
            name: topic.clone(),
            table,
            mapping,
            insert: insert.unwrap_or_else(|| "append".into()),
            key_columns: key_columns
                .unwrap_or_default()
                .split(',')
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .collect(),
            create_table,
            time_column,
            chunk_interval: chunk_interval.unwrap_or_else(|| "7 days".into()),
            evolution: evolution.unwrap_or_else(|| "off".into()),
            columnstore,
            columnstore_segment_by: segment_by
                .unwrap_or_default()
                .split(',')
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .collect(),
            columnstore_after: columnstore_after.unwrap_or_else(|| "7 days".into()),
        });
    }
    let mut number = |key: &str, default: u64| -> u64 {
        match take(key) {
            None => default,
            Some(v) => v.trim().parse().unwrap_or_else(|_| {
                problems.push((
                    key.to_owned(),
                    format!("{:?} is not a whole number", shorten(&v)),
                ));
                default
            }),
        }
    };
    let defaults = RawBatch::default();
    let batch = RawBatch {
        max_rows: usize::try_from(number("batch.max_rows", defaults.max_rows as u64))
            .unwrap_or(usize::MAX),
        max_bytes: usize::try_from(number("batch.max_bytes", defaults.max_bytes as u64))
            .unwrap_or(usize::MAX),
        linger_ms: number("batch.linger_ms", defaults.linger_ms),
    };
    let errors = RawErrors {
        tolerance: take("errors.tolerance").unwrap_or_else(|| RawErrors::default().tolerance),
    };
    let used = used.into_inner();
    for key in config.keys() {
        let per_topic = key
            .strip_prefix("topic.")
            .is_some_and(|rest| TOPIC_KEYS.iter().any(|k| rest.ends_with(&format!(".{k}"))));
        // A topic's key given while `topics` names none is not "unknown": `topics` is said.
        let topic_key = TOPIC_KEYS.contains(&key.as_str()) && topics.is_empty();
        if !used.contains(key) && !per_topic && !topic_key {
            problems.push((key.clone(), "not a key inlet knows".into()));
        } else if per_topic && !used.contains(key) {
            problems.push((key.clone(), "names a topic that is not in topics".into()));
        }
    }
    let raw = RawConnector {
        name: name.to_owned(),
        kafka,
        registry,
        topic: topic_configs,
        batch,
        errors,
    };
    if !problems.is_empty() {
        return Err(problems);
    }
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

/// A connector defined in a file, as a flat configuration (shown read-only).
pub fn from_raw(raw: &RawConnector) -> FlatConfig {
    let mut flat = FlatConfig::new();
    let mut put = |k: &str, v: String| {
        flat.insert(k.to_owned(), v);
    };
    put("connector.class", PLUGIN_CLASS.into());
    put("name", raw.name.clone());
    put(
        "topics",
        raw.topic
            .iter()
            .map(|t| t.name.as_str())
            .collect::<Vec<_>>()
            .join(","),
    );
    let k = &raw.kafka;
    put("kafka.bootstrap_servers", k.bootstrap_servers.clone());
    put("kafka.security_protocol", k.security_protocol.clone());
    if let Some(m) = &k.sasl_mechanism {
        put("kafka.sasl_mechanism", m.clone());
    }
    if let Some(u) = &k.username {
        put("kafka.username", u.clone());
    }
    if let Some(p) = &k.password {
        put("kafka.password", p.written().to_owned());
    }
    if let Some(ca) = &k.ca_file {
        put("kafka.ca_file", ca.display().to_string());
    }
    put("kafka.group_prefix", k.group_prefix.clone());
    put("kafka.start_from", k.start_from.clone());
    for (key, value) in &k.properties {
        put(&format!("kafka.properties.{key}"), value.clone());
    }
    put("registry.url", raw.registry.url.clone());
    if let Some(key) = &raw.registry.key {
        put("registry.key", key.clone());
    }
    if let Some(secret) = &raw.registry.secret {
        put("registry.secret", secret.written().to_owned());
    }
    for t in &raw.topic {
        let key = |k: &str| format!("topic.{}.{k}", t.name);
        put(&key("table"), t.table.clone());
        if let RawMapping::Columns(columns) = &t.mapping {
            put(
                &key("mapping"),
                serde_json::to_string(columns).unwrap_or_default(),
            );
        }
        put(&key("insert"), t.insert.clone());
        if !t.key_columns.is_empty() {
            put(&key("key_columns"), t.key_columns.join(","));
        }
        put(&key("create_table"), t.create_table.to_string());
        if let Some(time) = &t.time_column {
            put(&key("time_column"), time.clone());
        }
        put(&key("chunk_interval"), t.chunk_interval.clone());
        put(&key("evolution"), t.evolution.clone());
        if t.columnstore {
            put(&key("columnstore"), "true".into());
            if !t.columnstore_segment_by.is_empty() {
                put(
                    &key("columnstore_segment_by"),
                    t.columnstore_segment_by.join(","),
                );
            }
            put(&key("columnstore_after"), t.columnstore_after.clone());
        }
    }
    put("batch.max_rows", raw.batch.max_rows.to_string());
    put("batch.max_bytes", raw.batch.max_bytes.to_string());
    put("batch.linger_ms", raw.batch.linger_ms.to_string());
    put("errors.tolerance", raw.errors.tolerance.clone());
    flat
}

/// The connector of `config` with placeholders for the keys a step does not need (a
/// table, topics, brokers, a registry), so that each section can be checked alone: the
/// wizard authenticates to Kafka before it has a table. Problems of the keys given are
/// still reported.
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
        ("registry.url", "http://127.0.0.1:9"),
    ] {
        partial
            .entry(key.into())
            .or_insert_with(|| placeholder.into());
    }
    // Kafka's, the registry's and the topics' keys; batching and errors are not asked.
    partial.retain(|k, _| {
        k.starts_with("kafka.")
            || k.starts_with("registry.")
            || k.starts_with("topic.")
            || TOPIC_KEYS.contains(&k.as_str())
            || ["connector.class", "topics", "name"].contains(&k.as_str())
    });
    to_raw(name, &partial)
}

#[cfg(test)]
mod tests {
    use super::*;

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
