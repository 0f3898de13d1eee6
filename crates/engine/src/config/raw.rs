//! The configuration as written: what a TOML file or a JSON body holds, and what is stored.
//! It serializes both ways and keeps secret references (`${env:NAME}`, `${file:PATH}`) as
//! written; they are resolved when the configuration is checked for a start
//! ([`RawConnector::check`]). What each key means and its default: [`super::settings`].

use std::collections::BTreeMap;
use std::path::PathBuf;

use inlet_secret::Secret;
use serde::{Deserialize, Serialize};

use super::settings::default_of;

/// A secret as written: a reference, `${env:NAME}` or `${file:PATH}`, or the value itself.
/// `Debug` shows a reference and hides a value (`[redacted]`); serializing keeps it as
/// written (a stored configuration must start again), so a document shown to a user is made
/// with [`RawSecret::redacted`].
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RawSecret(String);

impl RawSecret {
    /// A secret as written.
    pub fn new(written: impl Into<String>) -> Self {
        RawSecret(written.into())
    }

    /// As written (a reference, or the value itself): for storing, never for showing.
    pub fn written(&self) -> &str {
        &self.0
    }

    /// Whether it is a reference (`${env:NAME}`, `${file:PATH}`), not the value itself.
    pub fn is_reference(&self) -> bool {
        self.env_name().is_some() || self.file_path().is_some()
    }

    /// The same, with a value written inline replaced by `[redacted]` (references kept).
    pub fn redacted(&self) -> Self {
        if self.is_reference() {
            self.clone()
        } else {
            RawSecret("[redacted]".into())
        }
    }

    /// The secret: the value, the environment variable's, or the file's (its trailing
    /// newline dropped). Errors name the variable or the file; a `${secret:…}` (a secret
    /// `inlet serve` stores and opens itself) is an error here.
    pub fn resolve(&self) -> Result<Secret, String> {
        if self.0.starts_with("${secret:") && self.0.ends_with('}') {
            return Err(
                "${secret:…} names a secret stored by inlet serve, which opens it itself: in a file, use ${env:NAME} or ${file:PATH}"
                    .into(),
            );
        }
        if let Some(name) = self.env_name() {
            return std::env::var(name)
                .map(Secret::new)
                .map_err(|_| format!("the environment variable {name} is not set"));
        }
        if let Some(path) = self.file_path() {
            return std::fs::read_to_string(path)
                .map(|s| Secret::new(s.trim_end_matches(['\n', '\r'])))
                .map_err(|e| format!("cannot read the secret file {path}: {e}"));
        }
        Ok(Secret::new(self.0.clone()))
    }

    fn env_name(&self) -> Option<&str> {
        self.0.strip_prefix("${env:")?.strip_suffix('}')
    }

    fn file_path(&self) -> Option<&str> {
        self.0.strip_prefix("${file:")?.strip_suffix('}')
    }
}

impl std::fmt::Debug for RawSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_reference() {
            write!(f, "{:?}", self.0)
        } else {
            f.write_str("[redacted]")
        }
    }
}

/// The file as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    /// The database the connectors write to.
    pub database: RawDatabase,
    /// The connectors.
    #[serde(default)]
    pub connector: Vec<RawConnector>,
}

/// `[database]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDatabase {
    /// `postgres://user:password@host:port/db?sslmode=verify-full`; may be a secret reference.
    pub url: RawSecret,
    /// CA certificate (PEM) for `sslmode=verify-ca` / `verify-full`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
}

/// `[[connector]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConnector {
    /// The connector's name: its consumer group suffix and the key of its offsets.
    pub name: String,
    /// `[connector.kafka]`.
    pub kafka: RawKafka,
    /// `[connector.registry]` (none: no registry, for topics of formats without one).
    #[serde(default)]
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

/// `[connector.kafka]`. `Debug` hides the password and the properties that hold secrets.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawKafka {
    /// `host:port[,host:port...]`.
    pub bootstrap_servers: String,
    /// PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL.
    #[serde(default = "default_protocol")]
    pub security_protocol: String,
    /// PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (SASL protocols only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sasl_mechanism: Option<String>,
    /// SASL user name or API key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// SASL password or API secret; may be a secret reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<RawSecret>,
    /// CA certificate (PEM) for the TLS protocols.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    /// The consumer group is `<group_prefix>/<name>`.
    #[serde(default = "default_group_prefix")]
    pub group_prefix: String,
    /// Where a partition with no stored offset starts: earliest or latest.
    #[serde(default = "default_start_from")]
    pub start_from: String,
    /// Extra librdkafka properties.
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
}

