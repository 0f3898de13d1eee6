//! `inlet-bench`: the end-to-end benchmark of inlet, on local services, in a binary of its
//! own (the product binary does not carry it); it runs the `inlet` binary for what it
//! measures end to end (`--inlet`, by default the `inlet` beside it). It produces N canonical
//! readings to a fresh topic (before any timing), then measures, in rounds, against one
//! PostgreSQL and one table definition (`readings`, with an index on `ts`):
//!
//! - a. the COPY limit: the same rows loaded by one server-side `COPY … FROM '<file>'`;
//!   and the same file sent by this client as one `COPY … FROM STDIN` (the limit over the
//!   wire, which no client passes);
//! - b. the bare consume rate: an rdkafka consumer reading the topic, decoding nothing;
//! - c. inlet end to end: `inlet run` from an empty table and no stored offsets until all
//!   N rows are committed (and its peak RSS);
//! - d. inlet's write path alone: the same records replayed from a file, no broker;
//! - e. inlet end to end with upsert on (device_id, ts) into `readings_upsert` (primary key
//!   (ts, device_id), which is also its index on ts), and with a share of poison records
//!   (dead letters); the same two through the replay as well.
//!
//! Every measurement is checked: the rows and dead letters it should have stored are
//! counted afterwards. Results (min / median / max, ratios, targets) are printed and
//! written as JSON with the commit, date and machine. It asserts nothing about time.

mod cpu;
mod data;
mod instructions;
mod measure;
mod report;
mod scale;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context as _, bail};
use inlet_avro::{Proposal, READING_SCHEMA, WriterSchema};
use inlet_engine::Config;

use measure::{Kind, Measurement};

/// Kafka and the schema registry of the benchmark (plain local services).
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

/// What to measure, and where.
#[derive(clap::Parser)]
#[command(
    name = "inlet-bench",
    about = "The end-to-end benchmark on the local services: the COPY limit, the bare consume rate, inlet end to end, inlet's write path alone, upsert and dead letters."
)]
pub struct BenchArgs {
    /// Readings in the topic; each measurement stores them all.
    #[arg(long, default_value_t = 2_000_000)]
    count: u64,
    /// Partitions of the benchmark topic.
    #[arg(long, default_value_t = 4)]
    partitions: i32,
    /// Rounds: each measurement is repeated this many times.
    #[arg(long, default_value_t = 3)]
    reps: usize,
    /// One record in this many is poison in the dead-letter measurements (10: 10%).
    #[arg(long, default_value_t = 10)]
    poison_every: u64,
    /// The benchmark's database, created afresh (dropped first when it exists) on a local
    /// server: the COPY limit is measured with a file the server reads, so inlet's
    /// connections skip TLS too by default.
    #[arg(
        long,
        env = "INLET_BENCH_DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/inlet_bench?sslmode=disable"
    )]
    database_url: String,
    #[command(flatten)]
    endpoints: Endpoints,
    /// The `inlet` binary to measure (default: the one beside this program).
    #[arg(long, env = "INLET_BIN")]
    inlet: Option<PathBuf>,
    /// A librdkafka property (`name=value`) for every consumer of the benchmark, inlet's
    /// (`kafka.properties`) and the bare one alike; repeatable.
    #[arg(long = "kafka-property", value_name = "NAME=VALUE", value_parser = property)]
    kafka_properties: Vec<(String, String)>,
    /// batch.max_rows of inlet's connectors (default: inlet's default).
    #[arg(long)]
    max_rows: Option<usize>,
    /// batch.max_bytes of inlet's connectors (default: inlet's default).
    #[arg(long)]
    max_bytes: Option<usize>,
    /// Only these measurements, by letter or name (`--only a,d_inlet_write_path`; a letter
    /// takes all of its kind):
    /// for a closer look at one; the ratios of the others are left out.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Directory for the results (one JSON file per run).
    #[arg(long, default_value = "bench/results")]
    out: PathBuf,
    /// Count the instructions per record of the write path (append, upsert, dead letters)
    /// under valgrind's callgrind, replaying this many records (and a tenth as many, to
    /// leave start-up out); 0: not counted.
    #[arg(long, default_value_t = 0)]
    instructions: u64,
    /// Also measure how cost grows: one `inlet run` of 1, 10 and 100 connectors (each its own
    /// topic and table), one connector over 1, 4, 32 and 256 partitions, and records of about
    /// 75 B, 1 KiB, 100 KiB and 1 MiB, each storing `--scale-count` readings in all (at most
    /// 256 MiB of them), then watched idle (`--only scale`: only these).
    #[arg(long)]
    scale: bool,
    /// Readings each scale scenario stores, spread over its topics.
    #[arg(long, default_value_t = 500_000)]
    scale_count: u64,
    /// Seconds each scale scenario is watched idle, after its records are stored.
    #[arg(long, default_value_t = 10)]
    scale_idle_seconds: u64,
    /// (Used by --instructions.) Only replay `--replay-file` with the configuration in this
    /// file, `--count` records, then exit.
    #[arg(long, hide = true)]
    replay_only: Option<PathBuf>,
    #[arg(long, hide = true)]
    replay_topic: Option<String>,
    #[arg(long, hide = true)]
    replay_file: Option<PathBuf>,
}

