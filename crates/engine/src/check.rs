//! `inlet check`: what the product page's "Authenticate" buttons do, for a whole
//! configuration. Each connector's Kafka (the cluster, each topic, the consumer group), its
//! schema registry (the credentials, each topic's subject) and the database (each table
//! exists and fits the latest schema, or can be created) — every finding with what to do
//! when something is wrong. Nothing is written anywhere.

use std::time::Duration;

use inlet_avro::{KeySchema, Proposal, TableColumn, WriterSchema};
use inlet_kafka::Denied;
use inlet_postgres::{DatabaseConfig, table_columns, unique_keys};
use inlet_registry::RegistryClient;

use rdkafka::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::topic_partition_list::TopicPartitionList;

use crate::config::{ConnectorConfig, TopicConfig};
use crate::decode::{Target, latest_schema};

/// How long to wait for each answer from Kafka.
const KAFKA_TIMEOUT: Duration = Duration::from_secs(10);

/// One thing checked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// Whether it is as it should be.
    pub ok: bool,
    /// What was checked: `database`, `kafka`, `topic`, `group`, `registry`, `subject`, `table`.
    pub what: &'static str,
    /// What was found; when not ok, also what to do.
    pub detail: String,
}

impl Finding {
    fn ok(what: &'static str, detail: String) -> Self {
        Finding {
            ok: true,
            what,
            detail,
        }
    }

    fn fail(what: &'static str, detail: String) -> Self {
        Finding {
            ok: false,
            what,
            detail,
        }
    }
}

/// A topic of the cluster, as the Kafka probe saw it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TopicInfo {
    /// Its name.
    pub name: String,
    /// How many partitions it has.
    pub partitions: usize,
}

/// What the Kafka probe ("Authenticate") found.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct KafkaProbe {
    /// The brokers' answer, each topic asked for, the consumer group: ok, or what to do.
    pub findings: Vec<Finding>,
    /// Every topic of the cluster the principal may see (internal ones left out), by name.
    pub topics: Vec<TopicInfo>,
}

/// The Kafka probe: connects with `settings`, says whether the brokers answer and accept
/// the credentials, whether each of `topics` exists and can be read, and whether the
/// consumer group can be read (each failure with the ACL or setting that fixes it), and
/// lists the cluster's topics. Nothing is written. Runs librdkafka on a blocking thread.
pub async fn probe_kafka(settings: &inlet_kafka::KafkaSettings, topics: &[String]) -> KafkaProbe {
    let settings = settings.clone();
    let topics = topics.to_vec();
    tokio::task::spawn_blocking(move || check_kafka(&settings, &topics))
        .await
        .unwrap_or_else(|e| KafkaProbe {
            findings: vec![Finding::fail("kafka", format!("the check panicked: {e}"))],
            topics: Vec::new(),
        })
}

/// The registry probe: whether the registry answers and accepts the credentials (it lists
/// its subjects), and each topic's value subject with its latest schema. Returns the
/// findings and the subjects.
pub async fn probe_registry(
    config: &inlet_registry::RegistryConfig,
    topics: &[String],
) -> (Vec<Finding>, Vec<String>) {
    let mut findings = Vec::new();
    let registry = match RegistryClient::new(config.clone()) {
        Ok(r) => r,
        Err(e) => {
            findings.push(Finding::fail("registry", e.to_string()));
            return (findings, Vec::new());
        }
    };
    let subjects = match registry.subjects().await {
        Ok(subjects) => {
            findings.push(Finding::ok(
                "registry",
                format!("{}: {} subject(s)", config.url, subjects.len()),
            ));
            subjects
        }
        Err(e) => {
            findings.push(Finding::fail("registry", e.to_string()));
            return (findings, Vec::new());
        }
    };
    for topic in topics {
        let subject = format!("{topic}-value");
        match latest_schema(&registry, &subject).await {
            Some((id, _)) => findings.push(Finding::ok("subject", format!("{subject}: schema id {id}"))),
            None => findings.push(Finding::fail(
                "subject",
                format!("{subject} has no schema that inlet can read: produce to {topic} with a schema registered under it"),
            )),
        }
    }
    (findings, subjects)
}

