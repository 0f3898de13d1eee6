//! A topic's target as the database has it: its table's columns, the plans compiled per
//! (value schema, key schema) with the columns each fills, the mapping (auto: the fields
//! recorded for the columns, claimed and added as the schemas evolve), and the key plans
//! of deletes.

use super::*;

/// A plan, or why there can be none (every record it would serve is dead-lettered with it).
pub(super) type PlanResult = Result<Arc<DecodePlan>, Reason>;

/// The most key schema ids a topic's keys are read with (each is a registry lookup and a
/// plan per value schema).
pub(super) const MAX_KEY_SCHEMAS: usize = 64;

/// The most schema ids whose failure (an id not in the registry, a schema that does not
/// compile) a topic keeps: beyond it a failed id is asked again per record, so ids made up
/// by a producer cannot grow the caches.
pub(super) const MAX_FAILED_SCHEMAS: usize = 1024;

/// A topic's target as the database has it.
pub(crate) struct Target {
    pub(crate) config: TopicConfig,
    pub(crate) table: TableName,
    pub(crate) columns: Vec<TableColumn>,
    /// Value plans by the value's schema id, its Protobuf message indexes (empty for
    /// other formats) and, when columns may take key fields, the key's schema id (None:
    /// no key, or one that is not a Confluent frame).
    plans: HashMap<(u32, Vec<i32>, Option<u32>), PlanResult>,
    /// Protobuf schemas by id, compiled, or why they cannot be read.
    protos: HashMap<u32, Result<Arc<inlet_protobuf::ProtoSchema>, Reason>>,
    /// How the records of each (schema id, message indexes) met are read (Protobuf).
    readings: HashMap<(u32, Vec<i32>), Arc<inlet_protobuf::ProtoReading>>,
    /// How the documents of each JSON Schema id met are read, or why they cannot be.
    json_readings: HashMap<u32, Result<Arc<inlet_json::JsonReading>, Reason>>,
    /// Key schemas by id, for plans whose columns take key fields.
    key_writers: HashMap<u32, Result<WriterSchema, Reason>>,
    /// Whether columns may take fields of the record's key: an explicit mapping that names
    /// `kafka.key.<path>`, or mapping = "auto" when the topic's `<topic>-key` subject has a
    /// schema (a column the value does not fill takes the key's field of that name). Else
    /// keys are not looked at: a raw key that starts with a zero byte is not taken for a
    /// Confluent frame.
    pub(super) reads_key: bool,
    /// Tombstone key plans (upsert-delete) by the key's schema id; `None`: a key that is not
    /// a Confluent frame, read as text.
    key_plans: HashMap<Option<u32>, PlanResult>,
    /// The connector, whose column sources these are.
    connector: String,
    /// mapping = "auto": the field path each column was created or first mapped for
    /// (`inlet.columns`), column → path. Later schema versions fill a column from that path.
    sources: BTreeMap<String, String>,
    /// Where the schemas met are reported, with the fields they carry that are not stored.
    progress: Option<Arc<crate::progress::Progress>>,
    /// The schema inlet made for a format without a registry (json, text, bytes), or why
    /// the table's columns cannot be filled from such values; None for Avro.
    made: Option<Result<Arc<MadeSchema>, String>>,
    /// A made schema's Avro binary of the record being decoded.
    pub(super) body: Vec<u8>,
    /// The JSON transcoder's buffers.
    pub(super) json_scratch: inlet_json::Scratch,
    /// The record being decoded's key as a Confluent Avro frame, when it is Protobuf or
    /// JSON Schema and columns take its fields ([`Target::key_as_avro`]).
    pub(super) key_frame: Option<Vec<u8>>,
}

/// The auto mapping of a schema version onto the table, by the recorded column sources.
pub(super) struct AutoMapping {
    /// Column ← field path.
    pub(super) mapping: Vec<ColumnMapping>,
    /// Columns mapped for the first time, to record: (column, path).
    pub(super) record: Vec<(String, String)>,
    /// Fields the table does not store: (path, the proposal's column for it, whether
    /// add-columns may add one for it).
    pub(super) unstored: Vec<(String, TableColumn, bool)>,
    /// Columns whose recorded field this version renamed with an Avro alias, filled from
    /// its new name: (column, recorded path, path now).
    pub(super) renamed: Vec<(String, String, String)>,
    /// Columns whose recorded field this version does not have, under its name or an
    /// alias: they stay NULL for its records (column, recorded path).
    pub(super) lost: Vec<(String, String)>,
}

