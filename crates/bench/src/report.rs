//! The results: min / median / max of each measurement, the ratios and the targets, with
//! the commit, the date and the machine; printed and written as JSON.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde_json::{Value, json};

use super::BenchArgs;
use super::measure::{Database, Kind, Measurement};
use super::scale;

/// min, median, max of rates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub min: f64,
    pub median: f64,
    pub max: f64,
}

impl Spread {
    pub fn of(values: &[f64]) -> Option<Self> {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        if sorted.is_empty() {
            return None;
        }
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        Some(Spread {
            min: sorted[0],
            median,
            max: sorted[n - 1],
        })
    }
}

/// A ratio of medians, and its target when it has one.
struct Ratio {
    name: &'static str,
    what: &'static str,
    value: f64,
    /// The least value that meets the target.
    target: Option<f64>,
}

/// What a run found.
pub struct Report {
    json: Value,
    lines: Vec<String>,
}

impl Report {
    pub async fn new(
        args: &BenchArgs,
        database: &Database,
        produced_per_s: f64,
        results: &[Measurement],
    ) -> anyhow::Result<Self> {
        let median = |kind: Kind| {
            results
                .iter()
                .find(|m| m.kind == kind)
                .and_then(|m| Spread::of(&m.runs.iter().map(|r| r.rate()).collect::<Vec<_>>()))
                .map_or(f64::NAN, |s| s.median)
        };
        let (a, b, c, d) = (
            median(Kind::CopyLimit),
            median(Kind::BareConsume),
            median(Kind::EndToEnd),
            median(Kind::ReplayAppend),
        );
        let ratios = [
            Ratio {
                name: "c/min(a,b)",
                what: "end to end vs the lower of the COPY limit and the broker",
                value: c / a.min(b),
                target: Some(0.85),
            },
            Ratio {
                name: "c_json/c",
                what: "the readings as JSON documents vs as Avro, end to end",
                value: median(Kind::EndToEndJson) / c,
                target: Some(0.80),
            },
            Ratio {
                name: "c_protobuf/c",
                what: "the readings as Confluent-framed Protobuf vs as Avro, end to end",
                value: median(Kind::EndToEndProtobuf) / c,
                target: Some(0.80),
            },
            Ratio {
                name: "c/a",
                what: "end to end vs the COPY limit",
                value: c / a,
                target: None,
            },
            Ratio {
                name: "c/b",
                what: "end to end vs the bare consumer",
                value: c / b,
                target: None,
            },
            Ratio {
                name: "d/a",
                what: "write path vs the COPY limit",
                value: d / a,
                target: Some(0.90),
            },
            Ratio {
                name: "d/a_wire",
                what: "write path vs the same file copied over the wire",
                value: d / median(Kind::CopyWire),
                target: None,
            },
            Ratio {
                name: "a_wire/a",
                what: "COPY over the wire vs the server-side file",
                value: median(Kind::CopyWire) / a,
                target: None,
            },
            Ratio {
                name: "e_upsert/c",
                what: "upsert vs append, end to end",
                value: median(Kind::EndToEndUpsert) / c,
                target: Some(0.50),
            },
            Ratio {
                name: "e_dead_letters/c",
                what: "10% dead letters vs none, end to end (records/s)",
                value: median(Kind::EndToEndPoison) / c,
                target: Some(0.80),
            },
            Ratio {
                name: "d_upsert/d",
                what: "upsert of new keys vs append, write path",
                value: median(Kind::ReplayUpsert) / d,
                target: Some(0.90),
            },
            Ratio {
                name: "d_upsert_half/d",
                what: "upsert with half the keys stored vs append, write path",
                value: median(Kind::ReplayUpsertHalf) / d,
                target: Some(0.50),
            },
            Ratio {
                name: "d_dead_letters/d",
                what: "10% dead letters vs none, write path (records/s)",
                value: median(Kind::ReplayPoison) / d,
                target: None,
            },
        ];
        let peak_rss = results
            .iter()
            .flat_map(|m| m.runs.iter().filter_map(|r| r.rss_bytes))
            .max();
        let machine = machine(database).await;
        let (commit, dirty) = commit();
        let date: String = database
            .client()
            .query_one(include_str!("sql/now.sql"), &[])
            .await?
            .get(0);

        let mut lines = vec![
            format!(
                "inlet bench — {} readings, {} partitions, {} rounds; commit {commit}{}; {date}",
                args.count,
                args.partitions,
                args.reps,
                if dirty { " (uncommitted changes)" } else { "" }
            ),
            format!(
                "machine: {} cores, {:.1} GiB, {}; {}",
                machine["cores"],
                machine["memory_gib"].as_f64().unwrap_or(0.0),
                machine["cpu"].as_str().unwrap_or("?"),
                machine["postgres"].as_str().unwrap_or("?"),
            ),
            String::new(),
            format!(
                "{:<36} {:>12} {:>12} {:>12}",
                "measurement (per second)", "min", "median", "max"
            ),
        ];
        let mut measurements = serde_json::Map::new();
        for m in results {
            let rates: Vec<f64> = m.runs.iter().map(|r| r.rate()).collect();
            let Some(s) = Spread::of(&rates) else {
                continue;
            };
            // inlet's CPU per record: its cores busy × the run's seconds ÷ the records.
            let per_record: Vec<f64> = m
                .runs
                .iter()
                .filter(|_| m.kind.process() == "inlet")
                .filter_map(|r| {
                    r.cpu
                        .map(|c| c.inlet * r.seconds / (r.count.max(1) as f64) * 1e6)
                })
                .collect();
            let cpu_median = Spread::of(&per_record).map(|p| p.median);
            lines.push(format!(
                "{:<36} {:>12.0} {:>12.0} {:>12.0}  {}{}",
                m.kind.title(),
                s.min,
                s.median,
                s.max,
                m.kind.unit(),
                cpu_median
                    .map(|us| format!("; inlet {us:.2} µs of CPU per record"))
                    .unwrap_or_default()
            ));
            let rss: Vec<u64> = m.runs.iter().filter_map(|r| r.rss_bytes).collect();
            let startup: Vec<f64> = m.runs.iter().filter_map(|r| r.startup_seconds).collect();
            measurements.insert(
                m.kind.name().to_owned(),
                json!({
                    "title": m.kind.title(),
                    "unit": format!("{}/s", m.kind.unit()),
                    "runs": rates.iter().map(|r| r.round()).collect::<Vec<_>>(),
                    "seconds": m.runs.iter().map(|r| r.seconds).collect::<Vec<_>>(),
                    "min": s.min.round(),
                    "median": s.median.round(),
                    "max": s.max.round(),
                    "peak_rss_mb": rss.iter().max().map(|b| b >> 20),
                    "cores_busy": m.runs.iter().map(|r| r.cpu.map(|c| json!({
                        "postgres": round3(c.postgres),
                        "broker": round3(c.broker),
                        "process": round3(c.inlet),
                    }))).collect::<Vec<_>>(),
                    "startup_seconds": startup,
                    "inlet_cpu_us_per_record": per_record.iter().map(|us| round3(*us)).collect::<Vec<_>>(),
                    "median_inlet_cpu_us_per_record": cpu_median.map(round3),
                }),
            );
        }
        lines.push(String::new());
        let mut targets = serde_json::Map::new();
        let mut ratio_json = serde_json::Map::new();
        for r in &ratios {
            if !r.value.is_finite() {
                lines.push(format!(
                    "{:<18} {:>6}  {} (not measured)",
                    r.name, "n/a", r.what
                ));
                ratio_json.insert(r.name.to_owned(), Value::Null);
                continue;
            }
            let verdict = r.target.map(|t| (t, r.value >= t));
            lines.push(format!(
                "{:<18} {:>6.3}  {}{}",
                r.name,
                r.value,
                r.what,
                verdict
                    .map(|(t, ok)| format!(" — target ≥ {t:.2}: {}", met(ok)))
                    .unwrap_or_default()
            ));
            ratio_json.insert(r.name.to_owned(), json!(round3(r.value)));
            if let Some((t, met)) = verdict {
                targets.insert(
                    r.name.to_owned(),
                    json!({"at_least": t, "value": round3(r.value), "met": met}),
                );
            }
        }
        let rss_mb = peak_rss.map(|b| b >> 20);
        let rss_met = rss_mb.map(|mb| mb <= 200);
        lines.push(format!(
            "{:<18} {:>6}  peak RSS of inlet run, MB, any run — target ≤ 200: {}",
            "peak_rss_mb",
            rss_mb.map_or("?".into(), |mb| mb.to_string()),
            match rss_met {
                Some(true) => "met",
                Some(false) => "NOT met",
                None => "not measured",
            }
        ));
        targets.insert(
            "peak_rss_mb".into(),
            json!({"at_most": 200, "value": rss_mb, "met": rss_met}),
        );
        lines.push(format!(
            "(the topic was produced at {produced_per_s:.0} records/s by inlet generate)"
        ));
        let json = json!({
            "commit": commit,
            "uncommitted_changes": dirty,
            "date": date,
            "machine": machine,
            "parameters": {
                "count": args.count,
                "partitions": args.partitions,
                "rounds": args.reps,
                "poison_every": args.poison_every,
                "table": "readings (the proposal for inlet.bench.Reading) with an index on ts; upsert: readings_upsert, primary key (ts, device_id) and no other index",
            },
            "measurements": measurements,
            "ratios_of_medians": ratio_json,
            "targets": targets,
            "produced_records_per_s": produced_per_s.round(),
        });
        Ok(Report { json, lines })
    }

