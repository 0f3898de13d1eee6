//! The one backoff of everything inlet retries: the database and the registry (connect,
//! setup, writes, reading a schema, the stored offsets of a rebalance) and the
//! supervisor's restarts.
//!
//! Retry `n` (from 0) waits a random time between half and all of its ceiling,
//! `min(first × 2ⁿ, max)` ("equal jitter"): the delays still grow as they double, and the
//! connectors of a worker — or of many workers — that lost the database at the same moment
//! do not all come back at the same moment.

use std::time::Duration;

/// Retries of the database and the registry: up to 200 ms first, up to 10 s at most.
pub(crate) const RETRIES: Backoff =
    Backoff::new(Duration::from_millis(200), Duration::from_secs(10));

/// The supervisor's restarts after a retriable error: up to 1 s first, up to 60 s at most.
pub(crate) const RESTARTS: Backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(60));

/// Delays between the attempts of one operation: doubled from `first` up to `max`, each
/// drawn between half and all of that ceiling. Copy a constant ([`RETRIES`], [`RESTARTS`])
/// and call [`next_delay`](Self::next_delay) before each wait.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Backoff {
    first: Duration,
    max: Duration,
    /// Retries waited for since the start (or the last [`reset`](Self::reset)).
    attempt: u32,
}

impl Backoff {
    /// A backoff whose first ceiling is `first` and whose ceilings stop growing at `max`.
    pub(crate) const fn new(first: Duration, max: Duration) -> Self {
        Backoff {
            first,
            max,
            attempt: 0,
        }
    }

    /// How long to wait before the next attempt (jittered), counting it.
    pub(crate) fn next_delay(&mut self) -> Duration {
        let d = delay(self.first, self.max, self.attempt, rand::random::<f64>());
        self.attempt = self.attempt.saturating_add(1);
        d
    }

    /// Starts over from the first delay: what failed before is not one of a series.
    pub(crate) fn reset(&mut self) {
        self.attempt = 0;
    }

    /// The longest any delay can be.
    pub(crate) const fn max(&self) -> Duration {
        self.max
    }
}

/// The delay of retry `attempt` (0 for the first): its ceiling `min(first × 2^attempt,
/// max)` times `(1 + jitter) / 2`, where `jitter` in `[0, 1]` (clamped) is the random
/// draw, so between half the ceiling (`jitter` 0) and all of it (`jitter` 1). A pure
/// function, so that the sequence's bounds can be tested.
pub(crate) fn delay(first: Duration, max: Duration, attempt: u32, jitter: f64) -> Duration {
    let ceiling = first
        .checked_mul(2u32.saturating_pow(attempt.min(31)))
        .map_or(max, |d| d.min(max));
    ceiling.mul_f64((1.0 + jitter.clamp(0.0, 1.0)) / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_max_each_between_half_and_all_of_its_ceiling() {
        let (first, max) = (Duration::from_millis(200), Duration::from_secs(10));
        let ceilings = [200, 400, 800, 1_600, 3_200, 6_400, 10_000, 10_000];
        for (attempt, ceiling) in ceilings.into_iter().enumerate() {
            let ceiling = Duration::from_millis(ceiling);
            let attempt = attempt as u32;
            assert_eq!(
                delay(first, max, attempt, 1.0),
                ceiling,
                "attempt {attempt}"
            );
            assert_eq!(
                delay(first, max, attempt, 0.0),
                ceiling / 2,
                "attempt {attempt}"
            );
            let mid = delay(first, max, attempt, 0.5);
            assert!(
                ceiling / 2 < mid && mid < ceiling,
                "attempt {attempt}: {mid:?}"
            );
        }
        // Far past the doubling, and with a draw out of range, it stays within the bounds.
        assert_eq!(delay(first, max, u32::MAX, 7.0), max);
        assert_eq!(delay(first, max, 1_000, -1.0), max / 2);
    }

    #[test]
    fn each_delay_drawn_stays_within_its_bounds_and_reset_starts_over() {
        let mut backoff = RETRIES;
        for attempt in 0..40 {
            let d = backoff.next_delay();
            let ceiling = delay(RETRIES.first, RETRIES.max, attempt, 1.0);
            assert!(ceiling / 2 <= d && d <= ceiling, "attempt {attempt}: {d:?}");
        }
        backoff.reset();
        assert!(backoff.next_delay() <= RETRIES.first);
        assert_eq!(RESTARTS.max(), Duration::from_secs(60));
    }
}