impl Target {
    /// The target of `config` for `connector`: the table's `columns`, and the recorded
    /// `sources` of its columns (column → field path; `inlet_postgres::load_column_sources`).
    pub(crate) fn new(
        connector: &str,
        config: TopicConfig,
        columns: Vec<TableColumn>,
        sources: BTreeMap<String, String>,
    ) -> Self {
        let reads_key = config.key_fields().next().is_some();
        let made = MadeSchema::for_table(&config, &columns, &sources)
            .transpose()
            .map(|made| made.map(Arc::new));
        Target {
            made,
            body: Vec::new(),
            json_scratch: inlet_json::Scratch::default(),
            key_frame: None,
            table: config.table.clone(),
            config,
            columns,
            plans: HashMap::new(),
            protos: HashMap::new(),
            readings: HashMap::new(),
            json_readings: HashMap::new(),
            key_writers: HashMap::new(),
            reads_key,
            key_plans: HashMap::new(),
            connector: connector.to_owned(),
            sources,
            progress: None,
        }
    }

    /// The schema inlet made for the topic's format (json, text, bytes); None for Avro.
    ///
    /// # Errors
    /// Why the table's columns cannot be filled from the format's values.
    pub(crate) fn made(&self) -> Result<Option<Arc<MadeSchema>>, String> {
        self.made.clone().transpose()
    }

    /// With mapping = "auto", whether the topic's key subject has a schema (keys are then
    /// read as Confluent frames, see `reads_key`).
    pub(crate) fn with_key_subject(mut self, exists: bool) -> Self {
        if self.config.mapping.is_none() {
            self.reads_key = exists;
        }
        self
    }

    /// Reports the schemas met, and the fields of each not stored, to `progress`.
    pub(crate) fn report_to(&mut self, progress: Arc<crate::progress::Progress>) {
        self.progress = Some(progress);
    }

    /// The fields of `writer` (and of the key's `key`) that `mapping` does not store, as
    /// paths (`kafka.key.<path>` for the key's).
    fn unstored(
        &self,
        writer: &WriterSchema,
        key: Option<&WriterSchema>,
        mapping: &[ColumnMapping],
    ) -> Vec<String> {
        let stored: Vec<String> = mapping.iter().map(|m| m.source.to_string()).collect();
        let proposal = Proposal::for_schema(writer);
        let mut fields: Vec<String> = proposal
            .mapping
            .iter()
            .map(|m| m.source.to_string())
            .collect();
        if let Some(key) = key
            && self.config.mapping.is_none()
        {
            fields.extend(
                self.proposal(writer, Some(key))
                    .mapping
                    .iter()
                    .filter(|m| matches!(m.source, ColumnSource::Key(_)))
                    .map(|m| m.source.to_string()),
            );
        }
        fields
            .into_iter()
            .filter(|f| {
                !stored
                    .iter()
                    .any(|s| s == f || s.is_empty() || f.starts_with(&format!("{s}.")))
            })
            .collect()
    }

    /// mapping = "auto" for `writer` (and the record key's schema `key`): each field goes
    /// to the column recorded for its path; a field with no recorded column goes to the
    /// proposal's column of that name when the table has one that no other field holds;
    /// any other field is not stored. Key fields take part as `kafka.key.<path>`, for the
    /// columns the value's fields do not name ([`Proposal::with_key`]).
    pub(super) fn auto_mapping(
        &self,
        writer: &WriterSchema,
        key: Option<&WriterSchema>,
    ) -> AutoMapping {
        let proposal = self.proposal(writer, key);
        // A column PostgreSQL fills (generated, identity GENERATED ALWAYS) takes no field.
        let has = |name: &str| {
            self.columns
                .iter()
                .any(|c| c.name == name && c.generated.is_none())
        };
        let mut auto = AutoMapping {
            mapping: Vec::new(),
            record: Vec::new(),
            unstored: Vec::new(),
            renamed: Vec::new(),
            lost: Vec::new(),
        };
        let proposed: std::collections::HashSet<String> = proposal
            .mapping
            .iter()
            .map(|m| m.source.to_string())
            .collect();
        // A recorded field this version's proposal does not list as such, that still reads
        // a value into its column, keeps it: a field now in several branches of a union
        // (`url` where the proposal says `[ns.Click].url`), a key field whose name a new
        // value field took.
        // A recorded field this version renamed with an alias (Avro's schema resolution)
        // fills its column from its new name; one it lacks under both leaves it NULL.
        for (column, path) in &self.sources {
            if has(column) && !proposed.contains(path) {
                let source = ColumnSource::parse(path);
                if self.reads(writer, key, column, &source) {
                    auto.mapping.push(ColumnMapping {
                        column: column.clone(),
                        source,
                    });
                } else if let Some(now) = writer.renamed_path(path)
                    && self.reads(writer, key, column, &ColumnSource::Field(now.clone()))
                {
                    auto.mapping.push(ColumnMapping {
                        column: column.clone(),
                        source: ColumnSource::Field(now.clone()),
                    });
                    auto.renamed.push((column.clone(), path.clone(), now));
                } else if matches!(source, ColumnSource::Field(_)) {
                    auto.lost.push((column.clone(), path.clone()));
                }
            }
        }
        let renamed: std::collections::HashSet<String> =
            auto.renamed.iter().map(|(_, _, now)| now.clone()).collect();
        for m in proposal.mapping {
            if let ColumnSource::Kafka(_) = m.source {
                continue;
            }
            let path = &m.source.to_string();
            // Under its new name, a renamed field fills its old column already.
            if renamed.contains(path) {
                continue;
            }
            let proposed = || {
                proposal
                    .columns
                    .iter()
                    .find(|c| c.name == m.column)
                    .cloned()
            };
            if let Some(column) = self
                .sources
                .iter()
                .find(|(_, p)| *p == path)
                .map(|(c, _)| c)
            {
                if has(column) {
                    auto.mapping.push(ColumnMapping {
                        column: column.clone(),
                        source: m.source.clone(),
                    });
                } else if let Some(c) = proposed() {
                    // Its column was dropped from the table: not stored, not added again.
                    auto.unstored.push((path.clone(), c, false));
                }
                continue;
            }
            // `[ns.Click].url` is stored when a column reads `url` (through every branch).
            if let ColumnSource::Field(p) = &m.source
                && let Some(rest) = p
                    .strip_prefix('[')
                    .and_then(|p| p.split_once("]."))
                    .map(|(_, rest)| rest)
                && auto
                    .mapping
                    .iter()
                    .any(|a| a.source == ColumnSource::Field(rest.to_owned()))
            {
                continue;
            }
            if has(&m.column) && !self.sources.contains_key(&m.column) {
                auto.record.push((m.column.clone(), path.clone()));
                auto.mapping.push(m);
            } else if let Some(c) = proposed() {
                auto.unstored.push((path.clone(), c, true));
            }
        }
        auto
    }

