//! Warnings that repeat: librdkafka reports a broker it cannot reach on every retry (tens of
//! times a second), which would bury everything else in the log.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often the same warning is logged again.
const EVERY: Duration = Duration::from_secs(30);

/// Lets a warning of one kind through once per [`EVERY`] and counts the ones held back.
#[derive(Debug, Default)]
pub struct Throttle {
    /// kind → (when it was last let through, how many were held back since).
    seen: Mutex<HashMap<String, (Instant, u64)>>,
}

impl Throttle {
    /// Whether a warning of `kind` may be logged now: `Some(n)`, with `n` the warnings of
    /// that kind held back since the last one (0 the first time), or `None` to hold it back.
    pub fn admit(&self, kind: &str) -> Option<u64> {
        let Ok(mut seen) = self.seen.lock() else {
            return Some(0);
        };
        let now = Instant::now();
        match seen.get_mut(kind) {
            Some((last, held)) if now.duration_since(*last) < EVERY => {
                *held += 1;
                None
            }
            Some((last, held)) => {
                let n = *held;
                *last = now;
                *held = 0;
                Some(n)
            }
            None => {
                seen.insert(kind.to_owned(), (now, 0));
                Some(0)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_warning_is_let_through_once_and_counted() {
        let throttle = Throttle::default();
        assert_eq!(throttle.admit("AllBrokersDown"), Some(0));
        assert_eq!(throttle.admit("AllBrokersDown"), None);
        assert_eq!(throttle.admit("AllBrokersDown"), None);
        assert_eq!(throttle.admit("BrokerTransportFailure"), Some(0));
    }
}
