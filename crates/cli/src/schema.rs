//! `inlet schema propose`: the table and mapping inlet proposes for an Avro schema file, a
//! `.proto` file, or sample values of a format without a registry (JSON documents).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use inlet_avro::{AvroType, ColumnSource, Proposal, WriterSchema};
use inlet_postgres::TableName;
use serde_json::json;

/// Schema subcommands.
#[derive(clap::Subcommand)]
pub enum SchemaCommand {
    /// Print the table (DDL) and the field → column mapping proposed for an Avro schema,
    /// (`--format protobuf`) a `.proto` file's message, or (`--format json`) a file of
    /// sample JSON documents.
    Propose(ProposeArgs),
}

/// What to propose for.
#[derive(clap::Args)]
pub struct ProposeArgs {
    /// The Avro schema (`.avsc`, JSON); with `--format protobuf`, the `.proto` file; with
    /// `--format json-schema`, the JSON Schema; with
    /// `--format json`, sample documents: one JSON document, or one per line (NDJSON).
    #[arg(required_unless_present = "topic")]
    file: Option<PathBuf>,
    /// Propose for a topic instead of a file: for avro, protobuf and json-schema, from its
    /// value subject's latest schema in the registry (`--registry`); for json, text and
    /// bytes, from a sample of its latest records (`--bootstrap`, PLAINTEXT).
    #[arg(long, conflicts_with = "file")]
    topic: Option<String>,
    #[command(flatten)]
    endpoints: crate::Endpoints,
    /// What the file holds: an Avro schema, or sample values of the topic's format
    /// (`json`: documents; the table is the one a connector with `format = "json"`
    /// creates from such a sample).
    #[arg(long, value_enum, default_value = "avro")]
    format: FormatArg,
    /// Schemas defining named types the file refers to (Confluent schema references), in
    /// dependency order; for Protobuf, the files it imports, each named as its path is
    /// given (`--reference acme/line.proto` for `import "acme/line.proto"`; the well-known
    /// types need none).
    #[arg(long = "reference", value_name = "FILE")]
    references: Vec<PathBuf>,
    /// The target table, `schema.table` or `table`; by default the record's name in
    /// snake_case, in `public`.
    #[arg(long)]
    table: Option<String>,
    /// The record key's Avro schema: its fields become the columns the value does not
    /// have, filled from `kafka.key.<path>` (a key that is not a record fills the one
    /// `--key-column` the value lacks).
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// The table's unique key (an upsert's key_columns): its PRIMARY KEY, and, with a
    /// `--key` that is not a record, the column that key fills.
    #[arg(long = "key-column", value_name = "COLUMN")]
    key_columns: Vec<String>,
    /// Protobuf: the message to propose for (full name, `acme.Order`); by default the
    /// file's main message (the first that no other message of the file has as a field).
    #[arg(long, value_name = "NAME")]
    message: Option<String>,
    /// Print JSON (table, columns, mapping, time column, DDL) instead of text.
    #[arg(long)]
    json: bool,
}

/// `--format`: what a topic's values are (a connector's `format`).
#[derive(Clone, Copy, clap::ValueEnum)]
pub(crate) enum FormatArg {
    /// Confluent-framed Avro, schemas from the registry.
    Avro,
    /// Confluent-framed Protobuf, schemas (`.proto` files) from the registry.
    Protobuf,
    /// Confluent-framed JSON Schema, schemas from the registry.
    JsonSchema,
    /// JSON documents.
    Json,
    /// UTF-8 text.
    Text,
    /// Any bytes.
    Bytes,
}

/// Files larger than this are not Avro schemas anyone writes by hand or registers.
const MAX_SCHEMA_FILE_BYTES: u64 = 16 * 1024 * 1024;

pub fn run(command: SchemaCommand) -> anyhow::Result<()> {
    match command {
        SchemaCommand::Propose(args) => propose(args),
    }
}

