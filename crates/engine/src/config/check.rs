//! From the configuration as written to checked settings, one section at a time: each
//! section's check is callable alone, and reports every problem it finds with its key path
//! (relative to the connector: `kafka.password`, `topic[1].mapping.ts`). Secret references
//! are resolved here, so a connector's configuration is checked when it starts.

use std::time::Duration;

use inlet_avro::ColumnSource;
use inlet_kafka::{KafkaSettings, Mechanism, SecurityProtocol, StartFrom};
use inlet_postgres::{DatabaseConfig, TableName};
use inlet_registry::{BasicCredentials, RegistryConfig};

use super::raw::{
    RawBatch, RawConfig, RawConnector, RawDatabase, RawErrors, RawKafka, RawMapping, RawRegistry,
    RawSecret, RawTopic,
};
use super::settings::default_of;
use super::{
    BatchConfig, Columnstore, Config, ConfigError, ConnectorConfig, Evolution, Format, InsertMode,
    Tolerance, TopicConfig,
};

/// Problems found so far, each under the key path `at` starts it with.
pub(super) struct Problems<'a> {
    at: String,
    list: &'a mut Vec<(String, String)>,
}

impl<'a> Problems<'a> {
    fn new(at: &str, list: &'a mut Vec<(String, String)>) -> Self {
        Problems {
            at: at.to_owned(),
            list,
        }
    }

    fn add(&mut self, key: &str, message: String) {
        let key = match (self.at.is_empty(), key.is_empty()) {
            (true, _) => key.to_owned(),
            (false, true) => self.at.clone(),
            (false, false) => format!("{}.{key}", self.at),
        };
        self.list.push((key, message));
    }

    /// The problems under `key` (`topic[0]`).
    fn under(&mut self, key: &str) -> Problems<'_> {
        let at = if self.at.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.at)
        };
        Problems {
            at,
            list: self.list,
        }
    }

    fn count(&self) -> usize {
        self.list.len()
    }
}