    /// Whether `source` reads a value of `writer` (or of the key's `key`) that `column`
    /// can take.
    fn reads(
        &self,
        writer: &WriterSchema,
        key: Option<&WriterSchema>,
        column: &str,
        source: &ColumnSource,
    ) -> bool {
        let Some(table_column) = self.columns.iter().find(|c| c.name == column) else {
            return false;
        };
        let target = TableColumn {
            nullable: true, // NOT NULL is the coverage's to say
            ..table_column.clone()
        };
        let mapping = [ColumnMapping {
            column: column.to_owned(),
            source: source.clone(),
        }];
        let key = key.map(|schema| KeySchema { id: 0, schema });
        DecodePlan::compile_keyed(writer, key, &[target], &mapping, &PlanOptions::default()).is_ok()
    }

    /// The proposal for `writer`, with the key's fields when there is a key schema (a
    /// made schema's own, whose JSON values go into jsonb).
    fn proposal(&self, writer: &WriterSchema, key: Option<&WriterSchema>) -> Proposal {
        let proposal = match &self.made {
            Some(Ok(made)) => made.proposal(),
            _ => Proposal::for_schema(writer),
        };
        let key_columns = self.config.insert.key().unwrap_or_default();
        match key {
            Some(key) => proposal.with_key(key, key_columns),
            None => proposal,
        }
    }

    /// The writer schema of the values of `schema_id` (and, for Protobuf, of the message
    /// `message` names): the made schema's for a format without a registry, the one inlet
    /// made of the Protobuf message, else the registry's.
    async fn value_writer(
        &mut self,
        registry: &RegistryClient,
        schema_id: u32,
        message: &[i32],
    ) -> Result<Result<WriterSchema, Reason>, Unavailable> {
        if self.config.format == crate::config::Format::Protobuf {
            return Ok(self
                .proto_reading(registry, schema_id, message)
                .await?
                .map(|reading| reading.writer().clone()));
        }
        if self.config.format == crate::config::Format::JsonSchema {
            return Ok(self
                .json_schema_reading(registry, schema_id)
                .await?
                .map(|reading| reading.writer().clone()));
        }
        match &self.made {
            Some(Ok(made)) => Ok(Ok(made.writer().clone())),
            Some(Err(problem)) => Ok(Err(Reason::new(
                ReasonCode::UnusableSchema,
                problem.clone(),
            ))),
            None => Self::writer(registry, schema_id).await,
        }
    }

    /// The schema of a record key that is a Confluent frame of `schema_id`, or the reason
    /// it cannot be had (kept: asked once per id).
    async fn key_writer(
        &mut self,
        registry: &RegistryClient,
        schema_id: u32,
    ) -> Result<Result<WriterSchema, Reason>, Unavailable> {
        if let Some(writer) = self.key_writers.get(&schema_id) {
            return Ok(writer.clone());
        }
        if self.key_writers.len() >= MAX_KEY_SCHEMAS {
            return Ok(Err(Reason::new(
                ReasonCode::KeyUnusable,
                format!(
                    "more than {MAX_KEY_SCHEMAS} key schema ids met on this topic; key schema id {schema_id} is not read"
                ),
            )));
        }
        let writer = Self::writer(registry, schema_id).await?;
        self.key_writers.insert(schema_id, writer.clone());
        Ok(writer)
    }

