//! The Avro conformance corpus through the real path: each case's schemas registered (with
//! their Confluent references) in the dev registry, its records produced to a topic of its
//! own, `inlet run` with the defaults (one partition, `mapping = "auto"`, the table created
//! from the proposal), and the table compared with the case's `expect.json`.
//!
//! The corpus is `../shared/avro-conformance` beside the repository (`INLET_CONFORMANCE_DIR` overrides it; see its
//! README for the layout of a case). One `inlet run` process runs many cases, one connector
//! each; a case that stops its process is named by inlet's error and the others run again
//! without it. Cases the registry refuses as invalid Avro pass only when the corpus says the
//! schema is refused; an expected value `?` is one the corpus does not judge. Needs
//! `scripts/services up`.

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use inlet_avro::{SchemaId, encode_frame};
use inlet_registry::{RegistryClient, RegistryConfig, SchemaReference};
use inlet_testkit::{create_topic, endpoints, kafka_config};
use serde_json::Value as Json;
use tokio_postgres::{Client, SimpleQueryMessage};

use crate::support::{Stream, run_file, terminate};

/// The corpus in the shared folder beside the repository.
const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/avro-conformance"
);
/// Cases per `inlet run` process (one connector each).
const CASES_PER_RUN: usize = 24;
/// How long one `inlet run` may take to store its cases' records.
const RUN_LIMIT: Duration = Duration::from_secs(60);
/// Cases prepared (topic, schemas, records, table.sql) at once.
const PREPARING_AT_ONCE: usize = 8;

/// A row as PostgreSQL's text: `None` is SQL NULL.
type Row = Vec<Option<String>>;

/// A query of `expect.json` and the rows it must return.
struct Query {
    sql: String,
    rows: Vec<Row>,
}

/// What the table and the dead letters must hold after the run.
struct Outcome {
    queries: Vec<Query>,
    dead_letters: Vec<i64>,
}

/// One case folder of the corpus.
struct Case {
    /// The folder's name; also the connector's name.
    name: String,
    dir: PathBuf,
    /// `c<number>`: the case's prefix for its topic and its table.sql objects.
    key: String,
    topic: String,
    /// `public.c<number>_<name>`, as `pg_event_trigger_ddl_commands` names it.
    table: String,
    /// The Avro bodies, in offset order.
    bodies: Vec<Vec<u8>>,
    expect: Outcome,
    /// Other acceptable outcomes, with their labels.
    alternatives: Vec<(String, Outcome)>,
    /// The case's README says the schema is refused (invalid Avro).
    refusal_expected: bool,
}

impl Case {
    fn records(&self) -> i64 {
        self.bodies.len() as i64
    }

