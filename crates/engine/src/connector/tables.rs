//! Preparing a connector's tables before it consumes: read each topic's table, or create it
//! from the proposal for its subjects' latest schemas (with a primary key for the upsert
//! modes and a hypertable when TimescaleDB is there), record its columns' fields, and refuse
//! a table no record of the latest schema can fill.

use super::*;
use crate::decode::{MadeSchema, sample_topic};

impl Connector {
    /// inlet's schema and each topic's target table.
    pub(crate) async fn setup(
        &self,
        client: &mut tokio_postgres::Client,
        registry: &RegistryClient,
    ) -> Result<Vec<Target>, RunError> {
        ensure_inlet_schema(client)
            .await
            .map_err(|source| RunError::Database {
                connector: self.config.name.clone(),
                source,
            })?;
        let mut targets = Vec::new();
        for topic in &self.config.topics {
            targets.push(self.prepare(client, registry, topic).await?);
        }
        Ok(targets)
    }

    /// The topic's table: read, or created from the proposal for the subject's latest schema.
    pub(super) async fn prepare(
        &self,
        client: &mut tokio_postgres::Client,
        registry: &RegistryClient,
        topic: &crate::config::TopicConfig,
    ) -> Result<Target, RunError> {
        let table_error = |message: String| RunError::Table {
            connector: self.config.name.clone(),
            message,
        };
        let db_error = |source| RunError::Database {
            connector: self.config.name.clone(),
            source,
        };
        let registry_error = |action: String| {
            move |source| RunError::Registry {
                connector: self.config.name.clone(),
                action,
                source: Box::new(source),
            }
        };
        // The key's latest schema: its fields can fill columns the value does not (topics
        // of a format without a registry read keys only as kafka.key).
        let key_subject = format!("{}-key", topic.topic);
        let key = if topic.format.uses_registry() {
            latest_schema_or_retry(registry, &key_subject)
                .await
                .map_err(registry_error(format!(
                    "reading the latest schema of subject {key_subject}"
                )))?
        } else {
            None
        };
        if let Some(columns) = table_columns(client, &topic.table)
            .await
            .map_err(db_error)?
        {
            if let Some(reason) = crate::decode::mapping_problem(topic, &columns) {
                return Err(table_error(reason));
            }
            self.check_key(client, topic).await?;
            let sources = self.column_sources(client, topic).await?;
            let target = Target::new(&self.config.name, topic.clone(), columns, sources)
                .with_key_subject(key.is_some());
            // A made schema (json, text, bytes) must fill the table as the latest does.
            if let Some(made) = target.made().map_err(table_error)? {
                if let Some(reason) = target.coverage_problem(made.writer(), None) {
                    return Err(table_error(format!(
                        "the {} values of topic {}: {reason}",
                        topic.format.as_str(),
                        topic.topic
                    )));
                }
                return Ok(target);
            }
            // A table that no record of the latest schema can fill is refused now, rather
            // than every record dead-lettered (or rows of NULLs); without the registry the
            // records are checked schema by schema as they come.
            let value_subject = format!("{}-value", topic.topic);
            if let Some((id, writer)) = latest_schema_or_retry(registry, &value_subject)
                .await
                .map_err(registry_error(format!(
                    "reading the latest schema of subject {value_subject}"
                )))?
                && let Some(reason) = target.coverage_problem(&writer, key_schema(&key))
            {
                return Err(table_error(format!(
                    "schema id {id} of subject {}-value: {reason}",
                    topic.topic
                )));
            }
            return Ok(target);
        }
        if !topic.create_table {
            return Err(table_error(format!(
                "table {} does not exist: create it, or set create_table to true for topic {}",
                topic.table, topic.topic
            )));
        }
        let (proposal, schema_id) = if topic.format.uses_registry() {
            self.latest_proposal(registry, topic, key.as_ref().map(|(_, key)| key))
                .await?
        } else {
            (self.sampled_proposal(topic).await?, None)
        };
        if let Some(reason) = crate::decode::uncreatable(topic, &proposal) {
            return Err(table_error(reason));
        }
        let create =
            inlet_postgres::ddl::create_table(&topic.table, &proposal.columns, topic.insert.key());
        // false: another worker created it meanwhile (and its hypertable).
        let created = create_table(client, &topic.table, &create)
            .await
            .map_err(db_error)?;
        if created {
            tracing::info!(table = %topic.table, schema_id, format = topic.format.as_str(), "table created from the schema's proposal");
        }
        let time_column = topic.time_column.clone().or(proposal.time_column);
        if let Some(time) = time_column.filter(|_| created) {
            let keyed_without_time = topic.insert.key().is_some_and(|k| !k.contains(&time));
            if keyed_without_time {
                tracing::info!(table = %topic.table, %time, "not a hypertable: its unique key would have to include the time column");
            } else if timescaledb_present(client).await.map_err(db_error)? {
                create_hypertable(client, &topic.table, &time, &topic.chunk_interval)
                    .await
                    .map_err(db_error)?;
                tracing::info!(table = %topic.table, %time, "hypertable created");
                if let Some(columnstore) = &topic.columnstore {
                    enable_columnstore(
                        client,
                        &topic.table,
                        &time,
                        &columnstore.segment_by,
                        &columnstore.after,
                    )
                    .await
                    .map_err(db_error)?;
                    tracing::info!(table = %topic.table, segment_by = ?columnstore.segment_by, after = %columnstore.after, "columnstore on: older chunks are converted");
                }
            } else {
                tracing::info!(table = %topic.table, "TimescaleDB is not installed: a plain table");
            }
        }
        let columns = table_columns(client, &topic.table)
            .await
            .map_err(db_error)?
            .ok_or_else(|| {
                table_error(format!("table {} vanished after its creation", topic.table))
            })?;
        self.check_key(client, topic).await?;
        if created && topic.mapping.is_none() {
            // Each column's field, from the proposal the table was made from; what was
            // recorded for an earlier table of that name is forgotten.
            let claims: Vec<inlet_postgres::ColumnClaim> = proposal
                .mapping
                .iter()
                .filter(|m| !matches!(m.source, inlet_avro::ColumnSource::Kafka(_)))
                .map(|m| inlet_postgres::ColumnClaim {
                    path: m.source.to_string(),
                    column: m.column.clone(),
                    add: None,
                })
                .collect();
            inlet_postgres::claim_columns(client, &self.config.name, &topic.table, &claims, true)
                .await
                .map_err(db_error)?;
        }
        let sources = self.column_sources(client, topic).await?;
        Ok(
            Target::new(&self.config.name, topic.clone(), columns, sources)
                .with_key_subject(key.is_some()),
        )
    }

