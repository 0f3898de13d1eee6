//! A connector's records from Kafka, and where each of its partitions stands.
//!
//! [`KafkaSource`] owns the consumer of the connector's group. A partition is placed at its
//! stored offset when it is assigned, and the first record after a placement says what lies
//! between (retention, transaction markers, or a topic made again). A record below the
//! partition's floor is not handed over. After a fence or a pause, partitions are sought back
//! to their stored offsets. While paused, the partitions stay assigned but nothing is
//! fetched. After each commit, the offsets go to Kafka as well, for lag tools. The engine
//! says where it holds each partition ([`Held`]); this module knows nothing of batches or
//! tables.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::Message;
use rdkafka::consumer::{CommitMode, Consumer};
use rdkafka::error::{KafkaError, KafkaResult, RDKafkaErrorCode};
use rdkafka::message::{BorrowedMessage, Headers};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rustc_hash::FxHashMap;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::consumer::{ConsumerEvent, PartitionEnds, SourceConsumer, StoredOffsets, subscribe};
use crate::{Denied, Error, KafkaSettings, Throttle};

/// How long a worker may hold no partition before it says so.
const UNASSIGNED: Duration = Duration::from_secs(60);

/// Where the engine holds a partition beyond its stored offset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Held {
    /// The next offset the engine accepts: after the last record of the partition in the
    /// batch being filled, else where the batch being written ends; None when neither holds
    /// a record of it (the stored offset is the floor then).
    pub next: Option<i64>,
    /// The batch being written holds records of the partition.
    pub in_flight: bool,
}

/// Where an assigned partition is.
#[derive(Debug, Clone, Copy)]
struct Position {
    /// The stored next offset this worker holds (None: none stored yet).
    stored: Option<i64>,
    /// Placed (assigned or sought) and no record seen since.
    placed: bool,
    /// Sought back to its stored offset once already, after a record below it arrived
    /// right after a placement.
    rechecked: bool,
    /// The consumer's position, when it was seen past `stored` with no record of the
    /// partition waiting: the offsets between hold nothing to store (transaction markers,
    /// aborted records). For lag only; the stored offset does not move.
    passed: Option<i64>,
}

impl Position {
    fn placed(stored: Option<i64>) -> Self {
        Position {
            stored,
            placed: true,
            rechecked: false,
            passed: None,
        }
    }
}

/// A record handed over by [`KafkaSource::next`] or [`KafkaSource::try_next`], at or above
/// its partition's floor.
pub struct Incoming<'a> {
    /// The index of its topic in the connector's topics.
    pub topic: usize,
    /// The partition's stored next offset when the record was handed over.
    pub stored: Option<i64>,
    message: BorrowedMessage<'a>,
}

impl<'a> Incoming<'a> {
    /// The topic's name.
    pub fn topic_name(&self) -> &str {
        self.message.topic()
    }

    /// The partition.
    pub fn partition(&self) -> i32 {
        self.message.partition()
    }

    /// The offset.
    pub fn offset(&self) -> i64 {
        self.message.offset()
    }

    /// The record's timestamp, in milliseconds since the Unix epoch (None: the record has
    /// none).
    pub fn timestamp_ms(&self) -> Option<i64> {
        self.message.timestamp().to_millis()
    }

    /// The raw key (None: a null key).
    pub fn key(&self) -> Option<&[u8]> {
        self.message.key()
    }

    /// The raw value (None: a null value, a tombstone).
    pub fn value(&self) -> Option<&[u8]> {
        self.message.payload()
    }

    /// The headers, in order: (name, raw value; None for a null value).
    pub fn headers(&self) -> Vec<(&str, Option<&[u8]>)> {
        self.message
            .headers()
            .map(|h| h.iter().map(|h| (h.key, h.value)).collect())
            .unwrap_or_default()
    }
}

/// What [`KafkaSource::next`] or [`KafkaSource::try_next`] met.
pub enum Polled<'a> {
    /// A record to store.
    Record(Incoming<'a>),
    /// Nothing to act on: a change of assignment, a timer, a warning logged, a record below
    /// its partition's floor or of a partition no longer held. See
    /// [`KafkaSource::take_changes`].
    Nothing,
    /// The connector cannot go on (a refused credential or permission, a topic made again);
    /// the records handed over before are still to be stored.
    Stop(Error),
}

