//! The events that matter in a connector's life, one type each. Emitting one both logs it
//! and counts it in the connector's [`Progress`], so that a metric cannot go dead without
//! its log line going with it (and the other way round); they are `Progress`'s only
//! writers. Log lines carry the connector's name through the span the supervisor runs it
//! in.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::Progress;

/// A batch committed: its rows, dead letters and offsets in one transaction.
pub(crate) struct BatchCommitted {
    /// Rows appended, upserted or deleted.
    pub(crate) rows: u64,
    /// Records stored as dead letters.
    pub(crate) dead_letters: u64,
    /// Bytes of COPY rows.
    pub(crate) bytes: u64,
    /// How long the write and the commit took.
    pub(crate) elapsed: Duration,
}

impl BatchCommitted {
    pub(crate) fn emit(self, progress: &Progress) {
        tracing::debug!(
            rows = self.rows,
            dead_letters = self.dead_letters,
            bytes = self.bytes,
            elapsed = ?self.elapsed,
            "batch committed"
        );
        progress.rows.fetch_add(self.rows, Ordering::Relaxed);
        progress
            .dead_letters
            .fetch_add(self.dead_letters, Ordering::Relaxed);
        progress.batches.fetch_add(1, Ordering::Relaxed);
        progress.bytes.fetch_add(self.bytes, Ordering::Relaxed);
        progress.batch_seconds.observe(self.elapsed);
        // It gets on: what held it up before is over.
        if let Ok(mut at) = progress.error_at.lock() {
            *at = None;
        }
    }
}

/// A batch rolled back by the fence: another worker had stored its offsets first (a
/// rebalance moved its partitions); they are read again from the stored offsets.
pub(crate) struct BatchFenced {
    /// How long the attempt took.
    pub(crate) elapsed: Duration,
}

impl BatchFenced {
    pub(crate) fn emit(self, progress: &Progress) {
        tracing::info!(elapsed = ?self.elapsed, "batch fenced: another worker stored these offsets first; its partitions are read again from the stored offsets");
        progress.fenced.fetch_add(1, Ordering::Relaxed);
        progress.batch_seconds.observe(self.elapsed);
    }
}

/// The consumer's assignment changed (partitions assigned or revoked; inlet-kafka logs
/// which).
pub(crate) struct Rebalanced;

impl Rebalanced {
    pub(crate) fn emit(self, progress: &Progress) {
        tracing::debug!("assignment changed");
        progress.rebalances.fetch_add(1, Ordering::Relaxed);
    }
}

/// Something that may pass did not work (the database or the registry did not answer);
/// it is tried again after `retry_in`.
pub(crate) struct Retried<'a> {
    /// What was being done: "connecting to the database", "writing a batch"…
    pub(crate) what: &'a str,
    /// Why it failed.
    pub(crate) error: &'a dyn std::fmt::Display,
    /// When it is tried again.
    pub(crate) retry_in: Duration,
}

impl Retried<'_> {
    pub(crate) fn emit(self, progress: &Progress) {
        tracing::warn!(error = %self.error, retry_in = ?self.retry_in, "{} failed; retrying", self.what);
        progress.retries.fetch_add(1, Ordering::Relaxed);
        progress.note_error(&format!("{}: {}", self.what, self.error));
    }
}

/// A value schema met for the first time on a topic, with the fields it carries that the
/// table does not store.
pub(crate) struct SchemaSeen<'a> {
    /// The topic.
    pub(crate) topic: &'a str,
    /// The schema id.
    pub(crate) schema_id: u32,
    /// Field paths not stored.
    pub(crate) unstored: Vec<String>,
}

impl SchemaSeen<'_> {
    pub(crate) fn emit(self, progress: &Progress) {
        tracing::info!(topic = %self.topic, schema_id = self.schema_id, unstored = ?self.unstored, "schema met");
        if let Ok(mut schemas) = progress.schemas.lock() {
            schemas.insert((self.topic.to_owned(), self.schema_id), self.unstored);
        }
    }
}

/// The supervisor moved the connector to another phase: started (RUNNING once it
/// consumes), RESTARTING, STOPPED or FAILED.
pub(crate) struct StateChanged<'a> {
    /// The state it is now in.
    pub(crate) to: crate::ConnectorState,
    /// Why, for RESTARTING and FAILED.
    pub(crate) reason: Option<&'a str>,
}