    /// A record key that is a Confluent frame of Protobuf or JSON Schema, as a Confluent
    /// Avro frame (magic byte, the key's schema id, the Avro body of the schema inlet makes
    /// of it), which plans read key fields from and tombstones delete by; that schema is
    /// kept as the key schema id's writer. None for an Avro key (read as it is), a key that
    /// is not a frame, or one whose schema the registry does not give (the key's writer
    /// then says why).
    ///
    /// # Errors
    /// The outer: the registry does not answer. The inner: the key's reason as a
    /// `key_unusable` dead letter (its bytes are not its message, its schema does not
    /// compile).
    pub(crate) async fn key_as_avro(
        &mut self,
        registry: &RegistryClient,
        key: &[u8],
    ) -> Result<Result<Option<Vec<u8>>, Reason>, Unavailable> {
        use inlet_registry::SchemaType;
        let Ok(frame) = Frame::parse(key) else {
            return Ok(Ok(None));
        };
        let id = frame.schema_id.0;
        let schema_type = match registry.resolve(id).await {
            Ok(resolved) => resolved.schema_type,
            Err(e) if e.is_retriable() => return Err(Unavailable::Registry(e)),
            Err(_) => return Ok(Ok(None)),
        };
        let unusable = |text: String| {
            Reason::new(ReasonCode::KeyUnusable, format!("the record's key: {text}"))
        };
        let mut avro = Vec::with_capacity(key.len() + 16);
        avro.push(inlet_avro::MAGIC_BYTE);
        avro.extend_from_slice(&id.to_be_bytes());
        let writer = match schema_type {
            SchemaType::Avro => return Ok(Ok(None)),
            SchemaType::Protobuf => {
                let (indexes, message) = match inlet_protobuf::split_message_indexes(frame.body) {
                    Ok(split) => split,
                    Err(e) => return Ok(Err(unusable(e.to_string()))),
                };
                let reading = match self.proto_reading(registry, id, &indexes).await? {
                    Ok(reading) => reading,
                    Err(reason) => return Ok(Err(unusable(reason.text))),
                };
                if let Err(e) = reading.transcode(message, &mut avro) {
                    return Ok(Err(unusable(e.to_string())));
                }
                reading.writer().clone()
            }
            SchemaType::Json => {
                let reading = match self.json_schema_reading(registry, id).await? {
                    Ok(reading) => reading,
                    Err(reason) => return Ok(Err(unusable(reason.text))),
                };
                if let Err(e) = reading.transcode(frame.body, &mut avro, &mut self.json_scratch) {
                    return Ok(Err(unusable(e.to_string())));
                }
                reading.writer().clone()
            }
        };
        if !self.key_writers.contains_key(&id) && self.key_writers.len() < MAX_KEY_SCHEMAS {
            self.key_writers.insert(id, Ok(writer));
        }
        Ok(Ok(Some(avro)))
    }

    /// How records of the Protobuf schema `schema_id`'s message `message` (its indexes)
    /// are read, or the per-record reason they cannot be: the schema is not Protobuf,
    /// does not compile, or has no such message.
    pub(super) async fn proto_reading(
        &mut self,
        registry: &RegistryClient,
        schema_id: u32,
        message: &[i32],
    ) -> Result<Result<Arc<inlet_protobuf::ProtoReading>, Reason>, Unavailable> {
        if let Some(reading) = self.readings.get(&(schema_id, message.to_vec())) {
            return Ok(Ok(reading.clone()));
        }
        let schema = match self.protos.get(&schema_id) {
            Some(schema) => schema.clone(),
            None => {
                let want = inlet_registry::SchemaType::Protobuf;
                let schema =
                    Self::resolved_of(registry, schema_id, want, "the topic's format is protobuf")
                        .await?
                        .and_then(|resolved| {
                            super::registered::proto_schema(&resolved)
                                .map(Arc::new)
                                .map_err(|e| {
                                    Reason::new(
                                        ReasonCode::UnusableSchema,
                                        format!("schema id {schema_id}: {e}"),
                                    )
                                })
                        });
                if schema.is_ok() || self.protos.len() < MAX_FAILED_SCHEMAS {
                    self.protos.insert(schema_id, schema.clone());
                }
                schema
            }
        };
        // Only readings are kept: a record's indexes are its own, and those naming no
        // message must not grow the map.
        Ok(schema.and_then(|schema| {
            let reading = schema.reading(message).map(Arc::new).map_err(|e| {
                Reason::new(
                    ReasonCode::UnusableSchema,
                    format!("schema id {schema_id}: {e}"),
                )
            })?;
            self.readings
                .insert((schema_id, message.to_vec()), reading.clone());
            Ok(reading)
        }))
    }

