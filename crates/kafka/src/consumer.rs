//! The consumer: subscribed to a connector's topics in its group; on every assignment its
//! partitions start at the offsets stored with the rows (or, with none stored, at the
//! earliest or latest record), never at Kafka's committed offsets, which inlet only writes
//! for lag tools to read.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rdkafka::Statistics;
use rdkafka::client::ClientContext;
use rdkafka::consumer::{
    BaseConsumer, Consumer, ConsumerContext, RebalanceProtocol, StreamConsumer,
};
use rdkafka::error::{KafkaError, KafkaResult, RDKafkaErrorCode};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaRespErr;
use tokio::sync::mpsc::UnboundedSender;

use crate::settings::{KafkaSettings, StartFrom};

/// The offsets stored with the rows. Called from librdkafka's rebalance callback, on the
/// thread that polls the consumer (a tokio worker): it blocks until it has an answer,
/// retrying as it sees fit.
pub trait StoredOffsets: Send + Sync + 'static {
    /// partition → next offset to read, for the partitions of `topic` that have one.
    fn load(&self, topic: &str) -> HashMap<i32, i64>;
}

/// What the engine must act on: a change of the partitions this consumer owns, or brokers
/// that refuse its credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsumerEvent {
    /// The brokers refused the SASL credentials (librdkafka's reason; it holds no secret).
    AuthenticationFailed(String),
    /// The brokers refused an operation to the principal (see [`crate::Denied`]).
    AuthorizationFailed(KafkaError),
    /// The brokers refused the group's settings for good (a session timeout out of the
    /// brokers' range, a group protocol they do not take): librdkafka's reason.
    GroupRefused(String),
    /// A warning librdkafka reported and retries (a broker that does not answer, a TLS
    /// handshake that fails), at most one per kind every 30 s: what holds the consumer up.
    Warning(String),
    /// These partitions are ours, starting at these stored offsets (None: none stored).
    Assigned(Vec<(String, i32, Option<i64>)>),
    /// These partitions are no longer ours.
    Revoked(Vec<(String, i32)>),
}

/// The offset up to which each partition can be read, by (topic, partition), from
/// librdkafka's statistics: the last stable offset (the end of the records whose
/// transactions are decided) under `isolation.level=read_committed`, librdkafka's default,
/// else the high watermark. Lag is this minus the stored next offset; with the high
/// watermark, records of open transactions and the marker after the last commit would
/// count as lag that never drains.
pub type PartitionEnds = Arc<Mutex<HashMap<(String, i32), i64>>>;

/// The consumer's context: it places each assigned partition at its stored offset.
pub struct SourceContext {
    offsets: Arc<dyn StoredOffsets>,
    start_from: StartFrom,
    events: UnboundedSender<ConsumerEvent>,
    ends: PartitionEnds,
    /// `isolation.level` is `read_committed`: lag runs to the last stable offset.
    read_committed: bool,
    /// librdkafka's repeated warnings, let through every 30 s.
    warnings: crate::Throttle,
    /// The span `subscribe` was called in (the connector's): librdkafka calls back on
    /// threads of its own, whose log lines are attributed through it.
    span: tracing::Span,
}