    /// Adds the instructions per record of each replay (callgrind: the same whatever the
    /// machine's load) to the figures and the results.
    pub fn with_instructions(&mut self, counted: &[(Kind, u64, f64)]) {
        if counted.is_empty() {
            return;
        }
        self.lines.push(String::new());
        let mut json = serde_json::Map::new();
        for (kind, records, per_record) in counted {
            self.lines.push(format!(
                "{:<36} {:>12.0} instructions per record (callgrind, inlet only, {records} records)",
                kind.title(),
                per_record
            ));
            json.insert(kind.name().to_owned(), json!(per_record.round()));
        }
        self.json["instructions_per_record"] = Value::Object(json);
    }

    /// Adds the scale scenarios: each one's figures, and how 10 busy connectors add up
    /// against one, and what 100 idle ones cost, against the targets.
    pub fn with_scale(&mut self, scaled: &[scale::Measured]) {
        if scaled.is_empty() {
            return;
        }
        self.lines.push(String::new());
        for m in scaled {
            self.lines.push(m.line());
        }
        let find = |connectors: usize, partitions: i32| {
            scaled.iter().find(|m| {
                m.scenario.connectors == connectors && m.scenario.partitions == partitions
            })
        };
        let mut ratios = serde_json::Map::new();
        if let (Some(one), Some(ten)) = (find(1, 1), find(10, 1)) {
            let ratio = ten.rate() / one.rate().max(1e-9);
            self.lines.push(format!(
                "10 busy connectors / 1   {ratio:.3}  the same total data — target ≥ 0.90: {}",
                met(ratio >= 0.90)
            ));
            ratios.insert(
                "ten_busy_vs_one".into(),
                json!((ratio * 1000.0).round() / 1000.0),
            );
        }
        if let Some(hundred) = find(100, 1) {
            let (mb, cores) = (hundred.idle_rss >> 20, hundred.idle_cores);
            self.lines.push(format!(
                "100 idle connectors      {mb} MB, {cores:.3} cores — targets ≤ 300 MB: {}; ≤ 0.02 cores: {}",
                met(mb <= 300),
                met(cores <= 0.02)
            ));
        }
        self.json["scale"] = json!({
            "scenarios": scaled.iter().map(scale::Measured::json).collect::<Vec<_>>(),
            "ratios": ratios,
        });
    }