/// Runs a section check alone: its value, or every problem it found.
fn alone<T>(check: impl FnOnce(&mut Problems<'_>) -> Option<T>) -> Result<T, ConfigError> {
    let mut list = Vec::new();
    let value = check(&mut Problems::new("", &mut list));
    match value {
        Some(value) if list.is_empty() => Ok(value),
        _ => Err(ConfigError { problems: list }),
    }
}

impl RawConfig {
    /// Checks every connector and the database at once, secret references resolved:
    /// the settings, or every problem with its key path (`connector[0].kafka.password`).
    pub fn check(&self) -> Result<Config, ConfigError> {
        let mut list: Vec<(String, String)> = Vec::new();
        let database = self
            .database
            .check_into(&mut Problems::new("database", &mut list));
        if self.connector.is_empty() {
            list.push(("connector".into(), "no [[connector]] is defined".into()));
        }
        let mut connectors = Vec::new();
        let mut names = Vec::new();
        for (i, raw) in self.connector.iter().enumerate() {
            let at = format!("connector[{i}]");
            if names.contains(&raw.name) {
                list.push((
                    format!("{at}.name"),
                    format!("{:?} is used twice", raw.name),
                ));
            }
            names.push(raw.name.clone());
            if let Some(c) = raw.check_into(&mut Problems::new(&at, &mut list)) {
                connectors.push(c);
            }
        }
        match database {
            Some(database) if list.is_empty() => Ok(Config {
                database,
                connectors,
            }),
            _ => Err(ConfigError { problems: list }),
        }
    }
}

impl RawDatabase {
    /// The database settings (the URL's secret reference resolved), or every problem.
    pub fn check(&self) -> Result<DatabaseConfig, ConfigError> {
        alone(|p| self.check_into(p))
    }

    fn check_into(&self, problems: &mut Problems<'_>) -> Option<DatabaseConfig> {
        let url = match self.url.resolve() {
            Ok(url) => url,
            Err(e) => {
                problems.add("url", e);
                return None;
            }
        };
        match DatabaseConfig::parse(url.expose()) {
            Ok(config) => Some(match &self.ca_file {
                Some(ca) => config.with_root_cert(ca),
                None => config,
            }),
            Err(e) => {
                problems.add("url", e.to_string());
                None
            }
        }
    }
}

impl RawConnector {
    /// The connector's settings, checked section by section with its secret references
    /// resolved (so: when it starts), or every problem with its key path (`kafka.password`,
    /// `topic[0].mapping.ts`).
    pub fn check(&self) -> Result<ConnectorConfig, ConfigError> {
        alone(|p| self.check_into(p))
    }

    /// The same with inline secrets replaced by `[redacted]` (references kept): what may
    /// be shown.
    pub fn redacted(&self) -> Self {
        let mut shown = self.clone();
        shown.kafka.password = shown.kafka.password.as_ref().map(|s| s.redacted());
        shown.registry.secret = shown.registry.secret.as_ref().map(|s| s.redacted());
        for (key, value) in &mut shown.kafka.properties {
            if inlet_kafka::is_secret_property(key) {
                *value = RawSecret::new(value.clone())
                    .redacted()
                    .written()
                    .to_owned();
            }
        }
        shown
    }

    fn check_into(&self, problems: &mut Problems<'_>) -> Option<ConnectorConfig> {
        let before = problems.count();
        if self.name.is_empty()
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            problems.add(
                "name",
                format!("{:?} must be letters, digits, '-', '_' or '.'", self.name),
            );
        }
        let kafka = self
            .kafka
            .check_into(&self.name, &mut problems.under("kafka"));
        let registry = self.registry.check_into(&mut problems.under("registry"));
        if self.topic.is_empty() {
            problems.add("topic", "no [[connector.topic]] is defined".into());
        }
        let mut topics = Vec::new();
        for (i, t) in self.topic.iter().enumerate() {
            if let Some(topic) = t.check_into(&mut problems.under(&format!("topic[{i}]"))) {
                topics.push(topic);
            }
        }
        let avro: Vec<&str> = topics
            .iter()
            .filter(|t| t.format.uses_registry())
            .map(|t| t.topic.as_str())
            .collect();
        // Fields of a Confluent-framed Avro key need its schema, whatever the value's format.
        let keyed: Vec<&str> = topics
            .iter()
            .filter(|t| !t.format.uses_registry() && t.key_fields().next().is_some())
            .map(|t| t.topic.as_str())
            .collect();
        if self.registry.url.trim().is_empty() && !keyed.is_empty() {
            problems.under("registry").add(
                "url",
                format!(
                    "is required: the mapping of topic(s) {} takes fields of the record's key (kafka.key.<path>), a Confluent-framed Avro key whose schema the registry holds",
                    keyed.join(", ")
                ),
            );
        }
        if self.registry.url.trim().is_empty() && !avro.is_empty() {
            problems.under("registry").add(
                "url",
                format!(
                    "is required: topic(s) {} are read as Confluent-framed Avro, Protobuf or JSON Schema (format = \"avro\", the default, \"protobuf\" or \"json-schema\"), whose schemas the registry holds; or give them another format (json, text, bytes)",
                    avro.join(", ")
                ),
            );
        }
        let batch = self.batch.check_into(&mut problems.under("batch"));
        let tolerance = self.errors.check_into(&mut problems.under("errors"));
        if problems.count() > before {
            return None;
        }
        Some(ConnectorConfig {
            name: self.name.clone(),
            kafka: kafka?,
            registry: registry?,
            topics,
            batch: batch?,
            tolerance: tolerance?,
        })
    }
}

impl RawKafka {
    /// The Kafka settings of connector `name` (its consumer group is
    /// `<group_prefix>/<name>`; the password's reference resolved), or every problem.
    pub fn check(&self, name: &str) -> Result<KafkaSettings, ConfigError> {
        alone(|p| self.check_into(name, p))
    }

