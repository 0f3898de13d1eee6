//! The loop's side of its partitions (the source keeps where each one is, see
//! [`RecordSource`]): publishing their positions for lag, pausing, and reading them again
//! from their stored offsets after a fence.

use super::*;
use crate::progress::events::{Paused, PositionsMoved, Resumed};

impl<S: RecordSource> Run<'_, S> {
    /// Paused, with nothing in flight, until resumed or stopped: the source stops fetching,
    /// keeping its partitions, and reads each on from its stored offset afterwards. Returns
    /// the error that stops the connector if a partition could not be sought back.
    pub(super) async fn paused(
        &mut self,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Result<(), RunError> {
        Paused.emit(&self.progress);
        let pause = &mut self.pause;
        let resume = async {
            loop {
                tokio::select! {
                    _ = shutdown.changed() => break,
                    changed = pause.changed() => if changed.is_err() || !*pause.borrow() { break },
                }
            }
        };
        let result = self.source.pause_until(resume).await;
        self.publish_positions();
        Resumed {
            stopping: *shutdown.borrow(),
        }
        .emit(&self.progress);
        result
    }

    /// Publishes the positions of the partitions held, for the lag metrics, when they or
    /// the partitions changed (a change of the partitions counts as a rebalance).
    pub(super) fn publish_positions(&mut self) {
        if let Some(changes) = self.source.take_changes() {
            if changes.rebalanced {
                Rebalanced.emit(&self.progress);
            }
            PositionsMoved {
                stored: self.source.positions(),
            }
            .emit(&self.progress);
        }
    }

    /// After a fence: every partition of `keys` (→ its first record in the batches dropped,
    /// `i64::MAX` for none) still held is read again from its stored offset, or from that
    /// first record when none is stored.
    pub(super) async fn reseek(
        &mut self,
        keys: &FxHashMap<(usize, i32), i64>,
        client: &tokio_postgres::Client,
    ) -> Result<(), RunError> {
        let mut topics: Vec<usize> = keys.keys().map(|(t, _)| *t).collect();
        topics.sort_unstable();
        topics.dedup();
        for t in topics {
            let topic = self.targets[t].config.topic.clone();
            let stored = load_offsets(client, self.name(), &topic)
                .await
                .map_err(|source| RunError::Database {
                    connector: self.name().to_owned(),
                    source,
                })?;
            for (&(bt, partition), &first) in keys {
                if bt != t || !self.source.holds(t, partition) {
                    continue;
                }
                // No offset stored yet: read again from the first record the batches held.
                self.source
                    .seek_back(t, partition, stored.get(&partition).copied(), first)?;
            }
        }
        self.publish_positions();
        Ok(())
    }
}
