//! Connector configuration: the TOML file as written (`RawConfig`, strict: unknown keys are
//! errors), then resolved and checked into `Config`, reporting every problem at once with
//! its key path. Secrets may be inline or `${env:NAME}` / `${file:PATH}`; they are held as
//! `Secret`, which prints `[redacted]`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use inlet_kafka::{KafkaSettings, Mechanism, SecurityProtocol, StartFrom};
use inlet_postgres::{DatabaseConfig, TableName};
use inlet_registry::{BasicCredentials, RegistryConfig, Secret};
use serde::Deserialize;

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// The database the connectors write to.
    pub database: RawDatabase,
    /// The connectors.
    #[serde(default)]
    pub connector: Vec<RawConnector>,
}

/// `[database]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDatabase {
    /// `postgres://user:password@host:port/db?sslmode=verify-full`; may be a secret reference.
    pub url: String,
    /// CA certificate (PEM) for `sslmode=verify-ca` / `verify-full`.
    pub ca_file: Option<PathBuf>,
}

/// `[[connector]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConnector {
    /// The connector's name: its consumer group suffix and the key of its offsets.
    pub name: String,
    /// `[connector.kafka]`.
    pub kafka: RawKafka,
    /// `[connector.registry]`.
    pub registry: RawRegistry,
    /// `[[connector.topic]]`.
    #[serde(default)]
    pub topic: Vec<RawTopic>,
    /// `[connector.batch]`.
    #[serde(default)]
    pub batch: RawBatch,
    /// `[connector.errors]`.
    #[serde(default)]
    pub errors: RawErrors,
}

/// `[connector.kafka]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawKafka {
    /// `host:port[,host:port...]`.
    pub bootstrap_servers: String,
    /// PLAINTEXT (default), SSL, SASL_PLAINTEXT, SASL_SSL.
    #[serde(default = "default_protocol")]
    pub security_protocol: String,
    /// PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (SASL protocols only).
    pub sasl_mechanism: Option<String>,
    /// SASL user name or API key.
    pub username: Option<String>,
    /// SASL password or API secret; may be a secret reference.
    pub password: Option<String>,
    /// CA certificate (PEM) for the TLS protocols.
    pub ca_file: Option<PathBuf>,
    /// The consumer group is `<group_prefix>/<name>`.
    #[serde(default = "default_group_prefix")]
    pub group_prefix: String,
    /// Where a partition with no stored offset starts: earliest (default) or latest.
    #[serde(default = "default_start_from")]
    pub start_from: String,
    /// Extra librdkafka properties.
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
}

fn default_protocol() -> String {
    "PLAINTEXT".into()
}
fn default_group_prefix() -> String {
    "inlet".into()
}
fn default_start_from() -> String {
    "earliest".into()
}

/// `[connector.registry]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRegistry {
    /// The registry's URL.
    pub url: String,
    /// Basic-auth user or API key.
    pub key: Option<String>,
    /// Basic-auth password or API secret; may be a secret reference.
    pub secret: Option<String>,
}

/// `[[connector.topic]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTopic {
    /// The Kafka topic.
    pub name: String,
    /// The target, `schema.table` or `table`.
    pub table: String,
    /// `"auto"` (default): the proposal for the schema; or a table of column = source, a
    /// source being a field path of the value (`a.b`, `u[string]`, `[ns.Branch].f`), a field
    /// path of the Avro key (`kafka.key.<path>`), or `kafka.topic`, `kafka.partition`,
    /// `kafka.offset`, `kafka.timestamp`, `kafka.key` (the raw key), `kafka.headers`.
    #[serde(default)]
    pub mapping: RawMapping,
    /// append (default), upsert (insert or update on `key_columns`), or upsert-delete
    /// (upsert, and a tombstone deletes the row its Kafka key names).
    #[serde(default = "default_insert")]
    pub insert: String,
    /// The table's unique key for the upsert modes, filled from the value's fields or the
    /// Kafka key's.
    #[serde(default)]
    pub key_columns: Vec<String>,
    /// Create the table from the proposal when it is missing (default true).
    #[serde(default = "default_true")]
    pub create_table: bool,
    /// With TimescaleDB present, a created table becomes a hypertable on this column
    /// (default: the proposal's first timestamp).
    pub time_column: Option<String>,
    /// The hypertable's chunk interval (default "7 days").
    #[serde(default = "default_chunk")]
    pub chunk_interval: String,
    /// off (default), or add-columns: a field of a new schema that the table lacks becomes
    /// a new nullable column (with the auto mapping).
    #[serde(default = "default_evolution")]
    pub evolution: String,
}