/// The proposal for the sample values of `args.file` (json: its documents).
fn propose_sampled(args: &ProposeArgs, table: &TableName) -> anyhow::Result<Proposal> {
    let file = args_file(args)?;
    let format = match args.format {
        FormatArg::Avro | FormatArg::Protobuf | FormatArg::JsonSchema | FormatArg::Json => {
            inlet_engine::Format::Json
        }
        FormatArg::Text => inlet_engine::Format::Text,
        FormatArg::Bytes => inlet_engine::Format::Bytes,
    };
    if args.key.is_some() || !args.references.is_empty() {
        bail!(
            "--key and --reference are Avro's: a {} sample has no schema file",
            format.as_str()
        );
    }
    let text = read_schema_file(file)?;
    // One document (pretty-printed, say), or one per line.
    let documents: Vec<&[u8]> = if serde_json::from_str::<serde_json::Value>(&text).is_ok() {
        vec![text.as_bytes()]
    } else {
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::as_bytes)
            .collect()
    };
    let (proposal, _) =
        inlet_engine::propose_sampled(format, "(file)", table, &args.key_columns, documents)
            .map_err(|e| match e {
                inlet_engine::ProposeError::NoSample { reason, .. } => anyhow::anyhow!(
                    "{}: {reason}: give a file of one JSON document, or one per line",
                    file.display()
                ),
                e => anyhow::anyhow!("{}: {e}", file.display()),
            })?;
    Ok(proposal)
}

fn propose(args: ProposeArgs) -> anyhow::Result<()> {
    if let Some(topic) = &args.topic {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        return runtime.block_on(propose_topic(&args, topic));
    }
    let file = &args_file(&args)?.clone();
    if matches!(args.format, FormatArg::Protobuf) {
        return propose_protobuf(&args);
    }
    if matches!(args.format, FormatArg::JsonSchema) {
        return propose_json_schema(&args);
    }
    if args.message.is_some() {
        bail!("--message names a Protobuf message: it goes with --format protobuf");
    }
    if !matches!(args.format, FormatArg::Avro) {
        let table = match &args.table {
            Some(name) => TableName::parse(name).with_context(|| {
                format!("--table takes `schema.table` or `table`, not {name:?}")
            })?,
            None => TableName {
                schema: "public".to_owned(),
                table: "events".to_owned(),
            },
        };
        let proposal = propose_sampled(&args, &table)?;
        return print_proposal(&args, &table, &proposal);
    }
    let text = read_schema_file(file)?;
    let references = args
        .references
        .iter()
        .map(read_schema_file)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let schema = WriterSchema::parse(&text, &references)
        .with_context(|| format!("{} is not a valid Avro schema", file.display()))?;
    let key = match &args.key {
        Some(key) => Some(
            WriterSchema::parse(&read_schema_file(key)?, &references)
                .with_context(|| format!("{} is not a valid Avro schema", key.display()))?,
        ),
        None => None,
    };
    let proposal = Proposal::for_topic(&schema, key.as_ref(), &args.key_columns);
    if key.is_some()
        && !proposal
            .mapping
            .iter()
            .any(|m| matches!(m.source, ColumnSource::Key(_)))
    {
        eprintln!(
            "note: the key adds no column: the value has every field of a key record, or a key that is not a record has no --key-column of its own to fill (one the value lacks)"
        );
    }
    let table = match &args.table {
        Some(name) => TableName::parse(name)
            .with_context(|| format!("--table takes `schema.table` or `table`, not {name:?}"))?,
        None => TableName {
            schema: "public".to_owned(),
            table: default_table(&schema),
        },
    };
    print_proposal(&args, &table, &proposal)
}