/// The latest schema id of `subject` that inlet can read (None: no such subject, no
/// readable schema, or the registry did not answer).
pub async fn latest_schema_id(
    config: &inlet_registry::RegistryConfig,
    subject: &str,
) -> Option<u32> {
    let registry = RegistryClient::new(config.clone()).ok()?;
    latest_schema(&registry, subject).await.map(|(id, _)| id)
}

/// Why no table can be proposed for a topic.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProposeError {
    /// The registry could not be asked (settings, unreachable, refused credentials).
    #[error("{0}")]
    Registry(#[from] inlet_registry::Error),
    /// The value subject has no schema, or one inlet cannot parse.
    #[error("{subject} has no schema that inlet can read{}: produce to the topic with a registered schema first", .reason.as_ref().map(|r| format!(" ({r})")).unwrap_or_default())]
    NoSchema {
        /// `<topic>-value`.
        subject: String,
        /// The parse error, when there is a schema.
        reason: Option<String>,
    },
}

impl ProposeError {
    /// Whose fault it is: the registry's error says; a missing schema is the user's.
    pub fn fault(&self) -> inlet_fault::Fault {
        match self {
            ProposeError::Registry(e) => e.fault(),
            ProposeError::NoSchema { .. } => inlet_fault::Fault::Config,
        }
    }
}

/// The table inlet proposes for `topic` from its subjects' latest schemas (`<topic>-value`,
/// and `<topic>-key` when it has one), for a table `schema.table`: the proposal and its
/// DDL (`CREATE SCHEMA`, `CREATE TABLE`, the primary key on `key_columns` when given).
pub async fn propose_table(
    config: &inlet_registry::RegistryConfig,
    topic: &str,
    table: &inlet_postgres::TableName,
    key_columns: &[String],
) -> Result<(Proposal, String), ProposeError> {
    let registry = RegistryClient::new(config.clone())?;
    let subject = format!("{topic}-value");
    let latest = match registry.subject_version(&subject, "latest").await {
        Ok(latest) => latest,
        Err(e) if e.is_not_found() => {
            return Err(ProposeError::NoSchema {
                subject,
                reason: None,
            });
        }
        Err(e) => return Err(e.into()),
    };
    let resolved = registry.resolve(latest.id).await?;
    let value = WriterSchema::parse(&resolved.schema, &resolved.dependencies).map_err(|e| {
        ProposeError::NoSchema {
            subject: subject.clone(),
            reason: Some(e.to_string()),
        }
    })?;
    let key = latest_schema(&registry, &format!("{topic}-key")).await;
    let proposal = Proposal::for_topic(&value, key.as_ref().map(|(_, k)| k), key_columns);
    let mut ddl =
        inlet_postgres::ddl::create_table(table, &proposal.columns, key_columns_of(key_columns));
    if let Some(time) = &proposal.time_column
        && key_columns_of(key_columns).is_none_or(|key| key.contains(time))
    {
        ddl.push_str(&inlet_postgres::ddl::hypertable_comment(table, time));
    }
    Ok((proposal, ddl))
}

/// An upsert's key columns as the primary key of a table made for it (none: append).
fn key_columns_of(key_columns: &[String]) -> Option<&[String]> {
    (!key_columns.is_empty()).then_some(key_columns)
}

