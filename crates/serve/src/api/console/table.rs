//! The steps of the table: a design's columns checked as PostgreSQL takes them, the
//! proposal for a topic's schema, the preview of its latest records as rows, and the
//! table's creation (a hypertable, and its columnstore, when TimescaleDB is there).

use super::connect::{kafka_of, registry_of};
use super::*;

/// A column of a table designed in the console: `{"name", "type", "nullable"}`.
#[derive(Deserialize, ToSchema)]
pub struct DesignedColumn {
    /// Its name: 1 to 63 bytes, no control characters, not another column's.
    name: String,
    /// Its type as PostgreSQL writes it: boolean, smallint, integer, bigint, real, double
    /// precision, numeric or numeric(p,s), text, varchar or varchar(n), bytea, jsonb, uuid,
    /// date, time, timestamp, timestamptz, interval, or an array of one (`text[]`).
    #[serde(rename = "type")]
    pg_type: String,
    /// Whether it takes NULL (default true).
    #[serde(default = "yes")]
    nullable: bool,
}

/// A column of a table: `{"name", "type", "nullable"}`.
#[derive(Serialize, ToSchema)]
pub struct Column {
    /// Its name.
    name: String,
    /// Its type as PostgreSQL writes it: `integer`, `varchar(20)`, `numeric(10,2)`,
    /// `timestamp with time zone`, `text[]`…
    #[serde(rename = "type")]
    pg_type: String,
    /// Whether it takes NULL.
    nullable: bool,
}

impl From<&inlet_avro::TableColumn> for Column {
    fn from(c: &inlet_avro::TableColumn) -> Self {
        Column {
            name: c.name.clone(),
            pg_type: c.pg_type.to_string(),
            nullable: c.nullable,
        }
    }
}

pub(super) fn yes() -> bool {
    true
}

/// The most columns a designed table may have (PostgreSQL's own limit).
pub(super) const MAX_COLUMNS: usize = inlet_avro::MAX_TABLE_COLUMNS;

/// The longest `varchar(n)` PostgreSQL takes, and the most digits of a `numeric(p, s)`.
pub(super) const MAX_VARCHAR: u32 = 10_485_760;
pub(super) const MAX_NUMERIC_PRECISION: u32 = 1_000;

/// A designed column's type, written as PostgreSQL writes it (`integer`, `varchar(20)`,
/// `numeric(10,2)`, `timestamp with time zone`, `text[]`…), with the lengths and precisions
/// PostgreSQL accepts; anything else is refused with what inlet writes.
pub(super) fn strict_type(sql: &str) -> Result<inlet_avro::PgType, String> {
    let refused = || {
        format!(
            "{sql:?} is not a type inlet writes (boolean, smallint, integer, bigint, real, double precision, numeric or numeric(p,s), text, varchar or varchar(n), bytea, jsonb, uuid, date, time, timestamp, timestamptz, interval, or an array of one: text[])"
        )
    };
    let lower = sql.trim().to_ascii_lowercase();
    let element = lower.strip_suffix("[]").unwrap_or(&lower).trim_end();
    let (base, args) = match element.split_once('(') {
        Some((base, rest)) => (
            base.trim_end(),
            Some(rest.strip_suffix(')').ok_or_else(refused)?),
        ),
        None => (element, None),
    };
    const BASES: &[&str] = &[
        "bool",
        "boolean",
        "int2",
        "smallint",
        "int",
        "int4",
        "integer",
        "int8",
        "bigint",
        "float4",
        "real",
        "float8",
        "double precision",
        "numeric",
        "decimal",
        "text",
        "varchar",
        "character varying",
        "bytea",
        "jsonb",
        "uuid",
        "date",
        "time",
        "time without time zone",
        "timestamp",
        "timestamp without time zone",
        "timestamptz",
        "timestamp with time zone",
        "interval",
    ];
    if !BASES.contains(&base) {
        return Err(refused());
    }
    if let Some(args) = args {
        let numbers: Vec<u32> = args
            .split(',')
            .map(|n| n.trim().parse::<u32>().map_err(|_| refused()))
            .collect::<Result<_, _>>()?;
        match (base, numbers.as_slice()) {
            ("varchar" | "character varying", [n]) if (1..=MAX_VARCHAR).contains(n) => {}
            ("varchar" | "character varying", _) => {
                return Err(format!("{sql:?}: a varchar's length is 1 to {MAX_VARCHAR}"));
            }
            ("numeric" | "decimal", [p] | [p, _]) if !(1..=MAX_NUMERIC_PRECISION).contains(p) => {
                return Err(format!(
                    "{sql:?}: a numeric's precision is 1 to {MAX_NUMERIC_PRECISION}"
                ));
            }
            ("numeric" | "decimal", [p, s]) if s > p => {
                return Err(format!("{sql:?}: a numeric's scale is 0 to its precision"));
            }
            ("numeric" | "decimal", [_] | [_, _]) => {}
            _ => return Err(refused()),
        }
    }
    inlet_avro::PgType::parse(&lower).ok_or_else(refused)
}