fn main() -> std::process::ExitCode {
    use clap::Parser as _;
    let args = BenchArgs::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,rdkafka=warn,librdkafka=warn,tokio_postgres=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = tokio::runtime::Runtime::new()
        .map_err(|e| anyhow::anyhow!("could not start the async runtime: {e}"))
        .and_then(|rt| {
            rt.block_on(async {
                match &args.replay_only {
                    Some(config) => replay_only(&args, config).await,
                    None => run(args).await,
                }
            })
        });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The `inlet` binary the benchmark runs: `--inlet`, or the one beside this program.
fn inlet_binary(args: &BenchArgs) -> anyhow::Result<PathBuf> {
    let path = match &args.inlet {
        Some(path) => path.clone(),
        None => std::env::current_exe()
            .context("locating this program")?
            .with_file_name("inlet"),
    };
    inlet_binary_at(&path)
}

/// `path`, when it is a file: the benchmark measures that `inlet`.
fn inlet_binary_at(path: &std::path::Path) -> anyhow::Result<PathBuf> {
    if path.is_file() {
        Ok(path.to_owned())
    } else {
        bail!(
            "no inlet binary at {}: build it (cargo build --release -p inlet), or give --inlet PATH",
            path.display()
        )
    }
}

fn property(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("{text:?} is not NAME=VALUE"))
}

/// The scale scenarios: (connectors in one `inlet run`, partitions of each one's topic,
/// bytes of each reading's note). Records of 1 MiB: the broker's default largest, less the
/// reading's other fields and the batch's framing.
const SCALE: [(usize, i32, u64); 9] = [
    (1, 1, 0),
    (10, 1, 0),
    (100, 1, 0),
    (1, 4, 0),
    (1, 32, 0),
    (1, 256, 0),
    (1, 4, 1024),
    (1, 4, 100 << 10),
    (1, 4, (1 << 20) - 256),
];

/// The tables every measurement writes to.
const APPEND_TABLE: &str = "readings";
const UPSERT_TABLE: &str = "readings_upsert";

/// `--replay-only`: one replay of `--replay-file` (what `--instructions` counts).
async fn replay_only(args: &BenchArgs, config: &std::path::Path) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(config).with_context(|| format!("reading {}", config.display()))?;
    let (Some(topic), Some(file)) = (&args.replay_topic, &args.replay_file) else {
        bail!("--replay-only needs --replay-topic and --replay-file");
    };
    measure::replay(Config::parse(&text)?, topic, file, args.count).await?;
    Ok(())
}

