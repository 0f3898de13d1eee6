//! `cargo +nightly fuzz run decode` (from `crates/avro`): random record values through
//! inlet's plans. The corpus in `fuzz/corpus/decode` is replayed by `tests/fuzz_corpus.rs`.
#![no_main]

#[path = "../../tests/support/fuzz.rs"]
mod support;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    support::decode(data);
});
