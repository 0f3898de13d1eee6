//! How inlet's cost grows (`--scale`): one `inlet run` holding 1, 10 or 100 connectors
//! (each its own topic and table), one connector over 1 to 256 partitions, and records of
//! 75 bytes to 1 MiB (readings whose note is that long). The scenarios of one kind store
//! the same total of readings (larger records: at most [`MAX_BYTES`] of them); the process
//! is measured while it stores them (rate, CPU per record, peak RSS), then idle for
//! `--scale-idle-seconds` (cores busy, RSS, threads).

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use inlet_avro::Proposal;
use serde_json::{Value, json};

use crate::measure::{Database, peak_rss, rebalances_in, spawn_run, terminate, until_stored};
use crate::{BenchArgs, STALL, cpu, data};

/// The most record bytes a scenario produces: larger records are fewer.
const MAX_BYTES: u64 = 256 << 20;

/// A reading's size without its note, bytes (Confluent framing included), about.
const READING_BYTES: u64 = 75;

/// Before the idle watch: the last batch committed, the consumers settle (at most as long
/// as the watch itself).
const SETTLE: Duration = Duration::from_secs(5);

/// One `inlet run` of `connectors` connectors, each reading a topic of its own into a table
/// of its own.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    /// Connectors in the one `inlet run`.
    pub connectors: usize,
    /// Partitions of each connector's topic.
    pub partitions: i32,
    /// Bytes of every reading's note (0: the canonical reading, about 75 bytes).
    pub note_bytes: u64,
}

impl Scenario {
    /// A record's size, bytes, about.
    pub fn record_bytes(&self) -> u64 {
        READING_BYTES + self.note_bytes
    }
}

/// What a scenario measured.
#[derive(Debug, Clone, Copy)]
pub struct Measured {
    /// What was measured.
    pub scenario: Scenario,
    /// Readings stored, in all.
    pub records: u64,
    /// From the first connector's assignment until every record is stored.
    pub seconds: f64,
    /// Cores busy meanwhile.
    pub busy: cpu::Usage,
    /// Peak resident set of the process (VmHWM), bytes.
    pub peak_rss: u64,
    /// Cores busy while idle, over `--scale-idle-seconds`.
    pub idle_cores: f64,
    /// Resident set while idle, bytes.
    pub idle_rss: u64,
    /// The process's threads while idle.
    pub threads: u64,
}

impl Measured {
    /// Rows stored per second.
    pub fn rate(&self) -> f64 {
        self.records as f64 / self.seconds.max(1e-9)
    }

    /// inlet's CPU per record while storing, µs.
    pub fn cpu_us_per_record(&self) -> f64 {
        self.busy.inlet * self.seconds / self.records.max(1) as f64 * 1e6
    }

    /// The figures, for the results file.
    pub fn json(&self) -> Value {
        json!({
            "connectors": self.scenario.connectors,
            "partitions_per_topic": self.scenario.partitions,
            "record_bytes": self.scenario.record_bytes(),
            "records": self.records,
            "rows_per_s": self.rate().round(),
            "mb_per_s": (self.rate() * self.scenario.record_bytes() as f64 / 1e6 * 10.0).round() / 10.0,
            "inlet_cpu_us_per_record": (self.cpu_us_per_record() * 100.0).round() / 100.0,
            "peak_rss_mb": self.peak_rss >> 20,
            "idle_cores": (self.idle_cores * 1000.0).round() / 1000.0,
            "idle_rss_mb": self.idle_rss >> 20,
            "threads": self.threads,
        })
    }

    /// One line of the figures.
    pub fn line(&self) -> String {
        format!(
            "{:>3} connector(s) × {:>3} partition(s), {:>7} B records: {:>8.0} rows/s {:>6.1} MB/s  {:>6.2} µs CPU/record  peak RSS {:>4} MB | idle: {:.3} cores, RSS {:>4} MB, {:>4} threads",
            self.scenario.connectors,
            self.scenario.partitions,
            self.scenario.record_bytes(),
            self.rate(),
            self.rate() * self.scenario.record_bytes() as f64 / 1e6,
            self.cpu_us_per_record(),
            self.peak_rss >> 20,
            self.idle_cores,
            self.idle_rss >> 20,
            self.threads
        )
    }
}

