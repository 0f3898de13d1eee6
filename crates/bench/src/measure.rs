//! The measurements, each timed and checked.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use inlet_avro::Proposal;
use inlet_engine::{Config, Connector, RecordFileReader};
use inlet_postgres::DatabaseConfig;
use inlet_postgres::ddl::quote;
use rdkafka::consumer::Consumer as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::{APPEND_TABLE, BenchArgs, STALL, UPSERT_TABLE, cpu, data};

/// What is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// a. Server-side COPY BINARY from a file.
    CopyLimit,
    /// The same file sent by a client, one COPY FROM STDIN: the limit over the wire.
    CopyWire,
    /// b. A consumer that decodes nothing.
    BareConsume,
    /// c. `inlet run`, append.
    EndToEnd,
    /// c. `inlet run`, append, the same readings as JSON documents (`format = "json"`).
    EndToEndJson,
    /// c. `inlet run`, append, the same readings as Confluent-framed Protobuf.
    EndToEndProtobuf,
    /// d. The replay, append.
    ReplayAppend,
    /// e. `inlet run`, upsert.
    EndToEndUpsert,
    /// e. `inlet run`, append with poison records.
    EndToEndPoison,
    /// The replay, upsert: every key new.
    ReplayUpsert,
    /// The replay, upsert, about half the keys stored already (updated).
    ReplayUpsertHalf,
    /// The replay, with poison records.
    ReplayPoison,
}

impl Kind {
    /// In the order of each round: the two sides of each ratio next to each other, so
    /// that a machine whose speed drifts during a run affects both alike.
    pub const ALL: [Kind; 12] = [
        Kind::CopyLimit,
        Kind::CopyWire,
        Kind::ReplayAppend,
        Kind::BareConsume,
        Kind::EndToEnd,
        Kind::EndToEndJson,
        Kind::EndToEndProtobuf,
        Kind::EndToEndUpsert,
        Kind::EndToEndPoison,
        Kind::ReplayUpsert,
        Kind::ReplayUpsertHalf,
        Kind::ReplayPoison,
    ];

    /// The key in the results.
    pub fn name(self) -> &'static str {
        match self {
            Kind::CopyLimit => "a_copy_limit",
            Kind::CopyWire => "a_copy_over_the_wire",
            Kind::BareConsume => "b_bare_consume",
            Kind::EndToEnd => "c_inlet_end_to_end",
            Kind::EndToEndJson => "c_inlet_end_to_end_json",
            Kind::EndToEndProtobuf => "c_inlet_end_to_end_protobuf",
            Kind::ReplayAppend => "d_inlet_write_path",
            Kind::EndToEndUpsert => "e_inlet_upsert",
            Kind::EndToEndPoison => "e_inlet_dead_letters",
            Kind::ReplayUpsert => "d_inlet_write_path_upsert",
            Kind::ReplayUpsertHalf => "d_inlet_write_path_upsert_half",
            Kind::ReplayPoison => "d_inlet_write_path_dead_letters",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Kind::CopyLimit => "a. COPY limit (server-side file)",
            Kind::CopyWire => "a. COPY of the file over the wire",
            Kind::BareConsume => "b. bare consume (rdkafka)",
            Kind::EndToEnd => "c. inlet end to end",
            Kind::EndToEndJson => "c. inlet end to end, JSON values",
            Kind::EndToEndProtobuf => "c. inlet end to end, Protobuf values",
            Kind::ReplayAppend => "d. inlet write path (replay)",
            Kind::EndToEndUpsert => "e. inlet end to end, upsert",
            Kind::EndToEndPoison => "e. inlet end to end, dead letters",
            Kind::ReplayUpsert => "d. write path, upsert (new keys)",
            Kind::ReplayUpsertHalf => "d. write path, upsert (half the keys stored)",
            Kind::ReplayPoison => "d. write path, dead letters",
        }
    }

    /// Rows for the database's measurements, records for the broker's.
    pub fn unit(self) -> &'static str {
        match self {
            Kind::BareConsume => "records",
            Kind::EndToEndPoison | Kind::ReplayPoison => "records",
            _ => "rows",
        }
    }

    /// The process whose CPU is counted besides the services'.
    pub fn process(self) -> &'static str {
        match self {
            Kind::CopyLimit | Kind::CopyWire => "bench client",
            Kind::BareConsume => "consumer",
            _ => "inlet",
        }
    }

    pub fn upsert(self) -> bool {
        matches!(
            self,
            Kind::EndToEndUpsert | Kind::ReplayUpsert | Kind::ReplayUpsertHalf
        )
    }

    pub fn poisoned(self) -> bool {
        matches!(self, Kind::EndToEndPoison | Kind::ReplayPoison)
    }
}