/// The partitions held changed, or their positions did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Changes {
    /// Partitions were assigned or revoked (a rebalance).
    pub rebalanced: bool,
}

/// A connector's consumer and the positions of its partitions.
pub struct KafkaSource {
    consumer: SourceConsumer,
    events: UnboundedReceiver<ConsumerEvent>,
    /// Every second: where idle partitions' consumer positions are, and whether any
    /// partition is held at all.
    idle: tokio::time::Interval,
    partitions: Partitions,
}

/// The partitions held and where each stands (what the consumer's records are judged by).
struct Partitions {
    /// The connector's topics; a partition is known by (index here, partition).
    topics: Vec<String>,
    /// The consumer group, for the advice when Kafka refuses it.
    group: String,
    /// The SASL user, for the advice when Kafka refuses a permission.
    principal: Option<String>,
    /// (topic index, partition) → where it is. Only assigned partitions are here.
    positions: FxHashMap<(usize, i32), Position>,
    /// Since when this worker holds no partition (None: it holds some, or said so already).
    unassigned_since: Option<Instant>,
    /// The consumer's repeated errors, logged every 30 s.
    warnings: Throttle,
    /// What changed since [`KafkaSource::take_changes`] was last called.
    changes: Option<Changes>,
    /// The last warning since [`KafkaSource::take_warning`] was last called.
    warning: Option<String>,
}

impl KafkaSource {
    /// A consumer of `topics` in the group of `settings`, whose partitions start at the
    /// offsets `offsets` holds; the partitions' ends (for lag) are kept in `ends`. Log lines
    /// of librdkafka's threads are attributed to the current span.
    ///
    /// # Errors
    /// [`Error::Consumer`] when librdkafka refuses a setting.
    pub fn subscribe(
        settings: &KafkaSettings,
        topics: Vec<String>,
        offsets: Arc<dyn StoredOffsets>,
        ends: PartitionEnds,
    ) -> crate::Result<Self> {
        let (events_tx, events) = tokio::sync::mpsc::unbounded_channel();
        let names: Vec<&str> = topics.iter().map(String::as_str).collect();
        let consumer = subscribe(settings, &names, offsets, events_tx, ends)?;
        let mut idle = tokio::time::interval_at(
            tokio::time::Instant::now() + Duration::from_secs(1),
            Duration::from_secs(1),
        );
        idle.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        Ok(KafkaSource {
            consumer,
            events,
            idle,
            partitions: Partitions {
                topics,
                group: settings.group_id.clone(),
                principal: settings.sasl.as_ref().map(|(_, user, _)| user.clone()),
                positions: FxHashMap::default(),
                unassigned_since: Some(Instant::now()),
                warnings: Throttle::default(),
                changes: None,
                warning: None,
            },
        })
    }