    /// How documents of the JSON Schema `schema_id` are read, or the per-record reason
    /// they cannot be (kept per id).
    pub(super) async fn json_schema_reading(
        &mut self,
        registry: &RegistryClient,
        schema_id: u32,
    ) -> Result<Result<Arc<inlet_json::JsonReading>, Reason>, Unavailable> {
        if let Some(reading) = self.json_readings.get(&schema_id) {
            return Ok(reading.clone());
        }
        let want = inlet_registry::SchemaType::Json;
        let reading = Self::resolved_of(
            registry,
            schema_id,
            want,
            "the topic's format is json-schema",
        )
        .await?
        .and_then(|resolved| {
            super::registered::json_reading(&resolved)
                .map(Arc::new)
                .map_err(|e| {
                    Reason::new(
                        ReasonCode::UnusableSchema,
                        format!("schema id {schema_id}: {e}"),
                    )
                })
        });
        if reading.is_ok() || self.json_readings.len() < MAX_FAILED_SCHEMAS {
            self.json_readings.insert(schema_id, reading.clone());
        }
        Ok(reading)
    }

    /// The registry's schema `schema_id` when it is of type `want`, or the per-record
    /// reason it cannot be had; `reading_as` says how the records are read (for the
    /// reason of a schema of another type).
    async fn resolved_of(
        registry: &RegistryClient,
        schema_id: u32,
        want: inlet_registry::SchemaType,
        reading_as: &str,
    ) -> Result<Result<Arc<inlet_registry::ResolvedSchema>, Reason>, Unavailable> {
        Ok(Self::resolved(registry, schema_id).await?.and_then(|resolved| {
            if resolved.schema_type == want {
                return Ok(resolved);
            }
            Err(Reason::new(
                ReasonCode::UnusableSchema,
                format!(
                    "schema id {schema_id} is a {} schema, and {reading_as}: a value of it needs the topic's format = \"{}\"",
                    resolved.schema_type,
                    super::registered::format_of(resolved.schema_type)
                ),
            ))
        }))
    }

    /// The Avro writer schema of `schema_id`, or the per-record reason it cannot be had.
    async fn writer(
        registry: &RegistryClient,
        schema_id: u32,
    ) -> Result<Result<WriterSchema, Reason>, Unavailable> {
        let want = inlet_registry::SchemaType::Avro;
        let reading_as = "it is read as Avro";
        Ok(Self::resolved_of(registry, schema_id, want, reading_as)
            .await?
            .and_then(|resolved| {
                WriterSchema::parse(&resolved.schema, &resolved.dependencies).map_err(|e| {
                    Reason::new(
                        ReasonCode::UnusableSchema,
                        format!("schema id {schema_id}: {e}"),
                    )
                })
            }))
    }

    /// The registry's schema `schema_id` with its references, or the per-record reason it
    /// cannot be had.
    async fn resolved(
        registry: &RegistryClient,
        schema_id: u32,
    ) -> Result<Result<Arc<inlet_registry::ResolvedSchema>, Reason>, Unavailable> {
        match registry.resolve(schema_id).await {
            Ok(resolved) => Ok(Ok(resolved)),
            Err(e) if e.is_not_found() => Ok(Err(Reason::new(
                ReasonCode::UnknownSchema,
                format!("schema id {schema_id} is not in the schema registry: {e}"),
            ))),
            // No registry (a connector of formats without one): asking again cannot help.
            Err(e @ inlet_registry::Error::NotConfigured) => Ok(Err(Reason::new(
                ReasonCode::UnusableSchema,
                format!("schema id {schema_id} cannot be read: {e}"),
            ))),
            Err(e) => Err(Unavailable::Registry(e)),
        }
    }