/// Checks one connector; the findings are in the order they were made.
pub async fn check_connector(config: &ConnectorConfig, database: &DatabaseConfig) -> Vec<Finding> {
    let mut findings = Vec::new();
    let topics: Vec<String> = config.topics.iter().map(|t| t.topic.clone()).collect();
    findings.extend(probe_kafka(&config.kafka, &topics).await.findings);

    let registry = match RegistryClient::new(config.registry.clone()) {
        Ok(r) => Some(r),
        Err(e) => {
            findings.push(Finding::fail("registry", e.to_string()));
            None
        }
    };
    let client = match database.connect().await {
        Ok(client) => {
            findings.push(Finding::ok(
                "database",
                format!("connected to {}", database.target()),
            ));
            Some(client)
        }
        Err(e) => {
            findings.push(Finding::fail("database", e.to_string()));
            None
        }
    };
    for topic in &config.topics {
        let (latest, key) = match &registry {
            Some(registry) => (
                check_subject(registry, topic, &mut findings).await,
                check_key_subject(registry, topic, &mut findings).await,
            ),
            None => (None, None),
        };
        if let Some(client) = &client {
            let schemas = Latest {
                value: latest.as_ref(),
                key: key.as_ref(),
            };
            check_table(client, &config.name, topic, schemas, &mut findings).await;
        }
    }
    findings
}

/// Keeps librdkafka's errors for the findings instead of logging them.
#[derive(Default)]
struct Quiet {
    authentication: std::sync::Mutex<Option<String>>,
    /// The last authorization failure the brokers reported (a missing ACL).
    denied: std::sync::Mutex<Option<KafkaError>>,
}

impl ClientContext for Quiet {
    fn log(&self, _: RDKafkaLogLevel, facility: &str, message: &str) {
        tracing::debug!(%facility, %message, "librdkafka");
    }

    fn error(&self, error: KafkaError, reason: &str) {
        if error.rdkafka_error_code() == Some(RDKafkaErrorCode::Authentication)
            && let Ok(mut slot) = self.authentication.lock()
        {
            *slot = Some(reason.to_owned());
        }
        if Denied::is_authorization_failure(&error)
            && let Ok(mut slot) = self.denied.lock()
        {
            *slot = Some(error.clone());
        }
        tracing::debug!(%error, %reason, "Kafka");
    }
}

impl ConsumerContext for Quiet {}

fn check_kafka(settings: &inlet_kafka::KafkaSettings, topics: &[String]) -> KafkaProbe {
    let mut findings = check_kafka_unscrubbed(settings, topics);
    // librdkafka's messages may quote a setting's value.
    for finding in &mut findings.findings {
        finding.detail = settings.scrub(&finding.detail);
    }
    findings
}