    /// Waits for the next record at or above its partition's floor: `held(topic index,
    /// partition)`'s next offset, else the stored one. Meanwhile it applies changes of the
    /// assignment, notes where idle partitions are (once a second), and logs what Kafka
    /// reports, at most every 30 s per kind. Cancel-safe: dropped before it returns, it
    /// loses nothing.
    pub async fn next(&mut self, held: impl Fn(usize, i32) -> Held) -> Polled<'_> {
        let mut event = None;
        let message = tokio::select! {
            Some(e) = self.events.recv() => { event = Some(e); None }
            _ = self.idle.tick() => {
                self.partitions.note_idle_positions(&self.consumer, &held);
                self.partitions.say_if_unassigned();
                None
            }
            message = self.consumer.recv() => Some(message),
        };
        judge(
            &self.consumer,
            &mut self.events,
            &mut self.partitions,
            event,
            message,
            held,
        )
    }

    /// The next record the consumer already holds, judged as [`KafkaSource::next`] does,
    /// without waiting: None when it holds none now (then wait with `next`). A loop that
    /// takes the records of a fetch this way pays for one wake-up per fetch, not one per
    /// record.
    pub fn try_next(&mut self, held: impl Fn(usize, i32) -> Held) -> Option<Polled<'_>> {
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        let message = {
            let mut recv = std::pin::pin!(self.consumer.recv());
            match recv.as_mut().poll(&mut context) {
                std::task::Poll::Ready(message) => message,
                std::task::Poll::Pending => return None,
            }
        };
        Some(judge(
            &self.consumer,
            &mut self.events,
            &mut self.partitions,
            None,
            Some(message),
            held,
        ))
    }

    /// What changed since the last call: the partitions held, or their positions (see
    /// [`KafkaSource::positions`]).
    pub fn take_changes(&mut self) -> Option<Changes> {
        self.partitions.changes.take()
    }

    /// The last warning since the last call (Kafka retries what it warns of: a broker that
    /// does not answer, a TLS handshake that fails, a topic that does not exist yet).
    pub fn take_warning(&mut self) -> Option<String> {
        self.partitions.warning.take()
    }

    /// The stored next offset of each partition held, by (topic, partition), or the
    /// position an idle one has passed it by (offsets that hold nothing to store), for lag.
    pub fn positions(&self) -> BTreeMap<(String, i32), i64> {
        let partitions = &self.partitions;
        partitions
            .positions
            .iter()
            .filter_map(|(&(t, partition), p)| {
                p.stored.map(|s| {
                    let at = p.passed.map_or(s, |passed| passed.max(s));
                    ((partitions.topics[t].clone(), partition), at)
                })
            })
            .collect()
    }

    /// Whether partition `partition` of topic index `t` is held by this worker.
    pub fn holds(&self, t: usize, partition: i32) -> bool {
        self.partitions.positions.contains_key(&(t, partition))
    }

    /// The stored offsets after a commit: `next` is (topic index, partition) → next offset.
    /// They also go to Kafka as the group's committed offsets, for lag tools (inlet never
    /// reads them).
    pub fn advance(&mut self, next: &FxHashMap<(usize, i32), i64>) {
        let mut tpl = TopicPartitionList::new();
        for (&(t, partition), &offset) in next {
            if let Some(position) = self.partitions.positions.get_mut(&(t, partition)) {
                position.stored = Some(offset);
            }
            let _ = tpl.add_partition_offset(
                &self.partitions.topics[t],
                partition,
                Offset::Offset(offset),
            );
        }
        if tpl.count() > 0
            && let Err(e) = self.consumer.commit(&tpl, CommitMode::Async)
        {
            tracing::debug!(error = %e, "committing offsets to Kafka (for lag tools) failed");
        }
        self.partitions.changed(false);
    }

    /// Places partition `partition` of topic index `t`, if still held, to be read again
    /// from `stored`, or, with none stored, from `first` (the first record dropped,
    /// `i64::MAX` for none: left where it is).
    ///
    /// # Errors
    /// [`Error::Seek`] (retriable) when the seek fails: reading on would go past records not
    /// stored.
    pub fn seek_back(
        &mut self,
        t: usize,
        partition: i32,
        stored: Option<i64>,
        first: i64,
    ) -> crate::Result<()> {
        if !self.holds(t, partition) {
            return Ok(());
        }
        self.partitions
            .positions
            .insert((t, partition), Position::placed(stored));
        self.partitions.changed(false);
        let at = match stored {
            Some(next) => next,
            None if first != i64::MAX => first,
            None => return Ok(()),
        };
        let topic = &self.partitions.topics[t];
        self.consumer
            .seek(
                topic,
                partition,
                Offset::Offset(at),
                Duration::from_secs(10),
            )
            .map_err(|source| Error::Seek {
                topic: topic.clone(),
                partition,
                offset: at,
                source: Box::new(source),
            })
    }

    /// Paused until `resume` completes: the assigned partitions stop fetching (a partition
    /// assigned meanwhile too) while the consumer goes on polling, so that the group keeps
    /// this member and its partitions. Records already fetched are let go; then each
    /// partition is sought back to its stored offset (or, with none stored, to the first
    /// record let go), so none is skipped.
    ///
    /// # Errors
    /// The first [`Error::Seek`] of a partition that could not be sought back.
    pub async fn pause_until(&mut self, resume: impl Future<Output = ()>) -> crate::Result<()> {
        let mut let_go: FxHashMap<(usize, i32), i64> = FxHashMap::default();
        self.set_fetching(false);
        tokio::pin!(resume);
        loop {
            tokio::select! {
                () = &mut resume => break,
                Some(event) = self.events.recv() => {
                    if matches!(event, ConsumerEvent::Assigned(_) | ConsumerEvent::Revoked(_)) {
                        self.partitions.apply(event);
                        self.set_fetching(false);
                    }
                }
                _ = self.idle.tick() => {}
                message = self.consumer.recv() => {
                    if let Ok(message) = message
                        && let Some(t) = self.partitions.topics.iter().position(|t| t == message.topic())
                    {
                        let first = let_go.entry((t, message.partition())).or_insert(i64::MAX);
                        *first = (*first).min(message.offset());
                    }
                }
            }
        }
        // Every partition held: its position is where the last record before the pause was.
        for &key in self.partitions.positions.keys() {
            let_go.entry(key).or_insert(i64::MAX);
        }
        let mut failed = Ok(());
        for ((t, partition), first) in let_go {
            if let Some(stored) = self
                .partitions
                .positions
                .get(&(t, partition))
                .map(|p| p.stored)
                && let Err(e) = self.seek_back(t, partition, stored, first)
            {
                failed = failed.and(Err(e));
            }
        }
        self.set_fetching(true);
        failed
    }

    /// Pauses or resumes fetching of every partition assigned to the consumer.
    fn set_fetching(&self, fetching: bool) {
        let Ok(assignment) = self.consumer.assignment() else {
            return;
        };
        let result = if fetching {
            self.consumer.resume(&assignment)
        } else {
            self.consumer.pause(&assignment)
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, fetching, "pausing or resuming the partitions failed");
        }
    }
}