/// Prints `proposal` for `table`: its DDL and mapping, or (`--json`) the JSON document.
fn print_proposal(
    args: &ProposeArgs,
    table: &TableName,
    proposal: &Proposal,
) -> anyhow::Result<()> {
    if let Err(too_wide) = inlet_avro::check_table_width(&proposal.columns) {
        eprintln!(
            "warning: the proposed table would have {too_wide}, so inlet will not create it: map the fields you need into a table of your own, with a jsonb column for the rest (a jsonb column takes a whole record, and TOAST keeps a long value out of the row)"
        );
    }
    if let Some(missing) = args
        .key_columns
        .iter()
        .find(|k| !proposal.columns.iter().any(|c| &c.name == *k))
    {
        bail!(
            "--key-column {missing} is not a column of the proposed table (its columns: {}); a key that is not a record fills one such column with --key",
            proposal
                .columns
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let primary_key = (!args.key_columns.is_empty()).then_some(args.key_columns.as_slice());
    let mut ddl = inlet_postgres::ddl::create_table(table, &proposal.columns, primary_key);
    // A hypertable's unique keys must include its time column.
    if let Some(time) = &proposal.time_column
        && primary_key.is_none_or(|key| key.contains(time))
    {
        ddl.push_str(&inlet_postgres::ddl::hypertable_comment(table, time));
    }
    let mut text;
    if args.json {
        let columns: Vec<_> = proposal
            .columns
            .iter()
            .map(|c| json!({"name": c.name, "type": c.pg_type.to_string(), "nullable": c.nullable}))
            .collect();
        let mapping: Vec<_> = proposal
            .mapping
            .iter()
            .map(|m| json!({"column": m.column, "field": source_text(&m.source)}))
            .collect();
        let document = json!({
            "schema": table.schema,
            "table": table.table,
            "columns": columns,
            "mapping": mapping,
            "time_column": proposal.time_column,
            "ddl": ddl,
        });
        text = serde_json::to_string_pretty(&document)? + "\n";
    } else {
        text = ddl;
        text.push_str("\n-- mapping (field -> column)\n");
        let width = proposal
            .mapping
            .iter()
            .map(|m| source_text(&m.source).len())
            .max()
            .unwrap_or(0);
        for m in &proposal.mapping {
            let _ = writeln!(
                text,
                "--   {:width$} -> {}",
                source_text(&m.source),
                m.column
            );
        }
    }
    // A reader that went away (`| head`) ends the command quietly (see main's report).
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(())
}

/// The format setting `--format` stands for.
fn format_of(format: FormatArg) -> inlet_engine::Format {
    match format {
        FormatArg::Avro => inlet_engine::Format::Avro,
        FormatArg::Protobuf => inlet_engine::Format::Protobuf,
        FormatArg::JsonSchema => inlet_engine::Format::JsonSchema,
        FormatArg::Json => inlet_engine::Format::Json,
        FormatArg::Text => inlet_engine::Format::Text,
        FormatArg::Bytes => inlet_engine::Format::Bytes,
    }
}

/// The proposal for `topic`: from the registry's latest value schema, or a sample of the
/// topic's latest records for the formats without one.
async fn propose_topic(args: &ProposeArgs, topic: &str) -> anyhow::Result<()> {
    if args.key.is_some() || !args.references.is_empty() || args.message.is_some() {
        bail!("--key, --reference and --message go with a schema file, not --topic");
    }
    let table = match &args.table {
        Some(name) => TableName::parse(name)
            .with_context(|| format!("--table takes `schema.table` or `table`, not {name:?}"))?,
        None => TableName {
            schema: "public".to_owned(),
            table: inlet_json::avro_name(topic).to_lowercase(),
        },
    };
    let format = format_of(args.format);
    let proposal = if format.uses_registry() {
        let registry = inlet_registry::RegistryConfig::new(&args.endpoints.registry);
        inlet_engine::propose_table(&registry, topic, &table, &args.key_columns)
            .await
            .map_err(|e| anyhow::anyhow!("topic {topic}: {e}"))?
            .0
    } else {
        let kafka = inlet_kafka::KafkaSettings {
            bootstrap_servers: args.endpoints.bootstrap.clone(),
            security_protocol: inlet_kafka::SecurityProtocol::Plaintext,
            sasl: None,
            ca_file: None,
            group_id: "inlet-schema-propose".to_owned(),
            start_from: inlet_kafka::StartFrom::Earliest,
            properties: Default::default(),
        };
        inlet_engine::propose_from_topic(&kafka, format, topic, &table, &args.key_columns)
            .await
            .map_err(anyhow::Error::msg)?
            .0
    };
    print_proposal(args, &table, &proposal)
}

/// The proposal for the message `--message` (or the main one) of the `.proto` file.
fn propose_protobuf(args: &ProposeArgs) -> anyhow::Result<()> {
    let file = args_file(args)?;
    if args.key.is_some() {
        bail!("--key is an Avro key schema; inlet reads record keys as Avro or plain text");
    }
    let text = read_schema_file(file)?;
    let imports = args
        .references
        .iter()
        .map(|path| Ok((path.to_string_lossy().into_owned(), read_schema_file(path)?)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let schema = inlet_protobuf::ProtoSchema::compile(&text, &imports).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e}{}",
            file.display(),
            reference_hint(&e.to_string(), &imports)
        )
    })?;
    let indexes = match &args.message {
        Some(name) => schema.indexes_of(name).ok_or_else(|| {
            anyhow::anyhow!(
                "{} defines no message {name} (its messages: {})",
                file.display(),
                schema.listing()
            )
        })?,
        None => schema
            .main_message()
            .ok_or_else(|| anyhow::anyhow!("{} defines no message", file.display()))?,
    };
    let reading = schema
        .reading(&indexes)
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    eprintln!(
        "note: message {} (message indexes {indexes:?})",
        reading.message_name()
    );
    let proposal = Proposal::for_topic(reading.writer(), None, &args.key_columns);
    let table = match &args.table {
        Some(name) => TableName::parse(name)
            .with_context(|| format!("--table takes `schema.table` or `table`, not {name:?}"))?,
        None => TableName {
            schema: "public".to_owned(),
            table: default_table(reading.writer()),
        },
    };
    print_proposal(args, &table, &proposal)
}