fn check_kafka_unscrubbed(settings: &inlet_kafka::KafkaSettings, topics: &[String]) -> KafkaProbe {
    let mut findings = Vec::new();
    let principal = settings.sasl.as_ref().map(|(_, user, _)| user.as_str());
    let who = match &settings.sasl {
        Some((mechanism, user, _)) => format!(
            " as {user} ({}, {})",
            mechanism.as_str(),
            settings.security_protocol.as_str()
        ),
        None => format!(" ({})", settings.security_protocol.as_str()),
    };
    let consumer: BaseConsumer<Quiet> = match settings
        .consumer_config()
        .create_with_context(Quiet::default())
    {
        Ok(c) => c,
        Err(e) => {
            findings.push(Finding::fail(
                "kafka",
                format!("the Kafka settings are not usable: {e}"),
            ));
            return KafkaProbe {
                findings,
                topics: Vec::new(),
            };
        }
    };
    let metadata = consumer.fetch_metadata(None, KAFKA_TIMEOUT);
    if metadata.is_err() {
        // Errors reach the context when the consumer is polled.
        let _ = consumer.poll(Duration::from_millis(200));
    }
    let metadata = match metadata {
        Ok(m) => m,
        Err(_)
            if consumer
                .context()
                .authentication
                .lock()
                .is_ok_and(|a| a.is_some()) =>
        {
            let reason = consumer
                .context()
                .authentication
                .lock()
                .ok()
                .and_then(|a| a.clone())
                .unwrap_or_default();
            findings.push(Finding::fail(
                "kafka",
                format!(
                    "{}{who}: the credentials were refused: {reason}. Check kafka.username, kafka.password and kafka.sasl_mechanism (for Confluent Cloud: an API key and its secret, with PLAIN)",
                    settings.bootstrap_servers
                ),
            ));
            return KafkaProbe {
                findings,
                topics: Vec::new(),
            };
        }
        Err(e) => {
            findings.push(Finding::fail(
                "kafka",
                format!(
                    "{}{who}: no answer within {KAFKA_TIMEOUT:?}: {e}. Check kafka.bootstrap_servers and kafka.security_protocol, and with SASL kafka.sasl_mechanism, kafka.username and kafka.password (for Confluent Cloud: an API key and its secret){}",
                    settings.bootstrap_servers,
                    if settings.security_protocol.as_str().ends_with("SSL") {
                        ", and kafka.ca_file when the brokers' certificate is not from a public CA"
                    } else {
                        ""
                    }
                ),
            ));
            return KafkaProbe {
                findings,
                topics: Vec::new(),
            };
        }
    };
    findings.push(Finding::ok(
        "kafka",
        format!(
            "{}{who}: {} broker(s)",
            settings.bootstrap_servers,
            metadata.brokers().len()
        ),
    ));
    let mut cluster_topics: Vec<TopicInfo> = metadata
        .topics()
        .iter()
        .filter(|t| !t.name().starts_with("__"))
        .map(|t| TopicInfo {
            name: t.name().to_owned(),
            partitions: t.partitions().len(),
        })
        .collect();
    cluster_topics.sort_by(|a, b| a.name.cmp(&b.name));
    let mut group_partitions = TopicPartitionList::new();
    for topic in topics {
        let Some(found) = metadata.topics().iter().find(|t| t.name() == topic) else {
            // A topic the principal may not describe is left out of the cluster's list;
            // asked for by name, the broker says whether it is refused or absent.
            let refused = consumer
                .fetch_metadata(Some(topic), KAFKA_TIMEOUT)
                .ok()
                .and_then(|m| m.topics().first().and_then(|t| t.error()))
                .map(RDKafkaErrorCode::from)
                == Some(RDKafkaErrorCode::TopicAuthorizationFailed);
            let message = if refused {
                Denied::Topics(vec![topic.clone()]).advice(principal)
            } else {
                format!(
                    "{topic} does not exist on this cluster (or is not visible to this user): create it, or check the topic's name"
                )
            };
            findings.push(Finding::fail("topic", message));
            continue;
        };
        if found.partitions().is_empty() {
            findings.push(Finding::fail(
                "topic",
                format!(
                    "{topic} has no partitions visible to this user: grant DESCRIBE and READ on it"
                ),
            ));
            continue;
        }
        let mut records = 0i64;
        let mut failure = None;
        for p in found.partitions() {
            match consumer.fetch_watermarks(topic, p.id(), KAFKA_TIMEOUT) {
                Ok((low, high)) => records += high - low,
                Err(e) => failure = Some(e),
            }
            group_partitions.add_partition(topic, p.id());
        }
        match failure {
            None => findings.push(Finding::ok(
                "topic",
                format!(
                    "{topic}: {} partition(s), {records} record(s) retained",
                    found.partitions().len()
                ),
            )),
            Some(e) => findings.push(Finding::fail(
                "topic",
                format!("{topic}: its offsets cannot be read ({e}): grant READ on the topic"),
            )),
        }
    }
    if group_partitions.count() > 0 {
        match consumer.committed_offsets(group_partitions, KAFKA_TIMEOUT) {
            Ok(_) => findings.push(Finding::ok(
                "group",
                format!("{}: readable", settings.group_id),
            )),
            Err(e) => {
                // The coordinator's refusal may reach the context rather than the call's error:
                // the call's own error first, then a group refusal the context saw.
                let group_refused = |error: &KafkaError| {
                    error.rdkafka_error_code() == Some(RDKafkaErrorCode::GroupAuthorizationFailed)
                };
                let mut error = e.clone();
                let deadline = std::time::Instant::now() + Duration::from_secs(2);
                while !group_refused(&error) && std::time::Instant::now() < deadline {
                    let _ = consumer.poll(Duration::from_millis(100));
                    if let Some(seen) = consumer
                        .context()
                        .denied
                        .lock()
                        .ok()
                        .and_then(|d| d.clone())
                        && group_refused(&seen)
                    {
                        error = seen;
                    }
                }
                let message = match Denied::from_error(&error, &[], &settings.group_id) {
                    Some(denied) => denied.advice(principal),
                    None => format!(
                        "{}: {e}. Grant READ on the consumer group (a PREFIXED ACL on the group prefix works), or change kafka.group_prefix",
                        settings.group_id
                    ),
                };
                findings.push(Finding::fail("group", message));
            }
        }
    }
    KafkaProbe {
        findings,
        topics: cluster_topics,
    }
}