    pub fn print(&self) {
        println!();
        for line in &self.lines {
            println!("{line}");
        }
    }

    /// Writes `<dir>/<date>-<commit>.json`; returns its path.
    pub fn write(&self, dir: &Path) -> anyhow::Result<PathBuf> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let date = self.json["date"].as_str().unwrap_or("undated");
        let commit = self.json["commit"].as_str().unwrap_or("unknown");
        let short = &commit[..commit.len().min(12)];
        let path = dir.join(format!("{}-{short}.json", &date[..date.len().min(10)]));
        let text = serde_json::to_string_pretty(&self.json)? + "\n";
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// The commit of the working tree, and whether it has changes besides bench/results.
fn commit() -> (String, bool) {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let commit = git(&["rev-parse", "HEAD"]).unwrap_or_else(|| "unknown".into());
    let dirty = git(&["status", "--porcelain", "--untracked-files=no"])
        .is_some_and(|s| s.lines().any(|l| !l.contains("bench/results/")));
    (commit, dirty)
}

/// Cores, memory, CPU model, kernel and PostgreSQL version.
async fn machine(database: &Database) -> Value {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory_kb: f64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .unwrap_or_default()
        .trim()
        .to_owned();
    let postgres: String = match database
        .client()
        .query_one(include_str!("sql/server_version.sql"), &[])
        .await
    {
        Ok(row) => row.get(0),
        Err(_) => "unknown".into(),
    };
    json!({
        "cores": cores,
        "memory_gib": round3(memory_kb / (1024.0 * 1024.0)),
        "cpu": cpu,
        "kernel": kernel,
        "postgres": postgres,
    })
}

/// A target's verdict, as the figures print it.
fn met(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}

#[cfg(test)]
mod tests {
    use super::Spread;

    #[test]
    fn spread_of_odd_and_even_counts() {
        assert_eq!(
            Spread::of(&[3.0, 1.0, 2.0]),
            Some(Spread {
                min: 1.0,
                median: 2.0,
                max: 3.0
            })
        );
        assert_eq!(Spread::of(&[4.0, 1.0]).map(|s| s.median), Some(2.5));
        assert_eq!(Spread::of(&[]), None);
    }
}
