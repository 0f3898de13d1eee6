//! Where each assigned partition is, and moving it: placements from the consumer's
//! assignments, the first record after a placement (retention, markers, a topic made
//! again), the stored offsets after a commit (and Kafka's committed offsets, for lag tools),
//! the lag of idle partitions, seeking back after a fence or a pause, and the pause itself.

use super::*;

/// Where an assigned partition is.
#[derive(Debug, Clone, Copy)]
pub(super) struct Position {
    /// The stored next offset this worker holds (None: none stored yet).
    pub(super) stored: Option<i64>,
    /// Placed (assigned or sought) and no record seen since.
    pub(super) placed: bool,
    /// The consumer's position, when it was seen past `stored` with no record of the
    /// partition waiting: the offsets between hold nothing to store (transaction markers,
    /// aborted records). For lag only; the stored offset does not move.
    pub(super) passed: Option<i64>,
}

impl Position {
    pub(super) fn placed(stored: Option<i64>) -> Self {
        Position {
            stored,
            placed: true,
            passed: None,
        }
    }
}

/// Applies a change of the consumer's assignment to the positions.
pub(super) fn apply_event(
    event: ConsumerEvent,
    positions: &mut HashMap<(usize, i32), Position>,
    targets: &[Target],
) {
    let index = |topic: &str| targets.iter().position(|t| t.config.topic == topic);
    match event {
        ConsumerEvent::AuthenticationFailed(_) | ConsumerEvent::AuthorizationFailed(_) => {}
        ConsumerEvent::Assigned(parts) => {
            for (topic, partition, next) in parts {
                if let Some(t) = index(&topic) {
                    positions.insert((t, partition), Position::placed(next));
                }
            }
        }
        ConsumerEvent::Revoked(parts) => {
            for (topic, partition) in parts {
                if let Some(t) = index(&topic) {
                    positions.remove(&(t, partition));
                }
            }
        }
    }
}

/// The first record after a partition was placed at its stored offset `floor` is at
/// `offset`, past it. Kafka serves a fetch from the stored offset, or, when retention has
/// moved the log's start past it, from the log's start (`auto.offset.reset` is always
/// `earliest`), so no record that exists is skipped; what lies between is either records
/// deleted by retention before the connector read them (a warning, with how many), or
/// offsets that hold no record to store: transaction markers, aborted or compacted records
/// (debug: every placement of a transactional partition meets a marker).
pub(super) fn report_gap(
    consumer: &SourceConsumer,
    connector: &str,
    topic: &str,
    partition: i32,
    floor: i64,
    offset: i64,
) {
    let log_start = consumer
        .fetch_watermarks(topic, partition, Duration::from_secs(5))
        .map_or(i64::MIN, |(low, _)| low);
    if floor < log_start {
        let lost = log_start.min(offset) - floor;
        tracing::warn!(
            connector,
            %topic,
            partition,
            stored = floor,
            log_start,
            "offsets {floor}..{log_start} were deleted by retention before the connector read them: {lost} offset{} not read",
            if lost == 1 { "" } else { "s" }
        );
    } else {
        tracing::debug!(
            connector,
            %topic,
            partition,
            stored = floor,
            first = offset,
            "offsets {floor}..{offset} hold no record to store (transaction markers, aborted or compacted records)"
        );
    }
}

/// How long a worker may hold no partition before it says so.
pub(super) const UNASSIGNED: Duration = Duration::from_secs(60);

