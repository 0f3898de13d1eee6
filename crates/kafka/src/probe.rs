//! The Kafka half of what the product page's "Authenticate" button does: with a
//! connector's settings, whether the brokers answer and take the credentials, whether each
//! topic exists and can be read, whether the consumer group can be read — each failure with
//! the ACL or setting that fixes it — and the cluster's topics. Nothing is written; the
//! group is not joined.

use std::time::Duration;

use rdkafka::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::topic_partition_list::TopicPartitionList;

use crate::{Denied, KafkaSettings};

/// How long to wait for each answer from Kafka.
const KAFKA_TIMEOUT: Duration = Duration::from_secs(10);

/// One thing checked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// Whether it is as it should be.
    pub ok: bool,
    /// What was checked: `database`, `kafka`, `topic`, `group`, `registry`, `subject`, `table`.
    pub what: &'static str,
    /// What was found; when not ok, also what to do.
    pub detail: String,
}

impl Finding {
    /// A check that passed.
    pub fn ok(what: &'static str, detail: String) -> Self {
        Finding {
            ok: true,
            what,
            detail,
        }
    }

    /// A check that failed: `detail` says what to do.
    pub fn fail(what: &'static str, detail: String) -> Self {
        Finding {
            ok: false,
            what,
            detail,
        }
    }
}

/// A topic of the cluster, as the Kafka probe saw it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TopicInfo {
    /// Its name.
    pub name: String,
    /// How many partitions it has.
    pub partitions: usize,
}

/// What the Kafka probe ("Authenticate") found.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct KafkaProbe {
    /// The brokers' answer, each topic asked for, the consumer group: ok, or what to do.
    pub findings: Vec<Finding>,
    /// Every topic of the cluster the principal may see (internal ones left out), by name.
    pub topics: Vec<TopicInfo>,
}

/// Keeps librdkafka's errors for the findings instead of logging them.
#[derive(Default)]
struct Quiet {
    authentication: std::sync::Mutex<Option<String>>,
    /// The last transport failure librdkafka reported (a name that does not resolve, a
    /// refused connection, a failed TLS handshake): why the brokers did not answer.
    transport: std::sync::Mutex<Option<String>>,
    /// The last authorization failure the brokers reported (a missing ACL).
    denied: std::sync::Mutex<Option<KafkaError>>,
    /// librdkafka said every bootstrap broker is down (each refused or dropped the
    /// connection): no need to wait out the probe's time limit.
    all_down: std::sync::atomic::AtomicBool,
}

impl Quiet {
    /// Whether what librdkafka reported so far will not get better by waiting: refused
    /// credentials, a failed TLS handshake, every broker down.
    fn hopeless(&self) -> bool {
        let tls = self.transport.lock().ok().is_some_and(|t| {
            t.as_deref().is_some_and(|t| {
                let t = t.to_ascii_lowercase();
                t.contains("ssl") || t.contains("handshake") || t.contains("certificate")
            })
        });
        tls || self.all_down.load(std::sync::atomic::Ordering::Relaxed)
            || self.authentication.lock().is_ok_and(|a| a.is_some())
    }
}

impl ClientContext for Quiet {
    fn log(&self, _: RDKafkaLogLevel, facility: &str, message: &str) {
        tracing::debug!(%facility, %message, "librdkafka");
    }

    fn error(&self, error: KafkaError, reason: &str) {
        if error.rdkafka_error_code() == Some(RDKafkaErrorCode::Authentication)
            && let Ok(mut slot) = self.authentication.lock()
        {
            *slot = Some(reason.to_owned());
        }
        if Denied::is_authorization_failure(&error)
            && let Ok(mut slot) = self.denied.lock()
        {
            *slot = Some(error.clone());
        }
        let transport = matches!(
            error.rdkafka_error_code(),
            Some(
                RDKafkaErrorCode::BrokerTransportFailure
                    | RDKafkaErrorCode::Resolve
                    | RDKafkaErrorCode::SSL
                    | RDKafkaErrorCode::AllBrokersDown
            )
        );
        let all_down = reason.contains("brokers are down");
        if transport && all_down {
            self.all_down
                .store(true, std::sync::atomic::Ordering::Relaxed);
        }
        if transport
            && !all_down
            && let Ok(mut slot) = self.transport.lock()
        {
            *slot = Some(reason.to_owned());
        }
        tracing::debug!(%error, %reason, "Kafka");
    }
}

