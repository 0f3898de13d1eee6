//! Every setting of a connector, declared once ([`SETTINGS`]): its flat key (Kafka
//! Connect's form: `kafka.password`, `table`), its place in a configuration file
//! (`[connector.kafka] password`, each `[[connector.topic]]`'s `table`), its kind, default,
//! group, whether it is secret or per topic, and its documentation.
//!
//! From this one list come the serde defaults of [`super::RawConnector`], `inlet serve`'s
//! flat ↔ nested translation and its `/connector-plugins/…/config` listing, the console's
//! defaults (read from that listing) and `docs/configuration.md` ([`reference`]; a test keeps
//! the committed file equal to it).

use serde::de::DeserializeOwned;
use serde_json::Value;

use Group as G;
use Kind as K;
use Scope as S;

/// How a setting's value is written in a flat configuration (always text) and what it is
/// in a configuration file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A Java class name, as Kafka Connect's `connector.class` (not in a file).
    Class,
    /// Text.
    Text,
    /// A whole number, 0 or more.
    Int,
    /// `true` or `false`.
    Boolean,
    /// Names separated by commas; a list of strings in a file.
    List,
    /// A secret: the value itself or a reference (`${env:NAME}`, `${file:PATH}`, and under
    /// `inlet serve` `${secret:…}`).
    Password,
    /// `auto`, or a JSON object of column → source; a table of column = source in a file.
    Mapping,
    /// librdkafka properties: each is its own flat key, this setting's key, a dot, and the
    /// property (`kafka.properties.session.timeout.ms`); a table in a file.
    Properties,
}

impl Kind {
    /// Kafka Connect's name of the type (`ConfigDef.Type`), as the plugin listing gives it.
    pub fn connect_type(self) -> &'static str {
        match self {
            Kind::Class => "CLASS",
            Kind::Text | Kind::Mapping | Kind::Properties => "STRING",
            Kind::Int => "INT",
            Kind::Boolean => "BOOLEAN",
            Kind::List => "LIST",
            Kind::Password => "PASSWORD",
        }
    }

    /// The value a flat configuration's `text` is in the nested configuration (the JSON a
    /// [`super::RawConnector`] deserializes from); None for the automatic mapping (`auto`,
    /// or nothing).
    ///
    /// # Errors
    /// What the text is not, as a sentence that quotes it (cut to [`ECHOED_CHARS`]).
    pub fn parse(self, text: &str) -> Result<Option<Value>, String> {
        let trimmed = text.trim();
        match self {
            Kind::Class | Kind::Text | Kind::Password | Kind::Properties => {
                Ok(Some(Value::String(text.to_owned())))
            }
            Kind::Int => trimmed
                .parse::<u64>()
                .map(|n| Some(Value::from(n)))
                .map_err(|_| format!("{:?} is not a whole number", shorten(text))),
            Kind::Boolean => match trimmed {
                "true" => Ok(Some(Value::Bool(true))),
                "false" => Ok(Some(Value::Bool(false))),
                _ => Err(format!("{:?} is not true or false", shorten(text))),
            },
            Kind::List => Ok(Some(Value::Array(
                text.split(',')
                    .map(str::trim)
                    .filter(|item| !item.is_empty())
                    .map(|item| Value::String(item.to_owned()))
                    .collect(),
            ))),
            Kind::Mapping => match trimmed {
                "" | "auto" => Ok(None),
                json => {
                    match serde_json::from_str::<std::collections::BTreeMap<String, String>>(json) {
                        Ok(columns) => Ok(Some(serde_json::json!(columns))),
                        Err(e) => Err(format!(
                            "not \"auto\" nor a JSON object of column → source ({e}), e.g. {{\"ts\": \"kafka.timestamp\", \"id\": \"order.id\"}}"
                        )),
                    }
                }
            },
        }
    }

    /// A nested configuration's `value` as a flat configuration writes it; None when there
    /// is nothing to write (null, an empty list, the automatic mapping).
    pub fn flat_text(self, value: &Value) -> Option<String> {
        match (self, value) {
            (_, Value::Null) => None,
            (Kind::Mapping, Value::Object(_)) => Some(value.to_string()),
            (Kind::Mapping, _) => None,
            (_, Value::String(s)) => Some(s.clone()),
            (_, Value::Array(items)) if items.is_empty() => None,
            (_, Value::Array(items)) => Some(
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            (_, other) => Some(other.to_string()),
        }
    }
}