impl ClientContext for SourceContext {
    fn stats(&self, statistics: Statistics) {
        let Ok(mut ends) = self.ends.lock() else {
            return;
        };
        for (topic, t) in &statistics.topics {
            for p in t.partitions.values() {
                let end = if self.read_committed {
                    p.ls_offset
                } else {
                    p.hi_offset
                };
                if p.partition >= 0 && end >= 0 {
                    ends.insert((topic.clone(), p.partition), end);
                }
            }
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        let _in = self.span.enter();
        if error.rdkafka_error_code() == Some(RDKafkaErrorCode::Authentication) {
            let _ = self
                .events
                .send(ConsumerEvent::AuthenticationFailed(reason.to_owned()));
        } else if crate::Denied::is_authorization_failure(&error) {
            let _ = self.events.send(ConsumerEvent::AuthorizationFailed(error));
        } else if is_group_refusal(&error) {
            let _ = self
                .events
                .send(ConsumerEvent::GroupRefused(format!("{error}: {reason}")));
        } else if let Some(held) = self.warnings.admit(&format!("{error}")) {
            let _ = self
                .events
                .send(ConsumerEvent::Warning(format!("Kafka: {error}: {reason}")));
            tracing::warn!(
                error = %error,
                %reason,
                held_back = held,
                "Kafka (retried by librdkafka; the same warning is logged at most every 30 s). If no broker answers, check kafka.bootstrap_servers and kafka.security_protocol"
            );
        }
    }
}

impl ConsumerContext for SourceContext {
    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        tpl: &mut TopicPartitionList,
    ) {
        let _in = self.span.enter();
        let cooperative = matches!(
            consumer.rebalance_protocol(),
            RebalanceProtocol::Cooperative
        );
        let partitions: Vec<(String, i32)> = tpl
            .elements()
            .iter()
            .map(|e| (e.topic().to_owned(), e.partition()))
            .collect();
        match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => {
                let mut stored: HashMap<String, HashMap<i32, i64>> = HashMap::new();
                let mut assigned = Vec::with_capacity(partitions.len());
                for (topic, partition) in &partitions {
                    let offsets = stored
                        .entry(topic.clone())
                        .or_insert_with(|| self.offsets.load(topic));
                    let next = offsets.get(partition).copied();
                    let offset = match (next, self.start_from) {
                        (Some(next), _) => Offset::Offset(next),
                        (None, StartFrom::Earliest) => Offset::Beginning,
                        (None, StartFrom::Latest) => Offset::End,
                    };
                    if let Err(e) = tpl.set_partition_offset(topic, *partition, offset) {
                        tracing::error!(%topic, partition, error = %e, "cannot place the partition");
                    }
                    assigned.push((topic.clone(), *partition, next));
                }
                tracing::info!(partitions = ?assigned, "partitions assigned");
                let result = if cooperative {
                    consumer.incremental_assign(tpl)
                } else {
                    consumer.assign(tpl)
                };
                report(result, "assigning partitions");
                let _ = self.events.send(ConsumerEvent::Assigned(assigned));
            }
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => {
                tracing::info!(?partitions, "partitions revoked");
                let _ = self.events.send(ConsumerEvent::Revoked(partitions));
                let result = if cooperative {
                    consumer.incremental_unassign(tpl)
                } else {
                    consumer.unassign()
                };
                report(result, "revoking partitions");
            }
            other => {
                // Under a cooperative protocol (KIP-848's included) a whole unassign is refused
                // (`ERR__STATE`), and the partitions would stay assigned with nobody placing them.
                tracing::warn!(error = ?other, ?partitions, "rebalance error; giving the partitions up");
                let result = if cooperative {
                    let _ = self.events.send(ConsumerEvent::Revoked(partitions));
                    consumer.incremental_unassign(tpl)
                } else {
                    // The whole assignment goes, not only the partitions of this callback.
                    let all = consumer
                        .assignment()
                        .map(|a| {
                            a.elements()
                                .iter()
                                .map(|e| (e.topic().to_owned(), e.partition()))
                                .collect()
                        })
                        .unwrap_or(partitions);
                    let _ = self.events.send(ConsumerEvent::Revoked(all));
                    consumer.unassign()
                };
                report(result, "unassigning after a rebalance error");
            }
        }
    }
}

/// Whether the brokers refuse the group's settings: retrying does not help, the
/// configuration must change.
pub(crate) fn is_group_refusal(error: &KafkaError) -> bool {
    matches!(
        error.rdkafka_error_code(),
        Some(
            RDKafkaErrorCode::InvalidSessionTimeout
                | RDKafkaErrorCode::InconsistentGroupProtocol
                | RDKafkaErrorCode::InvalidGroupId
                | RDKafkaErrorCode::GroupMaxSizeReached
        )
    )
}

fn report(result: KafkaResult<()>, what: &str) {
    if let Err(e) = result {
        tracing::error!(error = %e, "{what} failed");
    }
}

/// The consumer type.
pub type SourceConsumer = StreamConsumer<SourceContext>;

/// A consumer in the connector's group, subscribed to `topics`; assignments are reported
/// on `events`, the partitions' ends (for lag) kept in `ends`.
pub fn subscribe(
    settings: &KafkaSettings,
    topics: &[&str],
    offsets: Arc<dyn StoredOffsets>,
    events: UnboundedSender<ConsumerEvent>,
    ends: PartitionEnds,
) -> crate::Result<SourceConsumer> {
    let config = settings.consumer_config();
    let context = SourceContext {
        offsets,
        start_from: settings.start_from,
        events,
        ends,
        read_committed: !config
            .get("isolation.level")
            .is_some_and(|l| l.eq_ignore_ascii_case("read_uncommitted")),
        warnings: crate::Throttle::default(),
        span: tracing::Span::current(),
    };
    let consumer: SourceConsumer =
        config
            .create_with_context(context)
            .map_err(|e| crate::Error::Consumer {
                reason: settings.scrub(&e.to_string()),
            })?;
    consumer
        .subscribe(topics)
        .map_err(|e| crate::Error::Consumer {
            reason: settings.scrub(&e.to_string()),
        })?;
    Ok(consumer)
}