    fn check_into(&self, name: &str, problems: &mut Problems<'_>) -> Option<KafkaSettings> {
        let before = problems.count();
        let protocol = match self.security_protocol.to_ascii_uppercase().as_str() {
            "PLAINTEXT" => Some(SecurityProtocol::Plaintext),
            "SSL" => Some(SecurityProtocol::Ssl),
            "SASL_PLAINTEXT" => Some(SecurityProtocol::SaslPlaintext),
            "SASL_SSL" => Some(SecurityProtocol::SaslSsl),
            other => {
                problems.add(
                    "security_protocol",
                    format!("{other:?} is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL"),
                );
                None
            }
        };
        let mut sasl = None;
        if protocol.is_some_and(SecurityProtocol::is_sasl) {
            let mechanism = match self
                .sasl_mechanism
                .as_deref()
                .map(str::to_ascii_uppercase)
                .as_deref()
            {
                Some("PLAIN") => Some(Mechanism::Plain),
                Some("SCRAM-SHA-256") => Some(Mechanism::ScramSha256),
                Some("SCRAM-SHA-512") => Some(Mechanism::ScramSha512),
                Some(other) => {
                    problems.add(
                        "sasl_mechanism",
                        format!("{other:?} is not one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512"),
                    );
                    None
                }
                None => {
                    problems.add(
                        "sasl_mechanism",
                        "is required with a SASL security protocol".into(),
                    );
                    None
                }
            };
            if self.username.as_deref().unwrap_or("").is_empty() {
                problems.add(
                    "username",
                    "is required with a SASL security protocol".into(),
                );
            }
            let password = match self.password.as_ref().map(|p| p.resolve()) {
                Some(Ok(p)) => Some(p),
                Some(Err(e)) => {
                    problems.add("password", e);
                    None
                }
                None => {
                    problems.add(
                        "password",
                        "is required with a SASL security protocol".into(),
                    );
                    None
                }
            };
            if let (Some(m), Some(u), Some(p)) = (mechanism, self.username.clone(), password) {
                sasl = Some((m, u, p));
            }
        } else if self.sasl_mechanism.is_some()
            || self.username.is_some()
            || self.password.is_some()
        {
            problems.add(
                "security_protocol",
                "SASL credentials are given: use SASL_SSL or SASL_PLAINTEXT".into(),
            );
        }
        if let Some(ca) = &self.ca_file
            && !ca.is_file()
        {
            problems.add(
                "ca_file",
                format!("{} is not a readable file", ca.display()),
            );
        }
        if self.bootstrap_servers.trim().is_empty() {
            problems.add("bootstrap_servers", "is empty".into());
        }
        let start_from = match self.start_from.as_str() {
            "earliest" => StartFrom::Earliest,
            "latest" => StartFrom::Latest,
            other => {
                problems.add("start_from", format!("{other:?} is not earliest or latest"));
                StartFrom::Earliest
            }
        };
        self.check_properties(problems);
        // A property that holds a secret may be a reference, resolved now.
        let mut properties = self.properties.clone();
        for (key, value) in &mut properties {
            if inlet_kafka::is_secret_property(key) {
                match RawSecret::new(value.clone()).resolve() {
                    Ok(secret) => *value = secret.expose().to_owned(),
                    Err(e) => problems.add(&format!("properties.{key:?}"), e),
                }
            }
        }
        if problems.count() > before {
            return None;
        }
        Some(KafkaSettings {
            bootstrap_servers: self.bootstrap_servers.clone(),
            security_protocol: protocol?,
            sasl,
            ca_file: self.ca_file.clone(),
            group_id: format!("{}/{name}", self.group_prefix),
            start_from,
            properties,
        })
    }

    /// librdkafka properties exactly once rests on, which the user cannot set.
    fn check_properties(&self, problems: &mut Problems<'_>) {
        for key in self.properties.keys() {
            // Exactly once rests on these: offsets live in PostgreSQL, a stored offset past
            // the log's start resumes there, records of aborted transactions are never read.
            let instead = match key.as_str() {
                "group.id" => Some("the consumer group is <kafka.group_prefix>/<connector name>"),
                "enable.auto.commit" | "enable.auto.offset.store" => {
                    Some("inlet stores offsets in PostgreSQL, in the transaction of the rows")
                }
                "sasl.password" => Some("use kafka.password"),
                "sasl.username" => Some("use kafka.username"),
                "sasl.mechanism" | "sasl.mechanisms" => Some("use kafka.sasl_mechanism"),
                "bootstrap.servers" | "metadata.broker.list" => Some("use kafka.bootstrap_servers"),
                "security.protocol" => Some("use kafka.security_protocol"),
                "auto.offset.reset" => Some(
                    "use kafka.start_from = \"earliest\" or \"latest\" for partitions with no stored offset",
                ),
                "isolation.level" => Some(
                    "inlet reads read_committed, so that records of aborted transactions are never stored",
                ),
                _ => None,
            };
            if let Some(instead) = instead {
                problems.add(
                    &format!("properties.{key:?}"),
                    format!("is set by inlet and cannot be overridden: {instead}"),
                );
            }
        }
        // A property librdkafka does not know, or a value it cannot take, is said now rather
        // than when the consumer is made.
        for (key, reason) in inlet_kafka::refused_properties(&self.properties) {
            problems.add(&format!("properties.{key:?}"), reason);
        }
        // KIP-848: the group's session and assignment are the broker's.
        if self
            .properties
            .get("group.protocol")
            .is_some_and(|p| p.eq_ignore_ascii_case("consumer"))
        {
            for key in [
                "session.timeout.ms",
                "heartbeat.interval.ms",
                "partition.assignment.strategy",
                "group.protocol.type",
            ] {
                if self.properties.contains_key(key) {
                    problems.add(
                        &format!("properties.{key:?}"),
                        "is not supported with group.protocol = \"consumer\": remove it (the broker's group.consumer.* settings apply)".into(),
                    );
                }
            }
        }
    }
}