/// Where a setting sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Kafka Connect's own keys (`name`, `connector.class`, `tasks.max`, `topics`), read
    /// by `inlet serve`; a file says what they say otherwise (the `[[connector]]`'s `name`,
    /// its `[[connector.topic]]` entries).
    Connect,
    /// A key of the connector's `[connector.<section>]`: flat key `<section>.<key>`.
    Connector,
    /// A key of each `[[connector.topic]]`: flat key `<key>` for every topic, or
    /// `topic.<topic>.<key>` for one.
    Topic,
    /// A key of a file's `[database]` (`inlet run` only; `inlet serve` takes the database
    /// on its command line): flat key `database.<key>`, never in a connector's configuration.
    Database,
}

/// The groups a form shows the settings in, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// The connector's name, plugin, tasks and topics.
    Common,
    /// The Kafka cluster.
    Kafka,
    /// The schema registry.
    Registry,
    /// The table of each topic.
    Table,
    /// The transactions.
    Batching,
    /// Records that cannot be stored.
    Errors,
    /// The database (a file's `[database]`).
    Database,
}

impl Group {
    /// Every group, in the order a form shows them.
    pub const ALL: [Group; 7] = [
        Group::Common,
        Group::Kafka,
        Group::Registry,
        Group::Table,
        Group::Batching,
        Group::Errors,
        Group::Database,
    ];

    /// Its title, as Kafka Connect's listing gives a group.
    pub fn title(self) -> &'static str {
        match self {
            Group::Common => "Common",
            Group::Kafka => "Kafka",
            Group::Registry => "Schema Registry",
            Group::Table => "Table",
            Group::Batching => "Batching",
            Group::Errors => "Errors",
            Group::Database => "Database",
        }
    }
}

/// One setting.
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    /// The flat key (Kafka Connect's form).
    pub key: &'static str,
    /// Where it sits.
    pub scope: Scope,
    /// How its value is written.
    pub kind: Kind,
    /// Whether a connector must have it.
    pub required: bool,
    /// Its default, as a flat configuration writes it; None: none (or absent).
    pub default: Option<&'static str>,
    /// The values it takes, when they are few (Kafka Connect's recommended values).
    pub choices: &'static [&'static str],
    /// The group a form shows it in.
    pub group: Group,
    /// What it is: a sentence or two, first letter capital, full stop.
    pub doc: &'static str,
}

impl Setting {
    /// Whether it holds a secret, never shown nor logged.
    pub fn is_secret(&self) -> bool {
        self.kind == Kind::Password
    }

    /// Its place in a connector's nested configuration: (section, key) — (`kafka`,
    /// `bootstrap_servers`), (`topic`, `table`) for each topic's; None for Kafka Connect's
    /// own keys and the database's.
    pub fn path(&self) -> Option<(&'static str, &'static str)> {
        match self.scope {
            Scope::Connector => self.key.split_once('.'),
            Scope::Topic => Some(("topic", self.key)),
            Scope::Connect | Scope::Database => None,
        }
    }