/// Runs `scenario` with `total` readings (at most [`MAX_BYTES`] of them) spread over its
/// topics: produces them (untimed),
/// makes the tables, runs `inlet` (the binary at `inlet`) until all are stored, watches it
/// idle, stops it with SIGTERM, checks the rows and cleans up.
pub async fn measure(
    args: &BenchArgs,
    inlet: &Path,
    database: &Database,
    proposal: &Proposal,
    work: &data::WorkDir,
    scenario: Scenario,
    total: u64,
) -> anyhow::Result<Measured> {
    let n = scenario.connectors;
    let total = total.min(MAX_BYTES / scenario.record_bytes()).max(n as u64);
    let per_topic = total / n as u64;
    let records = per_topic * n as u64;
    let tag = format!(
        "scale_{}_{n}x{}_{}",
        std::process::id(),
        scenario.partitions,
        scenario.note_bytes
    );
    let names: Vec<String> = (0..n).map(|i| format!("bench_{tag}_{i}")).collect();
    for name in &names {
        data::produce(
            args,
            name,
            per_topic,
            scenario.partitions,
            scenario.note_bytes,
        )
        .await?;
        database
            .create_table(proposal, name, include_str!("sql/index_ts.sql"))
            .await?;
    }
    let pattern = format!("{}\\_%", connector(&format!("bench_{tag}")));
    let config = work.path(&format!("{tag}.toml"));
    data::write_private(&config, &config_text(args, database, &names))?;
    let log = work.path(&format!("{tag}.log"));
    let idle = Duration::from_secs(args.scale_idle_seconds.max(1));
    let watched = Watched {
        inlet,
        config: &config,
        log: &log,
        database,
        names: &names,
        pattern: &pattern,
        records,
        scenario,
        idle,
    };
    let result = watched.run().await;
    let topics: Vec<&str> = names.iter().map(String::as_str).collect();
    data::delete_topics(args, &topics).await;
    let mut stored = 0;
    for name in &names {
        stored += database.rows(name).await?;
        database.drop_table(name).await?;
    }
    database.forget_offsets_like(&pattern).await?;
    let measured = result?;
    if stored != records {
        bail!("{n} connector(s) stored {stored} rows of {records}");
    }
    Ok(measured)
}

/// One `inlet run` of a scenario, watched.
struct Watched<'a> {
    /// The `inlet` binary.
    inlet: &'a Path,
    /// Its configuration file, and its log.
    config: &'a Path,
    log: &'a Path,
    database: &'a Database,
    /// The topics (and tables) of its connectors.
    names: &'a [String],
    /// The connectors' names, as a LIKE pattern.
    pattern: &'a str,
    /// Records in all its topics.
    records: u64,
    scenario: Scenario,
    /// How long it is watched idle.
    idle: Duration,
}

impl Watched<'_> {
    /// `inlet run` until the connectors have stored every record, then watched idle.
    async fn run(&self) -> anyhow::Result<Measured> {
        let Watched {
            inlet,
            config,
            log,
            database,
            names,
            pattern,
            records,
            scenario,
            idle,
        } = *self;
        let (mut child, metrics) = spawn_run(inlet, config, log)?;
        let pid = child.id().context("inlet run has no process id")?;
        let fail = |what: String| anyhow::anyhow!("{what}; its log: {}", log.display());
        let spawned = Instant::now();
        // Timed from the first connector's assignment (the others join meanwhile, and read as
        // soon as they do) until every record is stored.
        let mut waiting: Vec<&String> = names.iter().collect();
        let mut assigned = None;
        while !waiting.is_empty() {
            if let Ok(Some(status)) = child.try_wait() {
                return Err(fail(format!("inlet run exited early ({status})")));
            }
            if spawned.elapsed() > STALL {
                return Err(fail(format!(
                    "{} of {} connectors were not assigned their partitions",
                    waiting.len(),
                    names.len()
                )));
            }
            let page = crate::measure::metrics(metrics).await.unwrap_or_default();
            waiting.retain(|name| rebalances_in(&page, &connector(name)).unwrap_or(0) == 0);
            if assigned.is_none() && waiting.len() < names.len() {
                assigned = Some(cpu::Sample::take(pid));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let assigned = assigned.unwrap_or_else(|| cpu::Sample::take(pid));
        let done =
            until_stored(&mut child, &fail, records, || database.stored_like(pattern)).await?;
        let peak = peak_rss(pid).unwrap_or(0);
        tokio::time::sleep(SETTLE.min(idle)).await;
        let before = cpu::Sample::take(pid);
        tokio::time::sleep(idle).await;
        let after = cpu::Sample::take(pid);
        let (idle_rss, threads) = rss_and_threads(pid);
        terminate(&mut child, &fail).await?;
        Ok(Measured {
            scenario,
            records,
            seconds: done.seconds_since(&assigned),
            busy: assigned.until(&done),
            peak_rss: peak.max(idle_rss),
            idle_cores: before.until(&after).inlet,
            idle_rss,
            threads,
        })
    }
}

/// The resident set (VmRSS, bytes) and the threads of process `pid`, from /proc.
fn rss_and_threads(pid: u32) -> (u64, u64) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:") * 1024, field("Threads:"))
}

/// The connector that reads topic `name` into table `name`.
fn connector(name: &str) -> String {
    name.trim_start_matches("bench_").to_owned()
}

/// One `[[connector]]` per name: topic `name` into `public.<name>`.
fn config_text(args: &BenchArgs, database: &Database, names: &[String]) -> String {
    let mut text = format!("[database]\nurl = \"{}\"\n", database.url());
    for name in names {
        text.push_str(&format!(
            r#"
[[connector]]
name = "{connector}"

[connector.kafka]
bootstrap_servers = "{bootstrap}"
group_prefix = "inlet-bench-{pid}"

[connector.registry]
url = "{registry}"

[[connector.topic]]
name = "{name}"
table = "public.{name}"
create_table = false
"#,
            connector = connector(name),
            bootstrap = args.endpoints.bootstrap,
            pid = std::process::id(),
            registry = args.endpoints.registry,
        ));
    }
    text
}