/// One timed run.
#[derive(Debug, Clone, Copy)]
pub struct Run {
    /// Rows (or records) it moved.
    pub count: u64,
    pub seconds: f64,
    /// Peak resident set of the inlet process, for `inlet run`.
    pub rss_bytes: Option<u64>,
    /// Before the timed part: from the process's start to its partitions' assignment, for
    /// `inlet run`; connecting and reading the tables, for the replay.
    pub startup_seconds: Option<f64>,
    /// Cores used during the timed part, by PostgreSQL, the broker and the process measured.
    pub cpu: Option<cpu::Usage>,
}

impl Run {
    /// A run of this process: no child to take the RSS or the start-up of.
    fn here(count: u64, seconds: f64, cpu: cpu::Usage) -> Self {
        Run {
            count,
            seconds,
            rss_bytes: None,
            startup_seconds: None,
            cpu: Some(cpu),
        }
    }

    pub fn rate(&self) -> f64 {
        self.count as f64 / self.seconds.max(1e-9)
    }
}

/// A measurement's runs.
pub struct Measurement {
    pub kind: Kind,
    pub runs: Vec<Run>,
}

impl Measurement {
    pub fn new(kind: Kind) -> Self {
        Measurement {
            kind,
            runs: Vec::new(),
        }
    }
}

/// The benchmark's database.
pub struct Database {
    config: DatabaseConfig,
    url: String,
    client: tokio_postgres::Client,
}