    /// The plan for values of `schema_id` (its Protobuf message `message`; empty for
    /// other formats) and keys of `key_id`, compiled on first use (adding columns first
    /// with evolution = add-columns).
    pub(crate) async fn plan(
        &mut self,
        registry: &RegistryClient,
        client: Option<&tokio_postgres::Client>,
        schema_id: u32,
        message: &[i32],
        key_id: Option<u32>,
    ) -> Result<PlanResult, Unavailable> {
        if let Some(plan) = self.plans.get(&(schema_id, message.to_vec(), key_id)) {
            return Ok(plan.clone());
        }
        let key = match key_id {
            Some(id) => Some((id, self.key_writer(registry, id).await?)),
            None => None,
        };
        let key_schema = match &key {
            Some((id, Ok(schema))) => Some(KeySchema { id: *id, schema }),
            _ => None,
        };
        let from_key = self.key_sourced_columns();
        let plan = match self.value_writer(registry, schema_id, message).await? {
            // Columns that take key fields need the key's schema.
            Ok(_) if key_schema.is_none() && !from_key.is_empty() => Err(Reason::new(
                ReasonCode::KeyUnusable,
                match &key {
                    Some((_, Err(reason))) => format!("the record's key: {reason}"),
                    _ => format!(
                        "the record's key is missing or not Confluent-framed Avro, and column(s) {} take fields of it (kafka.key.<path>)",
                        from_key.join(", ")
                    ),
                },
            )),
            Ok(writer) => {
                if self.config.mapping.is_none() {
                    self.settle_columns(&writer, key_schema, schema_id, client)
                        .await?;
                }
                let plan = self
                    .compile(&writer, key_schema)
                    .map(Arc::new)
                    .map_err(|text| Reason::new(ReasonCode::UnusableSchema, text));
                if plan.is_ok()
                    && let Some(progress) = &self.progress
                {
                    let key = key_schema.map(|k| k.schema);
                    let unstored = self.unstored(&writer, key, &self.mapping(&writer, key));
                    crate::progress::events::SchemaSeen {
                        topic: &self.config.topic,
                        schema_id,
                        unstored,
                    }
                    .emit(progress);
                }
                plan
            }
            Err(reason) => Err(reason),
        };
        if let Err(reason) = &plan {
            tracing::warn!(table = %self.table, schema_id, ?key_id, %reason, "records of this schema cannot be stored");
        }
        self.plans
            .insert((schema_id, message.to_vec(), key_id), plan.clone());
        Ok(plan)
    }

    /// mapping = "auto": records the columns `writer`'s fields take for the first time and,
    /// with evolution = add-columns, adds a nullable column for each field the table does not
    /// store (named as the proposal names it, or with a suffix, `geo_lat_2`, when that is
    /// another field's column), all under one lock with the other workers
    /// ([`claim_columns`]); then names once (per schema id) each field still not stored.
    /// Without a connection (a replay) the columns are mapped but not recorded.
    async fn settle_columns(
        &mut self,
        writer: &WriterSchema,
        key: Option<KeySchema<'_>>,
        schema_id: u32,
        client: Option<&tokio_postgres::Client>,
    ) -> Result<(), Unavailable> {
        let key = key.map(|k| k.schema);
        let auto = self.auto_mapping(writer, key);
        let add = self.config.evolution == Evolution::AddColumns;
        let mut claims: Vec<ColumnClaim> = auto
            .record
            .iter()
            .map(|(column, path)| ColumnClaim {
                path: path.clone(),
                column: column.clone(),
                add: None,
            })
            .collect();
        if add {
            // PostgreSQL's limits on columns and on a row's size: a field whose column
            // would pass them is not stored, said once.
            let mut widened = self.columns.clone();
            for (path, column, _) in auto.unstored.iter().filter(|(_, _, addable)| *addable) {
                widened.push(TableColumn {
                    nullable: true,
                    ..column.clone()
                });
                if let Err(too_wide) = inlet_avro::check_table_width(&widened) {
                    widened.pop();
                    tracing::error!(table = %self.table, schema_id, field = %path, "evolution cannot add a column for this field: the table would have {too_wide}; it is not stored (map such fields into a jsonb column of a table of your own)");
                    continue;
                }
                claims.push(ColumnClaim {
                    path: path.clone(),
                    column: column.name.clone(),
                    add: Some(column.pg_type.clone()),
                });
            }
        }
        if let (false, Some(client)) = (claims.is_empty(), client) {
            match claim_columns(client, &self.connector, &self.table, &claims, false).await {
                Ok((sources, added)) => {
                    for column in &added {
                        tracing::info!(table = %self.table, %column, schema_id, "evolution: column added for a new field");
                    }
                    if sources != self.sources || !added.is_empty() {
                        // Plans compiled before map by what was recorded then.
                        self.plans.clear();
                    }
                    self.sources = sources;
                    if !added.is_empty()
                        && let Some(columns) = table_columns(client, &self.table)
                            .await
                            .map_err(Unavailable::Database)?
                    {
                        self.columns = columns;
                    }
                }
                Err(e) if e.is_retriable() => return Err(Unavailable::Database(e)),
                // Retrying cannot fix it (permissions on inlet.columns, say): map as
                // planned, unrecorded, and say so.
                Err(e) => {
                    tracing::error!(table = %self.table, schema_id, error = %e, "the columns' fields cannot be recorded; mapping them without a record");
                }
            }
        }
        let auto = self.auto_mapping(writer, key);
        for (column, recorded, now) in &auto.renamed {
            tracing::info!(table = %self.table, schema_id, %column, field = %now, alias = %recorded, "a field renamed with an alias fills its column as before");
        }
        for (column, recorded) in &auto.lost {
            tracing::warn!(table = %self.table, schema_id, %column, field = %recorded, "this schema has no field for the column (renamed without an alias, or removed): its records leave it NULL; give the new field \"aliases\": [\"{recorded}\"] in the schema to keep filling it");
        }
        for (path, column, addable) in auto.unstored {
            if addable {
                tracing::warn!(table = %self.table, schema_id, field = %path, proposed_column = %column.name, "a field of this schema is not stored: the table has no column for it (evolution = \"add-columns\" adds one, or map it in the topic's mapping)");
            } else {
                tracing::warn!(table = %self.table, schema_id, field = %path, "a field of this schema is not stored: the column recorded for it is no longer in the table (dropped or renamed); to let it take a column again, DELETE FROM inlet.columns WHERE connector = '{}' AND table_schema = '{}' AND table_name = '{}' AND source = '{path}'", self.connector, self.table.schema, self.table.table);
            }
        }
        Ok(())
    }