/// The latest schema of the topic's value subject, when it can be read.
async fn check_subject(
    registry: &RegistryClient,
    topic: &TopicConfig,
    findings: &mut Vec<Finding>,
) -> Option<(u32, WriterSchema)> {
    let subject = format!("{}-value", topic.topic);
    let latest = match registry.subject_version(&subject, "latest").await {
        Ok(latest) => latest,
        Err(e) if e.is_not_found() => {
            findings.push(Finding {
                ok: !topic.create_table,
                what: "subject",
                detail: format!(
                    "{subject} has no schema yet ({e}){}",
                    if topic.create_table {
                        ": a missing table is created from it, so produce with a registered schema first"
                    } else {
                        ": records are read with the schema their frames name"
                    }
                ),
            });
            return None;
        }
        Err(e) => {
            findings.push(Finding::fail("registry", e.to_string()));
            return None;
        }
    };
    let resolved = match registry.resolve(latest.id).await {
        Ok(r) => r,
        Err(e) => {
            findings.push(Finding::fail("subject", format!("{subject}: {e}")));
            return None;
        }
    };
    match WriterSchema::parse(&resolved.schema, &resolved.dependencies) {
        Ok(writer) => {
            findings.push(Finding::ok(
                "subject",
                format!(
                    "{subject}: version {}, schema id {}",
                    latest.version.map_or("?".to_owned(), |v| v.to_string()),
                    latest.id
                ),
            ));
            Some((latest.id, writer))
        }
        Err(e) => {
            findings.push(Finding::fail(
                "subject",
                format!("{subject}: schema id {}: {e}", latest.id),
            ));
            None
        }
    }
}

/// The latest schema of the topic's key subject, when there is one: its fields can fill
/// the columns the value does not.
async fn check_key_subject(
    registry: &RegistryClient,
    topic: &TopicConfig,
    findings: &mut Vec<Finding>,
) -> Option<(u32, WriterSchema)> {
    let subject = format!("{}-key", topic.topic);
    let key = latest_schema(registry, &subject).await;
    if let Some((id, _)) = &key {
        findings.push(Finding::ok(
            "subject",
            format!("{subject}: schema id {id} (its fields fill the columns the value does not)"),
        ));
    }
    key
}

/// The latest value and key schemas of a topic, as far as they are known.
#[derive(Clone, Copy)]
struct Latest<'a> {
    value: Option<&'a (u32, WriterSchema)>,
    key: Option<&'a (u32, WriterSchema)>,
}

impl Latest<'_> {
    /// The proposal for the value schema, with the key's fields.
    fn proposal(&self, writer: &WriterSchema, topic: &TopicConfig) -> Proposal {
        Proposal::for_topic(
            writer,
            self.key.map(|(_, key)| key),
            topic.insert.key().unwrap_or_default(),
        )
    }
}

