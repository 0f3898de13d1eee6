//! `inlet check`: what the product page's "Authenticate" buttons do, for a whole
//! configuration. Each connector's Kafka (the cluster, each topic, the consumer group), its
//! schema registry (the credentials, each topic's subject) and the database (each table
//! exists and fits the latest schema, or can be created) — every finding with what to do
//! when something is wrong. Nothing is written anywhere.

use inlet_avro::{KeySchema, Proposal, TableColumn, WriterSchema};
pub use inlet_kafka::{Finding, KafkaProbe, TopicInfo};
use inlet_postgres::{DatabaseConfig, table_columns, unique_keys};
use inlet_registry::RegistryClient;

use crate::config::{ConnectorConfig, TopicConfig};
use crate::decode::{Target, latest_schema, latest_schema_or_retry};

/// The Kafka probe: connects with `settings`, says whether the brokers answer and accept
/// the credentials, whether each of `topics` exists and can be read, and whether the
/// consumer group can be read (each failure with the ACL or setting that fixes it), and
/// lists the cluster's topics. Nothing is written. Runs librdkafka on a blocking thread.
pub async fn probe_kafka(settings: &inlet_kafka::KafkaSettings, topics: &[String]) -> KafkaProbe {
    let settings = settings.clone();
    let topics = topics.to_vec();
    tokio::task::spawn_blocking(move || inlet_kafka::probe(&settings, &topics))
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

/// What the lookup of one subject's latest schema id came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LatestId {
    /// The id of its latest schema, which inlet can read.
    Id(u32),
    /// No version, or none inlet can read.
    None,
    /// Not known: the registry did not answer in time, or failed (why, to show).
    Unread(String),
}

/// The latest schema ids of `subjects`, in their order: at most `at_once` lookups in flight
/// over one client, all answered by `within` (a lookup still waiting then is
/// [`LatestId::Unread`], saying the registry is slow). A registry that answers 5 s a
/// request thus costs `within`, not 5 s a subject.
pub async fn latest_schema_ids(
    config: &inlet_registry::RegistryConfig,
    subjects: &[String],
    at_once: usize,
    within: std::time::Duration,
) -> Vec<LatestId> {
    use futures_util::StreamExt as _;
    let registry = match RegistryClient::new(config.clone()) {
        Ok(registry) => registry,
        Err(e) => return vec![LatestId::Unread(e.to_string()); subjects.len()],
    };
    let deadline = tokio::time::Instant::now() + within;
    let slow = format!(
        "the schema registry at {} did not answer within {} s: it is slow or overloaded; check registry.url and the registry's health, or pick the topic to look it up alone",
        registry.url(),
        within.as_secs()
    );
    let lookups: Vec<_> = subjects
        .iter()
        .map(|subject| latest_id_by(&registry, subject, deadline, &slow))
        .collect();
    futures_util::stream::iter(lookups)
        .buffered(at_once.max(1))
        .collect()
        .await
}

/// One lookup of [`latest_schema_ids`]: answered by `deadline`, `slow` when it was not.
async fn latest_id_by(
    registry: &RegistryClient,
    subject: &str,
    deadline: tokio::time::Instant,
    slow: &str,
) -> LatestId {
    match tokio::time::timeout_at(deadline, latest_schema_or_retry(registry, subject)).await {
        Err(_) => LatestId::Unread(slow.to_owned()),
        Ok(Err(e)) => LatestId::Unread(e.to_string()),
        Ok(Ok(Some((id, _)))) => LatestId::Id(id),
        Ok(Ok(None)) => LatestId::None,
    }
}

/// What to do when the table inlet would make for a schema is more than PostgreSQL stores.
pub(crate) const TOO_WIDE_WAY_OUT: &str = "create the table yourself with the columns you need and map them in the topic's mapping, with a jsonb column for the rest (a jsonb column takes a whole record, column = \"\" for the value or a nested record's path, and TOAST keeps a long value out of the row)";