    /// The proposal for the latest schema of the topic's value subject (with the key's
    /// fields, from its latest schema `key`), and that schema's id.
    async fn latest_proposal(
        &self,
        registry: &RegistryClient,
        topic: &crate::config::TopicConfig,
        key: Option<&WriterSchema>,
    ) -> Result<(Proposal, Option<u32>), RunError> {
        let registry_error = |action: String| {
            move |source| RunError::Registry {
                connector: self.config.name.clone(),
                action,
                source: Box::new(source),
            }
        };
        let subject = format!("{}-value", topic.topic);
        let latest = registry
            .subject_version(&subject, "latest")
            .await
            .map_err(|source| {
                if source.is_retriable() {
                    registry_error(format!("reading the latest schema of subject {subject}"))(
                        source,
                    )
                } else {
                    RunError::NoSchema {
                        connector: self.config.name.clone(),
                        table: topic.table.to_string(),
                        subject: subject.clone(),
                        source: Box::new(source),
                    }
                }
            })?;
        let resolved = registry
            .resolve(latest.id)
            .await
            .map_err(registry_error(format!(
                "reading schema id {} of subject {subject}",
                latest.id
            )))?;
        let schema_error = |reason: String| RunError::Schema {
            connector: self.config.name.clone(),
            id: latest.id,
            reason,
        };
        if let Some(mismatch) = crate::decode::format_mismatch(resolved.schema_type, topic.format) {
            return Err(schema_error(format!("the latest of {subject} {mismatch}")));
        }
        let writer = crate::decode::writer_of(&resolved).map_err(schema_error)?;
        // Columns the value lacks may come from the key's fields (its latest schema).
        let proposal = Proposal::for_topic(&writer, key, topic.insert.key().unwrap_or_default());
        Ok((proposal, Some(latest.id)))
    }

    /// The proposal for a topic of a format without a registry (json, text, bytes): made
    /// from a sample of the topic's latest records (json: the shape that holds them all).
    async fn sampled_proposal(
        &self,
        topic: &crate::config::TopicConfig,
    ) -> Result<Proposal, RunError> {
        let records = sample_topic(&self.config.kafka, &topic.topic, inlet_kafka::MAX_SAMPLE)
            .await
            .map_err(|source| RunError::SampleFailed {
                connector: self.config.name.clone(),
                source,
            })?
            .map_err(|source| RunError::Kafka {
                connector: self.config.name.clone(),
                source,
            })?;
        let made = MadeSchema::for_sample(
            topic.format,
            records.iter().filter_map(|r| r.value.as_deref()),
        )
        .map_err(|reason| RunError::NoSample {
            connector: self.config.name.clone(),
            table: topic.table.to_string(),
            topic: topic.topic.clone(),
            reason,
        })?;
        tracing::info!(topic = %topic.topic, records = records.len(), format = topic.format.as_str(), "columns made from a sample of the topic");
        // for_sample makes a schema for every format it is asked for (not Avro's).
        made.map(|made| made.proposal())
            .ok_or_else(|| RunError::Table {
                connector: self.config.name.clone(),
                message: format!(
                    "topic {}: an Avro topic's table is made from its registry schema",
                    topic.topic
                ),
            })
    }

    /// The recorded field of each column of the topic's table (mapping = "auto" only).
    pub(super) async fn column_sources(
        &self,
        client: &tokio_postgres::Client,
        topic: &crate::config::TopicConfig,
    ) -> Result<std::collections::BTreeMap<String, String>, RunError> {
        if topic.mapping.is_some() {
            return Ok(Default::default());
        }
        load_column_sources(client, &self.config.name, &topic.table)
            .await
            .map_err(|source| RunError::Database {
                connector: self.config.name.clone(),
                source,
            })
    }

    /// The upsert modes need a unique index on exactly the key columns.
    pub(super) async fn check_key(
        &self,
        client: &tokio_postgres::Client,
        topic: &crate::config::TopicConfig,
    ) -> Result<(), RunError> {
        let Some(key) = topic.insert.key() else {
            return Ok(());
        };
        let mut wanted = key.to_vec();
        wanted.sort();
        let keys =
            unique_keys(client, &topic.table)
                .await
                .map_err(|source| RunError::Database {
                    connector: self.config.name.clone(),
                    source,
                })?;
        if keys.contains(&wanted) {
            return Ok(());
        }
        let list = inlet_postgres::ddl::quote_list(key);
        Err(RunError::Table {
            connector: self.config.name.clone(),
            message: format!(
                "table {} has no unique index on key_columns ({list}), which upserts need: CREATE UNIQUE INDEX ON {} ({list});",
                topic.table,
                topic.table.quoted()
            ),
        })
    }
}