/// A step's designed columns as the table's, or 400 naming each column whose type inlet
/// does not write or whose name is empty or repeated.
pub(super) fn design(
    body: &SetupStepRequest,
) -> Result<Option<Vec<inlet_avro::TableColumn>>, ApiError> {
    let Some(columns) = &body.columns else {
        return Ok(None);
    };
    if columns.is_empty() || columns.len() > MAX_COLUMNS {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("columns: a table needs 1 to {MAX_COLUMNS} columns"),
        ));
    }
    let mut out: Vec<inlet_avro::TableColumn> = Vec::with_capacity(columns.len());
    let mut wrong = Vec::new();
    for c in columns {
        if c.name.trim().is_empty() || c.name.len() > 63 || c.name.chars().any(char::is_control) {
            wrong.push((
                "columns".to_owned(),
                format!(
                    "{:?}: a column name has 1 to 63 bytes, and no control characters",
                    c.name
                ),
            ));
        } else if out.iter().any(|o| o.name == c.name) {
            wrong.push((format!("columns.{}", c.name), "is named twice".to_owned()));
        }
        match strict_type(&c.pg_type) {
            Ok(pg_type) => out.push(inlet_avro::TableColumn {
                name: c.name.clone(),
                pg_type,
                nullable: c.nullable,
                has_default: false,
                generated: None,
            }),
            Err(why) => wrong.push((format!("columns.{}", c.name), why)),
        }
    }
    if wrong.is_empty() {
        Ok(Some(out))
    } else {
        Err(problems(wrong))
    }
}

/// The table proposed for a step's topic: (table, proposal, its DDL, the key columns).
pub(super) async fn proposed(
    app: &App,
    body: &SetupStepRequest,
) -> Result<
    (
        inlet_postgres::TableName,
        inlet_avro::Proposal,
        String,
        Vec<String>,
        Option<Vec<inlet_avro::SourceChoice>>,
    ),
    ApiError,
> {
    let topic = step_topic(body)?;
    let mut config = prepared(app, body.config.0.clone()).await?;
    config
        .entry("topics".into())
        .or_insert_with(|| topic.clone());
    let raw = lenient(&config)?;
    let checked = topic_of(&raw, &topic)?
        .check()
        .map_err(|e| problems(e.problems))?;
    let table = checked.table;
    let key_columns = checked.insert.key().unwrap_or_default().to_vec();
    // A format without a registry: the proposal of a sample of the topic.
    let (mut proposal, mut ddl, sources) = if checked.format.uses_registry() {
        let registry = registry_of(&raw)?;
        let (proposal, ddl) =
            inlet_engine::propose_table(&registry, &topic, &table, &key_columns).await?;
        (proposal, ddl, None)
    } else {
        let kafka = kafka_of(&raw)?;
        let (proposal, ddl, sources) =
            inlet_engine::propose_from_topic(&kafka, checked.format, &topic, &table, &key_columns)
                .await?;
        (proposal, ddl, Some(sources))
    };
    if let Some(columns) = design(body)? {
        let missing: Vec<flat::Problem> = key_columns
            .iter()
            .filter(|k| !columns.iter().any(|c| &c.name == *k))
            .map(|k| {
                (
                    "key_columns".to_owned(),
                    format!(
                        "{k} is not a column of the table: choose key columns among its columns"
                    ),
                )
            })
            .collect();
        if !missing.is_empty() {
            return Err(problems(missing));
        }
        let key = (!key_columns.is_empty()).then_some(key_columns.as_slice());
        ddl = inlet_postgres::ddl::create_table(&table, &columns, key);
        let time = config.get("time_column").filter(|t| !t.is_empty());
        if let Some(time) = time {
            let column = columns.iter().find(|c| &c.name == time);
            if !column.is_some_and(|c| {
                matches!(
                    c.pg_type,
                    inlet_avro::PgType::Timestamptz | inlet_avro::PgType::Timestamp
                )
            }) {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "time_column: {time} is not a timestamp column of the table: choose one of its timestamp columns, or none"
                    ),
                ));
            }
            if key.is_none_or(|k| k.contains(time)) {
                ddl.push_str(&inlet_postgres::ddl::hypertable_comment(&table, time));
            }
        }
        proposal.columns = columns;
    }
    // Only a table PostgreSQL can store every row of is proposed or created.
    if let Err(reason) = inlet_avro::check_table_width(&proposal.columns) {
        return Err(inlet_engine::ProposeError::TooWide { topic, reason }.into());
    }
    Ok((table, proposal, ddl, key_columns, sources))
}