async fn check_table(
    client: &tokio_postgres::Client,
    connector: &str,
    topic: &TopicConfig,
    schemas: Latest<'_>,
    findings: &mut Vec<Finding>,
) {
    let latest = schemas.value;
    let table = &topic.table;
    let columns = match table_columns(client, table).await {
        Ok(c) => c,
        Err(e) => {
            findings.push(Finding::fail("table", e.to_string()));
            return;
        }
    };
    let Some(columns) = columns else {
        findings.push(match (topic.create_table, latest) {
            (true, Some((_, writer)))
                if let Some(reason) = crate::decode::uncreatable(topic, &schemas.proposal(writer, topic)) =>
            {
                Finding::fail("table", reason)
            }
            (true, Some((id, writer))) => Finding::ok(
                "table",
                format!(
                    "{table} does not exist; it will be created from the proposal for schema id {id} ({} columns)",
                    schemas.proposal(writer, topic).columns.len()
                ),
            ),
            (true, None) => Finding::fail(
                "table",
                format!("{table} does not exist, and there is no schema to create it from yet"),
            ),
            (false, _) => Finding::fail(
                "table",
                format!("{table} does not exist: create it, or set create_table = true"),
            ),
        });
        return;
    };
    if let Some(key) = topic.insert.key() {
        let mut wanted = key.to_vec();
        wanted.sort();
        match unique_keys(client, table).await {
            Ok(keys) if keys.contains(&wanted) => {}
            Ok(_) => findings.push(Finding::fail(
                "table",
                format!(
                    "{table} has no unique index on key_columns {key:?}, which upserts need: CREATE UNIQUE INDEX ON {} ({});",
                    table.quoted(),
                    inlet_postgres::ddl::quote_list(key)
                ),
            )),
            Err(e) => findings.push(Finding::fail("table", e.to_string())),
        }
    }
    match latest {
        Some((id, writer)) => {
            // The columns' recorded fields, when inlet has run (best effort: check writes
            // nothing, and a database without inlet's schema has none).
            let sources = if topic.mapping.is_none() {
                inlet_postgres::load_column_sources(client, connector, table)
                    .await
                    .unwrap_or_default()
            } else {
                Default::default()
            };
            let target = Target::new(connector, topic.clone(), columns.clone(), sources)
                .with_key_subject(schemas.key.is_some());
            let key = schemas
                .key
                .map(|(id, schema)| KeySchema { id: *id, schema });
            findings.push(match target.fit(writer, key) {
                Ok(filled) => Finding::ok(
                    "table",
                    format!(
                        "{table} fits schema id {id}: {} of its {} columns filled{}",
                        filled.len(),
                        columns.len(),
                        unfilled(&columns, &filled)
                    ),
                ),
                // Without the key's schema, say which subject lacks it.
                Err(_) if key.is_none() && topic.key_fields().next().is_some() => Finding::fail(
                    "table",
                    format!(
                        "the mapping of {table} takes fields of the record's key (kafka.key.<path>), but subject {}-key has no schema: register the key's schema under it (Confluent's serializers do); records whose key is not Confluent-framed Avro become dead letters",
                        topic.topic
                    ),
                ),
                Err(reason) => Finding::fail("table", format!("schema id {id}: {reason}")),
            });
        }
        None => findings.push(Finding::ok(
            "table",
            format!("{table} exists ({} columns)", columns.len()),
        )),
    }
}

/// ", not filled: a, b" for nullable columns the schema leaves empty.
fn unfilled(columns: &[TableColumn], filled: &[String]) -> String {
    let empty: Vec<&str> = columns
        .iter()
        .map(|c| c.name.as_str())
        .filter(|c| !filled.iter().any(|f| f == c))
        .collect();
    if empty.is_empty() {
        String::new()
    } else {
        format!(" (left NULL or default: {})", empty.join(", "))
    }
}