/// Why no table can be proposed for a topic.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProposeError {
    /// The registry could not be asked (settings, unreachable, refused credentials).
    #[error(transparent)]
    Registry(#[from] inlet_registry::Error),
    /// The value subject has no schema, or one inlet cannot parse.
    #[error("{subject} has no schema that inlet can read{}: produce to the topic with a registered schema first", .reason.as_ref().map(|r| format!(" ({r})")).unwrap_or_default())]
    NoSchema {
        /// `<topic>-value`.
        subject: String,
        /// The parse error, when there is a schema.
        reason: Option<String>,
    },
    /// Kafka could not be read (for a sample of a topic of a format without a registry).
    #[error(transparent)]
    Kafka(#[from] inlet_kafka::Error),
    /// The thread reading the sample panicked: a bug.
    #[error("reading the topic's sample failed: {0}")]
    Sample(#[source] tokio::task::JoinError),
    /// A topic of a format without a registry (json) gave no record to make columns from.
    #[error("topic {topic}: {reason}: {}", no_sample_way_out(.reason))]
    NoSample {
        /// The topic.
        topic: String,
        /// What the sample lacked.
        reason: String,
    },
    /// The table proposed (or designed) is more than PostgreSQL can store: too many
    /// columns, or rows too wide for a page.
    #[error("the table for topic {topic} would have {reason}: {TOO_WIDE_WAY_OUT}")]
    TooWide {
        /// The topic.
        topic: String,
        /// By how much.
        reason: inlet_avro::TableTooWide,
    },
}

impl inlet_fault::Classify for ProposeError {
    /// Whose fault it is: the registry's error says; a missing schema is the user's.
    fn fault(&self) -> inlet_fault::Fault {
        match self {
            ProposeError::Registry(e) => e.fault(),
            ProposeError::Kafka(e) => e.fault(),
            ProposeError::Sample(_) => inlet_fault::Fault::Internal,
            ProposeError::NoSchema { .. }
            | ProposeError::NoSample { .. }
            | ProposeError::TooWide { .. } => inlet_fault::Fault::Config,
        }
    }
}

/// What to do when a sample made no columns (`reason`): produce to an empty topic, or check
/// the format of one whose records are not of it.
fn no_sample_way_out(reason: &str) -> &'static str {
    if reason.starts_with("no records") {
        "produce to it first, or create the table yourself"
    } else {
        "check the topic's format (a Confluent frame is read by format avro, protobuf or json-schema), or create the table yourself"
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
    let value = latest_value_schema(&registry, topic).await?;
    let key = latest_schema(&registry, &format!("{topic}-key")).await;
    let proposal = Proposal::for_topic(&value, key.as_ref().map(|(_, k)| k), key_columns);
    let ddl = ddl_of(&proposal, table, key_columns);
    Ok((proposal, ddl))
}

/// The table inlet proposes for `topic` of a format without a registry (json, text,
/// bytes) from `values`, a sample of its records' values (json: the shape that holds every
/// document), for a table `schema.table`: the proposal and its DDL, as [`propose_table`].
///
/// # Errors
/// [`ProposeError::NoSample`]: for json, no value of the sample is a JSON document.
pub fn propose_sampled<'a>(
    format: crate::config::Format,
    topic: &str,
    table: &inlet_postgres::TableName,
    key_columns: &[String],
    values: impl IntoIterator<Item = &'a [u8]>,
) -> Result<(Proposal, String), ProposeError> {
    let proposal = made_of_sample(format, topic, values)?.proposal();
    let ddl = ddl_of(&proposal, table, key_columns);
    Ok((proposal, ddl))
}

/// The schema made from a sample of `topic`'s values, for a format without a registry.
fn made_of_sample<'a>(
    format: crate::config::Format,
    topic: &str,
    values: impl IntoIterator<Item = &'a [u8]>,
) -> Result<crate::decode::MadeSchema, ProposeError> {
    let no_sample = |reason| ProposeError::NoSample {
        topic: topic.to_owned(),
        reason,
    };
    crate::decode::MadeSchema::for_sample(format, values)
        .map_err(no_sample)?
        .ok_or_else(|| {
            no_sample("an Avro topic's table is proposed from its registry schema".to_owned())
        })
}

/// The DDL of `proposal`'s table (the primary key on `key_columns`), with the hypertable's
/// comment when its time column may be one.
fn ddl_of(
    proposal: &Proposal,
    table: &inlet_postgres::TableName,
    key_columns: &[String],
) -> String {
    let mut ddl =
        inlet_postgres::ddl::create_table(table, &proposal.columns, key_columns_of(key_columns));
    if let Some(time) = &proposal.time_column
        && key_columns_of(key_columns).is_none_or(|key| key.contains(time))
    {
        ddl.push_str(&inlet_postgres::ddl::hypertable_comment(table, time));
    }
    ddl
}

/// [`propose_sampled`] for a topic on the cluster `kafka`: its latest records (up to
/// [`inlet_kafka::MAX_SAMPLE`], read without joining a group), the proposal and DDL they
/// make, and what a column can be filled from (the console's choices).
///
/// # Errors
/// [`ProposeError::Kafka`] when the topic cannot be read; [`ProposeError::NoSample`] as
/// [`propose_sampled`].
pub async fn propose_from_topic(
    kafka: &inlet_kafka::KafkaSettings,
    format: crate::config::Format,
    topic: &str,
    table: &inlet_postgres::TableName,
    key_columns: &[String],
) -> Result<(Proposal, String, Vec<inlet_avro::SourceChoice>), ProposeError> {
    let records = crate::decode::sample_topic(kafka, topic, inlet_kafka::MAX_SAMPLE)
        .await
        .map_err(ProposeError::Sample)??;
    let made = made_of_sample(
        format,
        topic,
        records.iter().filter_map(|r| r.value.as_deref()),
    )?;
    let proposal = made.proposal();
    let ddl = ddl_of(&proposal, table, key_columns);
    Ok((
        proposal,
        ddl,
        inlet_avro::source_choices(made.writer(), None),
    ))
}