/// What a message (or its absence: an event, a tick) means for the partitions held: the
/// assignment changes waiting are applied first (the message may be of a partition just
/// assigned); a refused credential, permission or group stops the connector; then the
/// message is handed over if it is at or above its partition's floor. The first message
/// after a placement reports a gap past the stored offset, and one below it seeks the
/// partition back to it once, then stops the connector (`OffsetsAhead`).
fn judge<'a>(
    consumer: &'a SourceConsumer,
    events: &mut UnboundedReceiver<ConsumerEvent>,
    partitions: &mut Partitions,
    event: Option<ConsumerEvent>,
    message: Option<KafkaResult<BorrowedMessage<'a>>>,
    held: impl Fn(usize, i32) -> Held,
) -> Polled<'a> {
    // Assignment changes first: a message may be from a partition just assigned.
    let mut refused = None;
    for e in event
        .into_iter()
        .chain(std::iter::from_fn(|| events.try_recv().ok()))
    {
        match e {
            ConsumerEvent::AuthenticationFailed(reason) => {
                refused = refused.or(Some(Error::Authentication { reason }));
            }
            ConsumerEvent::AuthorizationFailed(error) => {
                refused = refused.or_else(|| partitions.denied(consumer, &error));
            }
            ConsumerEvent::GroupRefused(reason) => {
                refused = refused.or(Some(Error::GroupRefused { reason }));
            }
            ConsumerEvent::Warning(warning) => partitions.warning = Some(warning),
            change => partitions.apply(change),
        }
    }
    if let Some(refused) = refused {
        return Polled::Stop(refused);
    }
    let message = match message {
        Some(Ok(m)) => m,
        Some(Err(e)) if crate::consumer::is_group_refusal(&e) => {
            return Polled::Stop(Error::GroupRefused {
                reason: e.to_string(),
            });
        }
        Some(Err(e)) => {
            return match partitions.denied(consumer, &e) {
                Some(refused) => Polled::Stop(refused),
                None => {
                    partitions.warn(&e);
                    Polled::Nothing
                }
            };
        }
        None => return Polled::Nothing,
    };
    // The consumer is subscribed to these topics only: with one, no name is compared.
    let t = match partitions.topics.len() {
        1 => 0,
        _ => match partitions.topics.iter().position(|t| t == message.topic()) {
            Some(t) => t,
            None => return Polled::Nothing,
        },
    };
    let partition = message.partition();
    let Some(position) = partitions.positions.get_mut(&(t, partition)) else {
        return Polled::Nothing; // not (or no longer) ours
    };
    let placed = std::mem::replace(&mut position.placed, false);
    let rechecked = position.rechecked;
    position.passed = None;
    let stored = position.stored;
    let held = held(t, partition);
    let floor = held.next.or(stored).unwrap_or(i64::MIN);
    let offset = message.offset();
    if placed && stored.is_some() && offset > floor {
        partitions.report_gap(consumer, t, partition, floor, offset);
    }
    if placed
        && let Some(stored) = stored
        && offset < stored
        && !held.in_flight
    {
        // Placed at its stored offset, the partition delivered an earlier one: Kafka
        // reset it to its start because the stored offset is past its end — or, under
        // a takeover, a record was fetched before the placement took hold. Sought back
        // to the stored offset once: a stale fetch is dropped by the seek, while a
        // partition whose stored offset is past its end is reset again, and stops.
        let topic = partitions.topics[t].clone();
        if !rechecked
            && consumer
                .seek(
                    &topic,
                    partition,
                    Offset::Offset(stored),
                    Duration::from_secs(10),
                )
                .is_ok()
            && let Some(position) = partitions.positions.get_mut(&(t, partition))
        {
            position.placed = true;
            position.rechecked = true;
            tracing::debug!(%topic, partition, offset, stored, "a record below the stored offset after a placement: sought back to it once");
            return Polled::Nothing;
        }
        return Polled::Stop(Error::OffsetsAhead {
            topic,
            partition,
            stored,
        });
    }
    if offset < floor {
        return Polled::Nothing; // stored already
    }
    Polled::Record(Incoming {
        topic: t,
        stored,
        message,
    })
}

