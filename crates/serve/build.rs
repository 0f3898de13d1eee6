//! Rebuilds inlet-serve when the console's built files change (`scripts/console` writes
//! `console/dist`): the embedded files are tracked by rust-embed only when they exist at
//! compile time, so a binary built before the console would otherwise keep lacking it.
//!
//! Records the commit it is built from as `INLET_COMMIT` (what `GET /` answers, as Kafka
//! Connect's `commit`): `git rev-parse HEAD` when the source is a git checkout, else empty,
//! rebuilt when HEAD moves.
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .filter(|s| !s.is_empty())
}

fn main() {
    println!("cargo:rerun-if-changed=../../console/dist");
    println!("cargo:rerun-if-env-changed=INLET_COMMIT");
    let commit = std::env::var("INLET_COMMIT")
        .ok()
        .or_else(|| git(&["rev-parse", "HEAD"]))
        .unwrap_or_default();
    println!("cargo:rustc-env=INLET_COMMIT={commit}");
    // HEAD, and the branch file it names, change on each commit and checkout (a path that
    // does not exist would make cargo run this on every build: only those that do).
    let branch = git(&["symbolic-ref", "-q", "HEAD"]);
    for name in ["HEAD", "packed-refs"].into_iter().chain(branch.as_deref()) {
        if let Some(path) = git(&["rev-parse", "--git-path", name])
            && std::path::Path::new(&path).exists()
        {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}