    fn stored(&self, offsets: &HashMap<String, i64>) -> bool {
        offsets.get(&self.name).copied().unwrap_or(0) == self.records()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_avro_conformance_corpus_lands_as_expected() {
    let started = Instant::now();
    let corpus = std::env::var_os("INLET_CONFORMANCE_DIR")
        .map_or_else(|| PathBuf::from(CORPUS), PathBuf::from);
    let stream = Stream::new(1).await;
    let cases = load_corpus(&corpus, &stream.topic);
    let registry_url = endpoints().registry;
    let registry = RegistryClient::new(RegistryConfig::new(&registry_url)).unwrap();
    let client = session(&stream).await;

    // Every case's topic, schemas, records and table.sql, a few at a time.
    let (shared_stream, shared_registry, shared_client) = (&stream, &registry, &client);
    let prepared: Vec<(Case, Result<u32, String>)> = futures_util::stream::iter(cases)
        .map(move |case| async move {
            let registered = prepare(shared_stream, shared_registry, shared_client, &case).await;
            (case, registered)
        })
        .buffered(PREPARING_AT_ONCE)
        .collect()
        .await;
    let (ready, refused): (Vec<_>, Vec<_>) = prepared.into_iter().partition(|(_, r)| r.is_ok());
    let ready: Vec<Case> = ready.into_iter().map(|(case, _)| case).collect();
    let refused: Vec<(Case, String)> = refused
        .into_iter()
        .map(|(case, r)| (case, r.unwrap_err()))
        .collect();
    eprintln!(
        "conformance: {} cases prepared, {} refused at registration, in {:.1} s",
        ready.len(),
        refused.len(),
        started.elapsed().as_secs_f64()
    );

    let (stopped, problems) = run_all(&stream, &registry_url, &client, &ready).await;

    let mut passed = 0;
    let mut failures = Vec::new();
    for case in &ready {
        let dead = dead_letters(&client, &case.topic).await;
        let mut differences = match stopped.get(&case.name) {
            Some(why) => vec![why.clone()],
            None => check(&client, case, &case.expect, &dead).await,
        };
        if differences.is_empty() {
            passed += 1;
            continue;
        }
        if !stopped.contains_key(&case.name) {
            let mut matched = None;
            for (label, alternative) in &case.alternatives {
                if check(&client, case, alternative, &dead).await.is_empty() {
                    matched = Some(label);
                    break;
                }
            }
            if let Some(label) = matched {
                eprintln!(
                    "conformance: {} passes with an accepted alternative: {label}",
                    case.name
                );
                passed += 1;
                continue;
            }
        } else if !dead.is_empty() {
            differences.push(dead_letter_line(&dead, &case.expect.dead_letters));
        }
        failures.push((case.name.clone(), differences));
    }
    let mut refused_expected = 0;
    for (case, reason) in &refused {
        if case.refusal_expected {
            refused_expected += 1;
            eprintln!(
                "conformance: {} refused at registration (the corpus expects it): {reason}",
                case.name
            );
        } else {
            failures.push((
                case.name.clone(),
                vec![format!(
                    "refused at registration, which the corpus does not expect: {reason}"
                )],
            ));
        }
    }
    failures.sort_by_key(|(name, _)| case_number(name));
    eprintln!(
        "conformance: {passed} pass, {} fail, {refused_expected} refused at registration, of {} cases, in {:.1} s",
        failures.len(),
        ready.len() + refused.len(),
        started.elapsed().as_secs_f64()
    );
    let mut report = String::new();
    for (name, differences) in &failures {
        let _ = writeln!(report, "{name}:");
        for difference in differences {
            let _ = writeln!(report, "    {difference}");
        }
    }
    for problem in &problems {
        let _ = writeln!(report, "{problem}");
    }
    assert!(
        failures.is_empty() && problems.is_empty(),
        "conformance: {} of {} cases fail:\n{report}",
        failures.len(),
        ready.len() + refused.len()
    );
}

/// The corpus's cases, in case-number order, each with a topic named after `prefix`.
fn load_corpus(corpus: &Path, prefix: &str) -> Vec<Case> {
    let entries = std::fs::read_dir(corpus).unwrap_or_else(|e| {
        panic!(
            "the Avro conformance corpus is not readable at {} ({e}); set INLET_CONFORMANCE_DIR",
            corpus.display()
        )
    });
    let mut cases: Vec<Case> = entries
        .map(|entry| entry.unwrap().path())
        .filter(|dir| dir.join("schema.avsc").is_file())
        .map(|dir| load_case(&dir, prefix))
        .collect();
    cases.sort_by_key(|case| case_number(&case.name));
    assert!(!cases.is_empty(), "no cases in {}", corpus.display());
    cases
}

fn case_number(name: &str) -> u32 {
    let digits: String = name.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().unwrap_or(u32::MAX)
}

fn load_case(dir: &Path, prefix: &str) -> Case {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let key = format!("c{}", case_number(&name));
    let table = format!("public.c{}", name.replace(['-', '.'], "_").to_lowercase());
    let records = read_json(&dir.join("records.json"));
    let bodies = records
        .as_array()
        .unwrap_or_else(|| panic!("{name}/records.json is not a list"))
        .iter()
        .map(|record| {
            let hex = record["raw_value_hex"]
                .as_str()
                .unwrap_or_else(|| panic!("{name}/records.json: a record without raw_value_hex"));
            unhex(hex).unwrap_or_else(|| panic!("{name}/records.json: {hex:.40} is not hex"))
        })
        .collect();
    let expect = read_json(&dir.join("expect.json"));
    let alternatives = expect["alternatives"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|a| {
                    let label = a["label"].as_str().unwrap_or("(no label)").to_owned();
                    (label, outcome(a, &name))
                })
                .collect()
        })
        .unwrap_or_default();
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap_or_default();
    Case {
        topic: format!("{prefix}_{key}"),
        key,
        table,
        bodies,
        expect: outcome(&expect, &name),
        alternatives,
        refusal_expected: readme.contains("refuses the schema"),
        dir: dir.to_owned(),
        name,
    }
}