/// The table proposed for a topic, whether it exists, and what its columns can be filled
/// from.
#[derive(Serialize, ToSchema)]
pub struct Proposal {
    /// The table's schema.
    schema: String,
    /// The table's name.
    table: String,
    /// Its columns in order: the proposal's, or the ones designed (`columns`).
    columns: Vec<Column>,
    /// What fills each column of the proposal.
    mapping: Vec<MappedColumn>,
    /// The column to partition a hypertable by: the first timestamp field (null: none).
    #[schema(required = true)]
    time_column: Option<String>,
    /// The DDL that creates the table (with the hypertable's comment when `time_column` is
    /// set).
    ddl: String,
    /// Whether the table exists already.
    exists: bool,
    /// The existing table's columns in order (null when it does not exist).
    #[schema(required = true)]
    existing_columns: Option<Vec<ExistingColumn>>,
    /// Whether TimescaleDB is installed in the database.
    timescaledb: bool,
    /// Every source a column can take, with the types inlet converts it to.
    sources: Vec<SourceChoice>,
}

/// A column of the proposal and what fills it.
#[derive(Serialize, ToSchema)]
pub struct MappedColumn {
    /// The column's name.
    column: String,
    /// Its source, as a mapping writes it: `a.b`, `choice[string]`, `kafka.key.id`,
    /// `kafka.offset`.
    source: String,
}

/// A column of a table that exists.
#[derive(Serialize, ToSchema)]
pub struct ExistingColumn {
    /// Its name, type and nullability.
    #[serde(flatten)]
    column: Column,
    /// Whether it has a default (a column no source fills takes it).
    has_default: bool,
}

/// A source a column can take, with the PostgreSQL types inlet converts it to.
#[derive(Serialize, ToSchema)]
pub struct SourceChoice {
    /// As a mapping writes it: `a.b`, `choice[string]`, `kafka.key.id`, `kafka.offset`.
    source: String,
    /// The Avro type it reads (`long`, `["null", string]`, `timestamp-micros`…), or the
    /// metadata's kind.
    avro_type: String,
    /// The column types inlet converts it to, in a fixed order (`text[]` for arrays);
    /// empty when the schema has more distinct types than are looked into.
    types: Vec<String>,
}

/// Proposes the table for a topic's latest schemas, and what its columns can be filled
/// from.
///
/// The answer has the columns, their types, the mapping from fields, the hypertable's time
/// column and the DDL; whether the table exists already and TimescaleDB is installed; and
/// every source a column can take, with the types inlet converts it to. The configuration
/// gives the `registry.*` keys, `table`, and `key_columns` for an
/// upsert. With `columns` (the table as the console designs it), the DDL is theirs.
#[utoipa::path(post, path = "/inlet/v1/propose", request_body = SetupStepRequest, responses(
    (status = 200, description = "The proposal.", body = Proposal),
))]
pub(super) async fn propose(
    State(app): State<App>,
    Body(body): Body<SetupStepRequest>,
) -> Result<Json<Proposal>, ApiError> {
    let _turn = app.step_turn().await?;
    let (table, proposal, ddl, _, sources) = proposed(&app, &body).await?;
    let sources = match sources {
        Some(sources) => sources,
        None => {
            let config = prepared(&app, body.config.0.clone()).await?;
            let raw = lenient(&config)?;
            let registry = registry_of(&raw)?;
            inlet_engine::topic_sources(&registry, &step_topic(&body)?).await?
        }
    };
    let client = app.client().await?;
    let existing = inlet_postgres::table_columns(&client, &table).await?;
    let timescaledb = inlet_postgres::timescaledb_present(&client).await?;
    Ok(Json(Proposal {
        schema: table.schema,
        table: table.table,
        columns: proposal.columns.iter().map(Column::from).collect(),
        mapping: proposal
            .mapping
            .iter()
            .map(|m| MappedColumn {
                column: m.column.clone(),
                source: m.source.to_string(),
            })
            .collect(),
        time_column: proposal.time_column,
        ddl,
        exists: existing.is_some(),
        existing_columns: existing.map(|columns| {
            columns
                .iter()
                .map(|c| ExistingColumn {
                    column: Column::from(c),
                    has_default: c.has_default,
                })
                .collect()
        }),
        timescaledb,
        sources: sources
            .into_iter()
            .map(|s| SourceChoice {
                source: s.source,
                avro_type: s.avro_type,
                types: s.types,
            })
            .collect(),
    }))
}