impl Run<'_> {
    /// Paused, with nothing in flight: the assigned partitions stop fetching (a partition
    /// assigned meanwhile too) while the consumer goes on polling, so that the group keeps
    /// this member and its partitions. Records already fetched are let go; on resume each
    /// partition is sought back to its stored offset (or, with none stored, to the first
    /// record let go), so none is skipped. Returns on resume or stop, with the error that
    /// stops the connector if a partition could not be sought back.
    pub(super) async fn paused(
        &mut self,
        shutdown: &mut watch::Receiver<bool>,
    ) -> Option<RunError> {
        tracing::info!(connector = %self.name(), "paused");
        self.progress.paused.store(true, Ordering::Relaxed);
        let mut let_go: HashMap<(usize, i32), i64> = HashMap::new();
        self.set_fetching(false);
        loop {
            tokio::select! {
                _ = shutdown.changed() => break,
                changed = self.pause.changed() => if changed.is_err() || !*self.pause.borrow() { break },
                Some(event) = self.events.recv() => {
                    if matches!(event, ConsumerEvent::Assigned(_) | ConsumerEvent::Revoked(_)) {
                        Rebalanced.emit(&self.progress);
                        apply_event(event, &mut self.positions, &self.targets);
                        self.publish_positions();
                        self.set_fetching(false);
                    }
                }
                _ = self.idle.tick() => {}
                message = self.consumer.recv() => {
                    if let Ok(message) = message
                        && let Some(t) = self.topic_index(message.topic())
                    {
                        let first = let_go.entry((t, message.partition())).or_insert(i64::MAX);
                        *first = (*first).min(message.offset());
                    }
                }
            }
        }
        // Every partition held: its position is where the last record before the pause was.
        for &key in self.positions.keys() {
            let_go.entry(key).or_insert(i64::MAX);
        }
        let stored: HashMap<(usize, i32), Option<i64>> = self
            .positions
            .iter()
            .map(|(&key, p)| (key, p.stored))
            .collect();
        let mut failed = None;
        for (key, first) in let_go {
            if let Some(&at) = stored.get(&key)
                && let Err(e) = self.seek_back(key, at, first)
            {
                failed = failed.or(Some(e));
            }
        }
        self.set_fetching(true);
        self.progress.paused.store(false, Ordering::Relaxed);
        if !*shutdown.borrow() {
            tracing::info!(connector = %self.name(), "resumed");
        }
        failed
    }

    /// Pauses or resumes fetching of every partition assigned to the consumer.
    pub(super) fn set_fetching(&self, fetching: bool) {
        let Ok(assignment) = self.consumer.assignment() else {
            return;
        };
        let result = if fetching {
            self.consumer.resume(&assignment)
        } else {
            self.consumer.pause(&assignment)
        };
        if let Err(e) = result {
            tracing::warn!(connector = %self.name(), error = %e, fetching, "pausing or resuming the partitions failed");
        }
    }

    /// Places partition `key` to be read again from `stored`, or, with none stored, from
    /// `first` (the first record dropped, `i64::MAX` for none: left where it is). A seek
    /// that fails would go on past records not stored: the connector stops with a
    /// retriable error, and its restart reads from the stored offsets.
    pub(super) fn seek_back(
        &mut self,
        key: (usize, i32),
        stored: Option<i64>,
        first: i64,
    ) -> Result<(), RunError> {
        let (t, partition) = key;
        self.positions.insert(key, Position::placed(stored));
        let at = match stored {
            Some(next) => next,
            None if first != i64::MAX => first,
            None => return Ok(()),
        };
        let topic = &self.targets[t].config.topic;
        self.consumer
            .seek(topic, partition, Offset::Offset(at), Duration::from_secs(10))
            .map_err(|e| RunError::Unavailable {
                connector: self.name().to_owned(),
                message: format!(
                    "seeking {topic}/{partition} back to offset {at} failed ({e}): restarting, to read it from its stored offset"
                ),
            })
    }

    /// After a commit: the new positions, and Kafka's committed offsets for lag tools.
    pub(super) fn advance(&mut self, next: &HashMap<(usize, i32), i64>) {
        let mut tpl = TopicPartitionList::new();
        for (&(t, partition), &offset) in next {
            if let Some(position) = self.positions.get_mut(&(t, partition)) {
                position.stored = Some(offset);
            }
            let _ = tpl.add_partition_offset(
                &self.targets[t].config.topic,
                partition,
                Offset::Offset(offset),
            );
        }
        if tpl.count() > 0
            && let Err(e) = self.consumer.commit(&tpl, CommitMode::Async)
        {
            tracing::debug!(error = %e, "committing offsets to Kafka (for lag tools) failed");
        }
        self.publish_positions();
    }

    /// The owned partitions' stored offsets (or the position an idle one has passed them
    /// by, see [`Position::passed`]), for the lag metrics.
    pub(super) fn publish_positions(&self) {
        self.progress.set_stored(
            self.positions
                .iter()
                .filter_map(|(&(t, partition), p)| {
                    p.stored.map(|s| {
                        let at = p.passed.map_or(s, |passed| passed.max(s));
                        ((self.targets[t].config.topic.clone(), partition), at)
                    })
                })
                .collect(),
        );
    }

    /// A worker that holds no partition for [`UNASSIGNED`] says so once: a group whose
    /// partitions nobody reads must not look like a quiet topic.
    pub(super) fn say_if_unassigned(&mut self) {
        if self.positions.is_empty()
            && let Some(since) = self.unassigned_since
            && since.elapsed() >= UNASSIGNED
        {
            let topics: Vec<&str> = self
                .targets
                .iter()
                .map(|t| t.config.topic.as_str())
                .collect();
            tracing::warn!(
                connector = %self.name(),
                group = %self.connector.config.kafka.group_id,
                "no partition of {} assigned to this worker for {} s: the group is rebalancing (a dead member is dropped after session.timeout.ms), other workers hold every partition, or the topics have none this worker may read",
                topics.join(", "),
                since.elapsed().as_secs()
            );
            self.unassigned_since = None;
        }
    }

    /// For the lag of partitions with nothing waiting: where the consumer is, when it has
    /// moved past the stored offset without a record (transaction markers, aborted records:
    /// offsets that hold nothing to store). A partition with records in `batch` or in the
    /// batch in flight (`pending`) keeps its stored offset.
    pub(super) fn note_idle_positions(
        &mut self,
        batch: &Batch,
        pending: &HashMap<(usize, i32), i64>,
    ) {
        let Ok(positions) = self.consumer.position() else {
            return;
        };
        let mut changed = false;
        for (&(t, partition), p) in &mut self.positions {
            let Some(stored) = p.stored else { continue };
            let busy =
                pending.contains_key(&(t, partition)) || batch.starts.contains_key(&(t, partition));
            let topic = &self.targets[t].config.topic;
            let passed = match positions
                .find_partition(topic, partition)
                .map(|e| e.offset())
            {
                Some(Offset::Offset(at)) if !busy && at > stored => Some(at),
                _ => None,
            };
            changed |= passed != p.passed;
            p.passed = passed;
        }
        if changed {
            self.publish_positions();
        }
    }

    /// After a fence: every partition of `keys` (→ its first record in the batches dropped,
    /// `i64::MAX` for none) still ours is read again from its stored offset, or from that
    /// first record when none is stored.
    pub(super) async fn reseek(
        &mut self,
        keys: &HashMap<(usize, i32), i64>,
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
                if bt != t || !self.positions.contains_key(&(t, partition)) {
                    continue;
                }
                // No offset stored yet: read again from the first record the batches held.
                self.seek_back((t, partition), stored.get(&partition).copied(), first)?;
            }
        }
        Ok(())
    }
}
