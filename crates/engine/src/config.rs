//! Connector configuration, in two forms. The form as written (`raw`: a TOML file's
//! `[[connector]]`, a JSON body, a stored row) serializes both ways and keeps secret
//! references (`${env:NAME}`, `${file:PATH}`) as written; checking it (`check`, one section
//! at a time, every problem with its key path) resolves them into the settings a connector
//! runs with (`ConnectorConfig`), whose secrets print and serialize as `[redacted]`.

mod check;
mod raw;
pub mod settings;

use std::path::Path;
use std::time::Duration;

use inlet_kafka::KafkaSettings;
use inlet_postgres::{DatabaseConfig, TableName};
use inlet_registry::RegistryConfig;

pub use raw::{
    RawBatch, RawConfig, RawConnector, RawDatabase, RawErrors, RawKafka, RawMapping, RawRegistry,
    RawSecret, RawTopic,
};

/// The checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The database.
    pub database: DatabaseConfig,
    /// The connectors.
    pub connectors: Vec<ConnectorConfig>,
}

/// One connector, checked.
#[derive(Debug, Clone)]
pub struct ConnectorConfig {
    /// Its name.
    pub name: String,
    /// Kafka.
    pub kafka: KafkaSettings,
    /// The registry.
    pub registry: RegistryConfig,
    /// Topics and their tables.
    pub topics: Vec<TopicConfig>,
    /// Batching.
    pub batch: BatchConfig,
    /// What to do with a record that cannot be stored.
    pub tolerance: Tolerance,
}

/// A topic and its table.
#[derive(Debug, Clone)]
pub struct TopicConfig {
    /// The topic.
    pub topic: String,
    /// The table.
    pub table: TableName,
    /// How its values are read.
    pub format: Format,
    /// The mapping; None: the proposal of the schema.
    pub mapping: Option<Vec<(String, String)>>,
    /// Create a missing table.
    pub create_table: bool,
    /// Hypertable time column override.
    pub time_column: Option<String>,
    /// Hypertable chunk interval.
    pub chunk_interval: String,
    /// How rows are written.
    pub insert: InsertMode,
    /// Whether new fields become new columns.
    pub evolution: Evolution,
    /// TimescaleDB's columnstore on a hypertable inlet creates (None: off).
    pub columnstore: Option<Columnstore>,
}

/// topic.format: how a record's value is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Confluent-framed Avro (magic byte, schema id, body), schemas from the registry.
    Avro,
    /// Confluent-framed Protobuf (magic byte, schema id, message indexes, message),
    /// schemas from the registry (`inlet-protobuf`).
    Protobuf,
    /// Confluent-framed JSON Schema (magic byte, schema id, a JSON document), schemas from
    /// the registry, read as plain JSON of the shape the schema gives (`inlet-json`).
    JsonSchema,
    /// A JSON document, no registry: its shape is made from the table's columns, or from
    /// a sample of the topic when inlet creates the table (`inlet-json`).
    Json,
    /// The value as one text value (UTF-8).
    Text,
    /// The value as one bytea value.
    Bytes,
}

impl Format {
    /// Every format, as the `format` setting spells it.
    pub const ALL: [Format; 6] = [
        Format::Avro,
        Format::Protobuf,
        Format::JsonSchema,
        Format::Json,
        Format::Text,
        Format::Bytes,
    ];

    /// As the `format` setting spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Avro => "avro",
            Format::Protobuf => "protobuf",
            Format::JsonSchema => "json-schema",
            Format::Json => "json",
            Format::Text => "text",
            Format::Bytes => "bytes",
        }
    }

    /// Whether its schemas come from the registry.
    pub fn uses_registry(self) -> bool {
        matches!(self, Format::Avro | Format::Protobuf | Format::JsonSchema)
    }
}

/// TimescaleDB's columnstore settings of a hypertable inlet creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columnstore {
    /// `segmentby` columns (empty: none).
    pub segment_by: Vec<String>,
    /// How old a chunk is when the policy converts it, a PostgreSQL interval.
    pub after: String,
}

/// topic.insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InsertMode {
    /// COPY: every record is a new row.
    Append,
    /// Insert, or update the row with the same key; the last record of a key wins.
    Upsert {
        /// The unique key's columns.
        key: Vec<String>,
    },
    /// Upsert, and a tombstone (a record with a key and no value) deletes the key's row.
    UpsertDelete {
        /// The unique key's columns.
        key: Vec<String>,
    },
}

