//! Replays the fuzzer's corpus (`fuzz/corpus/decode`, grown with `cargo +nightly fuzz run
//! decode`) through the decoder: every input ends in a row or a typed error, none panics.

#[path = "support/fuzz.rs"]
mod fuzz;

use std::path::PathBuf;

#[test]
fn corpus_inputs_decode_or_fail_cleanly() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/decode");
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the fuzz corpus {} is missing: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 100, "only {} corpus inputs", inputs.len());
    let mut rows = 0;
    for path in &inputs {
        let data = std::fs::read(path).unwrap();
        if fuzz::decode(&data) {
            rows += 1;
        }
    }
    eprintln!("{rows} of {} corpus inputs made a row", inputs.len());
    // The seeds are valid records of every plan: some inputs must still make rows.
    assert!(
        rows >= 12,
        "only {rows} of {} inputs made a row",
        inputs.len()
    );
}