fn default_insert() -> String {
    "append".into()
}
const fn default_true() -> bool {
    true
}
fn default_chunk() -> String {
    "7 days".into()
}
fn default_evolution() -> String {
    "off".into()
}

/// `mapping = "auto"` or `[connector.topic.mapping]` column = source.
#[derive(Debug, Deserialize, Default)]
#[serde(untagged)]
pub enum RawMapping {
    /// "auto".
    Word(String),
    /// column → source.
    Columns(BTreeMap<String, String>),
    /// Not given: auto.
    #[default]
    #[serde(skip)]
    Auto,
}

/// `[connector.batch]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBatch {
    /// Most records per transaction.
    #[serde(default = "default_max_rows")]
    pub max_rows: usize,
    /// Most bytes per transaction: rows, and the raw records kept for dead letters.
    #[serde(default = "default_max_bytes")]
    pub max_bytes: usize,
    /// How long to wait for more records before writing a smaller batch.
    #[serde(default = "default_linger_ms")]
    pub linger_ms: u64,
}

impl Default for RawBatch {
    fn default() -> Self {
        RawBatch {
            max_rows: default_max_rows(),
            max_bytes: default_max_bytes(),
            linger_ms: default_linger_ms(),
        }
    }
}

const fn default_max_rows() -> usize {
    50_000
}
const fn default_max_bytes() -> usize {
    16 << 20
}
const fn default_linger_ms() -> u64 {
    200
}

/// `[connector.errors]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawErrors {
    /// all (default): bad records go to `inlet.dead_letters`; none: the connector stops.
    #[serde(default = "default_tolerance")]
    pub tolerance: String,
}

impl Default for RawErrors {
    fn default() -> Self {
        RawErrors {
            tolerance: default_tolerance(),
        }
    }
}

fn default_tolerance() -> String {
    "all".into()
}

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

impl Config {
    /// Reads, parses and checks `path`.
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

    /// Parses and checks TOML text.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError {
            problems: vec![(where_in(text, e.span()), e.message().to_owned())],
        })?;
        raw.check()
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

/// Resolves a secret: inline, `${env:NAME}` or `${file:PATH}` (trailing newline dropped).
fn secret(value: &str) -> Result<Secret, String> {
    if let Some(name) = value
        .strip_prefix("${env:")
        .and_then(|v| v.strip_suffix('}'))
    {
        return std::env::var(name)
            .map(Secret::new)
            .map_err(|_| format!("the environment variable {name} is not set"));
    }
    if let Some(path) = value
        .strip_prefix("${file:")
        .and_then(|v| v.strip_suffix('}'))
    {
        return std::fs::read_to_string(path)
            .map(|s| Secret::new(s.trim_end_matches(['\n', '\r'])))
            .map_err(|e| format!("cannot read the secret file {path}: {e}"));
    }
    Ok(Secret::new(value))
}

impl RawConfig {
    fn check(self) -> Result<Config, ConfigError> {
        let mut problems: Vec<(String, String)> = Vec::new();
        let mut database = None;
        match secret(&self.database.url) {
            Err(e) => problems.push(("database.url".into(), e)),
            Ok(url) => match DatabaseConfig::parse(url.expose()) {
                Ok(mut config) => {
                    if let Some(ca) = &self.database.ca_file {
                        config = config.with_root_cert(ca);
                    }
                    database = Some(config);
                }
                Err(e) => problems.push(("database.url".into(), e.to_string())),
            },
        }
        if self.connector.is_empty() {
            problems.push(("connector".into(), "no [[connector]] is defined".into()));
        }
        let mut connectors = Vec::new();
        let mut names = Vec::new();
        for (i, raw) in self.connector.into_iter().enumerate() {
            let at = format!("connector[{i}]");
            if names.contains(&raw.name) {
                problems.push((
                    format!("{at}.name"),
                    format!("{:?} is used twice", raw.name),
                ));
            }
            names.push(raw.name.clone());
            if let Some(c) = raw.check(&at, &mut problems) {
                connectors.push(c);
            }
        }
        match database {
            Some(database) if problems.is_empty() => Ok(Config {
                database,
                connectors,
            }),
            _ => Err(ConfigError { problems }),
        }
    }
}

