//! Apache Kafka clusters of a test's own: one or more KRaft nodes (broker and controller in one
//! JVM each), PLAINTEXT only, on free loopback ports, from the jars `scripts/services up`
//! fetched. For what the shared broker cannot be put through: being killed and restarted, a
//! partition leader lost in a 3-node cluster, a retention run.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::endpoints::inlet_home;
use crate::names::unique;

/// The Kafka version `scripts/services` installs (`INLET_KAFKA_VERSION` overrides it).
pub const KAFKA_VERSION: &str = "4.4.0";

/// The directory of the broker's jars: `$INLET_KAFKA_LIBS`, else
/// `$INLET_HOME/kafka-<version>/libs`. Panics, naming the command that fetches them, when
/// they are missing.
pub fn kafka_libs() -> PathBuf {
    let dir = std::env::var_os("INLET_KAFKA_LIBS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let version =
                std::env::var("INLET_KAFKA_VERSION").unwrap_or_else(|_| KAFKA_VERSION.into());
            inlet_home().join(format!("kafka-{version}/libs"))
        });
    if !dir.join(".complete").exists() {
        panic!(
            "Apache Kafka's jars are missing from {} (env INLET_KAFKA_LIBS overrides it): fetch them with `scripts/services up`",
            dir.display()
        );
    }
    dir
}

/// One node of a [`KafkaCluster`].
struct Node {
    id: u32,
    port: u16,
    config: PathBuf,
    log: PathBuf,
    child: Option<Child>,
}

/// A Kafka cluster of `n` combined nodes on free ports, its logs and data under a temporary
/// directory. Dropping it kills every node and removes the directory.
pub struct KafkaCluster {
    dir: PathBuf,
    nodes: Vec<Node>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("no free loopback port: {e}"))
}

fn java(log: &Path) -> Command {
    let log4j = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/kafka/log4j2.properties");
    let mut command = Command::new("java");
    command
        .args(["-Xms64m", "-Xmx384m", "-XX:+UseSerialGC"])
        .arg(format!("-Dlog4j2.configurationFile={}", log4j.display()))
        .arg("-cp")
        .arg(format!("{}/*", kafka_libs().display()))
        .stdin(Stdio::null());
    let out = std::fs::File::create(log)
        .unwrap_or_else(|e| panic!("creating the broker log {}: {e}", log.display()));
    let err = out
        .try_clone()
        .unwrap_or_else(|e| panic!("the broker log {}: {e}", log.display()));
    command.stdout(out).stderr(err);
    command
}

impl KafkaCluster {
    /// Starts `n` nodes (1 or 3 in practice) and waits until each one logs that it started
    /// (after it has joined the controller quorum). Topics get `min(n, 3)` replicas by default, and
    /// `min.insync.replicas` is 2 when there are 3 nodes or more.
    pub fn start(n: u32) -> Self {
        // A free port found here may be taken by another test before Kafka binds it: such a
        // start is tried again on other ports.
        for attempt in 1..=3 {
            match Self::try_start(n) {
                Ok(cluster) => return cluster,
                Err(log) if attempt < 3 && log.contains("Address already in use") => continue,
                Err(log) => panic!("a Kafka node exited while starting: {log}"),
            }
        }
        unreachable!("the last attempt returns or panics")
    }