/// The latest schema of `<topic>-value`, parsed.
async fn latest_value_schema(
    registry: &RegistryClient,
    topic: &str,
) -> Result<WriterSchema, ProposeError> {
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
    crate::decode::writer_of(&resolved).map_err(|e| ProposeError::NoSchema {
        subject,
        reason: Some(e.to_string()),
    })
}

/// What a column of `topic`'s table can be filled from — each field path of its latest
/// value schema (and key schema), union branches and Kafka metadata — with the PostgreSQL
/// types inlet converts each to ([`inlet_avro::source_choices`]): the console's column
/// mapping offers these.
///
/// # Errors
/// As [`propose_table`]: the registry, or no readable schema.
pub async fn topic_sources(
    config: &inlet_registry::RegistryConfig,
    topic: &str,
) -> Result<Vec<inlet_avro::SourceChoice>, ProposeError> {
    let registry = RegistryClient::new(config.clone())?;
    let value = latest_value_schema(&registry, topic).await?;
    let key = latest_schema(&registry, &format!("{topic}-key")).await;
    // Up to thousands of plans compiled: off the async threads.
    tokio::task::spawn_blocking(move || {
        let key = key
            .as_ref()
            .map(|(id, schema)| inlet_avro::KeySchema { id: *id, schema });
        inlet_avro::source_choices(&value, key)
    })
    .await
    .map_err(|e| ProposeError::NoSchema {
        subject: format!("{topic}-value"),
        reason: Some(format!("listing its fields failed: {e}")),
    })
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
        if !topic.format.uses_registry() {
            findings.push(Finding::ok(
                "format",
                format!(
                    "topic {}: values read as {} (no registry)",
                    topic.topic,
                    topic.format.as_str()
                ),
            ));
            if let Some(client) = &client {
                let schemas = Latest {
                    value: None,
                    key: None,
                };
                check_table(client, &config.name, topic, schemas, &mut findings).await;
            }
            continue;
        }
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
    if let Some(mismatch) = crate::decode::format_mismatch(resolved.schema_type, topic.format) {
        findings.push(Finding::fail(
            "subject",
            format!("{subject}: schema id {} {mismatch}", latest.id),
        ));
        return None;
    }
    match crate::decode::writer_of(&resolved) {
        Ok(writer) => {
            findings.push(Finding::ok(
                "subject",
                format!(
                    "{subject}: version {}, schema id {} ({})",
                    latest.version.map_or("?".to_owned(), |v| v.to_string()),
                    latest.id,
                    resolved.schema_type
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
            (true, None) if !topic.format.uses_registry() => Finding::ok(
                "table",
                format!(
                    "{table} does not exist; it will be created from a sample of the topic's records when the connector starts (`inlet preview` shows its rows, `inlet peek --topic {} --format {}` the records)",
                    topic.topic,
                    topic.format.as_str()
                ),
            ),
            (true, None) => Finding::fail(
                "table",
                format!("{table} does not exist, and there is no schema to create it from yet"),
            ),
            (false, _) => Finding::fail(
                "table",
                format!("{table} does not exist: create it, or set create_table to true"),
            ),
        });
        return;
    };
    if let Some(reason) = crate::decode::mapping_problem(topic, &columns) {
        findings.push(Finding::fail("table", reason));
        return;
    }
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
    // The columns' recorded fields, when inlet has run (best effort: check writes nothing,
    // and a database without inlet's schema has none).
    let sources = if topic.mapping.is_none() {
        inlet_postgres::load_column_sources(client, connector, table)
            .await
            .unwrap_or_default()
    } else {
        Default::default()
    };
    if !topic.format.uses_registry() {
        let target = Target::new(connector, topic.clone(), columns.clone(), sources);
        findings.push(match target.made() {
            Err(reason) => Finding::fail("table", reason),
            Ok(made) => match made.map(|made| target.fit(made.writer(), None)) {
                Some(Ok(filled)) => Finding::ok(
                    "table",
                    format!(
                        "{table} takes the topic's {} values: {} of its {} columns filled{}",
                        topic.format.as_str(),
                        filled.len(),
                        columns.len(),
                        unfilled(&columns, &filled)
                    ),
                ),
                Some(Err(reason)) => Finding::fail("table", reason),
                None => Finding::ok(
                    "table",
                    format!("{table} exists ({} columns)", columns.len()),
                ),
            },
        });
        return;
    }
    match latest {
        Some((id, writer)) => {
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