fn read_json(path: &Path) -> Json {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `queries` and `dead_letters.offsets` of an expectation or one of its alternatives.
fn outcome(json: &Json, case: &str) -> Outcome {
    let queries = json["queries"]
        .as_array()
        .unwrap_or_else(|| panic!("{case}/expect.json: no queries list"))
        .iter()
        .map(|query| Query {
            sql: query["sql"].as_str().unwrap_or_default().to_owned(),
            rows: query["rows"]
                .as_array()
                .unwrap_or_else(|| panic!("{case}/expect.json: a query without rows"))
                .iter()
                .map(|row| {
                    row.as_array()
                        .unwrap_or_else(|| panic!("{case}/expect.json: a row is not a list"))
                        .iter()
                        .map(|value| match value {
                            Json::Null => None,
                            Json::String(text) => Some(text.clone()),
                            other => Some(other.to_string()),
                        })
                        .collect()
                })
                .collect(),
        })
        .collect();
    let dead_letters = json["dead_letters"]["offsets"]
        .as_array()
        .map(|offsets| offsets.iter().filter_map(Json::as_i64).collect())
        .unwrap_or_default();
    Outcome {
        queries,
        dead_letters,
    }
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    text.as_bytes()
        .chunks(2)
        .map(|pair| {
            let pair = std::str::from_utf8(pair).ok().filter(|p| p.len() == 2)?;
            u8::from_str_radix(pair, 16).ok()
        })
        .collect()
}

/// A connection to the test database, with the settings the expected text was made under.
async fn session(stream: &Stream) -> Client {
    let client = stream.db.connect().await;
    client
        .batch_execute(
            "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, MDY'; SET IntervalStyle = 'postgres'; \
             SET extra_float_digits = 1; SET bytea_output = 'hex'",
        )
        .await
        .unwrap();
    client
}

/// The case's topic, its schemas registered, its records produced and its table.sql run; the
/// root schema's id, or the registry's reason for refusing a schema.
async fn prepare(
    stream: &Stream,
    registry: &RegistryClient,
    client: &Client,
    case: &Case,
) -> Result<u32, String> {
    create_topic(&kafka_config(stream.kafka()), &case.topic, 1).await;
    let id = register(registry, case).await?;
    let sends = case.bodies.iter().map(|body| {
        let mut framed = Vec::with_capacity(body.len() + 5);
        encode_frame(SchemaId(id), body, &mut framed);
        let (producer, topic) = (&stream.producer, &case.topic);
        async move { producer.send_raw(topic, Some(0), None, &framed).await }
    });
    let delivered = futures_util::future::join_all(sends).await;
    let offsets: Vec<i64> = delivered.iter().map(|(_, offset)| *offset).collect();
    assert!(
        offsets.iter().copied().eq(0..case.records()),
        "{}: the records were not stored in order at offsets 0..{}: {offsets:?}",
        case.name,
        case.records()
    );
    let table_sql = case.dir.join("table.sql");
    if table_sql.is_file() {
        // table.sql names its objects for a database of its own; here the cases share one, so
        // each case's sequence, function and event trigger carry its key.
        let sql = std::fs::read_to_string(&table_sql)
            .unwrap()
            .replace("{table}", &case.table)
            .replace("_case_", &format!("_{}_case_", case.key));
        client
            .batch_execute(&sql)
            .await
            .unwrap_or_else(|e| panic!("{}/table.sql: {e}", case.name));
    }
    Ok(id)
}

/// Registers the case's referenced schemas (dependencies first) and then `schema.avsc`, every
/// subject prefixed with the case's topic; the root's id. A schema the registry refuses as
/// invalid is `Err(reason)`; anything else going wrong fails the test.
async fn register(registry: &RegistryClient, case: &Case) -> Result<u32, String> {
    let prefixed = |subject: &str| format!("{}_{subject}", case.topic);
    let mut versions: HashMap<String, u32> = HashMap::new();
    let references = |list: &Json, versions: &HashMap<String, u32>| -> Vec<SchemaReference> {
        list.as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|r| {
                let subject = prefixed(r["subject"].as_str().unwrap_or_default());
                SchemaReference {
                    name: r["name"].as_str().unwrap_or_default().to_owned(),
                    version: *versions
                        .get(&subject)
                        .unwrap_or_else(|| panic!("{}: {subject} is not registered", case.name)),
                    subject,
                }
            })
            .collect()
    };
    let listed = case.dir.join("references.json");
    let listed = listed.is_file().then(|| read_json(&listed));
    for dependency in listed
        .as_ref()
        .and_then(|l| l["subjects"].as_array())
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let name = prefixed(dependency["subject"].as_str().unwrap_or_default());
        let file = dependency["file"].as_str().unwrap_or_default();
        let schema = std::fs::read_to_string(case.dir.join(file))
            .unwrap_or_else(|e| panic!("{}/{file}: {e}", case.name));
        let refs = references(&dependency["references"], &versions);
        register_one(registry, &case.name, &name, &schema, &refs)
            .await
            .map_err(|reason| format!("{file}: {reason}"))?;
        let version = registry
            .subject_version(&name, "latest")
            .await
            .unwrap_or_else(|e| panic!("{}: reading back {name}: {e}", case.name))
            .version
            .unwrap_or(1);
        versions.insert(name, version);
    }
    let root_references = listed
        .as_ref()
        .map(|l| references(&l["root_references"], &versions))
        .unwrap_or_default();
    let schema = std::fs::read_to_string(case.dir.join("schema.avsc")).unwrap();
    register_one(
        registry,
        &case.name,
        &format!("{}-value", case.topic),
        &schema,
        &root_references,
    )
    .await
    .map_err(|reason| format!("schema.avsc: {reason}"))
}