    fn try_start(n: u32) -> Result<Self, String> {
        let dir = std::env::temp_dir().join(unique("kafka_cluster"));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
        let ports: Vec<(u16, u16)> = (0..n).map(|_| (free_port(), free_port())).collect();
        let voters = ports
            .iter()
            .enumerate()
            .map(|(i, (_, controller))| format!("{}@127.0.0.1:{controller}", i + 1))
            .collect::<Vec<_>>()
            .join(",");
        let replicas = n.min(3);
        let min_isr = if n >= 3 { 2 } else { 1 };
        let cluster_id = "aW5sZXQtdGVzdC1jbHVzdGVyMQ"; // 16 bytes, base64url, as Kafka's ids are
        let mut nodes = Vec::new();
        for (i, (port, controller)) in ports.iter().enumerate() {
            let id = i as u32 + 1;
            let data = dir.join(format!("node-{id}"));
            let mut text = String::new();
            let _ = write!(
                text,
                "process.roles=broker,controller\n\
                 node.id={id}\n\
                 controller.quorum.voters={voters}\n\
                 listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}\n\
                 advertised.listeners=PLAINTEXT://127.0.0.1:{port}\n\
                 listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT\n\
                 controller.listener.names=CONTROLLER\n\
                 inter.broker.listener.name=PLAINTEXT\n\
                 log.dirs={data}\n\
                 num.partitions=1\n\
                 default.replication.factor={replicas}\n\
                 min.insync.replicas={min_isr}\n\
                 offsets.topic.replication.factor={replicas}\n\
                 offsets.topic.num.partitions=4\n\
                 transaction.state.log.replication.factor={replicas}\n\
                 transaction.state.log.min.isr={min_isr}\n\
                 transaction.state.log.num.partitions=4\n\
                 share.coordinator.state.topic.replication.factor={replicas}\n\
                 share.coordinator.state.topic.min.isr={min_isr}\n\
                 group.initial.rebalance.delay.ms=0\n\
                 group.classic.min.session.timeout.ms=1000\n\
                 log.retention.check.interval.ms=1000\n\
                 log.cleaner.backoff.ms=1000\n\
                 log.segment.delete.delay.ms=0\n",
                data = data.display(),
            );
            let config = dir.join(format!("node-{id}.properties"));
            std::fs::write(&config, text)
                .unwrap_or_else(|e| panic!("writing {}: {e}", config.display()));
            let log = dir.join(format!("node-{id}.log"));
            let status = java(&dir.join(format!("node-{id}-format.log")))
                .args(["kafka.tools.StorageTool", "format", "--config"])
                .arg(&config)
                .args(["--cluster-id", cluster_id, "--ignore-formatted"])
                .status()
                .unwrap_or_else(|e| panic!("running java (Java 17 is needed): {e}"));
            assert!(
                status.success(),
                "formatting node {id}'s log directory failed: see {}",
                dir.join(format!("node-{id}-format.log")).display()
            );
            nodes.push(Node {
                id,
                port: *port,
                config,
                log,
                child: None,
            });
        }
        let mut cluster = Self { dir, nodes };
        for i in 0..cluster.nodes.len() {
            cluster.spawn(i);
        }
        for i in 0..cluster.nodes.len() {
            cluster.wait_started(i)?;
        }
        Ok(cluster)
    }

    fn spawn(&mut self, index: usize) {
        let node = &mut self.nodes[index];
        // The log of the run before a restart is kept beside it (`*.before-restart.log`).
        let previous = std::fs::read_to_string(&node.log).unwrap_or_default();
        let child = java(&node.log)
            .arg("kafka.Kafka")
            .arg(&node.config)
            .spawn()
            .unwrap_or_else(|e| panic!("starting Kafka node {}: {e}", node.id));
        if !previous.is_empty() {
            let _ = std::fs::write(node.log.with_extension("before-restart.log"), previous);
        }
        node.child = Some(child);
    }

    /// Waits (up to 90 s) until node `index` logs that it started; its log if it exits.
    fn wait_started(&mut self, index: usize) -> Result<(), String> {
        let start = Instant::now();
        loop {
            let node = &mut self.nodes[index];
            let log = std::fs::read_to_string(&node.log).unwrap_or_default();
            if log.contains("Kafka Server started") {
                return Ok(());
            }
            if let Some(child) = node.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                return Err(format!("Kafka node {} exited ({status}): {log}", node.id));
            }
            assert!(
                start.elapsed() < Duration::from_secs(90),
                "Kafka node {} did not start within 90 s: {log}",
                node.id
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The bootstrap servers: every node's PLAINTEXT address.
    pub fn bootstrap(&self) -> String {
        self.nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The PLAINTEXT port of node `id` (1-based, as Kafka's node ids).
    pub fn port(&self, id: u32) -> u16 {
        self.node(id).port
    }

    fn node(&self, id: u32) -> &Node {
        self.nodes
            .iter()
            .find(|n| n.id == id)
            .unwrap_or_else(|| panic!("no Kafka node {id}"))
    }

    fn index(&self, id: u32) -> usize {
        self.nodes
            .iter()
            .position(|n| n.id == id)
            .unwrap_or_else(|| panic!("no Kafka node {id}"))
    }

    /// Kills node `id` (1-based) with SIGKILL, as a crash would.
    pub fn kill(&mut self, id: u32) {
        let index = self.index(id);
        if let Some(mut child) = self.nodes[index].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts node `id` again after [`kill`](Self::kill), on the same ports and data, and
    /// waits until it has started.
    pub fn restart(&mut self, id: u32) {
        let index = self.index(id);
        assert!(
            self.nodes[index].child.is_none(),
            "Kafka node {id} is running"
        );
        self.spawn(index);
        if let Err(log) = self.wait_started(index) {
            panic!("restarting: {log}");
        }
    }

    /// Every node's log, for a failure message.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        for node in &self.nodes {
            let log = std::fs::read_to_string(&node.log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            let _ = writeln!(out, "--- Kafka node {} ({}):", node.id, node.log.display());
            for line in tail.into_iter().rev() {
                let _ = writeln!(out, "{line}");
            }
        }
        out
    }
}

impl Drop for KafkaCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            if let Some(mut child) = node.child.take() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