impl RawRegistry {
    /// The registry client's settings (the secret's reference resolved), or every problem.
    pub fn check(&self) -> Result<RegistryConfig, ConfigError> {
        alone(|p| self.check_into(p))
    }

    fn check_into(&self, problems: &mut Problems<'_>) -> Option<RegistryConfig> {
        if self.url.trim().is_empty() {
            // No registry: the connector checks that no topic needs one.
            if self.key.is_some() || self.secret.is_some() {
                problems.add(
                    "url",
                    "is required with registry.key and registry.secret".into(),
                );
                return None;
            }
            return Some(RegistryConfig::new(""));
        }
        if let Some(problem) = url_problem(&self.url) {
            problems.add("url", problem);
            return None;
        }
        let mut registry = RegistryConfig::new(&self.url);
        match (&self.key, self.secret.as_ref().map(|s| s.resolve())) {
            (Some(key), Some(Ok(password))) => {
                registry.credentials = Some(BasicCredentials {
                    username: key.clone(),
                    password,
                });
            }
            (_, Some(Err(e))) => {
                problems.add("secret", e);
                return None;
            }
            (Some(_), None) => {
                problems.add("secret", "is required with registry.key".into());
                return None;
            }
            (None, Some(Ok(_))) => {
                problems.add("key", "is required with registry.secret".into());
                return None;
            }
            (None, None) => {}
        }
        Some(registry)
    }
}

/// What is wrong with a registry URL: not http(s), no host, or credentials in it (they
/// belong in `registry.key` and `registry.secret`, which are never shown).
fn url_problem(url: &str) -> Option<String> {
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        // Not quoted: a URL may hold credentials.
        return Some(
            "is not an http:// or https:// URL (e.g. https://psrc-xxxx.confluent.cloud)".into(),
        );
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return Some(
            "holds credentials: put the user in registry.key and the password in registry.secret"
                .into(),
        );
    }
    if authority.is_empty() || authority.starts_with(':') {
        return Some("has no host".into());
    }
    None
}

impl RawTopic {
    /// The topic's settings, its mapping's sources read (a `kafka.` word that is not a
    /// Kafka field is a problem here, not a dead letter of every record later), or every
    /// problem.
    pub fn check(&self) -> Result<TopicConfig, ConfigError> {
        alone(|p| self.check_into(p))
    }

    fn check_into(&self, problems: &mut Problems<'_>) -> Option<TopicConfig> {
        let before = problems.count();
        let table = TableName::parse(&self.table);
        match &table {
            None => problems.add(
                "table",
                format!("{:?} is not `schema.table` or `table`", self.table),
            ),
            // PostgreSQL would cut it (NAMEDATALEN - 1): the table inlet writes would not be
            // the one named.
            Some(t) if t.schema.len() > 63 || t.table.len() > 63 => problems.add(
                "table",
                format!(
                    "{:?}: PostgreSQL names are at most 63 bytes (schema and table each)",
                    self.table
                ),
            ),
            Some(_) => {}
        }
        let format = match Format::ALL.into_iter().find(|f| f.as_str() == self.format) {
            Some(format) => format,
            None => {
                problems.add(
                    "format",
                    format!(
                        "{:?} is not avro, protobuf, json-schema, json, text or bytes",
                        self.format
                    ),
                );
                Format::Avro
            }
        };
        let mapping = match &self.mapping {
            RawMapping::Auto => None,
            RawMapping::Word(w) if w == "auto" => None,
            RawMapping::Word(w) => {
                problems.add(
                    "mapping",
                    format!("{w:?}: give \"auto\" or a table of column = source"),
                );
                None
            }
            RawMapping::Columns(c) => {
                for (column, source) in c {
                    if let Err(e) = check_source(source) {
                        problems.add(&format!("mapping.{column}"), e);
                    }
                }
                Some(c.clone().into_iter().collect::<Vec<_>>())
            }
        };
        let keys = self.key_columns.clone();
        let insert = match self.insert.as_str() {
            "append" => {
                if !keys.is_empty() {
                    problems.add(
                        "key_columns",
                        "is only used by insert = \"upsert\" or \"upsert-delete\"".into(),
                    );
                }
                InsertMode::Append
            }
            "upsert" => InsertMode::Upsert { key: keys.clone() },
            "upsert-delete" => InsertMode::UpsertDelete { key: keys.clone() },
            other => {
                problems.add(
                    "insert",
                    format!("{other:?} is not append, upsert or upsert-delete"),
                );
                InsertMode::Append
            }
        };
        if insert.key().is_some_and(<[String]>::is_empty) {
            problems.add(
                "key_columns",
                format!(
                    "is required with insert = {:?}: the columns of the table's unique key, e.g. [\"device_id\", \"ts\"]",
                    self.insert
                ),
            );
        }
        let evolution = match self.evolution.as_str() {
            "off" => Evolution::Off,
            "add-columns" => Evolution::AddColumns,
            other => {
                problems.add("evolution", format!("{other:?} is not off or add-columns"));
                Evolution::Off
            }
        };
        if evolution == Evolution::AddColumns && mapping.is_some() {
            problems.add(
                "evolution",
                "add-columns needs mapping = \"auto\": an explicit mapping names its columns"
                    .into(),
            );
        }
        let columnstore = self.columnstore.then(|| {
            let segment_by = if self.columnstore_segment_by.is_empty() {
                // The key but its time column: a device id, an account.
                insert
                    .key()
                    .unwrap_or_default()
                    .iter()
                    .filter(|k| Some(*k) != self.time_column.as_ref())
                    .cloned()
                    .collect()
            } else {
                self.columnstore_segment_by.clone()
            };
            Columnstore {
                segment_by,
                after: self.columnstore_after.clone(),
            }
        });
        if !self.columnstore
            && (!self.columnstore_segment_by.is_empty()
                || self.columnstore_after != default_of::<String>("columnstore_after"))
        {
            problems.add(
                "columnstore",
                "columnstore_segment_by and columnstore_after need columnstore = true".into(),
            );
        }
        if problems.count() > before {
            return None;
        }
        Some(TopicConfig {
            topic: self.name.clone(),
            table: table?,
            format,
            mapping,
            create_table: self.create_table,
            time_column: self.time_column.clone(),
            chunk_interval: self.chunk_interval.clone(),
            insert,
            evolution,
            columnstore,
        })
    }
}

