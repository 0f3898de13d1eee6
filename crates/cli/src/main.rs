//! `inlet`: streams Kafka events (Avro, Protobuf, JSON Schema, JSON) into PostgreSQL / TimescaleDB tables.
//!
//! The binary wires the library crates together behind clap subcommands: `run` streams the
//! connectors of a configuration file; `check` tries its services without writing;
//! `generate` produces the canonical reading event; `peek` reads Confluent-framed Avro records from a topic and prints them decoded;
//! `schema propose` prints the table and mapping proposed for an Avro schema.

mod check;
mod generate;
mod peek;
mod preview;
mod run;
mod schema;
mod serve;

use clap::{Parser, Subcommand};
use tracing_indicatif::IndicatifLayer;
use tracing_indicatif::filter::{IndicatifFilter, hide_indicatif_span_fields};
use tracing_subscriber::fmt::format::DefaultFields;
use tracing_subscriber::layer::{Layer as _, SubscriberExt as _};
use tracing_subscriber::util::SubscriberInitExt as _;

/// Streams Kafka events (Avro, Protobuf, JSON Schema, JSON, text) into PostgreSQL / TimescaleDB tables, exactly once.
#[derive(Parser)]
#[command(name = "inlet", version, about)]
struct Cli {
    /// Log lines as text or JSON (one object per line), on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, env = "INLET_LOG_FORMAT")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

/// Where Kafka (PLAINTEXT) and the schema registry are, for the tools that take no
/// configuration file.
#[derive(clap::Args)]
struct Endpoints {
    /// Kafka bootstrap servers (PLAINTEXT).
    #[arg(long, env = "INLET_KAFKA_BOOTSTRAP", default_value = "127.0.0.1:9092")]
    bootstrap: String,
    /// Schema registry URL.
    #[arg(
        long,
        env = "INLET_REGISTRY_URL",
        default_value = "http://127.0.0.1:8081"
    )]
    registry: String,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Authenticate to Kafka, the schema registry and the database of every connector, and
    /// check the topics, subjects, consumer group and tables, without writing anything.
    Check(check::CheckArgs),
    /// Produce the canonical reading event to a topic, through the schema registry.
    Generate(generate::GenerateArgs),
    /// Print records of a topic decoded with their schemas from the registry, as JSON lines.
    Peek(peek::PeekArgs),
    /// Show a topic's latest records as the rows its connector would store (and the records
    /// that would be dead letters, with why), without writing anything.
    Preview(preview::PreviewArgs),
    /// Run the connectors of a configuration file until SIGINT or SIGTERM.
    Run(run::RunArgs),
    /// Serve the REST API (Kafka Connect's) and run this worker's share of the connectors
    /// stored in the database, until SIGINT or SIGTERM.
    Serve(serve::ServeArgs),
    /// Schemas (Avro, .proto, JSON Schema), samples or topics: the table and mapping inlet proposes.
    #[command(subcommand)]
    Schema(schema::SchemaCommand),
}

fn main() -> std::process::ExitCode {
    let directives = std::env::var("RUST_LOG")
        .ok()
        .filter(|d| tracing_subscriber::EnvFilter::try_new(d).is_ok())
        .unwrap_or_else(|| "info,rdkafka=warn,librdkafka=warn,tokio_postgres=warn".into());
    let (filter, reload) =
        tracing_subscriber::reload::Layer::new(tracing_subscriber::EnvFilter::new(&directives));
    // `inlet serve` changes the levels while it runs (`/admin/loggers`).
    let apply: inlet_serve::loggers::ApplyFilter = Box::new(move |directives| {
        let filter =
            tracing_subscriber::EnvFilter::try_new(directives).map_err(|e| e.to_string())?;
        reload.reload(filter).map_err(|e| e.to_string())
    });
    let log = inlet_serve::loggers::Loggers::new(&directives, apply);
    let cli = Cli::parse();
    // The filter is the registry's first layer (a per-layer filter behind a reload handle
    // loses the spans' context in the lines).
    let registry = tracing_subscriber::registry().with(filter);
    if cli.log_format == LogFormat::Json {
        registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_writer(std::io::stderr),
            )
            .init();
    } else if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        // On a terminal, log lines are written above the live progress lines (`inlet run`
        // shows one per connector, as spans marked `indicatif.pb_show`), never across them.
        let progress = IndicatifLayer::new()
            .with_span_field_formatter(hide_indicatif_span_fields(DefaultFields::new()));
        registry
            .with(tracing_subscriber::fmt::layer().with_writer(progress.get_stderr_writer()))
            .with(progress.with_filter(IndicatifFilter::new(false)))
            .init();
    } else {
        registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_ansi(false)
                    .with_writer(std::io::stderr),
            )
            .init();
    }
    match cli.command {
        Command::Schema(command) => report(schema::run(command)),
        Command::Check(args) => report(runtime().and_then(|rt| rt.block_on(check::run(args)))),
        Command::Generate(args) => {
            report(runtime().and_then(|rt| rt.block_on(generate::run(args))))
        }
        Command::Peek(args) => report(runtime().and_then(|rt| rt.block_on(peek::run(args)))),
        Command::Preview(args) => report(runtime().and_then(|rt| rt.block_on(preview::run(args)))),
        Command::Serve(args) => report(runtime().and_then(|rt| rt.block_on(serve::run(args, log)))),
        Command::Run(args) => report(runtime().and_then(|rt| rt.block_on(run::run(args)))),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Runtime::new()
        .map_err(|e| anyhow::anyhow!("could not start the async runtime: {e}"))
}

fn report(result: anyhow::Result<()>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // Output piped into a reader that stopped early (`| head`): not a failure.
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