    /// Its place in a configuration file, as the reference shows it: `[connector.kafka]
    /// bootstrap_servers`, `[[connector.topic]] table`, `[database] url`; None for the keys
    /// of `inlet serve` alone (`connector.class`, `tasks.max`).
    pub fn file_place(&self) -> Option<String> {
        Some(match (self.scope, self.key) {
            (Scope::Connect, "name") => "[[connector]] name".into(),
            (Scope::Connect, "topics") => "[[connector.topic]] name".into(),
            (Scope::Connect, _) => return None,
            (Scope::Topic, key) => format!("[[connector.topic]] {key}"),
            (Scope::Connector | Scope::Database, key) => {
                let (section, key) = key.split_once('.').unwrap_or(("", key));
                let section = if self.scope == Scope::Database {
                    section.to_owned()
                } else {
                    format!("connector.{section}")
                };
                format!("[{section}] {key}")
            }
        })
    }

    /// Whether `/connector-plugins/…/config` lists it: a connector's own keys, each by its
    /// exact name (librdkafka properties are keys of their own, the database is the
    /// server's).
    pub fn is_listed(&self) -> bool {
        self.scope != Scope::Database && self.kind != Kind::Properties
    }
}

const fn setting(
    key: &'static str,
    scope: Scope,
    kind: Kind,
    group: Group,
    doc: &'static str,
) -> Setting {
    Setting {
        key,
        scope,
        kind,
        required: false,
        default: None,
        choices: &[],
        group,
        doc,
    }
}

impl Setting {
    const fn required(mut self) -> Self {
        self.required = true;
        self
    }

    const fn default(mut self, default: &'static str) -> Self {
        self.default = Some(default);
        self
    }

    const fn choices(mut self, choices: &'static [&'static str]) -> Self {
        self.choices = choices;
        self
    }
}

