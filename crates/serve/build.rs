//! Rebuilds inlet-serve when the console's built files change (`scripts/console` writes
//! `console/dist`): the embedded files are tracked by rust-embed only when they exist at
//! compile time, so a binary built before the console would otherwise keep lacking it.
fn main() {
    println!("cargo:rerun-if-changed=../../console/dist");
}