impl RawConnector {
    fn check(self, at: &str, problems: &mut Vec<(String, String)>) -> Option<ConnectorConfig> {
        let before = problems.len();
        let mut problem =
            |key: &str, message: String| problems.push((format!("{at}.{key}"), message));
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            problem(
                "name",
                format!("{:?} must be letters, digits, '-', '_' or '.'", self.name),
            );
        }
        let k = &self.kafka;
        let protocol = match k.security_protocol.to_ascii_uppercase().as_str() {
            "PLAINTEXT" => Some(SecurityProtocol::Plaintext),
            "SSL" => Some(SecurityProtocol::Ssl),
            "SASL_PLAINTEXT" => Some(SecurityProtocol::SaslPlaintext),
            "SASL_SSL" => Some(SecurityProtocol::SaslSsl),
            other => {
                problem(
                    "kafka.security_protocol",
                    format!("{other:?} is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL"),
                );
                None
            }
        };
        let mut sasl = None;
        if protocol.is_some_and(SecurityProtocol::is_sasl) {
            let mechanism = match k
                .sasl_mechanism
                .as_deref()
                .map(str::to_ascii_uppercase)
                .as_deref()
            {
                Some("PLAIN") => Some(Mechanism::Plain),
                Some("SCRAM-SHA-256") => Some(Mechanism::ScramSha256),
                Some("SCRAM-SHA-512") => Some(Mechanism::ScramSha512),
                Some(other) => {
                    problem(
                        "kafka.sasl_mechanism",
                        format!("{other:?} is not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512"),
                    );
                    None
                }
                None => {
                    problem(
                        "kafka.sasl_mechanism",
                        "is required with a SASL security protocol".into(),
                    );
                    None
                }
            };
            if k.username.as_deref().unwrap_or("").is_empty() {
                problem(
                    "kafka.username",
                    "is required with a SASL security protocol".into(),
                );
            }
            let password = match k.password.as_deref().map(secret) {
                Some(Ok(p)) => Some(p),
                Some(Err(e)) => {
                    problem("kafka.password", e);
                    None
                }
                None => {
                    problem(
                        "kafka.password",
                        "is required with a SASL security protocol".into(),
                    );
                    None
                }
            };
            if let (Some(m), Some(u), Some(p)) = (mechanism, k.username.clone(), password) {
                sasl = Some((m, u, p));
            }
        } else if k.sasl_mechanism.is_some() || k.username.is_some() || k.password.is_some() {
            problem(
                "kafka.security_protocol",
                "SASL credentials are given: use SASL_SSL or SASL_PLAINTEXT".into(),
            );
        }
        if let Some(ca) = &k.ca_file
            && !ca.is_file()
        {
            problem(
                "kafka.ca_file",
                format!("{} is not a readable file", ca.display()),
            );
        }
        if k.bootstrap_servers.trim().is_empty() {
            problem("kafka.bootstrap_servers", "is empty".into());
        }
        let start_from = match k.start_from.as_str() {
            "earliest" => StartFrom::Earliest,
            "latest" => StartFrom::Latest,
            other => {
                problem(
                    "kafka.start_from",
                    format!("{other:?} is not earliest or latest"),
                );
                StartFrom::Earliest
            }
        };
        for key in k.properties.keys() {
            // Exactly once rests on these: offsets live in PostgreSQL, a stored offset past
            // the log's start resumes there, records of aborted transactions are never read.
            let instead = match key.as_str() {
                "group.id" => Some("the consumer group is <kafka.group_prefix>/<connector name>"),
                "enable.auto.commit" | "enable.auto.offset.store" => {
                    Some("inlet stores offsets in PostgreSQL, in the transaction of the rows")
                }
                "sasl.password" => Some("use kafka.password"),
                "auto.offset.reset" => Some(
                    "use kafka.start_from = \"earliest\" or \"latest\" for partitions with no stored offset",
                ),
                "isolation.level" => Some(
                    "inlet reads read_committed, so that records of aborted transactions are never stored",
                ),
                _ => None,
            };
            if let Some(instead) = instead {
                problem(
                    &format!("kafka.properties.{key:?}"),
                    format!("is set by inlet and cannot be overridden: {instead}"),
                );
            }
        }
        // KIP-848: the group's session and assignment are the broker's.
        if k.properties
            .get("group.protocol")
            .is_some_and(|p| p.eq_ignore_ascii_case("consumer"))
        {
            for key in [
                "session.timeout.ms",
                "heartbeat.interval.ms",
                "partition.assignment.strategy",
                "group.protocol.type",
            ] {
                if k.properties.contains_key(key) {
                    problem(
                        &format!("kafka.properties.{key:?}"),
                        "is not supported with group.protocol = \"consumer\": remove it (the broker's group.consumer.* settings apply)".into(),
                    );
                }
            }
        }
        let mut registry = RegistryConfig::new(&self.registry.url);
        match (
            &self.registry.key,
            self.registry.secret.as_deref().map(secret),
        ) {
            (Some(key), Some(Ok(password))) => {
                registry.credentials = Some(BasicCredentials {
                    username: key.clone(),
                    password,
                })
            }
            (_, Some(Err(e))) => problem("registry.secret", e),
            (Some(_), None) => problem("registry.secret", "is required with registry.key".into()),
            (None, Some(Ok(_))) => {
                problem("registry.key", "is required with registry.secret".into())
            }
            (None, None) => {}
        }
        if self.topic.is_empty() {
            problem("topic", "no [[connector.topic]] is defined".into());
        }
        let mut topics = Vec::new();
        for (i, t) in self.topic.into_iter().enumerate() {
            let key = |k: &str| format!("topic[{i}].{k}");
            let table = TableName::parse(&t.table);
            if table.is_none() {
                problem(
                    &key("table"),
                    format!("{:?} is not `schema.table` or `table`", t.table),
                );
            }
            let mapping = match t.mapping {
                RawMapping::Auto => None,
                RawMapping::Word(w) if w == "auto" => None,
                RawMapping::Word(w) => {
                    problem(
                        &key("mapping"),
                        format!("{w:?}: give \"auto\" or a table of column = source"),
                    );
                    None
                }
                RawMapping::Columns(c) => Some(c.into_iter().collect()),
            };
            let keys = t.key_columns.clone();
            let insert = match t.insert.as_str() {
                "append" => {
                    if !keys.is_empty() {
                        problem(
                            &key("key_columns"),
                            "is only used by insert = \"upsert\" or \"upsert-delete\"".into(),
                        );
                    }
                    InsertMode::Append
                }
                "upsert" => InsertMode::Upsert { key: keys.clone() },
                "upsert-delete" => InsertMode::UpsertDelete { key: keys.clone() },
                other => {
                    problem(
                        &key("insert"),
                        format!("{other:?} is not append, upsert or upsert-delete"),
                    );
                    InsertMode::Append
                }
            };
            if insert.key().is_some_and(<[String]>::is_empty) {
                problem(
                    &key("key_columns"),
                    format!(
                        "is required with insert = {:?}: the columns of the table's unique key, e.g. [\"device_id\", \"ts\"]",
                        t.insert
                    ),
                );
            }
            let evolution = match t.evolution.as_str() {
                "off" => Evolution::Off,
                "add-columns" => Evolution::AddColumns,
                other => {
                    problem(
                        &key("evolution"),
                        format!("{other:?} is not off or add-columns"),
                    );
                    Evolution::Off
                }
            };
            if evolution == Evolution::AddColumns && mapping.is_some() {
                problem(
                    &key("evolution"),
                    "add-columns needs mapping = \"auto\": an explicit mapping names its columns"
                        .into(),
                );
            }
            if let Some(table) = table {
                topics.push(TopicConfig {
                    topic: t.name,
                    table,
                    mapping,
                    create_table: t.create_table,
                    time_column: t.time_column,
                    chunk_interval: t.chunk_interval,
                    insert,
                    evolution,
                });
            }
        }
        let b = &self.batch;
        if b.max_rows == 0 {
            problem("batch.max_rows", "must be at least 1".into());
        }
        if b.max_bytes < 1024 {
            problem("batch.max_bytes", "must be at least 1024".into());
        }
        let tolerance = match self.errors.tolerance.as_str() {
            "all" => Tolerance::All,
            "none" => Tolerance::None,
            other => {
                problem("errors.tolerance", format!("{other:?} is not all or none"));
                Tolerance::All
            }
        };
        if problems.len() > before {
            return None;
        }
        Some(ConnectorConfig {
            kafka: KafkaSettings {
                bootstrap_servers: k.bootstrap_servers.clone(),
                security_protocol: protocol?,
                sasl,
                ca_file: k.ca_file.clone(),
                group_id: format!("{}/{}", k.group_prefix, self.name),
                start_from,
                properties: k.properties.clone(),
            },
            name: self.name,
            registry,
            topics,
            batch: BatchConfig {
                max_rows: b.max_rows,
                max_bytes: b.max_bytes,
                linger: Duration::from_millis(b.linger_ms),
            },
            tolerance,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn unknown_keys_and_syntax_errors_say_where() {
        let err = Config::parse("[database]\nurl = \"postgres://h/d\"\nport = 5\n").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("unknown field `port`"), "{text}");
        assert_eq!(err.problems[0].0, "line 3", "{text}");
        let err = Config::parse("[database\n").unwrap_err();
        assert_eq!(err.problems[0].0, "line 1", "{err}");
    }
}