/// Every setting, in the order a form shows them.
pub const SETTINGS: &[Setting] = &[
    setting("name", S::Connect, K::Text, G::Common, "The connector's name: letters, digits, '-', '_' or '.'. It names the consumer group and the stored offsets.").required(),
    setting("connector.class", S::Connect, K::Class, G::Common, "The plugin: inlet.PostgresSink (or PostgresSink).").required(),
    setting("tasks.max", S::Connect, K::Int, G::Common, "Consumers of the connector's group, from 1 to 1000, spread over the workers; Kafka spreads the partitions among them.").default("1"),
    setting("topics", S::Connect, K::List, G::Common, "The topics to read, separated by commas.").required(),
    setting("kafka.bootstrap_servers", S::Connector, K::Text, G::Kafka, "The brokers, host:port separated by commas (a Confluent Cloud cluster's bootstrap endpoint).").required(),
    setting("kafka.security_protocol", S::Connector, K::Text, G::Kafka, "How the brokers are reached (Confluent Cloud: SASL_SSL).").default("PLAINTEXT").choices(&["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]),
    setting("kafka.sasl_mechanism", S::Connector, K::Text, G::Kafka, "The SASL mechanism, with a SASL security protocol (Confluent Cloud: PLAIN).").choices(&["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]),
    setting("kafka.username", S::Connector, K::Text, G::Kafka, "The SASL user (Confluent Cloud: the API key)."),
    setting("kafka.password", S::Connector, K::Password, G::Kafka, "The SASL password (Confluent Cloud: the API secret), or a reference: ${env:NAME}, ${file:PATH}."),
    setting("kafka.ca_file", S::Connector, K::Text, G::Kafka, "A PEM file of the CA that signs the brokers' certificates, for the TLS protocols (default: the system's)."),
    setting("kafka.group_prefix", S::Connector, K::Text, G::Kafka, "The consumer group is <group_prefix>/<connector name>.").default("inlet"),
    setting("kafka.start_from", S::Connector, K::Text, G::Kafka, "Where a partition with no stored offset starts.").default("earliest").choices(&["earliest", "latest"]),
    setting("kafka.properties", S::Connector, K::Properties, G::Kafka, "librdkafka properties, each as its own key: kafka.properties.<property> (those exactly once rests on are refused)."),
    setting("registry.url", S::Connector, K::Text, G::Registry, "The Confluent-compatible schema registry's URL: required when a topic's format is avro (the default), protobuf or json-schema; topics of format json, text or bytes need none."),
    setting("registry.key", S::Connector, K::Text, G::Registry, "The registry's basic-auth user (Confluent Cloud: the API key)."),
    setting("registry.secret", S::Connector, K::Password, G::Registry, "The registry's basic-auth password (Confluent Cloud: the API secret), or a reference."),
    setting("table", S::Topic, K::Text, G::Table, "The target table, schema.table or table (${topic} is replaced by each topic's name).").required(),
    setting("format", S::Topic, K::Text, G::Table, "How the records' values are read: avro (Confluent-framed Avro, schemas from the registry); protobuf (Confluent-framed Protobuf, .proto schemas from the registry, each record's message by its message indexes); json-schema (Confluent-framed JSON Schema: a JSON document, its types from the registry's schema); json (JSON documents, no registry: columns by field path, a missing table made from a sample of the topic); text (the value as one text column, UTF-8); bytes (the value as one bytea column).").default("avro").choices(&["avro", "protobuf", "json-schema", "json", "text", "bytes"]),
    setting("mapping", S::Topic, K::Mapping, G::Table, "auto (the proposal for the schema), or a JSON object of column → source: a field path of the value (a.b, u[string], [ns.Branch].f), kafka.key.<path>, or kafka.topic, kafka.partition, kafka.offset, kafka.timestamp, kafka.key, kafka.headers.").default("auto"),
    setting("insert", S::Topic, K::Text, G::Table, "append; upsert (insert or update on key_columns); or upsert-delete (upsert, and a tombstone deletes the row its Kafka key names).").default("append").choices(&["append", "upsert", "upsert-delete"]),
    setting("key_columns", S::Topic, K::List, G::Table, "The upsert modes' key columns, separated by commas (a unique index on exactly them), filled from the value's fields or the Kafka key's."),
    setting("create_table", S::Topic, K::Boolean, G::Table, "Create a missing table from the proposal for the subject's latest schema.").default("true"),
    setting("time_column", S::Topic, K::Text, G::Table, "With TimescaleDB, a created table becomes a hypertable on this column (default: the proposal's first non-null timestamp)."),
    setting("chunk_interval", S::Topic, K::Text, G::Table, "The hypertable's chunk interval (a PostgreSQL interval).").default("7 days"),
    setting("evolution", S::Topic, K::Text, G::Table, "off; or add-columns: a field of a new schema that the table lacks becomes a new nullable column (with the auto mapping).").default("off").choices(&["off", "add-columns"]),
    setting("columnstore", S::Topic, K::Boolean, G::Table, "With TimescaleDB, a hypertable inlet creates gets the columnstore: chunks older than columnstore_after are converted, segmented by columnstore_segment_by and ordered by the time column, newest first.").default("false"),
    setting("columnstore_segment_by", S::Topic, K::List, G::Table, "The columnstore's segmentby columns, separated by commas (default: the key columns but the time column; none for append)."),
    setting("columnstore_after", S::Topic, K::Text, G::Table, "How old a chunk is when the columnstore policy converts it (a PostgreSQL interval).").default("7 days"),
    setting("batch.max_rows", S::Connector, K::Int, G::Batching, "Records per transaction at most.").default("50000"),
    setting("batch.max_bytes", S::Connector, K::Int, G::Batching, "Bytes per transaction at most: the rows, and the raw records kept for dead letters.").default("16777216"),
    setting("batch.linger_ms", S::Connector, K::Int, G::Batching, "How long a batch waits for more records before a smaller one is written, in milliseconds.").default("200"),
    setting("errors.tolerance", S::Connector, K::Text, G::Errors, "all: a record that cannot be stored becomes a dead letter (inlet.dead_letters); none: the connector stops at it.").default("all").choices(&["all", "none"]),
    setting("database.url", S::Database, K::Password, G::Database, "postgres://user:password@host:port/db?sslmode=verify-full, or a reference: ${env:NAME}, ${file:PATH}.").required(),
    setting("database.ca_file", S::Database, K::Text, G::Database, "A PEM file of the CA that signs the database's certificate, for sslmode=verify-ca or verify-full."),
];

/// The task counts `tasks.max` takes.
pub const TASKS_MAX: std::ops::RangeInclusive<i32> = 1..=1000;

/// The setting of a flat key (`kafka.password`, `table`; a per-topic key without its
/// `topic.<topic>.` and a librdkafka property without its `kafka.properties.` are not
/// found here).
pub fn find(key: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.key == key)
}

/// The settings of `scope`, in order.
pub fn of(scope: Scope) -> impl Iterator<Item = &'static Setting> {
    SETTINGS.iter().filter(move |s| s.scope == scope)
}

/// The default of the setting `key` as the nested configuration holds it: what an absent
/// key deserializes to (the `#[serde(default = …)]` of [`super::RawConnector`]'s fields).
///
/// # Panics
/// When `key` has no default of type `T` in [`SETTINGS`]: a mistake of the caller's, which
/// the tests of this module rule out for the configuration's own defaults.
pub fn default_of<T: DeserializeOwned>(key: &str) -> T {
    let setting = find(key).unwrap_or_else(|| panic!("{key} is not a setting"));
    let text = setting
        .default
        .unwrap_or_else(|| panic!("{key} has no default"));
    let value = setting
        .kind
        .parse(text)
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("the default of {key} does not parse"));
    serde_json::from_value(value).unwrap_or_else(|e| panic!("the default of {key}: {e}"))
}

/// The longest key or value an answer or a problem echoes, in characters; longer ones are
/// cut.
pub const ECHOED_CHARS: usize = 120;

/// `text` as an answer may echo it: at most [`ECHOED_CHARS`] characters, then `…` (a
/// megabyte of key name is not sent back, nor logged).
pub fn shorten(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(ECHOED_CHARS) {
        None => text.into(),
        Some((end, _)) => format!("{}…", &text[..end]).into(),
    }
}

/// What a missing required setting is said as: `missing: the brokers, host:port …`.
pub fn missing(setting: &Setting) -> String {
    let doc = setting.doc.trim_end_matches('.');
    let mut chars = doc.chars();
    let lowered: String = match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    };
    format!("missing: {lowered}")
}

