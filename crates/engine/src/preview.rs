//! A preview of a topic's records as the rows a connector would store: its latest records,
//! decoded by the plan the connector would use (the table's columns, or the proposal's when
//! the table does not exist yet, and the topic's mapping), then handed to PostgreSQL in a
//! transaction that is rolled back. What the console's "Map columns" step shows; nothing is
//! written anywhere and the consumer group is not joined.

use inlet_avro::RowScratch;
use inlet_kafka::SampledRecord;
use inlet_postgres::dead_letters::{Reason, ReasonCode};
use inlet_postgres::{DatabaseConfig, PreviewRow, PreviewShape, preview_rows, table_columns};
use inlet_registry::RegistryClient;

use crate::config::{ConnectorConfig, TopicConfig};
use crate::decode::{Decoded, Headers, Record, Target, decode, latest_schema};

/// A topic's latest records as rows.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Preview {
    /// The table the rows go to (`schema.table`).
    pub table: String,
    /// The DDL that creates the table, when it does not exist yet (the rows are then as
    /// that table would hold them).
    #[schema(required = true)]
    pub ddl: Option<String>,
    /// The table's columns in order: (name, PostgreSQL type).
    pub columns: Vec<(String, String)>,
    /// Each record read, in (partition, offset) order.
    pub records: Vec<PreviewRecord>,
}

/// A record of a preview, and what it would become.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PreviewRecord {
    /// Its partition.
    pub partition: i32,
    /// Its offset.
    pub offset: i64,
    /// What it becomes.
    #[serde(flatten)]
    pub outcome: PreviewOutcome,
}

/// What a previewed record becomes.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PreviewOutcome {
    /// A row: column → value as PostgreSQL holds it (jsonb's rendering).
    Row {
        /// The row.
        values: serde_json::Map<String, serde_json::Value>,
    },
    /// A tombstone that deletes the row of its key (upsert-delete).
    Delete,
    /// A dead letter, for this reason.
    DeadLetter {
        /// Why it cannot be stored.
        reason: String,
        /// Why, as the code its dead letter would have.
        reason_code: ReasonCode,
    },
}

impl PreviewOutcome {
    /// The dead letter `reason` makes.
    fn dead(reason: Reason) -> Self {
        PreviewOutcome::DeadLetter {
            reason: reason.text,
            reason_code: reason.code,
        }
    }
}