impl Database {
    /// Drops and creates the database of `url`.
    pub async fn create(url: &str) -> anyhow::Result<Self> {
        let config = DatabaseConfig::parse(url)?;
        let name = url
            .rsplit('/')
            .next()
            .and_then(|tail| tail.split('?').next())
            .filter(|name| !name.is_empty() && !name.contains('@'))
            .with_context(|| "the benchmark's database URL names no database")?
            .to_owned();
        if !name.contains("bench") {
            bail!(
                "the benchmark drops and creates its database; {name:?} does not look like one made for it (its name must contain \"bench\", e.g. inlet_bench)"
            );
        }
        let admin = config.clone().with_database("postgres").connect().await?;
        for template in [
            include_str!("sql/database_drop.sql"),
            include_str!("sql/database_create.sql"),
        ] {
            admin
                .batch_execute(&template.replace("{database}", &quote(&name)))
                .await
                .with_context(|| format!("recreating the database {name}"))?;
        }
        let client = config.connect().await?;
        Ok(Database {
            config,
            url: url.to_owned(),
            client,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn client(&self) -> &tokio_postgres::Client {
        &self.client
    }

    /// The proposal's table twice: `readings`, with an index on ts, and `readings_upsert`,
    /// with a primary key on (ts, device_id) (its index on ts); and inlet's own schema.
    pub async fn create_tables(&self, proposal: &Proposal) -> anyhow::Result<()> {
        self.create_table(proposal, APPEND_TABLE, include_str!("sql/index_ts.sql"))
            .await?;
        self.create_table(proposal, UPSERT_TABLE, include_str!("sql/primary_key.sql"))
            .await?;
        let mut client = self.config.connect().await?;
        inlet_postgres::ensure_inlet_schema(&mut client).await?;
        Ok(())
    }

    /// `public.<table>` of the proposal's columns, indexed by `index` (a statement with
    /// `{table}` in it).
    pub async fn create_table(
        &self,
        proposal: &Proposal,
        table: &str,
        index: &str,
    ) -> anyhow::Result<()> {
        let name = inlet_postgres::TableName {
            schema: "public".to_owned(),
            table: table.to_owned(),
        };
        let ddl = inlet_postgres::ddl::create_table(&name, &proposal.columns, None);
        self.client
            .batch_execute(&ddl)
            .await
            .with_context(|| format!("creating table {table}"))?;
        self.client
            .batch_execute(&index.replace("{table}", &quote(table)))
            .await
            .with_context(|| format!("indexing {table}"))?;
        Ok(())
    }

    /// Empty tables, no stored offsets, no dead letters, a checkpoint: every measurement
    /// starts from the same state.
    pub async fn reset(&self) -> anyhow::Result<()> {
        self.client
            .batch_execute(include_str!("sql/reset.sql"))
            .await
            .context("emptying the benchmark's tables")
    }

    /// `table` (the upsert table) holding about half of the rows of `file`: the rest of a
    /// replay's records update stored keys.
    pub async fn store_half(&self, table: &str, file: &Path, count: u64) -> anyhow::Result<()> {
        self.copy_from_file(table, file, count).await?;
        for statement in [
            include_str!("sql/half_keys.sql"),
            include_str!("sql/vacuum_analyze.sql"),
        ] {
            self.client
                .batch_execute(&statement.replace("{table}", &quote(table)))
                .await
                .with_context(|| format!("keeping half the keys in {table}"))?;
        }
        Ok(())
    }

    /// The server writes `table` to `file` (COPY BINARY).
    pub async fn export_copy_file(&self, table: &str, file: &Path) -> anyhow::Result<()> {
        let statement = include_str!("sql/copy_to_file.sql")
            .replace("{table}", &quote(table))
            .replace("{file}", &literal(file)?);
        self.client
            .batch_execute(&statement)
            .await
            .with_context(|| format!("writing {} on the server", file.display()))
    }

    /// a. The server loads `file` into `table`: the database's own limit.
    pub async fn copy_from_file(
        &self,
        table: &str,
        file: &Path,
        count: u64,
    ) -> anyhow::Result<Run> {
        let statement = include_str!("sql/copy_from_file.sql")
            .replace("{table}", &quote(table))
            .replace("{file}", &literal(file)?);
        let load = self.client.execute(&statement, &[]);
        timed_load(count, async {
            load.await
                .with_context(|| format!("COPY {table} FROM {}", file.display()))
        })
        .await
    }

    /// The same file sent by this client in 1 MiB messages, one COPY FROM STDIN, one
    /// transaction: what the database takes over its protocol, with no decoding, batching
    /// or offsets.
    pub async fn copy_over_the_wire(
        &self,
        table: &str,
        file: &Path,
        count: u64,
    ) -> anyhow::Result<Run> {
        use futures_util::SinkExt as _;
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        let statement = include_str!("sql/copy_from_stdin.sql").replace("{table}", &quote(table));
        timed_load(count, async {
            let sink = self
                .client
                .copy_in::<_, bytes::Bytes>(&statement)
                .await
                .with_context(|| format!("COPY {table} FROM STDIN"))?;
            futures_util::pin_mut!(sink);
            for chunk in bytes.chunks(1 << 20) {
                sink.send(bytes::Bytes::copy_from_slice(chunk)).await?;
            }
            Ok(sink.finish().await?)
        })
        .await
    }

    /// `table` holds `rows` rows and `inlet.dead_letters` `dead` records.
    pub async fn verify(&self, table: &str, rows: u64, dead: u64) -> anyhow::Result<()> {
        let stored = self.rows(table).await?;
        let letters: i64 = self
            .client
            .query_one(include_str!("sql/count_dead_letters.sql"), &[])
            .await?
            .get(0);
        if (stored, letters as u64) != (rows, dead) {
            bail!(
                "{table} holds {stored} rows and inlet.dead_letters {letters}; expected {rows} and {dead}"
            );
        }
        Ok(())
    }

    /// The rows of `public.<table>`.
    pub async fn rows(&self, table: &str) -> anyhow::Result<u64> {
        let rows: i64 = self
            .client
            .query_one(
                &include_str!("sql/count_rows.sql").replace("{table}", &quote(table)),
                &[],
            )
            .await?
            .get(0);
        Ok(rows as u64)
    }

    /// Drops `public.<table>`.
    pub async fn drop_table(&self, table: &str) -> anyhow::Result<()> {
        self.client
            .batch_execute(&include_str!("sql/drop_table.sql").replace("{table}", &quote(table)))
            .await
            .with_context(|| format!("dropping {table}"))
    }

    /// Forgets the stored offsets of the connectors whose names match `pattern` (SQL LIKE).
    pub async fn forget_offsets_like(&self, pattern: &str) -> anyhow::Result<()> {
        self.client
            .execute(include_str!("sql/forget_offsets_like.sql"), &[&pattern])
            .await
            .context("forgetting the scale scenario's offsets")?;
        Ok(())
    }

    /// The records stored by the connectors whose names match `pattern` (SQL LIKE).
    pub async fn stored_like(&self, pattern: &str) -> anyhow::Result<u64> {
        let sum: i64 = self
            .client
            .query_one(include_str!("sql/stored_offsets_like.sql"), &[&pattern])
            .await?
            .get(0);
        Ok(sum as u64)
    }

    /// The sum of the next offsets stored for `connector`: the records it has stored.
    pub(crate) async fn stored(&self, connector: &str) -> anyhow::Result<u64> {
        let sum: i64 = self
            .client
            .query_one(include_str!("sql/stored_offsets.sql"), &[&connector])
            .await?
            .get(0);
        Ok(sum as u64)
    }
}

/// Times `load`, which returns the rows it loaded (they must be `count`), with the cores
/// busy meanwhile.
async fn timed_load(
    count: u64,
    load: impl std::future::Future<Output = anyhow::Result<u64>>,
) -> anyhow::Result<Run> {
    let before = cpu::Sample::take(std::process::id());
    let started = Instant::now();
    let rows = load.await?;
    let seconds = started.elapsed().as_secs_f64();
    let cpu = before.until(&cpu::Sample::take(std::process::id()));
    if rows != count {
        bail!("the COPY loaded {rows} rows, not {count}");
    }
    Ok(Run::here(count, seconds, cpu))
}

/// A path as an SQL string literal (COPY takes no parameter for its file).
fn literal(path: &Path) -> anyhow::Result<String> {
    let text = path
        .to_str()
        .with_context(|| format!("{} is not UTF-8", path.display()))?;
    Ok(format!("'{}'", text.replace('\'', "''")))
}

/// b. A consumer assigned every partition from its start, counting records until all are
/// read; nothing is decoded. Timed from the assignment. It has inlet's consumer settings.
pub async fn bare_consume(args: &BenchArgs, topic: &str) -> anyhow::Result<Run> {
    let config = data::kafka_consumer(args);
    let (topic, partitions, count) = (topic.to_owned(), args.partitions, args.count);
    tokio::task::spawn_blocking(move || -> anyhow::Result<Run> {
        let consumer = data::connected(&config, &topic)?;
        let before = cpu::Sample::take(std::process::id());
        let started = Instant::now();
        data::assign(&consumer, &topic, partitions)?;
        let mut bytes = 0usize;
        data::read_all(&consumer, &topic, count, |m| {
            bytes += m.payload_len();
            Ok(())
        })?;
        let seconds = started.elapsed().as_secs_f64();
        let cpu = before.until(&cpu::Sample::take(std::process::id()));
        tracing::debug!(bytes, "bare consumer done");
        consumer.unassign()?;
        Ok(Run::here(count, seconds, cpu))
    })
    .await?
}

/// c and e. `inlet run --config` as a process, timed from its partitions' assignment (the
/// first rebalance its metrics count) until the offsets stored for `connector` cover all
/// `count` records; its peak RSS read from /proc; then SIGTERM, which must end it cleanly.
pub async fn end_to_end(
    inlet: &Path,
    config: &Path,
    log: &Path,
    database: &Database,
    connector: &str,
    count: u64,
) -> anyhow::Result<Run> {
    let exe = crate::inlet_binary_at(inlet)?;
    let spawned = Instant::now();
    let (mut child, metrics) = spawn_run(&exe, config, log)?;
    let pid = child.id().context("inlet run has no process id")?;
    let fail = |what: String| {
        let tail = std::fs::read_to_string(log).unwrap_or_default();
        let tail: Vec<&str> = tail.lines().rev().take(15).collect();
        anyhow::anyhow!(
            "{what}; the last lines of {}:\n{}",
            log.display(),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        )
    };
    // Assigned: the metrics count a rebalance.
    let assigned = loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(fail(format!("inlet run exited early ({status})")));
        }
        if rebalances(metrics, connector).await.unwrap_or(0) > 0 {
            break cpu::Sample::take(pid);
        }
        if spawned.elapsed() > STALL {
            return Err(fail("inlet run was not assigned its partitions".into()));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let done = until_stored(&mut child, &fail, count, || database.stored(connector)).await?;
    let rss = peak_rss(pid);
    terminate(&mut child, &fail).await?;
    Ok(Run {
        count,
        seconds: done.seconds_since(&assigned),
        rss_bytes: rss,
        startup_seconds: Some(assigned.seconds_since_instant(spawned)),
        cpu: Some(assigned.until(&done)),
    })
}

/// Starts `inlet run --config <config>` (the binary `inlet`), its log (JSON lines) into
/// `log`, its metrics on a free loopback port; the process and that address.
pub(crate) fn spawn_run(
    inlet: &Path,
    config: &Path,
    log: &Path,
) -> anyhow::Result<(tokio::process::Child, std::net::SocketAddr)> {
    let metrics = free_port()?;
    let child = tokio::process::Command::new(inlet)
        .arg("run")
        .arg("--config")
        .arg(config)
        .args(["--metrics", &metrics.to_string()])
        .args(["--log-format", "json"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log)?)
        .kill_on_drop(true)
        .spawn()
        .context("starting inlet run")?;
    Ok((child, metrics))
}

/// Waits until `stored()` reaches `count` records, while `child` (`inlet run`) runs; the
/// CPU sample then. An error, made by `fail`, when nothing is stored for [`STALL`] or the
/// process ends first.
pub(crate) async fn until_stored<F>(
    child: &mut tokio::process::Child,
    fail: &impl Fn(String) -> anyhow::Error,
    count: u64,
    stored: impl Fn() -> F,
) -> anyhow::Result<cpu::Sample>
where
    F: std::future::Future<Output = anyhow::Result<u64>>,
{
    let pid = child.id().context("inlet run has no process id")?;
    let mut last = (0, Instant::now());
    loop {
        let now = stored().await?;
        if now >= count {
            return Ok(cpu::Sample::take(pid));
        }
        if now != last.0 {
            last = (now, Instant::now());
        } else if last.1.elapsed() > STALL {
            return Err(fail(format!(
                "inlet run stored no record for {STALL:?} ({now} of {count})"
            )));
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(fail(format!("inlet run exited early ({status})")));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Stops `child` (`inlet run`) with SIGTERM, which must end it cleanly within 60 s; the
/// error, made by `fail`, says how it did not.
pub(crate) async fn terminate(
    child: &mut tokio::process::Child,
    fail: &impl Fn(String) -> anyhow::Error,
) -> anyhow::Result<()> {
    let pid = child.id().context("inlet run has no process id")?;
    let term = tokio::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .await?;
    if !term.success() {
        bail!("could not send SIGTERM to inlet run ({pid})");
    }
    let status = tokio::time::timeout(Duration::from_secs(60), child.wait())
        .await
        .map_err(|_| fail("inlet run did not stop within 60 s of SIGTERM".into()))??;
    if !status.success() {
        return Err(fail(format!("inlet run ended with {status} after SIGTERM")));
    }
    Ok(())
}

/// d. The record file through `Connector::replay`, timed from its first record (its tables
/// read; plans are compiled on the way) until every batch is committed.
pub async fn replay(config: Config, topic: &str, file: &Path, count: u64) -> anyhow::Result<Run> {
    let connector = config
        .connectors
        .into_iter()
        .next()
        .context("the replay's configuration has no connector")?;
    let reader = RecordFileReader::new(std::io::BufReader::new(
        std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?,
    ))?;
    let before = cpu::Sample::take(std::process::id());
    let started = Instant::now();
    let summary = Connector::new(connector, config.database)
        .replay(topic, reader)
        .await?;
    let seconds = started.elapsed().as_secs_f64() - summary.setup.as_secs_f64();
    let cpu = before.until(&cpu::Sample::take(std::process::id()));
    if summary.records != count || summary.skipped != 0 {
        bail!("the replay read {summary:?}, not {count} records");
    }
    Ok(Run {
        startup_seconds: Some(summary.setup.as_secs_f64()),
        ..Run::here(count, seconds, cpu)
    })
}

/// The peak resident set of process `pid` (VmHWM), bytes.
pub(crate) fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// A loopback port nothing listens on now.
fn free_port() -> anyhow::Result<std::net::SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?)
}

/// `inlet_rebalances_total` of `connector`, from `inlet run`'s metrics.
async fn rebalances(addr: std::net::SocketAddr, connector: &str) -> anyhow::Result<u64> {
    rebalances_in(&metrics(addr).await?, connector).context("no rebalance counter")
}

/// `inlet run`'s metrics page, in Prometheus's text format.
pub(crate) async fn metrics(addr: std::net::SocketAddr) -> anyhow::Result<String> {
    tokio::time::timeout(Duration::from_secs(5), async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        stream
            .write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
            .await?;
        let mut text = String::new();
        stream.take(16 << 20).read_to_string(&mut text).await?;
        anyhow::Ok(text)
    })
    .await
    .context("inlet run's metrics did not answer within 5 s")?
}

/// `inlet_rebalances_total` of `connector` in the metrics page `text`.
pub(crate) fn rebalances_in(text: &str, connector: &str) -> Option<u64> {
    let prefix = format!("inlet_rebalances_total{{connector=\"{connector}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|v| v.trim().parse().ok())
}