    /// The plan that turns a tombstone's key into the key columns' values: fields of a key
    /// record by column name, or a key that is one value (an Avro primitive, or plain text
    /// when the key is not a Confluent frame) into a one-column key.
    pub(super) async fn key_plan(
        &mut self,
        registry: &RegistryClient,
        schema_id: Option<u32>,
    ) -> Result<PlanResult, Unavailable> {
        if let Some(plan) = self.key_plans.get(&schema_id) {
            return Ok(plan.clone());
        }
        // Whatever stops it, it is the key that cannot name the row (said as the key's).
        let writer = match schema_id {
            // A Protobuf or JSON Schema key's writer was kept by key_as_avro.
            Some(id) => match self.key_writers.get(&id) {
                Some(writer) => writer.clone(),
                None => Self::writer(registry, id).await?,
            }
            .map_err(|reason| format!("the tombstone's key: {reason}")),
            None => WriterSchema::parse("\"string\"", &[]).map_err(|e| e.to_string()),
        };
        let key = self.config.insert.key().unwrap_or_default();
        let plan = writer.and_then(|writer| {
            // A delete's key goes into a staging table, where even an identity column
            // GENERATED ALWAYS takes values.
            let columns: Vec<TableColumn> = self
                .columns
                .iter()
                .filter(|c| key.contains(&c.name))
                .map(|c| TableColumn {
                    generated: None,
                    ..c.clone()
                })
                .collect();
            let proposal = Proposal::for_schema(&writer).mapping;
            let mapping: Vec<ColumnMapping> = match proposal.as_slice() {
                [one]
                    if matches!(&one.source, ColumnSource::Field(p) if p.is_empty())
                        && key.len() == 1 =>
                {
                    vec![ColumnMapping {
                        column: key[0].clone(),
                        source: one.source.clone(),
                    }]
                }
                // A key column takes the key field its mapping names (kafka.key.<path>),
                // else the key field of its name.
                _ => key
                    .iter()
                    .filter_map(|column| match self.key_path(column) {
                        Some(path) => Some(ColumnMapping {
                            column: column.clone(),
                            source: ColumnSource::Field(path),
                        }),
                        None => proposal.iter().find(|m| &m.column == column).cloned(),
                    })
                    .collect(),
            };
            let plan = DecodePlan::compile(&writer, &columns, &mapping, &PlanOptions::default())
                .map_err(|e| {
                    format!("the tombstone's key does not fit the key columns {key:?}: {e}")
                })?;
            let filled: Vec<&str> = plan.copy_columns().collect();
            match key.iter().find(|k| !filled.contains(&k.as_str())) {
                Some(k) => Err(format!(
                    "the tombstone's key has no value for key column {k}"
                )),
                None => Ok(Arc::new(plan)),
            }
        });
        let plan = plan.map_err(|text| Reason::new(ReasonCode::KeyUnusable, text));
        if let Err(reason) = &plan {
            tracing::warn!(table = %self.table, ?schema_id, %reason, "tombstones with this key cannot delete rows");
        }
        self.key_plans.insert(schema_id, plan.clone());
        Ok(plan)
    }

    /// The columns mapped from key fields (`kafka.key.<path>`), explicitly or as recorded
    /// by mapping = "auto".
    fn key_sourced_columns(&self) -> Vec<String> {
        self.key_fields()
            .into_iter()
            .map(|(column, _)| column.to_owned())
            .collect()
    }

    /// The key field path `column` is mapped from (`kafka.key.<path>`), explicitly or
    /// as recorded by mapping = "auto".
    fn key_path(&self, column: &str) -> Option<String> {
        self.key_fields()
            .into_iter()
            .find(|(c, _)| *c == column)
            .map(|(_, path)| path)
    }