async fn register_one(
    registry: &RegistryClient,
    case: &str,
    subject: &str,
    schema: &str,
    references: &[SchemaReference],
) -> Result<u32, String> {
    match registry.register(subject, schema, references).await {
        Ok(id) => Ok(id),
        Err(inlet_registry::Error::Api {
            status,
            code: Some(code @ 42201),
            message,
            ..
        }) => Err(format!("{message} (HTTP {status}, error code {code})")),
        Err(e) => panic!("{case}: registering {subject}: {e}"),
    }
}

/// Runs every case through `inlet run`, [`CASES_PER_RUN`] connectors per process. A case whose
/// connector stops its process (inlet's error names it) is taken out and the rest run again;
/// when the error names none, each runs alone. Returns why each case that could not be stored
/// was not, and problems that belong to no case.
async fn run_all(
    stream: &Stream,
    registry_url: &str,
    client: &Client,
    cases: &[Case],
) -> (HashMap<String, String>, Vec<String>) {
    let mut queue: VecDeque<Vec<&Case>> = cases
        .chunks(CASES_PER_RUN)
        .map(|chunk| chunk.iter().collect())
        .collect();
    let mut stopped = HashMap::new();
    let mut problems = Vec::new();
    let mut runs = 0;
    while let Some(group) = queue.pop_front() {
        runs += 1;
        let log = format!("run-{runs}.log");
        let run = run_inlet(stream, registry_url, client, &group, &log).await;
        eprintln!(
            "conformance: inlet run {runs}: {} cases, {}, {:.1} s",
            group.len(),
            match run.end {
                End::Stored => "every record stored".to_owned(),
                End::Exited => format!("exited by itself ({})", run.status),
                End::TimedOut => format!("not done after {} s", RUN_LIMIT.as_secs()),
            },
            run.seconds
        );
        let culprit = run.error.as_deref().and_then(|error| {
            group
                .iter()
                .find(|c| error.starts_with(&format!("error: connector {}:", c.name)))
        });
        if let (Some(case), Some(error)) = (culprit, &run.error) {
            let stored = run.stored.get(&case.name).copied().unwrap_or(0);
            let why = format!(
                "inlet stopped on it ({stored} of {} records stored): {error}",
                case.records()
            );
            stopped.insert(case.name.clone(), why);
        }
        let rest: Vec<&Case> = group
            .iter()
            .copied()
            .filter(|c| !c.stored(&run.stored) && !stopped.contains_key(&c.name))
            .collect();
        if rest.is_empty() {
            if !run.status.success() && culprit.is_none() {
                problems.push(format!(
                    "inlet run {runs} exited {} after SIGTERM: {}",
                    run.status,
                    run.error.as_deref().unwrap_or("(no error line)")
                ));
            }
            continue;
        }
        let not_stored = |case: &Case| {
            format!(
                "{} of {} records stored",
                run.stored.get(&case.name).copied().unwrap_or(0),
                case.records()
            )
        };
        match run.end {
            End::TimedOut => {
                for case in rest {
                    let why = format!(
                        "{} after {} s, inlet still running (log {})",
                        not_stored(case),
                        RUN_LIMIT.as_secs(),
                        stream.log_path(&log).display()
                    );
                    stopped.insert(case.name.clone(), why);
                }
            }
            _ if culprit.is_some() => queue.push_front(rest),
            _ if rest.len() > 1 => {
                for case in rest.into_iter().rev() {
                    queue.push_front(vec![case]);
                }
            }
            _ => {
                let why = format!(
                    "inlet exited {} ({}): {}",
                    run.status,
                    not_stored(rest[0]),
                    run.error.as_deref().unwrap_or("(no error line)")
                );
                stopped.insert(rest[0].name.clone(), why);
            }
        }
    }
    (stopped, problems)
}