impl ConsumerContext for Quiet {}

/// The probe: connects with `settings` and checks the brokers, the credentials, each of
/// `topics` and the consumer group; lists the cluster's topics. Blocking (librdkafka): call
/// it from a blocking thread. The findings never quote a secret of the settings.
pub fn probe(settings: &KafkaSettings, topics: &[String]) -> KafkaProbe {
    let mut findings = probe_unscrubbed(settings, topics);
    // librdkafka's messages may quote a setting's value.
    for finding in &mut findings.findings {
        finding.detail = settings.scrub(&finding.detail);
    }
    findings
}

/// A partition's earliest and latest offsets: Kafka's low and high watermarks (the next
/// offset to be written).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PartitionBounds {
    /// The topic.
    pub topic: String,
    /// The partition.
    pub partition: i32,
    /// The earliest offset retained.
    pub earliest: i64,
    /// The offset the next record will get.
    pub latest: i64,
}

/// The id of the cluster `settings` reach (what Kafka Connect's `GET /` calls
/// `kafka_cluster_id`), or None when no broker answers within `timeout`. Blocking: call it
/// from a blocking thread.
pub fn cluster_id(settings: &KafkaSettings, timeout: Duration) -> Option<String> {
    let consumer: BaseConsumer<Quiet> = settings
        .consumer_config()
        .create_with_context(Quiet::default())
        .ok()?;
    consumer.client().fetch_cluster_id(timeout)
}

/// The bounds of every partition of `topics`, in (topic, partition) order: where an offset
/// reset to earliest or latest puts a partition; and the topics of `topics` the cluster
/// does not have (or does not show this user), which have none. Blocking (librdkafka):
/// call it from a blocking thread.
///
/// # Errors
/// A message that says what to do (secrets scrubbed): the settings unusable, the brokers
/// not answering, a topic not readable.
pub fn partition_bounds(
    settings: &KafkaSettings,
    topics: &[String],
) -> std::result::Result<(Vec<PartitionBounds>, Vec<String>), String> {
    let consumer: BaseConsumer<Quiet> = settings
        .consumer_config()
        .create_with_context(Quiet::default())
        .map_err(|e| settings.scrub(&format!("the Kafka settings are not usable: {e}")))?;
    let mut bounds = Vec::new();
    let mut missing = Vec::new();
    for topic in topics {
        let metadata = consumer
            .fetch_metadata(Some(topic), KAFKA_TIMEOUT)
            .map_err(|e| {
                settings.scrub(&format!(
                    "{topic}: the brokers did not describe it ({e}): check kafka.bootstrap_servers and the credentials"
                ))
            })?;
        let partitions: Vec<i32> = metadata
            .topics()
            .iter()
            .filter(|t| t.name() == topic && t.error().is_none())
            .flat_map(|t| t.partitions().iter().map(|p| p.id()))
            .collect();
        if partitions.is_empty() {
            missing.push(topic.clone());
            continue;
        }
        for partition in partitions {
            let (earliest, latest) = consumer
                .fetch_watermarks(topic, partition, KAFKA_TIMEOUT)
                .map_err(|e| {
                    settings.scrub(&format!(
                        "{topic}/{partition}: its offsets cannot be read ({e}): grant READ on the topic"
                    ))
                })?;
            bounds.push(PartitionBounds {
                topic: topic.clone(),
                partition,
                earliest,
                latest,
            });
        }
    }
    bounds.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
    Ok((bounds, missing))
}