impl TopicConfig {
    /// The explicit mapping's columns that take a field of the record's key, with the
    /// field's path (`pk1 = "kafka.key.pk1"` → (`pk1`, `pk1`)); none with mapping = "auto".
    pub fn key_fields(&self) -> impl Iterator<Item = (&str, String)> {
        self.mapping
            .iter()
            .flatten()
            .filter_map(|(column, source)| key_field(column, source))
    }
}

/// (`column`, the key path) when `source` is `kafka.key.<path>`.
pub(crate) fn key_field<'a>(column: &'a str, source: &str) -> Option<(&'a str, String)> {
    match inlet_avro::ColumnSource::parse(source) {
        inlet_avro::ColumnSource::Key(path) => Some((column, path)),
        _ => None,
    }
}

impl InsertMode {
    /// The key columns of the upsert modes.
    pub fn key(&self) -> Option<&[String]> {
        match self {
            InsertMode::Append => None,
            InsertMode::Upsert { key } | InsertMode::UpsertDelete { key } => Some(key),
        }
    }
}

/// topic.evolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evolution {
    /// The table is left as it is; fields it lacks are not stored.
    Off,
    /// New fields become new nullable columns.
    AddColumns,
}

/// Batch limits.
#[derive(Debug, Clone, Copy)]
pub struct BatchConfig {
    /// Most records.
    pub max_rows: usize,
    /// Most bytes: rows, and the raw records kept for dead letters.
    pub max_bytes: usize,
    /// Longest wait for a fuller batch.
    pub linger: Duration,
}

/// errors.tolerance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tolerance {
    /// Stop at the first record that cannot be stored, without passing it.
    None,
    /// Dead-letter it and go on.
    All,
}

/// Every problem found in a configuration, with its key path.
#[derive(Debug, thiserror::Error)]
#[error("the configuration has {} problem(s):\n{}", .problems.len(), .problems.iter().map(|(k, m)| format!("  {k}: {m}")).collect::<Vec<_>>().join("\n"))]
pub struct ConfigError {
    /// (key path, what is wrong).
    pub problems: Vec<(String, String)>,
}

impl inlet_fault::Classify for ConfigError {
    /// Whose fault it is: the configuration's.
    fn fault(&self) -> inlet_fault::Fault {
        inlet_fault::Fault::Config
    }
}

impl Config {
    /// Reads, parses and checks `path`.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        RawConfig::load(path)?.check()
    }

    /// Parses and checks TOML text.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        RawConfig::parse(text)?.check()
    }
}

impl RawConfig {
    /// Reads and parses `path`, without checking it; a syntax error's key is the file's
    /// name and line.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let one = |message: String| ConfigError {
            problems: vec![(path.display().to_string(), message)],
        };
        let text =
            std::fs::read_to_string(path).map_err(|e| one(format!("cannot read it: {e}")))?;
        Self::parse(&text).map_err(|mut e| {
            for (key, _) in &mut e.problems {
                if key.starts_with("line ") {
                    *key = format!("{} {key}", path.display());
                }
            }
            e
        })
    }

    /// Parses TOML text, without checking it (strict: an unknown key is a problem).
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError {
            problems: vec![(where_in(text, e.span()), e.message().to_owned())],
        })
    }
}