    /// The columns mapped from key fields, with their paths: the explicit mapping's, or
    /// those mapping = "auto" recorded.
    fn key_fields(&self) -> Vec<(&str, String)> {
        match &self.config.mapping {
            Some(_) => self.config.key_fields().collect(),
            None => self
                .sources
                .iter()
                .filter_map(|(column, source)| crate::config::key_field(column, source))
                .collect(),
        }
    }

    /// The columns a record of `writer` (with a key of schema `key`) would fill, or why it
    /// cannot be stored.
    pub(crate) fn fit(
        &self,
        writer: &WriterSchema,
        key: Option<KeySchema<'_>>,
    ) -> Result<Vec<String>, String> {
        self.compile(writer, key)
            .map(|plan| plan.copy_columns().map(str::to_owned).collect())
    }

    /// Why records of `writer` cannot go into the table whatever their values: they fill
    /// none of its columns though they have fields, or leave a NOT NULL column without a
    /// default empty. `inlet run` refuses to start on the latest schema's, and `inlet check`
    /// fails with it; a later schema's records are dead-lettered with it.
    fn coverage(
        &self,
        writer: &WriterSchema,
        key: Option<&WriterSchema>,
        mapping: &[ColumnMapping],
    ) -> Result<(), String> {
        let filled: Vec<&str> = mapping
            .iter()
            .map(|m| m.column.as_str())
            .filter(|c| self.columns.iter().any(|t| t.name == *c))
            .collect();
        let fields: Vec<String> = Proposal::for_schema(writer)
            .mapping
            .into_iter()
            .filter_map(|m| match m.source {
                ColumnSource::Field(path) => Some(path),
                _ => None,
            })
            .collect();
        // With add-columns the fields the table lacks get columns before any record is
        // written: a table that has none of them yet is not refused for it.
        let will_add = self.config.mapping.is_none()
            && self.config.evolution == Evolution::AddColumns
            && self
                .auto_mapping(writer, key)
                .unstored
                .iter()
                .any(|(_, _, addable)| *addable);
        if filled.is_empty() && !fields.is_empty() && !will_add {
            let columns: Vec<&str> = self.columns.iter().map(|c| c.name.as_str()).collect();
            return Err(format!(
                "the schema fills none of the columns of {} (its fields: {}; the table's columns: {}): map fields to columns in the topic's mapping, or write the topic to another table",
                self.table,
                fields.join(", "),
                if columns.is_empty() {
                    "none".to_owned()
                } else {
                    columns.join(", ")
                },
            ));
        }
        if let Some(column) = self
            .columns
            .iter()
            .find(|c| !c.nullable && !c.has_default && !filled.contains(&c.name.as_str()))
        {
            return Err(format!(
                "column {} of {} is NOT NULL and has no default, and the schema fills no value for it: map a field to it in the topic's mapping, give it a default, or drop its NOT NULL",
                column.name, self.table
            ));
        }
        Ok(())
    }

    /// [`coverage`](Self::coverage)'s problem for `writer` (with keys of schema `key`), if
    /// any.
    pub(crate) fn coverage_problem(
        &self,
        writer: &WriterSchema,
        key: Option<KeySchema<'_>>,
    ) -> Option<String> {
        let key_schema = key.map(|k| k.schema);
        self.coverage(writer, key_schema, &self.mapping(writer, key_schema))
            .err()
    }

    fn compile(
        &self,
        writer: &WriterSchema,
        key: Option<KeySchema<'_>>,
    ) -> Result<DecodePlan, String> {
        let key_schema = key.map(|k| k.schema);
        let mapping = self.mapping(writer, key_schema);
        self.coverage(writer, key_schema, &mapping)?;
        let plan = DecodePlan::compile_keyed(
            writer,
            key,
            &self.columns,
            &mapping,
            &PlanOptions::default(),
        )
        .map_err(|e| format!("the schema does not fit {}: {e}", self.table))?;
        if let Some(key) = self.config.insert.key() {
            let filled: Vec<&str> = plan.copy_columns().collect();
            if let Some(k) = key.iter().find(|k| !filled.contains(&k.as_str())) {
                return Err(format!(
                    "the schema fills no value for key column {k} of {}",
                    self.table
                ));
            }
        }
        Ok(plan)
    }

    /// The columns `writer`'s records fill and from what: the explicit mapping, or the
    /// auto mapping by the recorded sources.
    fn mapping(&self, writer: &WriterSchema, key: Option<&WriterSchema>) -> Vec<ColumnMapping> {
        match &self.config.mapping {
            Some(explicit) => explicit
                .iter()
                .map(|(column, source)| ColumnMapping {
                    column: column.clone(),
                    source: ColumnSource::parse(source),
                })
                .collect(),
            // The recorded sources, then the proposal, for the columns the table has.
            None => self.auto_mapping(writer, key).mapping,
        }
    }
}