impl Partitions {
    /// Notes a change of the partitions held (`rebalanced`) or of their positions.
    fn changed(&mut self, rebalanced: bool) {
        let was = self.changes.is_some_and(|c| c.rebalanced);
        self.changes = Some(Changes {
            rebalanced: rebalanced || was,
        });
    }

    /// Applies a change of the consumer's assignment.
    fn apply(&mut self, event: ConsumerEvent) {
        match event {
            ConsumerEvent::AuthenticationFailed(_)
            | ConsumerEvent::AuthorizationFailed(_)
            | ConsumerEvent::GroupRefused(_)
            | ConsumerEvent::Warning(_) => {
                return;
            }
            ConsumerEvent::Assigned(parts) => {
                for (topic, partition, next) in parts {
                    if let Some(t) = self.topics.iter().position(|n| *n == topic) {
                        self.positions
                            .insert((t, partition), Position::placed(next));
                    }
                }
            }
            ConsumerEvent::Revoked(parts) => {
                for (topic, partition) in parts {
                    if let Some(t) = self.topics.iter().position(|n| *n == topic) {
                        self.positions.remove(&(t, partition));
                    }
                }
            }
        }
        self.unassigned_since = self.positions.is_empty().then(Instant::now);
        self.changed(true);
    }

    /// The stop for a Kafka error that is a refused permission: it does not come back by
    /// retrying, so the connector stops with what to grant.
    fn denied(&self, consumer: &SourceConsumer, error: &KafkaError) -> Option<Error> {
        // Name only the topics the brokers refuse (asked one by one), not every topic.
        let topic_refused =
            error.rdkafka_error_code() == Some(RDKafkaErrorCode::TopicAuthorizationFailed);
        let topics: Vec<&str> = self.topics.iter().map(String::as_str).collect();
        let refused: Vec<&str> = topics
            .iter()
            .copied()
            .filter(|topic| {
                topic_refused
                    && consumer
                        .fetch_metadata(Some(topic), Duration::from_secs(5))
                        .ok()
                        .and_then(|m| m.topics().first().and_then(|t| t.error()))
                        .map(RDKafkaErrorCode::from)
                        == Some(RDKafkaErrorCode::TopicAuthorizationFailed)
            })
            .collect();
        let named = if refused.is_empty() {
            &topics
        } else {
            &refused
        };
        let denied = Denied::from_error(error, named, &self.group)?;
        Some(Error::Authorization {
            advice: denied.advice(self.principal.as_deref()),
        })
    }

