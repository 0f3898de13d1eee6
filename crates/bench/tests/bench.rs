//! `inlet-bench` with a tiny topic: every measurement runs against the real services and
//! checks what it stored (rows and dead letters counted), and the results file holds every
//! figure, ratio and target. Times are printed, never asserted. Needs `scripts/services up`.

use std::process::Command;

use inlet_testkit::{endpoints, unique};

#[tokio::test(flavor = "multi_thread")]
async fn the_benchmark_measures_everything_and_stores_exactly_what_it_should() {
    let (results, stdout) = bench(
        "bench",
        &["--count", "3000", "--partitions", "2", "--reps", "1"],
    )
    .await;
    for name in [
        "a_copy_limit",
        "a_copy_over_the_wire",
        "b_bare_consume",
        "c_inlet_end_to_end",
        "d_inlet_write_path",
        "e_inlet_upsert",
        "e_inlet_dead_letters",
        "d_inlet_write_path_upsert",
        "d_inlet_write_path_dead_letters",
    ] {
        let m = &results["measurements"][name];
        let runs = m["runs"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: {m}"));
        assert_eq!(runs.len(), 1, "{name}: {m}");
        assert!(m["median"].as_f64().unwrap() > 0.0, "{name}: {m}");
    }
    let rss = results["measurements"]["c_inlet_end_to_end"]["peak_rss_mb"]
        .as_u64()
        .expect("the peak RSS of inlet run");
    assert!(rss > 1, "a peak RSS of {rss} MB is not a measurement");
    for ratio in ["c/min(a,b)", "d/a", "e_upsert/c", "e_dead_letters/c"] {
        assert!(
            results["targets"][ratio]["value"].as_f64().is_some(),
            "{ratio}: {}",
            results["targets"]
        );
    }
    assert_eq!(results["machine"]["cores"].as_u64(), Some(num_cores()));
    assert!(stdout.contains("c/min(a,b)"), "{stdout}");
}

/// `--only scale` with a handful of records per scenario: every scenario (1, 10 and 100
/// connectors in one `inlet run`, 1 to 256 partitions, records up to 1 MiB) stores exactly
/// its records (the benchmark counts the rows of every table) and is watched idle.
#[tokio::test(flavor = "multi_thread")]
async fn the_scale_scenarios_store_every_record_and_report_each_worker() {
    let (results, stdout) = bench(
        "bench_scale",
        &[
            "--count",
            "500",
            "--partitions",
            "1",
            "--reps",
            "1",
            "--only",
            "scale",
            "--scale-count",
            "300",
            "--scale-idle-seconds",
            "1",
        ],
    )
    .await;
    let scenarios = results["scale"]["scenarios"]
        .as_array()
        .unwrap_or_else(|| panic!("no scale scenarios: {results}"));
    let shapes: Vec<(u64, u64, u64)> = scenarios
        .iter()
        .map(|s| {
            assert!(s["rows_per_s"].as_f64().unwrap() > 0.0, "{s}");
            assert!(s["idle_rss_mb"].as_u64().unwrap() > 1, "{s}");
            assert!(s["threads"].as_u64().unwrap() > 1, "{s}");
            (
                s["connectors"].as_u64().unwrap(),
                s["partitions_per_topic"].as_u64().unwrap(),
                s["record_bytes"].as_u64().unwrap(),
            )
        })
        .collect();
    for shape in [(100, 1, 75), (1, 256, 75), (1, 4, 1_048_395)] {
        assert!(shapes.contains(&shape), "{shape:?} not in {shapes:?}");
    }
    assert!(
        results["scale"]["ratios"]["ten_busy_vs_one"]
            .as_f64()
            .is_some(),
        "{results}"
    );
    assert!(stdout.contains("100 idle connectors"), "{stdout}");
}

/// Runs `inlet-bench` with `args` against the local services, in a database of its own
/// (named after `name`, dropped after); its results file and its output.
async fn bench(name: &str, args: &[&str]) -> (serde_json::Value, String) {
    let env = endpoints();
    let kafka = env.require_kafka().to_owned();
    let registry = env.require_registry().await.to_owned();
    let database = unique(name);
    let url = format!(
        "{}/{database}",
        env.database_url
            .rsplit_once('/')
            .map_or(env.database_url.as_str(), |(server, _)| server)
    );
    let out = std::env::temp_dir().join(unique("inlet-bench-results"));
    // The inlet binary the workspace built beside this one.
    let bench = std::path::Path::new(env!("CARGO_BIN_EXE_inlet-bench"));
    let output = Command::new(bench)
        .arg("--inlet")
        .arg(bench.with_file_name("inlet"))
        .args(args)
        .args(["--database-url", &url, "--bootstrap", &kafka])
        .args(["--registry", &registry])
        .arg("--out")
        .arg(&out)
        .output()
        .expect("running inlet bench");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "inlet bench {args:?} failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    let files: Vec<_> = std::fs::read_dir(&out).unwrap().flatten().collect();
    assert_eq!(files.len(), 1, "one results file in {}", out.display());
    let results = serde_json::from_slice(&std::fs::read(files[0].path()).unwrap()).unwrap();
    let _ = std::fs::remove_dir_all(&out);
    drop_database(&env.database_url, &database).await;
    (results, stdout)
}

fn num_cores() -> u64 {
    std::thread::available_parallelism().map_or(0, |n| n.get() as u64)
}

async fn drop_database(admin_url: &str, database: &str) {
    let (client, connection) = tokio_postgres::connect(admin_url, tokio_postgres::NoTls)
        .await
        .expect("connecting to drop the benchmark's database");
    tokio::spawn(connection);
    client
        .batch_execute(&format!(
            "DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"
        ))
        .await
        .expect("dropping the benchmark's database");
}