/// Runs the benchmark: produces the data, measures every kind `args.reps` times, checks
/// what each stored, prints the figures and writes the results file.
async fn run(args: BenchArgs) -> anyhow::Result<()> {
    if args.count == 0 || args.reps == 0 || args.partitions < 1 || args.poison_every < 2 {
        bail!("--count, --reps and --partitions must be at least 1, --poison-every at least 2");
    }
    let work = data::WorkDir::create()?;
    let database = measure::Database::create(&args.database_url).await?;
    let proposal = Proposal::for_schema(&WriterSchema::parse(READING_SCHEMA, &[])?);
    database.create_tables(&proposal).await?;

    let topic = format!("bench_readings_{}", std::process::id());
    let produced = data::produce_readings(&args, &topic).await?;
    let records = data::dump(&args, &topic, &work).await?;
    let poison_topic = format!("{topic}_poison");
    let poison = data::produce_poison(&args, &records, &poison_topic, &work).await?;
    let json_topic = format!("{topic}_json");
    data::produce_json(&args, &records, &json_topic, &work).await?;
    let protobuf_topic = format!("{topic}_protobuf");
    data::produce_protobuf(&args, &records, &protobuf_topic, &work).await?;
    println!(
        "bench: {} readings in {topic} ({} partitions), {} of them poison in {poison_topic}",
        args.count, args.partitions, poison.dead
    );

    let setup = Setup {
        args: &args,
        database: &database,
        work: &work,
        topic: &topic,
        poison_topic: &poison_topic,
        json_topic: &json_topic,
        protobuf_topic: &protobuf_topic,
        poison_dead: poison.dead,
    };
    // Untimed: warms the caches, and leaves the rows for the COPY limit's file.
    setup.replay(Kind::ReplayAppend, 0).await?;
    database
        .export_copy_file(APPEND_TABLE, &work.copy_file())
        .await?;

    let kinds: Vec<Kind> = Kind::ALL
        .into_iter()
        .filter(|k| {
            args.only.is_empty()
                || args
                    .only
                    .iter()
                    .any(|o| k.name() == o || (o.len() == 1 && k.name().starts_with(o.as_str())))
        })
        .collect();
    let scale_only = args.only.iter().any(|o| o == "scale");
    if kinds.is_empty() && !scale_only {
        bail!(
            "--only {} names no measurement (a, b, c, d, e, a name such as d_inlet_write_path, or scale)",
            args.only.join(",")
        );
    }
    let mut results: Vec<Measurement> = kinds.iter().map(|k| Measurement::new(*k)).collect();
    for round in 1..=args.reps {
        for (kind, result) in kinds.iter().zip(results.iter_mut()) {
            database.reset().await?;
            let run = setup.measure(*kind, round).await?;
            println!(
                "round {round}/{}: {:<34} {:>10.0} {}/s in {:.2} s{}{}",
                args.reps,
                kind.title(),
                run.rate(),
                kind.unit(),
                run.seconds,
                run.startup_seconds
                    .map(|s| format!(" (after {s:.2} s of start-up)"))
                    .unwrap_or_default(),
                run.rss_bytes
                    .map(|b| format!(", peak RSS {} MB", b >> 20))
                    .unwrap_or_default()
            );
            if let Some(cpu) = run.cpu {
                println!(
                    "{:>46} cores busy: PostgreSQL {:.2}, broker {:.2}, {} {:.2}",
                    "",
                    cpu.postgres,
                    cpu.broker,
                    kind.process(),
                    cpu.inlet
                );
            }
            result.runs.push(run);
        }
    }
    let counted = if args.instructions > 0 {
        setup.count_instructions(args.instructions).await?
    } else {
        Vec::new()
    };
    data::delete_topics(
        &args,
        &[&topic, &poison_topic, &json_topic, &protobuf_topic],
    )
    .await;
    let mut scaled = Vec::new();
    if args.scale || scale_only {
        for (connectors, partitions, note_bytes) in SCALE {
            let scenario = scale::Scenario {
                connectors,
                partitions,
                note_bytes,
            };
            let measured = scale::measure(
                &args,
                &inlet_binary(&args)?,
                &database,
                &proposal,
                &work,
                scenario,
                args.scale_count,
            )
            .await?;
            println!("scale: {}", measured.line());
            scaled.push(measured);
        }
    }
    let mut report = report::Report::new(&args, &database, produced, &results).await?;
    report.with_instructions(&counted);
    report.with_scale(&scaled);
    report.print();
    let path = report.write(&args.out)?;
    println!("results: {}", path.display());
    Ok(())
}

/// What every measurement shares.
struct Setup<'a> {
    args: &'a BenchArgs,
    database: &'a measure::Database,
    work: &'a data::WorkDir,
    topic: &'a str,
    poison_topic: &'a str,
    json_topic: &'a str,
    protobuf_topic: &'a str,
    poison_dead: u64,
}