    /// Logs an error of the consumer that does not stop it, at most every 30 s per kind.
    fn warn(&mut self, error: &KafkaError) {
        let Some(held) = self.warnings.admit(&error.to_string()) else {
            return;
        };
        self.warning = Some(format!("Kafka: {error}"));
        let missing = matches!(
            error.rdkafka_error_code(),
            Some(RDKafkaErrorCode::UnknownTopicOrPartition | RDKafkaErrorCode::UnknownTopic)
        );
        if missing {
            tracing::warn!(%error, held_back = held, "a topic of this connector ({}) does not exist on the cluster: create it, or correct [[connector.topic]] name; the connector reads it once it exists (logged at most every 30 s)", self.topics.join(", "));
        } else {
            tracing::warn!(%error, held_back = held, "Kafka (the same warning is logged at most every 30 s)");
        }
    }

    /// The first record after a partition was placed at its stored offset `floor` is at
    /// `offset`, past it. Kafka serves a fetch from the stored offset, or, when retention
    /// has moved the log's start past it, from the log's start (`auto.offset.reset` is
    /// always `earliest`), so no record that exists is skipped; what lies between is either
    /// records deleted by retention before the connector read them (a warning, with how
    /// many), or offsets that hold no record to store: transaction markers, aborted or
    /// compacted records (debug: every placement of a transactional partition meets a
    /// marker).
    fn report_gap(
        &self,
        consumer: &SourceConsumer,
        t: usize,
        partition: i32,
        floor: i64,
        offset: i64,
    ) {
        let topic = &self.topics[t];
        let log_start = consumer
            .fetch_watermarks(topic, partition, Duration::from_secs(5))
            .map_or(i64::MIN, |(low, _)| low);
        if floor < log_start {
            let lost = log_start.min(offset) - floor;
            tracing::warn!(
                %topic,
                partition,
                stored = floor,
                log_start,
                "offsets {floor}..{log_start} were deleted by retention before the connector read them: {lost} offset{} not read",
                if lost == 1 { "" } else { "s" }
            );
        } else {
            tracing::debug!(
                %topic,
                partition,
                stored = floor,
                first = offset,
                "offsets {floor}..{offset} hold no record to store (transaction markers, aborted or compacted records)"
            );
        }
    }

    /// A worker that holds no partition for [`UNASSIGNED`] says so once: a group whose
    /// partitions nobody reads must not look like a quiet topic.
    fn say_if_unassigned(&mut self) {
        if self.positions.is_empty()
            && let Some(since) = self.unassigned_since
            && since.elapsed() >= UNASSIGNED
        {
            tracing::warn!(
                group = %self.group,
                "no partition of {} assigned to this worker for {} s: the group is rebalancing (a dead member is dropped after session.timeout.ms), other workers hold every partition, or the topics have none this worker may read",
                self.topics.join(", "),
                since.elapsed().as_secs()
            );
            self.unassigned_since = None;
        }
    }

    /// For the lag of partitions with nothing waiting: where the consumer is, when it has
    /// moved past the stored offset without a record (transaction markers, aborted records:
    /// offsets that hold nothing to store). A partition the engine holds records of keeps
    /// its stored offset.
    fn note_idle_positions(
        &mut self,
        consumer: &SourceConsumer,
        held: &impl Fn(usize, i32) -> Held,
    ) {
        let Ok(positions) = consumer.position() else {
            return;
        };
        let mut changed = false;
        for (&(t, partition), p) in &mut self.positions {
            let Some(stored) = p.stored else { continue };
            let busy = held(t, partition).next.is_some();
            let passed = match positions
                .find_partition(&self.topics[t], partition)
                .map(|e| e.offset())
            {
                Some(Offset::Offset(at)) if !busy && at > stored => Some(at),
                _ => None,
            };
            changed |= passed != p.passed;
            p.passed = passed;
        }
        if changed {
            self.changed(false);
        }
    }
}