/// Shows a topic's latest records as the rows the connector would store, or dead letters.
///
/// The configuration is a whole connector's keys; `count` records are read (default 10, at
/// most 1000), without joining the group, and handed to PostgreSQL in a transaction rolled
/// back: nothing is written. A record that would be a dead letter comes with the reason
/// (cut after 2000 bytes).
#[utoipa::path(post, path = "/inlet/v1/preview", request_body = SetupStepRequest, responses(
    (status = 200, description = "The records, as rows or dead letters.", body = inlet_engine::Preview),
))]
pub(super) async fn preview(
    State(app): State<App>,
    Body(body): Body<SetupStepRequest>,
) -> Result<Json<inlet_engine::Preview>, ApiError> {
    let _turn = app.step_turn().await?;
    let topic = step_topic(&body)?;
    let name = body
        .config
        .0
        .get("name")
        .cloned()
        .unwrap_or_else(|| "preview".into());
    let config = prepared(&app, body.config.0.clone()).await?;
    let (raw, _) = flat::to_raw(&name, &config).map_err(problems)?;
    let connector = raw.check().map_err(|e| problems(e.problems))?;
    let preview = inlet_engine::preview_designed(
        &connector,
        &app.0.database,
        &topic,
        body.count.unwrap_or(PREVIEW_COUNT),
        design(&body)?,
    )
    .await?;
    Ok(Json(cut_reasons(preview)))
}

/// How many records a preview shows when the body does not say (`count`).
pub(super) const PREVIEW_COUNT: usize = 10;

/// The longest reason a preview answers for one record (PostgreSQL's own can quote a
/// whole row of a wide table).
pub(super) const MAX_REASON: usize = 2_000;

/// `preview` with each reason longer than [`MAX_REASON`] bytes cut.
pub(super) fn cut_reasons(mut preview: inlet_engine::Preview) -> inlet_engine::Preview {
    for record in &mut preview.records {
        if let inlet_engine::PreviewOutcome::DeadLetter { reason, .. } = &mut record.outcome
            && reason.len() > MAX_REASON
        {
            let mut end = MAX_REASON;
            while !reason.is_char_boundary(end) {
                end -= 1;
            }
            reason.truncate(end);
            reason.push_str("… (cut)");
        }
    }
    preview
}

/// The table a step created, or found.
#[derive(Serialize, ToSchema)]
pub struct TableCreated {
    /// The table, `schema.table` (unquoted).
    table: String,
    /// Whether it was created (false: it existed already, nothing was run).
    created: bool,
    /// Whether it was made a hypertable.
    hypertable: bool,
    /// The table's DDL (run only when `created`).
    ddl: String,
}

/// Creates the table propose showed: 201, or 200 when it exists already (nothing run).
///
/// The table has the schema, name and primary key (for an upsert) of the configuration,
/// and `columns` when given. When TimescaleDB is installed and `time_column` is set, it is
/// made a hypertable on that column (chunks of `chunk_interval`), with the columnstore when
/// `columnstore` is true.
#[utoipa::path(post, path = "/inlet/v1/tables", request_body = SetupStepRequest, responses(
    (status = 201, description = "Created.", body = TableCreated),
    (status = 200, description = "The table exists already: nothing was run.", body = TableCreated),
))]
pub(super) async fn create_table(
    State(app): State<App>,
    Body(body): Body<SetupStepRequest>,
) -> Result<(StatusCode, Json<TableCreated>), ApiError> {
    let _turn = app.step_turn().await?;
    let (table, proposal, _, key_columns, _) = proposed(&app, &body).await?;
    let key = (!key_columns.is_empty()).then_some(key_columns.as_slice());
    let ddl = inlet_postgres::ddl::create_table(&table, &proposal.columns, key);
    let mut client = app.client().await?;
    let created = inlet_postgres::create_table(&mut client, &table, &ddl).await?;
    let config = prepared(&app, body.config.0.clone()).await?;
    let time_column = config.get("time_column").filter(|t| !t.is_empty());
    let mut hypertable = false;
    if let Some(time) = time_column.filter(|t| created && key.is_none_or(|k| k.contains(t)))
        && inlet_postgres::timescaledb_present(&client).await?
    {
        // The topic's settings (its defaults filled), as the connector would make its table.
        let topic = step_topic(&body)?;
        let raw = lenient(&config)?;
        let settings = topic_of(&raw, &topic)?;
        inlet_postgres::create_hypertable(&client, &table, time, &settings.chunk_interval).await?;
        hypertable = true;
        let columnstore = settings.check().ok().and_then(|t| t.columnstore);
        if let Some(columnstore) = columnstore {
            inlet_postgres::enable_columnstore(
                &client,
                &table,
                time,
                &columnstore.segment_by,
                &columnstore.after,
            )
            .await?;
        }
    }
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        Json(TableCreated {
            table: table.to_string(),
            created,
            hypertable,
            ddl,
        }),
    ))
}
