//! Names no other test (or earlier run) uses: topics, tables, groups, subjects, databases.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// `prefix_<pid>_<counter>_<time>`: unique across tests, processes and runs; lower-case ASCII,
/// digits and `_`, so it is a valid topic, group, subject and unquoted SQL identifier.
pub fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let micros = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() % 1_000_000_000_000);
    format!("{prefix}_{}_{n}_{micros}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_differ_and_are_plain_identifiers() {
        let a = unique("t");
        let b = unique("t");
        assert_ne!(a, b);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        );
        assert!(a.len() < 63, "fits a PostgreSQL identifier: {a}");
    }
}