impl Setup<'_> {
    async fn measure(&self, kind: Kind, round: usize) -> anyhow::Result<measure::Run> {
        let count = self.args.count;
        match kind {
            Kind::CopyLimit => {
                self.database
                    .copy_from_file(APPEND_TABLE, &self.work.copy_file(), count)
                    .await
            }
            Kind::CopyWire => {
                self.database
                    .copy_over_the_wire(APPEND_TABLE, &self.work.copy_file(), count)
                    .await
            }
            Kind::BareConsume => measure::bare_consume(self.args, self.topic).await,
            Kind::EndToEnd
            | Kind::EndToEndJson
            | Kind::EndToEndProtobuf
            | Kind::EndToEndUpsert
            | Kind::EndToEndPoison => {
                let config = self.config(kind, round);
                let path = self.work.path(&format!("{}-{round}.toml", kind.name()));
                data::write_private(&path, &config)?;
                let run = measure::end_to_end(
                    &inlet_binary(self.args)?,
                    &path,
                    &self.work.path(&format!("{}-{round}.log", kind.name())),
                    self.database,
                    &self.connector(kind, round),
                    count,
                )
                .await?;
                self.verify(kind).await?;
                Ok(run)
            }
            Kind::ReplayAppend | Kind::ReplayUpsert | Kind::ReplayPoison => {
                self.replay(kind, round).await
            }
            Kind::ReplayUpsertHalf => {
                self.database
                    .store_half(UPSERT_TABLE, &self.work.copy_file(), count)
                    .await?;
                self.replay(kind, round).await
            }
        }
    }

    /// Replays the record file of `kind` through the write path, checked.
    async fn replay(&self, kind: Kind, round: usize) -> anyhow::Result<measure::Run> {
        let config = Config::parse(&self.config(kind, round))?;
        let file = if kind == Kind::ReplayPoison {
            self.work.poison_records()
        } else {
            self.work.records()
        };
        let topic = if kind == Kind::ReplayPoison {
            self.poison_topic
        } else {
            self.topic
        };
        let run = measure::replay(config, topic, &file, self.args.count).await?;
        self.verify(kind).await?;
        Ok(run)
    }

    /// The instructions per record of each of [`instructions::KINDS`]: (kind, records,
    /// instructions per record).
    async fn count_instructions(&self, large: u64) -> anyhow::Result<Vec<(Kind, u64, f64)>> {
        let mut counted = Vec::new();
        for (i, kind) in instructions::KINDS.into_iter().enumerate() {
            let config = self.work.path(&format!("{}-callgrind.toml", kind.name()));
            // Batches close on size, not on the timer: under valgrind the process runs tens
            // of times slower, and a 200 ms linger would cut batches by the machine's speed.
            let mut text = self.config(kind, 900 + i);
            text.push_str("linger_ms = 3600000\n");
            if self.args.max_rows.is_none() {
                text.push_str(&format!("max_rows = {}\n", large.max(50_000)));
            }
            data::write_private(&config, &text)?;
            let (records, topic) = if kind == Kind::ReplayPoison {
                (self.work.poison_records(), self.poison_topic)
            } else {
                (self.work.records(), self.topic)
            };
            let mut points = Vec::new();
            for n in [large / 10, large] {
                let file = self.work.path(&format!("{}-{n}.records", kind.name()));
                let n = instructions::head(&records, &file, n)?;
                self.database.reset().await?;
                let out = self.work.path(&format!("{}-{n}.callgrind", kind.name()));
                let ir = instructions::count(&config, topic, &file, n, &out).await?;
                points.push((n, ir));
            }
            let per_record = instructions::per_record(points[0], points[1])?;
            println!(
                "callgrind: {:<34} {per_record:>10.0} instructions per record",
                kind.title()
            );
            counted.push((kind, points[1].0, per_record));
        }
        Ok(counted)
    }

    /// The rows and dead letters `kind` should have stored are there.
    async fn verify(&self, kind: Kind) -> anyhow::Result<()> {
        let dead = if kind.poisoned() { self.poison_dead } else { 0 };
        let table = if kind.upsert() {
            UPSERT_TABLE
        } else {
            APPEND_TABLE
        };
        self.database
            .verify(table, self.args.count - dead, dead)
            .await
            .with_context(|| format!("checking what {} stored", kind.title()))
    }

    fn connector(&self, kind: Kind, round: usize) -> String {
        format!("bench_{}_{round}", kind.name())
    }

    /// The connector configuration of `kind`.
    fn config(&self, kind: Kind, round: usize) -> String {
        let (topic, table, insert) = if kind.poisoned() {
            (self.poison_topic, APPEND_TABLE, "")
        } else if kind.upsert() {
            (
                self.topic,
                UPSERT_TABLE,
                "insert = \"upsert\"\nkey_columns = [\"device_id\", \"ts\"]\n",
            )
        } else if kind == Kind::EndToEndJson {
            (self.json_topic, APPEND_TABLE, "format = \"json\"\n")
        } else if kind == Kind::EndToEndProtobuf {
            (self.protobuf_topic, APPEND_TABLE, "format = \"protobuf\"\n")
        } else {
            (self.topic, APPEND_TABLE, "")
        };
        format!(
            r#"[database]
url = "{database}"

[[connector]]
name = "{name}"

[connector.kafka]
bootstrap_servers = "{bootstrap}"
group_prefix = "inlet-bench-{pid}"

[connector.kafka.properties]
{properties}

[connector.registry]
url = "{registry}"

[[connector.topic]]
name = "{topic}"
table = "public.{table}"
create_table = false
{insert}
[connector.batch]
{batch}"#,
            database = self.database.url(),
            name = self.connector(kind, round),
            bootstrap = self.args.endpoints.bootstrap,
            pid = std::process::id(),
            registry = self.args.endpoints.registry,
            properties = self
                .args
                .kafka_properties
                .iter()
                .map(|(k, v)| format!("{k:?} = {v:?}\n"))
                .collect::<String>(),
            batch = [
                self.args.max_rows.map(|n| format!("max_rows = {n}\n")),
                self.args.max_bytes.map(|n| format!("max_bytes = {n}\n")),
            ]
            .into_iter()
            .flatten()
            .collect::<String>(),
        )
    }
}

/// How long a measurement may go without progress before the benchmark gives up.
pub(crate) const STALL: Duration = Duration::from_secs(120);