/// How an `inlet run` ended.
enum End {
    /// Every case's records were stored (then it was stopped with SIGTERM).
    Stored,
    /// It exited before.
    Exited,
    /// Not everything was stored within [`RUN_LIMIT`] (then it was stopped with SIGTERM).
    TimedOut,
}

struct Run {
    end: End,
    status: ExitStatus,
    /// inlet's `error: ...` line, if it printed one.
    error: Option<String>,
    /// next_offset by connector.
    stored: HashMap<String, i64>,
    seconds: f64,
}

/// One `inlet run` with one connector per case, until their records are stored, it exits,
/// or [`RUN_LIMIT`].
async fn run_inlet(
    stream: &Stream,
    registry_url: &str,
    client: &Client,
    cases: &[&Case],
    log: &str,
) -> Run {
    let config = stream.log_path(&format!("{log}.toml"));
    std::fs::write(&config, config_text(stream, registry_url, cases)).unwrap();
    let mut inlet = stream.start(&config, log);
    let started = Instant::now();
    let end = loop {
        let stored = stored_offsets(client).await;
        if cases.iter().all(|case| case.stored(&stored)) {
            break End::Stored;
        }
        if inlet.try_wait().unwrap().is_some() {
            break End::Exited;
        }
        if started.elapsed() > RUN_LIMIT {
            break End::TimedOut;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let status = match inlet.try_wait().unwrap() {
        Some(status) => status,
        None => terminate(&mut inlet),
    };
    let error = stream
        .log(log)
        .lines()
        .rev()
        .find(|line| line.starts_with("error: "))
        .map(str::to_owned);
    Run {
        end,
        status,
        error,
        stored: stored_offsets(client).await,
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// One connector per case (its topic into its table, the proposal's mapping), in one file.
fn config_text(stream: &Stream, registry_url: &str, cases: &[&Case]) -> String {
    let connectors: Vec<_> = cases
        .iter()
        .map(|case| {
            stream
                .connector(&case.name)
                .set("topics", case.topic.as_str())
                .set("table", case.table.as_str())
                .set("registry.url", registry_url)
                .set("mapping", "auto")
        })
        .collect();
    run_file(&[("url", stream.db.url())], &connectors)
}

/// `inlet.offsets`' next offsets by connector (none before inlet made the table).
async fn stored_offsets(client: &Client) -> HashMap<String, i64> {
    client
        .query("SELECT connector, next_offset FROM inlet.offsets", &[])
        .await
        .map(|rows| rows.iter().map(|row| (row.get(0), row.get(1))).collect())
        .unwrap_or_default()
}

/// The topic's dead letters: offset and reason.
async fn dead_letters(client: &Client, topic: &str) -> Vec<(i64, String)> {
    client
        .query(
            r#"SELECT "offset", error FROM inlet.dead_letters WHERE topic = $1 ORDER BY 1"#,
            &[&topic],
        )
        .await
        .map(|rows| rows.iter().map(|row| (row.get(0), row.get(1))).collect())
        .unwrap_or_default()
}

/// How the table and the dead letters differ from `expected`: one line per query, except that
/// the queries whose only difference is the rows of the dead-lettered records (one row per
/// record, in record order) share one line.
async fn check(
    client: &Client,
    case: &Case,
    expected: &Outcome,
    dead: &[(i64, String)],
) -> Vec<String> {
    let mut differences = Vec::new();
    let mut lacking_dead_letters = Vec::new();
    for query in &expected.queries {
        let sql = query.sql.replace("{table}", &case.table);
        let got = match rows(client, &sql).await {
            Ok(rows) => rows,
            Err(e) => {
                differences.push(format!("{}: {}", shorten(&query.sql, 90), shorten(&e, 200)));
                continue;
            }
        };
        let Some(difference) = row_difference(&query.rows, &got) else {
            continue;
        };
        // Row i is record i: the rows expected of the records that were stored.
        let of_stored: Vec<Row> = (0..query.rows.len())
            .filter(|&i| !dead.iter().any(|(offset, _)| *offset == i as i64))
            .map(|i| query.rows[i].clone())
            .collect();
        if !dead.is_empty() && row_difference(&of_stored, &got).is_none() {
            lacking_dead_letters.push(shorten(&query.sql, 60));
        } else {
            differences.push(format!("{}: {difference}", shorten(&query.sql, 90)));
        }
    }
    if let Some(first) = lacking_dead_letters.first() {
        differences.push(format!(
            "only the dead-lettered records' rows missing, in {} ({first}{})",
            match lacking_dead_letters.len() {
                1 => "1 query".to_owned(),
                n => format!("{n} queries"),
            },
            if lacking_dead_letters.len() > 1 {
                ", …"
            } else {
                ""
            }
        ));
    }
    let offsets: Vec<i64> = dead.iter().map(|(offset, _)| *offset).collect();
    if offsets != expected.dead_letters {
        differences.push(dead_letter_line(dead, &expected.dead_letters));
    }
    differences
}

async fn rows(client: &Client, sql: &str) -> Result<Vec<Row>, String> {
    let messages = client.simple_query(sql).await.map_err(|e| {
        e.as_db_error()
            .map_or_else(|| e.to_string(), |db| db.message().to_owned())
    })?;
    Ok(messages
        .iter()
        .filter_map(|message| match message {
            SimpleQueryMessage::Row(row) => Some(
                (0..row.len())
                    .map(|i| row.get(i).map(str::to_owned))
                    .collect(),
            ),
            _ => None,
        })
        .collect())
}

/// An expected value the corpus does not judge (its case README names the column): any
/// value matches.
const NOT_JUDGED: &str = "?";

fn row_matches(expected: Option<&Row>, got: Option<&Row>) -> bool {
    match (expected, got) {
        (Some(expected), Some(got)) => {
            expected.len() == got.len()
                && expected
                    .iter()
                    .zip(got)
                    .all(|(e, g)| e.as_deref() == Some(NOT_JUDGED) || e == g)
        }
        (None, None) => true,
        _ => false,
    }
}

/// The first few differing rows, or None when every row matches.
fn row_difference(expected: &[Row], got: &[Row]) -> Option<String> {
    let length = expected.len().max(got.len());
    let differing: Vec<usize> = (0..length)
        .filter(|&i| !row_matches(expected.get(i), got.get(i)))
        .collect();
    if differing.is_empty() {
        return None;
    }
    if let ([one], [other]) = (expected, got) {
        return Some(format!(
            "expected {}, got {}",
            show_row(Some(one)),
            show_row(Some(other))
        ));
    }
    let mut text = if expected.len() == got.len() {
        format!("{} of {length} rows differ", differing.len())
    } else {
        format!("expected {} rows, got {}", expected.len(), got.len())
    };
    for &i in differing.iter().take(3) {
        let _ = write!(
            text,
            "; row {i}: expected {}, got {}",
            show_row(expected.get(i)),
            show_row(got.get(i))
        );
    }
    if differing.len() > 3 {
        text.push_str("; …");
    }
    Some(text)
}

fn show_row(row: Option<&Row>) -> String {
    let Some(row) = row else {
        return "(no row)".to_owned();
    };
    let values: Vec<String> = row
        .iter()
        .map(|value| match value {
            Some(text) => format!("{:?}", shorten(text, 60)),
            None => "NULL".to_owned(),
        })
        .collect();
    values.join(", ")
}

/// The dead letters' offsets and their reasons, each reason once.
fn dead_letter_line(dead: &[(i64, String)], expected: &[i64]) -> String {
    let offsets: Vec<i64> = dead.iter().map(|(offset, _)| *offset).collect();
    let mut text = format!("dead letters at offsets {offsets:?}, expected {expected:?}");
    let mut reasons: Vec<(&str, Vec<i64>)> = Vec::new();
    for (offset, reason) in dead {
        match reasons.iter_mut().find(|(r, _)| r == reason) {
            Some((_, at)) => at.push(*offset),
            None => reasons.push((reason, vec![*offset])),
        }
    }
    for (reason, at) in reasons.iter().take(4) {
        let _ = write!(text, "; {at:?}: {}", shorten(reason, 200));
    }
    if reasons.len() > 4 {
        text.push_str("; …");
    }
    text
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(max).collect();
    short.push('…');
    short
}