fn probe_unscrubbed(settings: &KafkaSettings, topics: &[String]) -> KafkaProbe {
    let mut findings = Vec::new();
    let principal = settings.sasl.as_ref().map(|(_, user, _)| user.as_str());
    let who = match &settings.sasl {
        Some((mechanism, user, _)) => format!(
            " as {user} ({}, {})",
            mechanism.as_str(),
            settings.security_protocol.as_str()
        ),
        None => format!(" ({})", settings.security_protocol.as_str()),
    };
    let consumer: BaseConsumer<Quiet> = match settings
        .consumer_config()
        .create_with_context(Quiet::default())
    {
        Ok(c) => c,
        Err(e) => {
            findings.push(Finding::fail(
                "kafka",
                format!("the Kafka settings are not usable: {e}"),
            ));
            return KafkaProbe {
                findings,
                topics: Vec::new(),
            };
        }
    };
    // Asked in steps of a second, so that a refusal librdkafka reports (credentials, TLS,
    // every broker down) answers at once instead of after the whole time limit.
    let deadline = std::time::Instant::now() + KAFKA_TIMEOUT;
    let metadata = loop {
        let step = deadline
            .saturating_duration_since(std::time::Instant::now())
            .min(Duration::from_secs(1));
        let metadata = consumer.fetch_metadata(None, step);
        if metadata.is_ok() {
            break metadata;
        }
        // Errors reach the context when the consumer is polled.
        let _ = consumer.poll(Duration::from_millis(50));
        if consumer.context().hopeless() || std::time::Instant::now() >= deadline {
            break metadata;
        }
    };
    let metadata = match metadata {
        Ok(m) => m,
        Err(_)
            if consumer
                .context()
                .authentication
                .lock()
                .is_ok_and(|a| a.is_some()) =>
        {
            let reason = consumer
                .context()
                .authentication
                .lock()
                .ok()
                .and_then(|a| a.clone())
                .unwrap_or_default();
            findings.push(Finding::fail(
                "kafka",
                format!(
                    "{}{who}: the credentials were refused: {reason}. Check kafka.username, kafka.password and kafka.sasl_mechanism (for Confluent Cloud: an API key and its secret, with PLAIN)",
                    settings.bootstrap_servers
                ),
            ));
            return KafkaProbe {
                findings,
                topics: Vec::new(),
            };
        }
        Err(e) => {
            // librdkafka's own words for the last failure say which of these it is.
            let why = consumer
                .context()
                .transport
                .lock()
                .ok()
                .and_then(|t| t.clone())
                .unwrap_or_else(|| e.to_string());
            let lower = why.to_ascii_lowercase();
            let advice = if lower.contains("resolve") {
                "the host name does not resolve: check kafka.bootstrap_servers (host:port)"
                    .to_owned()
            } else if lower.contains("ssl")
                || lower.contains("handshake")
                || lower.contains("certificate")
            {
                format!(
                    "the TLS handshake failed: check kafka.security_protocol ({}) against the port, and kafka.ca_file when the brokers' certificate is not from a public CA",
                    settings.security_protocol.as_str()
                )
            } else if lower.contains("refused")
                || lower.contains("timed out")
                || lower.contains("unreachable")
            {
                // One sentence for a refused port and a host that cannot be reached, and
                // librdkafka's words left out: the step is not a port scanner.
                return KafkaProbe {
                    findings: vec![Finding::fail(
                        "kafka",
                        format!(
                            "{}{who}: no Kafka broker answered: nothing accepts connections there or the host cannot be reached; check the host and port of kafka.bootstrap_servers, and that inlet may reach them",
                            settings.bootstrap_servers
                        ),
                    )],
                    topics: Vec::new(),
                };
            } else if settings.sasl.is_some() {
                "check kafka.bootstrap_servers and kafka.security_protocol, then kafka.sasl_mechanism, kafka.username and kafka.password (for Confluent Cloud: an API key and its secret, SASL_SSL, PLAIN)".to_owned()
            } else {
                "check kafka.bootstrap_servers and kafka.security_protocol (Confluent Cloud needs SASL_SSL with an API key and secret)".to_owned()
            };
            findings.push(Finding::fail(
                "kafka",
                format!(
                    "{}{who}: no answer within {KAFKA_TIMEOUT:?} ({why}): {advice}",
                    settings.bootstrap_servers,
                ),
            ));
            return KafkaProbe {
                findings,
                topics: Vec::new(),
            };
        }
    };
    findings.push(Finding::ok(
        "kafka",
        format!(
            "{}{who}: {} broker(s)",
            settings.bootstrap_servers,
            metadata.brokers().len()
        ),
    ));
    let mut cluster_topics: Vec<TopicInfo> = metadata
        .topics()
        .iter()
        .filter(|t| !t.name().starts_with("__"))
        .map(|t| TopicInfo {
            name: t.name().to_owned(),
            partitions: t.partitions().len(),
        })
        .collect();
    cluster_topics.sort_by(|a, b| a.name.cmp(&b.name));
    let mut group_partitions = TopicPartitionList::new();
    for topic in topics {
        let Some(found) = metadata.topics().iter().find(|t| t.name() == topic) else {
            // A topic the principal may not describe is left out of the cluster's list;
            // asked for by name, the broker says whether it is refused or absent.
            let refused = consumer
                .fetch_metadata(Some(topic), KAFKA_TIMEOUT)
                .ok()
                .and_then(|m| m.topics().first().and_then(|t| t.error()))
                .map(RDKafkaErrorCode::from)
                == Some(RDKafkaErrorCode::TopicAuthorizationFailed);
            let message = if refused {
                Denied::Topics(vec![topic.clone()]).advice(principal)
            } else {
                format!(
                    "{topic} does not exist on this cluster (or is not visible to this user): create it, or check the topic's name"
                )
            };
            findings.push(Finding::fail("topic", message));
            continue;
        };
        if found.partitions().is_empty() {
            findings.push(Finding::fail(
                "topic",
                format!(
                    "{topic} has no partitions visible to this user: grant DESCRIBE and READ on it"
                ),
            ));
            continue;
        }
        let mut records = 0i64;
        let mut failure = None;
        for p in found.partitions() {
            match consumer.fetch_watermarks(topic, p.id(), KAFKA_TIMEOUT) {
                Ok((low, high)) => records += high - low,
                Err(e) => failure = Some(e),
            }
            group_partitions.add_partition(topic, p.id());
        }
        match failure {
            None => findings.push(Finding::ok(
                "topic",
                format!(
                    "{topic}: {} partition(s), {records} record(s) retained",
                    found.partitions().len()
                ),
            )),
            Some(e) => findings.push(Finding::fail(
                "topic",
                format!("{topic}: its offsets cannot be read ({e}): grant READ on the topic"),
            )),
        }
    }
    if group_partitions.count() > 0 {
        match consumer.committed_offsets(group_partitions, KAFKA_TIMEOUT) {
            Ok(_) => findings.push(Finding::ok(
                "group",
                format!("{}: readable", settings.group_id),
            )),
            Err(e) => {
                // The coordinator's refusal may reach the context rather than the call's error:
                // the call's own error first, then a group refusal the context saw.
                let group_refused = |error: &KafkaError| {
                    error.rdkafka_error_code() == Some(RDKafkaErrorCode::GroupAuthorizationFailed)
                };
                let mut error = e.clone();
                let deadline = std::time::Instant::now() + Duration::from_secs(2);
                while !group_refused(&error) && std::time::Instant::now() < deadline {
                    let _ = consumer.poll(Duration::from_millis(100));
                    if let Some(seen) = consumer
                        .context()
                        .denied
                        .lock()
                        .ok()
                        .and_then(|d| d.clone())
                        && group_refused(&seen)
                    {
                        error = seen;
                    }
                }
                let message = match Denied::from_error(&error, &[], &settings.group_id) {
                    Some(denied) => denied.advice(principal),
                    None => format!(
                        "{}: {e}. Grant READ on the consumer group (a PREFIXED ACL on the group prefix works), or change kafka.group_prefix",
                        settings.group_id
                    ),
                };
                findings.push(Finding::fail("group", message));
            }
        }
    }
    KafkaProbe {
        findings,
        topics: cluster_topics,
    }
}