/// The proposal for the documents a JSON Schema file describes.
fn propose_json_schema(args: &ProposeArgs) -> anyhow::Result<()> {
    let file = args_file(args)?;
    if args.key.is_some() || args.message.is_some() {
        bail!("--key and --message are Avro's and Protobuf's, not a JSON Schema's");
    }
    let text = read_schema_file(file)?;
    let references = args
        .references
        .iter()
        .map(|path| Ok((path.to_string_lossy().into_owned(), read_schema_file(path)?)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let shape = inlet_json::Shape::from_json_schema(&text, &references).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e}{}",
            file.display(),
            reference_hint(&e.to_string(), &references)
        )
    })?;
    let reading = inlet_json::JsonReading::new(shape)
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let proposal = Proposal::for_topic(reading.writer(), None, &args.key_columns);
    let table = match &args.table {
        Some(name) => TableName::parse(name)
            .with_context(|| format!("--table takes `schema.table` or `table`, not {name:?}"))?,
        // The schema's title in snake_case (`"title": "SensorReading"` → sensor_reading).
        None => TableName {
            schema: "public".to_owned(),
            table: serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|s| s.get("title").and_then(|t| t.as_str()).map(snake_case))
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| "events".to_owned()),
        },
    };
    print_proposal(args, &table, &proposal)
}

/// What to say when a schema names a file or `$ref` it was not given: how `--reference`
/// names each file (its path as given), and which names were given.
fn reference_hint(error: &str, given: &[(String, String)]) -> String {
    if !error.contains("not found") && !error.contains("names nothing") {
        return String::new();
    }
    let names: Vec<&str> = given.iter().map(|(name, _)| name.as_str()).collect();
    format!(
        " (each --reference is named by its path as given, which must be the name the schema imports or refers to, so run from the import root; given: {})",
        if names.is_empty() {
            "none".to_owned()
        } else {
            names.join(", ")
        }
    )
}

/// The schema or sample file (clap requires it when there is no `--topic`).
fn args_file(args: &ProposeArgs) -> anyhow::Result<&PathBuf> {
    args.file
        .as_ref()
        .ok_or_else(|| anyhow::anyhow!("give a schema or sample file, or --topic"))
}

fn read_schema_file(path: &PathBuf) -> anyhow::Result<String> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    if size > MAX_SCHEMA_FILE_BYTES {
        bail!(
            "{} is {size} bytes; a schema file may be at most {MAX_SCHEMA_FILE_BYTES}",
            path.display()
        );
    }
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

fn source_text(source: &ColumnSource) -> String {
    match source {
        ColumnSource::Field(path) if path.is_empty() => "(the whole value)".to_owned(),
        other => other.to_string(),
    }
}

/// The root record's simple name in snake_case (`SensorReading` → `sensor_reading`), or
/// `events` for a schema whose root is not a record.
fn default_table(schema: &WriterSchema) -> String {
    let AvroType::Record { name, .. } = schema.node(schema.root()) else {
        return "events".to_owned();
    };
    snake_case(name.rsplit('.').next().unwrap_or(name))
}

/// `SensorReading` → `sensor_reading` (characters that are not letters, digits or `_`
/// become `_`).
fn snake_case(simple: &str) -> String {
    let mut out = String::with_capacity(simple.len() + 4);
    let mut previous_lower = false;
    for c in simple.chars() {
        if c.is_uppercase() {
            if previous_lower {
                out.push('_');
            }
            out.extend(c.to_lowercase());
            previous_lower = false;
        } else if c.is_alphanumeric() || c == '_' {
            out.push(c);
            previous_lower = c.is_lowercase() || c.is_ascii_digit();
        } else {
            out.push('_');
            previous_lower = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names() {
        let schema = WriterSchema::parse(
            r#"{"type":"record","name":"SensorReading","namespace":"a.b","fields":[]}"#,
            &[],
        )
        .unwrap();
        assert_eq!(default_table(&schema), "sensor_reading");
    }
}