/// A mapping's source, read as the plan will: a `kafka.` word must name a Kafka field
/// (`kafka.ofset` is a typo, not a field path), and brackets must close.
fn check_source(source: &str) -> Result<(), String> {
    const KAFKA: &str = "kafka.topic, kafka.partition, kafka.offset, kafka.timestamp, kafka.key, kafka.key.<path>, kafka.headers";
    let parsed = ColumnSource::parse(source);
    if let ColumnSource::Field(path) = &parsed
        && path.starts_with("kafka.")
    {
        return Err(format!(
            "{source:?} is not a Kafka field (those are {KAFKA}); a field of the value named kafka is mapped through its parent record"
        ));
    }
    let path = match &parsed {
        ColumnSource::Field(path) | ColumnSource::Key(path) => path.as_str(),
        ColumnSource::Kafka(_) => return Ok(()),
    };
    let mut open = false;
    for c in path.chars() {
        match (c, open) {
            ('[', false) => open = true,
            (']', true) => open = false,
            ('[' | ']', _) => {
                return Err(format!(
                    "{source:?}: brackets name one union branch, as in choice[string] or [ns.Click].url"
                ));
            }
            _ => {}
        }
    }
    if open {
        return Err(format!(
            "{source:?}: a [ is not closed (a union branch is written [type] or [ns.Name])"
        ));
    }
    Ok(())
}

impl RawBatch {
    /// The batch limits, or every problem.
    pub fn check(&self) -> Result<BatchConfig, ConfigError> {
        alone(|p| self.check_into(p))
    }

    fn check_into(&self, problems: &mut Problems<'_>) -> Option<BatchConfig> {
        let before = problems.count();
        if self.max_rows == 0 {
            problems.add("max_rows", "must be at least 1".into());
        }
        if self.max_bytes < 1024 {
            problems.add("max_bytes", "must be at least 1024".into());
        }
        (problems.count() == before).then(|| BatchConfig {
            max_rows: self.max_rows,
            max_bytes: self.max_bytes,
            linger: Duration::from_millis(self.linger_ms),
        })
    }
}

impl RawErrors {
    /// The error tolerance, or the problem.
    pub fn check(&self) -> Result<Tolerance, ConfigError> {
        alone(|p| self.check_into(p))
    }

    fn check_into(&self, problems: &mut Problems<'_>) -> Option<Tolerance> {
        match self.tolerance.as_str() {
            "all" => Some(Tolerance::All),
            "none" => Some(Tolerance::None),
            other => {
                problems.add("tolerance", format!("{other:?} is not all or none"));
                None
            }
        }
    }
}