/// `docs/configuration.md`: every setting, by group, with its file place, kind, default
/// and documentation (Markdown).
pub fn reference() -> String {
    let mut out = String::from(
        "# Configuration reference\n\n\
         Generated from the settings table (`crates/engine/src/config/settings.rs`) by\n\
         `INLET_BLESS=1 cargo test -p inlet-engine --lib settings`; a test fails when this file\n\
         is stale.\n\n\
         A connector's settings are written two ways: as a flat map of strings, the form of\n\
         Kafka Connect's REST API (`inlet serve`, the console), or nested in a TOML file's\n\
         `[[connector]]` (`inlet run`). A per-topic setting given without a topic applies to\n\
         every topic; `topic.<topic>.<key>` sets it for one topic, over the one without. A\n\
         secret is the value itself or a reference (`${env:NAME}`, `${file:PATH}`; under\n\
         `inlet serve` also `${secret:<connector>/<key>}`), shown `[hidden]` once stored.\n",
    );
    for group in Group::ALL {
        out.push_str(&format!("\n## {}\n\n", group.title()));
        out.push_str("| flat key | in a file | kind | default | |\n|---|---|---|---|---|\n");
        for s in SETTINGS.iter().filter(|s| s.group == group) {
            let key = match s.kind {
                Kind::Properties => format!("`{}.<property>`", s.key),
                _ => format!("`{}`", s.key),
            };
            let kind = match (s.kind, s.scope) {
                (Kind::Password, _) => "secret".to_owned(),
                (kind, Scope::Topic) => {
                    format!("{}, per topic", kind.connect_type().to_lowercase())
                }
                (kind, _) => kind.connect_type().to_lowercase(),
            };
            let default = match (s.required, s.default) {
                (true, _) => "required".to_owned(),
                (false, Some(d)) => format!("`{d}`"),
                (false, None) => String::new(),
            };
            let choices = if s.choices.is_empty() {
                String::new()
            } else {
                format!(" One of: {}.", s.choices.join(", "))
            };
            let place = match s.file_place() {
                Some(place) => format!("`{place}`"),
                None => "inlet serve only".to_owned(),
            };
            out.push_str(&format!(
                "| {key} | {place} | {kind} | {default} | {}{choices} |\n",
                s.doc.replace('|', "\\|"),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{RawConnector, RawMapping, RawSecret, RawTopic};

    #[test]
    fn the_task_count_is_said_as_it_is_checked() {
        let tasks = find("tasks.max").unwrap();
        let range = format!("from {} to {}", TASKS_MAX.start(), TASKS_MAX.end());
        assert!(tasks.doc.contains(&range), "{}", tasks.doc);
        assert!(TASKS_MAX.contains(&default_of::<i32>("tasks.max")));
    }

    #[test]
    fn every_default_parses_as_its_kind_and_every_choice_is_taken() {
        for s in SETTINGS {
            if let Some(default) = s.default {
                assert!(
                    s.kind.parse(default).is_ok(),
                    "the default of {} does not parse",
                    s.key
                );
                if !s.choices.is_empty() {
                    assert!(s.choices.contains(&default), "{}", s.key);
                }
            }
            assert!(
                !(s.required && s.default.is_some()),
                "{} is required and has a default",
                s.key
            );
            assert!(s.doc.ends_with('.'), "{}'s doc", s.key);
            assert_eq!(
                s.path().is_some(),
                matches!(s.scope, Scope::Connector | Scope::Topic),
                "{}",
                s.key
            );
        }
    }

    /// A connector with every field set: each of its fields must have a setting.
    fn everything() -> RawConnector {
        let mut raw: RawConnector = toml::from_str(
            r#"
            name = "c"
            [kafka]
            bootstrap_servers = "b:9092"
            security_protocol = "SASL_SSL"
            sasl_mechanism = "PLAIN"
            username = "u"
            password = "p"
            ca_file = "/ca.pem"
            properties = { "session.timeout.ms" = "6000" }
            [registry]
            url = "http://r"
            key = "k"
            secret = "s"
            [[topic]]
            name = "t"
            table = "public.t"
            mapping = { id = "id" }
            insert = "upsert"
            key_columns = ["id"]
            time_column = "ts"
            columnstore = true
            columnstore_segment_by = ["id"]
            "#,
        )
        .unwrap();
        raw.kafka.password = Some(RawSecret::new("p"));
        raw
    }

    #[test]
    fn every_field_of_a_connector_has_a_setting_and_every_setting_a_field() {
        let nested = serde_json::to_value(everything()).unwrap();
        let mut fields = Vec::new();
        for (section, value) in nested.as_object().unwrap() {
            match value {
                Value::Object(keys) => {
                    fields.extend(keys.keys().map(|k| (section.clone(), k.clone())));
                }
                Value::Array(topics) => {
                    let topic = topics[0].as_object().unwrap();
                    fields.extend(topic.keys().map(|k| (section.clone(), k.clone())));
                }
                _ => fields.push((String::new(), section.clone())),
            }
        }
        for (section, key) in &fields {
            let found = match (section.as_str(), key.as_str()) {
                ("", "name") | ("topic", "name") => true,
                (section, key) => SETTINGS.iter().any(|s| s.path() == Some((section, key))),
            };
            assert!(found, "{section}.{key} has no setting");
        }
        for s in SETTINGS {
            if let Some((section, key)) = s.path() {
                assert!(
                    fields.iter().any(|(f, k)| f == section && k == key),
                    "the setting {} has no field",
                    s.key
                );
            }
        }
    }

    #[test]
    fn an_absent_setting_is_its_default() {
        let raw: RawConnector = toml::from_str(
            r#"
            name = "c"
            kafka = { bootstrap_servers = "b:9092" }
            registry = { url = "http://r" }
            topic = [{ name = "t", table = "t" }]
            "#,
        )
        .unwrap();
        let nested = serde_json::to_value(&raw).unwrap();
        for s in SETTINGS {
            let (Some((section, key)), Some(default)) = (s.path(), s.default) else {
                continue;
            };
            let value = match &nested[section] {
                Value::Array(topics) => &topics[0][key],
                object => &object[key],
            };
            let expected = s.kind.parse(default).unwrap();
            match expected {
                Some(expected) => assert_eq!(value, &expected, "{}", s.key),
                None => assert!(s.kind.flat_text(value).is_none(), "{}", s.key),
            }
        }
        let topic: &RawTopic = &raw.topic[0];
        assert!(matches!(topic.mapping, RawMapping::Auto));
    }

    #[test]
    fn every_choice_is_one_the_check_takes_and_another_value_is_refused() {
        let base = serde_json::to_value(everything()).unwrap();
        for s in SETTINGS.iter().filter(|s| !s.choices.is_empty()) {
            let (section, key) = s.path().unwrap();
            let with = |value: &str| {
                let mut nested = base.clone();
                match &mut nested[section] {
                    Value::Array(topics) => topics[0][key] = value.into(),
                    object => object[key] = value.into(),
                }
                let raw: RawConnector = serde_json::from_value(nested).unwrap();
                raw.check().err().map(|e| e.problems).unwrap_or_default()
            };
            for choice in s.choices {
                let problems = with(choice);
                assert!(
                    !problems
                        .iter()
                        .any(|(_, m)| m.starts_with(&format!("{choice:?} is not"))),
                    "{}={choice}: {problems:?}",
                    s.key
                );
            }
            let problems = with("bogus");
            assert!(
                problems.iter().any(|(path, m)| path.ends_with(key)
                    && m.to_lowercase().contains("\"bogus\" is not")),
                "{}=bogus: {problems:?}",
                s.key
            );
        }
    }

    #[test]
    fn the_committed_reference_is_the_settings_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/configuration.md");
        let generated = reference();
        if std::env::var_os("INLET_BLESS").is_some() {
            std::fs::write(path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == generated,
            "docs/configuration.md is not the settings table's: run INLET_BLESS=1 cargo test -p inlet-engine --lib settings"
        );
    }

    #[test]
    fn values_are_parsed_by_their_kind_and_written_back() {
        assert_eq!(K::Int.parse(" 12 ").unwrap(), Some(Value::from(12)));
        assert!(
            K::Int
                .parse("-1")
                .unwrap_err()
                .contains("\"-1\" is not a whole number")
        );
        assert!(
            K::Boolean
                .parse("yes")
                .unwrap_err()
                .contains("not true or false")
        );
        assert_eq!(
            K::List.parse("a, ,b").unwrap(),
            Some(serde_json::json!(["a", "b"]))
        );
        assert_eq!(K::Mapping.parse("auto").unwrap(), None);
        assert!(K::Mapping.parse(r#"{"a": 1}"#).is_err());
        let long = "x".repeat(1000);
        assert!(K::Int.parse(&long).unwrap_err().len() < 200);
        for (kind, text) in [
            (K::Int, "7"),
            (K::Boolean, "false"),
            (K::List, "a,b"),
            (K::Mapping, r#"{"a":"b"}"#),
            (K::Text, "7 days"),
        ] {
            let value = kind.parse(text).unwrap().unwrap();
            assert_eq!(kind.flat_text(&value).as_deref(), Some(text));
        }
    }
}