/// `line N` (1-based) of a syntax error's span; a file's syntax errors are keyed by line.
fn where_in(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    let start = span.map_or(0, |s| s.start.min(text.len()));
    let line = text.as_bytes()[..start]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1;
    format!("line {line}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use inlet_kafka::Mechanism;

    const GOOD: &str = r#"
[database]
url = "postgres://postgres@127.0.0.1:5432/postgres"

[[connector]]
name = "readings"
[connector.kafka]
bootstrap_servers = "broker:9092"
security_protocol = "SASL_SSL"
sasl_mechanism = "PLAIN"
username = "API_KEY"
password = "${file:PASSWORD_FILE}"
group_prefix = "tigerdata-kafka/proj"
[connector.registry]
url = "https://registry.example"
key = "RKEY"
secret = "hunter2"
[[connector.topic]]
name = "readings"
table = "iot.readings"
[[connector.topic]]
name = "events"
table = "events"
mapping = { ts = "ts", device = "meta.device", partition = "kafka.partition" }
"#;

    #[test]
    fn a_good_file_is_checked_into_settings() {
        let file = std::env::temp_dir().join(format!("inlet-config-test-{}", std::process::id()));
        std::fs::write(&file, "from-file\n").unwrap();
        let text = GOOD.replace("PASSWORD_FILE", &file.display().to_string());
        let config = Config::parse(&text).unwrap();
        std::fs::remove_file(&file).unwrap();
        let c = &config.connectors[0];
        assert_eq!(c.kafka.group_id, "tigerdata-kafka/proj/readings");
        let (mechanism, user, password) = c.kafka.sasl.clone().unwrap();
        assert_eq!(
            (mechanism, user.as_str(), password.expose()),
            (Mechanism::Plain, "API_KEY", "from-file")
        );
        assert_eq!(c.topics[0].table.to_string(), "iot.readings");
        assert!(c.topics[0].mapping.is_none());
        assert_eq!(c.topics[1].mapping.as_ref().unwrap().len(), 3);
        assert_eq!(c.tolerance, Tolerance::All);
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("from-file"),
            "{shown}"
        );
    }

    #[test]
    fn a_registry_is_needed_only_by_avro_topics() {
        let file = |format: &str, registry: &str| {
            format!(
                "[database]\nurl = \"postgres://h/d\"\n[[connector]]\nname = \"c\"\n[connector.kafka]\nbootstrap_servers = \"b:9092\"\n{registry}[[connector.topic]]\nname = \"t\"\ntable = \"t\"\nformat = \"{format}\"\n[[connector.topic]]\nname = \"u\"\ntable = \"u\"\nformat = \"text\"\n"
            )
        };
        let config = Config::parse(&file("json", "")).unwrap();
        assert_eq!(config.connectors[0].topics[0].format, Format::Json);
        let err = Config::parse(&file("avro", "")).unwrap_err();
        assert_eq!(err.problems.len(), 1, "{err}");
        assert_eq!(err.problems[0].0, "connector[0].registry.url");
        assert!(
            err.problems[0]
                .1
                .contains("topic(s) t are read as Confluent-framed Avro"),
            "{err}"
        );
        let err = Config::parse(&file(
            "json",
            "[connector.registry]\nkey = \"k\"\nsecret = \"s\"\n",
        ))
        .unwrap_err();
        assert_eq!(
            err.problems[0].0, "connector[0].registry.url",
            "no secret without the system it is for"
        );
        let keyed = file("json", "").replace(
            "format = \"json\"\n",
            "format = \"json\"\n[connector.topic.mapping]\nid = \"kafka.key.id\"\n",
        );
        let err = Config::parse(&keyed).unwrap_err();
        assert!(
            err.problems
                .iter()
                .any(|(k, m)| k == "connector[0].registry.url" && m.contains("kafka.key.<path>")),
            "an Avro key's fields need the registry: {err}"
        );
        let err = Config::parse(&file("yaml", "")).unwrap_err();
        assert!(
            err.problems
                .iter()
                .any(|(k, m)| k == "connector[0].topic[0].format"
                    && m.contains("avro, protobuf, json-schema, json, text or bytes")),
            "{err}"
        );
    }

    #[test]
    fn a_missing_environment_variable_is_named() {
        let text = GOOD.replace(
            "${file:PASSWORD_FILE}",
            "${env:INLET_SURELY_UNSET_VARIABLE}",
        );
        let err = Config::parse(&text).unwrap_err();
        assert_eq!(err.problems[0].0, "connector[0].kafka.password");
        assert!(
            err.problems[0]
                .1
                .contains("INLET_SURELY_UNSET_VARIABLE is not set")
        );
    }

    #[test]
    fn every_problem_is_reported_with_its_key() {
        let bad = r#"
[database]
url = "postgres://h/d?sslmode=sometimes"
[[connector]]
name = "a b"
[connector.kafka]
bootstrap_servers = "b:9092"
security_protocol = "SASL_SSL"
start_from = "middle"
[connector.registry]
url = "http://r"
secret = "s"
[[connector.topic]]
name = "t"
table = "a.b.c"
insert = "merge"
[connector.errors]
tolerance = "some"
"#;
        let err = Config::parse(bad).unwrap_err();
        let keys: Vec<&str> = err.problems.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "database.url",
                "connector[0].name",
                "connector[0].kafka.sasl_mechanism",
                "connector[0].kafka.username",
                "connector[0].kafka.password",
                "connector[0].kafka.start_from",
                "connector[0].registry.key",
                "connector[0].topic[0].table",
                "connector[0].topic[0].insert",
                "connector[0].errors.tolerance",
            ]
        );
        assert!(
            err.to_string()
                .starts_with("the configuration has 10 problem(s):"),
            "{err}"
        );
    }

    #[test]
    fn upserts_need_their_key_and_add_columns_needs_auto() {
        let text = GOOD.replace(
            "table = \"iot.readings\"",
            "table = \"iot.readings\"\ninsert = \"upsert-delete\"\nevolution = \"add-columns\"",
        )
        .replace(
            "table = \"events\"",
            "table = \"events\"\nevolution = \"add-columns\"\ninsert = \"upsert\"\nkey_columns = [\"ts\"]",
        )
        .replace("${file:PASSWORD_FILE}", "p");
        let err = Config::parse(&text).unwrap_err();
        let keys: Vec<&str> = err.problems.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            [
                "connector[0].topic[0].key_columns",
                "connector[0].topic[1].evolution"
            ],
            "{err}"
        );
        let good = text.replace(
            "insert = \"upsert-delete\"",
            "insert = \"upsert-delete\"\nkey_columns = [\"device_id\", \"ts\"]",
        );
        let good = good.replace(
            "evolution = \"add-columns\"\ninsert = \"upsert\"",
            "insert = \"upsert\"",
        );
        let config = Config::parse(&good).unwrap();
        let topic = &config.connectors[0].topics[0];
        assert_eq!(
            topic.insert,
            InsertMode::UpsertDelete {
                key: vec!["device_id".into(), "ts".into()]
            }
        );
        assert_eq!(topic.evolution, Evolution::AddColumns);
    }

    #[test]
    fn the_columnstore_segments_by_the_key_but_its_time_column_and_its_settings_need_it_on() {
        let with = |topic: &str| {
            Config::parse(
                &GOOD
                    .replace(
                        "table = \"iot.readings\"",
                        &format!("table = \"iot.readings\"\n{topic}"),
                    )
                    .replace("${file:PASSWORD_FILE}", "p"),
            )
        };
        let config = with(
            "insert = \"upsert\"\nkey_columns = [\"device_id\", \"ts\"]\ntime_column = \"ts\"\ncolumnstore = true",
        )
        .unwrap();
        assert_eq!(
            config.connectors[0].topics[0].columnstore,
            Some(Columnstore {
                segment_by: vec!["device_id".into()],
                after: "7 days".into()
            })
        );
        let config = with("columnstore = true\ncolumnstore_segment_by = [\"site\"]\ncolumnstore_after = \"1 day\"").unwrap();
        assert_eq!(
            config.connectors[0].topics[0].columnstore,
            Some(Columnstore {
                segment_by: vec!["site".into()],
                after: "1 day".into()
            })
        );
        assert_eq!(with("").unwrap().connectors[0].topics[0].columnstore, None);
        let err = with("columnstore_after = \"1 day\"").unwrap_err();
        assert_eq!(
            err.problems[0].0, "connector[0].topic[0].columnstore",
            "{err}"
        );
    }

    #[test]
    fn unknown_keys_and_syntax_errors_say_where() {
        let err = Config::parse("[database]\nurl = \"postgres://h/d\"\nport = 5\n").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("unknown field `port`"), "{text}");
        assert_eq!(err.problems[0].0, "line 3", "{text}");
        let err = Config::parse("[database\n").unwrap_err();
        assert_eq!(err.problems[0].0, "line 1", "{err}");
    }

    #[test]
    fn the_raw_form_round_trips_through_json_and_toml_with_references_intact() {
        let text = GOOD.replace("PASSWORD_FILE", "/run/secrets/kafka");
        let raw = RawConfig::parse(&text).unwrap();
        let json = serde_json::to_string(&raw).unwrap();
        let from_json: RawConfig = serde_json::from_str(&json).unwrap();
        assert_eq!(from_json, raw);
        let toml_text = toml::to_string(&from_json).unwrap();
        let again = RawConfig::parse(&toml_text).unwrap();
        assert_eq!(again, raw, "{toml_text}");
        let connector = &again.connector[0];
        assert_eq!(
            connector.kafka.password,
            Some(RawSecret::new("${file:/run/secrets/kafka}"))
        );
        assert!(
            toml_text.contains("${file:/run/secrets/kafka}"),
            "{toml_text}"
        );
        // Debug shows the reference, hides the inline registry secret; redacted() too.
        let shown = format!("{connector:?}");
        assert!(
            shown.contains("${file:/run/secrets/kafka}") && !shown.contains("hunter2"),
            "{shown}"
        );
        let redacted = serde_json::to_string(&connector.redacted()).unwrap();
        assert!(
            redacted.contains("${file:/run/secrets/kafka}") && !redacted.contains("hunter2"),
            "{redacted}"
        );
        // Checking resolves the reference: a missing file is the password's problem.
        let err = connector.check().unwrap_err();
        assert_eq!(err.problems[0].0, "kafka.password", "{err}");
        assert!(err.problems[0].1.contains("/run/secrets/kafka"), "{err}");
    }

    #[test]
    fn each_section_is_checked_alone_and_mappings_are_read_at_check_time() {
        let raw = RawConfig::parse(&GOOD.replace(
            "partition = \"kafka.partition\"",
            "partition = \"kafka.partiton\", b = \"u[string\"",
        ))
        .unwrap();
        let err = raw.connector[0].topic[1].check().unwrap_err();
        let keys: Vec<&str> = err.problems.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["mapping.b", "mapping.partition"], "{err}");
        assert!(err.problems[1].1.contains("not a Kafka field"), "{err}");
        let mut kafka = raw.connector[0].kafka.clone();
        kafka.security_protocol = "TLS".into();
        let err = kafka.check("c").unwrap_err();
        assert_eq!(err.problems[0].0, "security_protocol", "{err}");
        // Keys are relative to the section checked alone.
        let err = raw.connector[0].kafka.check("c").unwrap_err();
        assert_eq!(err.problems[0].0, "password", "{err}");
        let mut kafka = raw.connector[0].kafka.clone();
        kafka.password = Some(RawSecret::new("inline"));
        assert_eq!(kafka.check("c").unwrap().group_id, "tigerdata-kafka/proj/c");
        assert!(raw.connector[0].registry.check().is_ok());
        assert!(raw.connector[0].batch.check().is_ok());
        assert!(raw.connector[0].errors.check().is_ok());
    }

    #[test]
    fn kafka_properties_that_hold_secrets_are_never_shown() {
        let text = GOOD
            .replace("${file:PASSWORD_FILE}", "p")
            .replace(
                "group_prefix = \"tigerdata-kafka/proj\"",
                "group_prefix = \"tigerdata-kafka/proj\"\nproperties = { \"ssl.key.password\" = \"keypass\", \"ssl.keystore.password\" = \"${env:INLET_TEST_OAUTH_SECRET}\", \"fetch.min.bytes\" = \"1\" }",
            );
        let raw = RawConfig::parse(&text).unwrap();
        let shown = format!("{raw:?} {:?}", raw.connector[0].redacted());
        assert!(!shown.contains("keypass"), "{shown}");
        assert!(shown.contains("INLET_TEST_OAUTH_SECRET") && shown.contains("fetch.min.bytes"));
        // The reference is resolved at check time, named when it cannot be.
        let err = raw.check().unwrap_err();
        assert!(
            err.problems
                .iter()
                .any(|(k, m)| k.contains("ssl.keystore.password")
                    && m.contains("INLET_TEST_OAUTH_SECRET")),
            "{err}"
        );
        let checked =
            RawConfig::parse(&text.replace("${env:INLET_TEST_OAUTH_SECRET}", "inline-secret"))
                .unwrap()
                .check()
                .unwrap();
        let kafka = &checked.connectors[0].kafka;
        assert_eq!(kafka.properties["ssl.key.password"], "keypass");
        let shown = format!("{checked:?}");
        assert!(
            !shown.contains("keypass") && !shown.contains("inline-secret"),
            "{shown}"
        );
    }
}
