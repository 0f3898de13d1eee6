//! The product page's permissions on a real broker with ACLs: a service account granted
//! exactly topic READ (LITERAL), consumer-group READ (PREFIXED on the group prefix) and
//! cluster DESCRIBE streams; with the topic or the group ACL removed, `inlet check` names
//! the missing permission and the ACL that grants it, and `inlet run` stops with the same
//! sentence instead of retrying. Needs `scripts/services up`.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use inlet_testkit::{endpoints, python, unique};

use crate::support::{Inlet, Stream, terminate};

const PASSWORD: &str = "acl-test-secret-7f3a";

/// `scripts/interop/kafka_admin.py` on the PLAINTEXT listener (a super user there).
fn admin(args: &[&str]) {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scripts/interop/kafka_admin.py"
    );
    let out = Command::new(python())
        .arg(script)
        .args(["--bootstrap", &endpoints().kafka])
        .args(args)
        .env("KAFKA_ADMIN_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kafka_admin.py {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The three ACLs of the product page, by the arguments of `kafka_admin.py grant|revoke`.
fn acls<'a>(user: &'a str, topic: &'a str, prefix: &'a str) -> [[&'a str; 5]; 3] {
    [
        [user, "cluster", "kafka-cluster", "DESCRIBE", "LITERAL"],
        [user, "topic", topic, "READ", "LITERAL"],
        [user, "group", prefix, "READ", "PREFIXED"],
    ]
}

/// The stream's connector through the SASL listener as `user`, its password by reference to
/// `INLET_TEST_ACL_PASSWORD`, in groups under `prefix`.
fn config(stream: &Stream, user: &str, prefix: &str) -> PathBuf {
    stream.write_config(
        stream
            .connector("acl")
            .set("kafka.bootstrap_servers", endpoints().require_kafka_sasl())
            .set("kafka.security_protocol", "SASL_PLAINTEXT")
            .set("kafka.sasl_mechanism", "SCRAM-SHA-256")
            .set("kafka.username", user)
            .set("kafka.password", "${env:INLET_TEST_ACL_PASSWORD}")
            .set("kafka.group_prefix", prefix)
            .set("table", "readings"),
    )
}

fn inlet(command: &str, config: &PathBuf) -> Command {
    let mut inlet = Command::new(env!("CARGO_BIN_EXE_inlet"));
    inlet
        .args([command, "--config"])
        .arg(config)
        .env("INLET_TEST_ACL_PASSWORD", PASSWORD);
    inlet
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `inlet run` until it exits by itself (at most 90 s): its status and its output.
fn run_until_exit(config: &PathBuf) -> (std::process::ExitStatus, String) {
    let log = std::env::temp_dir().join(format!("{}.log", unique("acl")));
    let mut child = Inlet(
        inlet("run", config)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (status, std::fs::read_to_string(&log).unwrap_or_default());
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "inlet run kept running without the permission: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_three_acls_suffice_and_each_missing_one_is_named() {
    let stream = Stream::new(2).await;
    stream.produce(0..200).await;
    let user = unique("svc");
    let prefix = format!("tigerdata-kafka/{}", unique("project"));
    admin(&["user", &user]);
    // The broker lets everyone use a resource that has no ACL at all
    // (allow.everyone.if.no.acl.found, for the other tests): another principal's ACLs keep
    // each resource under ACLs while this user's are removed.
    for acl in acls("someone-else", &stream.topic, &prefix)
        .into_iter()
        .chain(acls(&user, &stream.topic, &prefix))
    {
        admin(&[&["grant"], &acl[..]].concat());
    }
    let config = config(&stream, &user, &prefix);

    // Exactly the page's three ACLs: check passes and run streams.
    let check = inlet("check", &config).output().unwrap();
    let out = text(&check);
    assert!(check.status.success(), "{out}");
    assert!(!out.contains(PASSWORD), "the password is printed: {out}");
    let mut run = Inlet(
        inlet("run", &config)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(stream.log_path("granted.log")).unwrap())
            .spawn()
            .unwrap(),
    );
    stream
        .wait_for(
            "SELECT count(*) FROM readings",
            200,
            Duration::from_secs(90),
            "granted.log",
        )
        .await;
    assert!(terminate(&mut run).success());

    // Each of the topic and group ACLs removed in turn, then granted again.
    let [_cluster, topic_acl, group_acl] = acls(&user, &stream.topic, &prefix);
    for (acl, says) in [
        (
            topic_acl,
            format!(
                "Kafka refused READ on topic {} to User:{user}",
                stream.topic
            ),
        ),
        (
            group_acl,
            format!("Kafka refused READ on consumer group {prefix}/acl to User:{user}"),
        ),
    ] {
        admin(&[&["revoke"], &acl[..]].concat());
        let check = inlet("check", &config).output().unwrap();
        let out = text(&check);
        assert!(
            !check.status.success(),
            "check passed without {acl:?}: {out}"
        );
        assert!(out.contains(&says), "check does not say {says:?}: {out}");
        assert!(out.contains("kafka-acls --bootstrap-server"), "{out}");
        assert!(!out.contains(PASSWORD), "the password is printed: {out}");
        let (status, out) = run_until_exit(&config);
        assert!(!status.success(), "{out}");
        assert!(!out.contains(PASSWORD), "the password is logged: {out}");
        assert!(out.contains(&says), "run does not say {says:?}: {out}");
        admin(&[&["grant"], &acl[..]].concat());
    }

    // inlet reads and joins its group without cluster DESCRIBE: the page grants it, inlet
    // does not need it, so check does not ask for it.
    admin(&[&["revoke"], &acls(&user, &stream.topic, &prefix)[0][..]].concat());
    let check = inlet("check", &config).output().unwrap();
    assert!(check.status.success(), "{}", text(&check));
    stream.produce(200..300).await;
    let mut run = Inlet(
        inlet("run", &config)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(stream.log_path("no-describe.log")).unwrap())
            .spawn()
            .unwrap(),
    );
    stream
        .wait_for(
            "SELECT count(*) FROM readings",
            300,
            Duration::from_secs(90),
            "no-describe.log",
        )
        .await;
    assert!(terminate(&mut run).success());
    assert_eq!(
        stream
            .count("SELECT count(*) - count(DISTINCT device_id) FROM readings")
            .await,
        0
    );
}