impl std::fmt::Debug for RawKafka {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let properties: BTreeMap<&str, RawSecretOrText<'_>> = self
            .properties
            .iter()
            .map(|(k, v)| {
                let shown = if inlet_kafka::is_secret_property(k) {
                    RawSecretOrText::Secret(RawSecret::new(v.clone()))
                } else {
                    RawSecretOrText::Text(v)
                };
                (k.as_str(), shown)
            })
            .collect();
        f.debug_struct("RawKafka")
            .field("bootstrap_servers", &self.bootstrap_servers)
            .field("security_protocol", &self.security_protocol)
            .field("sasl_mechanism", &self.sasl_mechanism)
            .field("username", &self.username)
            .field("password", &self.password)
            .field("ca_file", &self.ca_file)
            .field("group_prefix", &self.group_prefix)
            .field("start_from", &self.start_from)
            .field("properties", &properties)
            .finish()
    }
}

/// A property's value for `Debug`: a secret's as [`RawSecret`] shows it.
enum RawSecretOrText<'a> {
    Secret(RawSecret),
    Text(&'a str),
}

impl std::fmt::Debug for RawSecretOrText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RawSecretOrText::Secret(secret) => secret.fmt(f),
            RawSecretOrText::Text(text) => text.fmt(f),
        }
    }
}

fn default_protocol() -> String {
    default_of("kafka.security_protocol")
}
fn default_group_prefix() -> String {
    default_of("kafka.group_prefix")
}
fn default_start_from() -> String {
    default_of("kafka.start_from")
}

/// `[connector.registry]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRegistry {
    /// The registry's URL; empty: none (topics of format avro need one).
    #[serde(default)]
    pub url: String,
    /// Basic-auth user or API key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Basic-auth password or API secret; may be a secret reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<RawSecret>,
}

/// `[[connector.topic]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTopic {
    /// The Kafka topic.
    pub name: String,
    /// The target, `schema.table` or `table`.
    pub table: String,
    /// How the values are read: avro, json, text or bytes ([`crate::config::Format`]).
    #[serde(default = "default_format")]
    pub format: String,
    /// `"auto"`: the proposal for the schema; or a table of column = source, a
    /// source being a field path of the value (`a.b`, `u[string]`, `[ns.Branch].f`), a field
    /// path of the Avro key (`kafka.key.<path>`), or `kafka.topic`, `kafka.partition`,
    /// `kafka.offset`, `kafka.timestamp`, `kafka.key` (the raw key), `kafka.headers`.
    #[serde(default, skip_serializing_if = "RawMapping::is_auto")]
    pub mapping: RawMapping,
    /// append, upsert (insert or update on `key_columns`), or upsert-delete
    /// (upsert, and a tombstone deletes the row its Kafka key names).
    #[serde(default = "default_insert")]
    pub insert: String,
    /// The table's unique key for the upsert modes, filled from the value's fields or the
    /// Kafka key's.
    #[serde(default)]
    pub key_columns: Vec<String>,
    /// Create the table from the proposal when it is missing.
    #[serde(default = "default_create_table")]
    pub create_table: bool,
    /// With TimescaleDB present, a created table becomes a hypertable on this column
    /// (default: the proposal's first timestamp).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_column: Option<String>,
    /// The hypertable's chunk interval.
    #[serde(default = "default_chunk")]
    pub chunk_interval: String,
    /// off, or add-columns: a field of a new schema that the table lacks becomes
    /// a new nullable column (with the auto mapping).
    #[serde(default = "default_evolution")]
    pub evolution: String,
    /// With TimescaleDB, a hypertable inlet creates gets the columnstore:
    /// chunks older than `columnstore_after` are converted, segmented by
    /// `columnstore_segment_by` and ordered by the time column, newest first.
    #[serde(default = "default_columnstore")]
    pub columnstore: bool,
    /// The columnstore's `segmentby` columns (default: the key columns but the time
    /// column; none for append).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columnstore_segment_by: Vec<String>,
    /// How old a chunk is when the columnstore policy converts it.
    #[serde(default = "default_columnstore_after")]
    pub columnstore_after: String,
}

fn default_columnstore_after() -> String {
    default_of("columnstore_after")
}
fn default_columnstore() -> bool {
    default_of("columnstore")
}
fn default_format() -> String {
    default_of("format")
}
fn default_insert() -> String {
    default_of("insert")
}
fn default_create_table() -> bool {
    default_of("create_table")
}
fn default_chunk() -> String {
    default_of("chunk_interval")
}
fn default_evolution() -> String {
    default_of("evolution")
}

/// `mapping = "auto"` or `[connector.topic.mapping]` column = source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
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

impl RawMapping {
    /// Whether it is the auto mapping (not given, or "auto").
    pub fn is_auto(&self) -> bool {
        matches!(self, RawMapping::Auto) || matches!(self, RawMapping::Word(w) if w == "auto")
    }
}

/// `[connector.batch]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

fn default_max_rows() -> usize {
    default_of("batch.max_rows")
}
fn default_max_bytes() -> usize {
    default_of("batch.max_bytes")
}
fn default_linger_ms() -> u64 {
    default_of("batch.linger_ms")
}

/// `[connector.errors]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawErrors {
    /// all: bad records go to `inlet.dead_letters`; none: the connector stops.
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
    default_of("errors.tolerance")
}
