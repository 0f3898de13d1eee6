//! Building one batch: each decoded record becomes an entry (a row of a COPY target, or a
//! dead letter), and each partition's start (the stored offset the fence checks) and the
//! next offset it accepts are tracked. The connector's loop and the replay share it.

use std::sync::Arc;

use inlet_avro::DecodePlan;
use inlet_kafka::Held;
use inlet_postgres::{Batch, CopyTarget, Entry, EntryKind, WriteMode};
use rustc_hash::FxHashMap;

use crate::config::{BatchConfig, InsertMode, Tolerance};
use crate::connector::RunError;
use crate::decode::{Decoded, Record, Target};

/// Records between two yields of the loop that fills a batch.
const YIELD_EVERY: usize = 256;

/// A batch being filled.
pub(crate) struct Batcher {
    /// The batch so far.
    pub(crate) batch: Batch,
    /// COPY targets of the batch: one per (table, plan), as plans of different schemas may
    /// fill different columns.
    copy_plans: Vec<Arc<DecodePlan>>,
    /// (topic index, partition) → the next offset this batch accepts.
    pub(crate) accepted: FxHashMap<(usize, i32), i64>,
}

impl Batcher {
    /// An empty batch of `connector` over `targets`' topics, in the buffers of `spare` (a
    /// written batch) when there is one: a batch's megabytes are allocated once, not per
    /// batch.
    pub(crate) fn new(connector: &str, targets: &[Target], spare: Option<Batch>) -> Self {
        let mut batch = spare.unwrap_or_default();
        batch.entries.clear();
        batch.rows.clear();
        batch.raw.clear();
        batch.targets.clear();
        batch.starts.clear();
        batch.connector = connector.to_owned();
        batch.topics = targets.iter().map(|t| t.config.topic.clone()).collect();
        Batcher {
            batch,
            copy_plans: Vec::new(),
            accepted: FxHashMap::default(),
        }
    }

    /// Every [`YIELD_EVERY`] records, lets the runtime run other tasks. The consumer hands
    /// out records without ever making the loop wait while it has some, and tokio runs a
    /// task spawned by a busy task (the write of the batch before) on that task's thread
    /// once it yields: without this, the batch in flight was only written after the next
    /// one was full, and reading and writing took turns instead of overlapping.
    pub(crate) async fn yield_sometimes(&self) {
        if self.batch.entries.len().is_multiple_of(YIELD_EVERY) {
            tokio::task::yield_now().await;
        }
    }

    /// Whether the batch has reached one of its limits.
    pub(crate) fn is_full(&self, limits: &BatchConfig) -> bool {
        self.batch.entries.len() >= limits.max_rows || self.batch.bytes() >= limits.max_bytes
    }

    /// Where the batches hold partition `key`, for the source: the next offset it accepts
    /// after this batch's last record of it, else where the batch in flight (`pending`)
    /// ends; and whether the batch in flight holds records of it.
    pub(crate) fn held(&self, key: (usize, i32), pending: &FxHashMap<(usize, i32), i64>) -> Held {
        Held {
            next: self.accepted.get(&key).or(pending.get(&key)).copied(),
            in_flight: pending.contains_key(&key),
        }
    }

    /// Adds `record` of topic `t`, which `decode` turned into `decoded` (its row bytes, if
    /// any, at `row_start..` of the batch's rows). The partition's start, for the fence, is
    /// where the batch in flight (`pending`) leaves it, else `stored`. A record that
    /// cannot be stored stops the connector with `Tolerance::None`: the error is returned
    /// and the record is not added.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn add(
        &mut self,
        targets: &[Target],
        t: usize,
        record: &Record<'_>,
        decoded: Decoded,
        row_start: usize,
        pending: &FxHashMap<(usize, i32), i64>,
        stored: Option<i64>,
        tolerance: Tolerance,
    ) -> Result<(), RunError> {
        let deleting = matches!(decoded, Decoded::Delete(_));
        let kind = match decoded {
            Decoded::Row(plan) | Decoded::Delete(plan) => EntryKind::Row {
                target: self.copy_target(&targets[t], &plan, deleting),
                range: row_start..self.batch.rows.len(),
                raw: record.keep(&mut self.batch, None),
            },
            Decoded::Dead(schema_id, reason) => {
                if tolerance == Tolerance::None {
                    return Err(RunError::BadRecord {
                        connector: self.batch.connector.clone(),
                        topic: record.topic.to_owned(),
                        partition: record.partition,
                        offset: record.offset,
                        reason,
                    });
                }
                EntryKind::Dead {
                    raw: record.keep(&mut self.batch, schema_id),
                    reason,
                }
            }
        };
        let key = (t, record.partition);
        self.batch
            .starts
            .entry(key)
            .or_insert_with(|| pending.get(&key).copied().or(stored));
        self.accepted.insert(key, record.offset + 1);
        self.batch.entries.push(Entry {
            topic: t,
            partition: record.partition,
            offset: record.offset,
            kind,
        });
        Ok(())
    }

    /// The index of the batch's COPY target for rows of `plan` into `target`'s table.
    fn copy_target(&mut self, target: &Target, plan: &Arc<DecodePlan>, deleting: bool) -> usize {
        if let Some(i) = self.copy_plans.iter().position(|p| Arc::ptr_eq(p, plan)) {
            return i;
        }
        self.copy_plans.push(plan.clone());
        let write = match &target.config.insert {
            InsertMode::Append => WriteMode::Append,
            _ if deleting => WriteMode::Delete,
            InsertMode::Upsert { key } | InsertMode::UpsertDelete { key } => {
                WriteMode::Upsert { key: key.clone() }
            }
        };
        self.batch.targets.push(CopyTarget {
            table: target.table.clone(),
            columns: plan.copy_columns().map(str::to_owned).collect(),
            write,
        });
        self.batch.targets.len() - 1
    }
}