impl StateChanged<'_> {
    pub(crate) fn emit(self, progress: &Progress) {
        use crate::ConnectorState as S;
        let state = self.to.as_str();
        match (self.to, self.reason) {
            (S::Failed, reason) => {
                tracing::error!(state, reason = reason.unwrap_or(""), "connector state")
            }
            (S::Restarting, Some(reason)) => {
                tracing::warn!(state, %reason, "connector state")
            }
            (_, Some(reason)) => tracing::info!(state, %reason, "connector state"),
            (_, None) => tracing::info!(state, "connector state"),
        }
        if self.to == S::Restarting {
            progress.restarts.fetch_add(1, Ordering::Relaxed);
        }
        // What a run stopped for is noted when it ends (RunEnded); a configuration that
        // does not check, or a task that panicked, only here.
        if let (S::Failed, Some(reason)) = (self.to, self.reason) {
            progress.note_error(&reason);
        }
    }
}

/// The connector prepared its tables and subscribed: it consumes (RUNNING unless paused).
pub(crate) struct Consuming<'a> {
    /// Its consumer group.
    pub(crate) group: &'a str,
    /// The topics it subscribed to.
    pub(crate) topics: &'a [String],
}

impl Consuming<'_> {
    pub(crate) fn emit(self, progress: &Progress) {
        tracing::info!(group = %self.group, topics = ?self.topics, "running");
        progress.consuming.store(true, Ordering::Relaxed);
    }
}

/// A run of the connector ended, stopped as asked or by `error`: it consumes no more,
/// holds no partition, and the error (if any) is the last one met.
pub(crate) struct RunEnded<'a> {
    /// Why it stopped, when not as asked.
    pub(crate) error: Option<&'a dyn std::fmt::Display>,
}

impl RunEnded<'_> {
    pub(crate) fn emit(self, progress: &Progress) {
        match self.error {
            Some(error) => {
                tracing::debug!(%error, "run ended");
                progress.note_error(error);
            }
            None => tracing::debug!("run ended"),
        }
        progress.consuming.store(false, Ordering::Relaxed);
        progress.paused.store(false, Ordering::Relaxed);
        // The partitions were this run's: a restart learns its own from the rebalance.
        if let Ok(mut stored) = progress.stored.lock() {
            stored.clear();
        }
    }
}

/// The connector paused: the batch in flight is written, its partitions fetch nothing.
pub(crate) struct Paused;

impl Paused {
    pub(crate) fn emit(self, progress: &Progress) {
        tracing::info!("paused");
        progress.paused.store(true, Ordering::Relaxed);
    }
}

/// The connector resumed (or stops while paused, when `stopping`): it reads on from the
/// stored offsets.
pub(crate) struct Resumed {
    /// It resumes only to stop (no log line then).
    pub(crate) stopping: bool,
}

impl Resumed {
    pub(crate) fn emit(self, progress: &Progress) {
        if !self.stopping {
            tracing::info!("resumed");
        }
        progress.paused.store(false, Ordering::Relaxed);
    }
}

/// The positions of the partitions held moved (a commit, a placement, a seek): the stored
/// next offset of each, or the position past it that holds no record, for lag.
pub(crate) struct PositionsMoved {
    /// (topic, partition) → that offset.
    pub(crate) stored: BTreeMap<(String, i32), i64>,
}

impl PositionsMoved {
    pub(crate) fn emit(self, progress: &Progress) {
        tracing::trace!(partitions = self.stored.len(), "positions moved");
        if let Ok(mut stored) = progress.stored.lock() {
            *stored = self.stored;
        }
    }
}

/// Kafka warned of something it retries (a broker that does not answer, a TLS handshake
/// that fails, a topic that does not exist yet; inlet-kafka logs it): the last error met.
pub(crate) struct KafkaWarned<'a> {
    /// The warning.
    pub(crate) warning: &'a str,
}

impl KafkaWarned<'_> {
    pub(crate) fn emit(self, progress: &Progress) {
        tracing::debug!(warning = %self.warning, "Kafka warned");
        progress.note_error(&self.warning);
    }
}