/// Why no preview could be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PreviewError {
    /// The topic is not one of the connector's.
    #[error("topic {0} is not one of the connector's topics")]
    NotATopic(String),
    /// Kafka could not be read.
    #[error(transparent)]
    Kafka(#[from] inlet_kafka::Error),
    /// The registry could not be asked.
    #[error(transparent)]
    Registry(#[from] inlet_registry::Error),
    /// The database could not be asked.
    #[error(transparent)]
    Database(#[from] inlet_postgres::Error),
    /// The table does not exist and none can be proposed.
    #[error(transparent)]
    Propose(#[from] crate::ProposeError),
    /// The table does not exist and the connector would not create it.
    #[error("table {0} does not exist: create it, or set create_table to true for the topic")]
    NoTable(String),
    /// The registry or the database did not answer while records were decoded.
    #[error("{0}")]
    Unavailable(#[source] crate::Unavailable),
    /// The task reading the records ended without them (it panicked): a bug.
    #[error("reading the records failed: {0}")]
    Sample(#[source] tokio::task::JoinError),
}

impl inlet_fault::Classify for PreviewError {
    /// Whose fault it is (an API answers with [`inlet_fault::Fault::http_status`]).
    fn fault(&self) -> inlet_fault::Fault {
        use inlet_fault::Fault;
        match self {
            PreviewError::NotATopic(_) | PreviewError::NoTable(_) => Fault::Config,
            PreviewError::Kafka(e) => e.fault(),
            PreviewError::Registry(e) => e.fault(),
            PreviewError::Database(e) => e.fault(),
            PreviewError::Propose(e) => e.fault(),
            PreviewError::Unavailable(e) => e.fault(),
            PreviewError::Sample(_) => Fault::Internal,
        }
    }
}

/// Up to `limit` (at most [`inlet_kafka::MAX_SAMPLE`]) of the latest records of the
/// connector's topic `topic`, as the rows `config` would store in its table, or the
/// reasons they would be dead letters. Reads Kafka without joining the group, the
/// registry, and the database (a rolled-back transaction); writes nothing.
///
/// # Errors
/// [`PreviewError`]: a topic that is not the connector's or not on the cluster, Kafka,
/// the registry or the database not answering, a table that does not exist and would not
/// be created.
pub async fn preview_topic(
    config: &ConnectorConfig,
    database: &DatabaseConfig,
    topic: &str,
    limit: usize,
) -> Result<Preview, PreviewError> {
    preview_designed(config, database, topic, limit, None).await
}

/// [`preview_topic`], for a table not created yet that will have the columns `design`
/// (as the console's "Map columns" step designs it) rather than the proposal's; a table
/// that exists is previewed as it is, whatever `design` says.
///
/// # Errors
/// As [`preview_topic`].
pub async fn preview_designed(
    config: &ConnectorConfig,
    database: &DatabaseConfig,
    topic: &str,
    limit: usize,
    design: Option<Vec<inlet_avro::TableColumn>>,
) -> Result<Preview, PreviewError> {
    let topic_config = config
        .topics
        .iter()
        .find(|t| t.topic == topic)
        .ok_or_else(|| PreviewError::NotATopic(topic.to_owned()))?;
    let registry = RegistryClient::new(config.registry.clone())?;
    let mut client = database.connect().await?;
    let records = crate::decode::sample_topic(&config.kafka, topic, limit)
        .await
        .map_err(PreviewError::Sample)??;
    let values: Vec<&[u8]> = records.iter().filter_map(|r| r.value.as_deref()).collect();
    let (mut target, ddl) =
        target(config, topic_config, &client, &registry, design, &values).await?;

    let mut scratch = RowScratch::default();
    let mut rows = Vec::new();
    // Per record: the plan's columns and the tuple's range, or the outcome without a row.
    let mut decoded = Vec::with_capacity(records.len());
    for r in &records {
        let start = rows.len();
        let d = decode(
            &mut target,
            &registry,
            None,
            &record(topic, r),
            &mut scratch,
            &mut rows,
        )
        .await
        .map_err(PreviewError::Unavailable)?;
        decoded.push(match d {
            Decoded::Row(plan) => Ok((
                plan.copy_columns().map(str::to_owned).collect::<Vec<_>>(),
                start..rows.len(),
            )),
            Decoded::Delete(_) => Err(PreviewOutcome::Delete),
            Decoded::Dead(_, reason) => Err(PreviewOutcome::dead(reason)),
        });
    }
    let tuples: Vec<PreviewRow<'_>> = decoded
        .iter()
        .filter_map(|d| d.as_ref().ok())
        .map(|(columns, range)| PreviewRow {
            columns,
            tuple: &rows[range.clone()],
        })
        .collect();
    let shape = match &ddl {
        None => PreviewShape::Like(&target.table),
        Some(_) => PreviewShape::Columns(&target.columns),
    };
    let mut stored = preview_rows(&mut client, shape, &tuples).await?.into_iter();
    let records = records
        .iter()
        .zip(decoded)
        .map(|(r, d)| PreviewRecord {
            partition: r.partition,
            offset: r.offset,
            outcome: match d {
                Err(outcome) => outcome,
                Ok(_) => match stored.next() {
                    Some(Ok(json)) => match serde_json::from_str(&json) {
                        Ok(serde_json::Value::Object(values)) => PreviewOutcome::Row { values },
                        _ => PreviewOutcome::dead(Reason::new(
                            ReasonCode::DatabaseRefused,
                            format!("PostgreSQL gave back a row inlet cannot read: {json}"),
                        )),
                    },
                    Some(Err(reason)) => PreviewOutcome::dead(Reason::new(
                        ReasonCode::DatabaseRefused,
                        format!("PostgreSQL refused the row: {reason}"),
                    )),
                    None => PreviewOutcome::dead(Reason::new(
                        ReasonCode::DatabaseRefused,
                        "no row came back",
                    )),
                },
            },
        })
        .collect();
    Ok(Preview {
        table: target.table.to_string(),
        ddl,
        columns: target
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.pg_type.to_string()))
            .collect(),
        records,
    })
}

/// The topic's target as a connector would have it, without creating or recording
/// anything: the table's columns and recorded sources, or, for a table the connector would
/// create, the proposal's columns and its DDL (for a format without a registry, made from
/// `sample`, the values of the topic's latest records).
pub(crate) async fn target(
    config: &ConnectorConfig,
    topic: &TopicConfig,
    client: &tokio_postgres::Client,
    registry: &RegistryClient,
    design: Option<Vec<inlet_avro::TableColumn>>,
    sample: &[&[u8]],
) -> Result<(Target, Option<String>), PreviewError> {
    let key = if topic.format.uses_registry() {
        latest_schema(registry, &format!("{}-key", topic.topic)).await
    } else {
        None
    };
    if let Some(columns) = table_columns(client, &topic.table).await? {
        let sources = if topic.mapping.is_none() {
            match inlet_postgres::load_column_sources(client, &config.name, &topic.table).await {
                Ok(sources) => sources,
                // No inlet schema yet (42P01, undefined table): nothing recorded.
                Err(e) if e.sqlstate() == Some("42P01") => Default::default(),
                Err(e) => return Err(e.into()),
            }
        } else {
            Default::default()
        };
        let target = Target::new(&config.name, topic.clone(), columns, sources)
            .with_key_subject(key.is_some());
        return Ok((target, None));
    }
    if !topic.create_table {
        return Err(PreviewError::NoTable(topic.table.to_string()));
    }
    let key_columns = topic.insert.key().unwrap_or_default();
    let (proposal, mut ddl) = if topic.format.uses_registry() {
        crate::propose_table(&config.registry, &topic.topic, &topic.table, key_columns).await?
    } else {
        crate::check::propose_sampled(
            topic.format,
            &topic.topic,
            &topic.table,
            key_columns,
            sample.iter().copied(),
        )?
    };
    let columns = match design {
        Some(columns) => {
            let key = (!key_columns.is_empty()).then_some(key_columns);
            ddl = inlet_postgres::ddl::create_table(&topic.table, &columns, key);
            columns
        }
        None => proposal.columns,
    };
    let sources = if topic.mapping.is_none() {
        proposal
            .mapping
            .iter()
            .filter(|m| !matches!(m.source, inlet_avro::ColumnSource::Kafka(_)))
            .filter(|m| columns.iter().any(|c| c.name == m.column))
            .map(|m| (m.column.clone(), m.source.to_string()))
            .collect()
    } else {
        Default::default()
    };
    let target =
        Target::new(&config.name, topic.clone(), columns, sources).with_key_subject(key.is_some());
    Ok((target, Some(ddl)))
}

/// A sampled record as the decoder takes it.
fn record<'a>(topic: &'a str, r: &'a SampledRecord) -> Record<'a> {
    Record {
        topic,
        partition: r.partition,
        offset: r.offset,
        timestamp_ms: r.timestamp_ms,
        key: r.key.as_deref(),
        value: r.value.as_deref(),
        headers: Headers::parsed(
            r.headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_deref()))
                .collect(),
        ),
    }
}
