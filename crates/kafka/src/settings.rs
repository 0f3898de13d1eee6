//! Where and how to connect, checked; and the librdkafka properties that say it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use inlet_secret::Secret;
use rdkafka::ClientConfig;

/// Kafka's `security.protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityProtocol {
    /// No TLS, no authentication.
    Plaintext,
    /// TLS.
    Ssl,
    /// SASL without TLS.
    SaslPlaintext,
    /// SASL over TLS (Confluent Cloud).
    SaslSsl,
}

impl SecurityProtocol {
    /// librdkafka's name.
    pub fn as_str(self) -> &'static str {
        match self {
            SecurityProtocol::Plaintext => "PLAINTEXT",
            SecurityProtocol::Ssl => "SSL",
            SecurityProtocol::SaslPlaintext => "SASL_PLAINTEXT",
            SecurityProtocol::SaslSsl => "SASL_SSL",
        }
    }

    /// Whether SASL credentials are needed.
    pub fn is_sasl(self) -> bool {
        matches!(
            self,
            SecurityProtocol::SaslPlaintext | SecurityProtocol::SaslSsl
        )
    }
}

/// The SASL mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    /// PLAIN (Confluent Cloud API keys).
    Plain,
    /// SCRAM-SHA-256.
    ScramSha256,
    /// SCRAM-SHA-512.
    ScramSha512,
}

impl Mechanism {
    /// librdkafka's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::ScramSha256 => "SCRAM-SHA-256",
            Mechanism::ScramSha512 => "SCRAM-SHA-512",
        }
    }
}

/// librdkafka settings inlet's consumers start from; a connector's `kafka.properties` come
/// after them and win.
///
/// - `fetch.queue.backoff.ms` 20 (librdkafka's default: 1000). While a batch is written, the
///   prefetch queue passes `queued.min.messages` and librdkafka stops fetching for this
///   long; with the default, `inlet run` stalled a second at a time and stored 165k rows/s
///   where its consumer could read 586k records/s (`inlet bench`, 2M records, 4 partitions).
/// - `topic.metadata.refresh.interval.ms` 30000 (300000): partitions added to a topic are
///   found by this refresh; a connector reads them within 30 s instead of 5 minutes.
pub const CONSUMER_TUNING: [(&str, &str); 2] = [
    ("fetch.queue.backoff.ms", "20"),
    ("topic.metadata.refresh.interval.ms", "30000"),
];

/// The prefetch memory a worker aims its consumers at, in KiB. librdkafka's
/// `queued.max.messages.kbytes` bounds each consumer's queue of fetched records (65536 KiB by
/// default) and `queued.min.messages` (100,000 per partition) how many it prefetches: 100
/// connectors with a backlog could hold gigabytes. A worker divides both among the
/// consumers it expects to hold ([`KafkaSettings::sharing_worker`]); a consumer keeps the
/// share it started with, and past 256 consumers the 1 MiB floor goes over the target.
pub const WORKER_QUEUE_BUDGET_KIB: usize = 256 * 1024;

/// A consumer's prefetch queue is never cut below this, in KiB: one fetch of one partition
/// (`max.partition.fetch.bytes`, 1 MiB by default) still fits.
const MIN_QUEUE_KIB: usize = 1024;

/// librdkafka's default `queued.max.messages.kbytes`: one consumer alone keeps it.
const DEFAULT_QUEUE_KIB: usize = 65536;

/// librdkafka's default `queued.min.messages`: one consumer alone keeps it.
const DEFAULT_MIN_MESSAGES: usize = 100_000;

/// A consumer's `queued.min.messages` is never cut below this.
const MIN_MIN_MESSAGES: usize = 1000;

/// How often librdkafka's statistics (the partitions' ends, for lag) come, ms, for a
/// consumer of a worker of at most 10.
const STATISTICS_MS: usize = 5000;

/// Where a partition with no stored offset starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StartFrom {
    /// Its first record.
    #[default]
    Earliest,
    /// Records produced from now on.
    Latest,
}

/// Whether a librdkafka property holds a secret (`ssl.key.password`,
/// `sasl.oauthbearer.client.secret`, `ssl.key.pem`…): its value is never shown.
pub fn is_secret_property(key: &str) -> bool {
    key.ends_with(".password")
        || key.contains("secret")
        || key == "ssl.key.pem"
        // A JAAS or OAUTHBEARER configuration carries credentials inside it.
        || key.contains("jaas")
        || key == "sasl.oauthbearer.config"
}

/// A connector's Kafka settings, checked. `Debug` never shows the password, nor the value
/// of a property that holds a secret ([`is_secret_property`]).
#[derive(Clone)]
pub struct KafkaSettings {
    /// `host:port,host:port`.
    pub bootstrap_servers: String,
    /// The security protocol.
    pub security_protocol: SecurityProtocol,
    /// SASL mechanism and credentials, for the SASL protocols.
    pub sasl: Option<(Mechanism, String, Secret)>,
    /// A CA bundle (PEM) to verify the brokers with, instead of the system's.
    pub ca_file: Option<PathBuf>,
    /// The consumer group: `<prefix>/<connector name>`.
    pub group_id: String,
    /// Where partitions with no stored offset start.
    pub start_from: StartFrom,
    /// Extra librdkafka properties, passed as they are (after inlet's own).
    pub properties: BTreeMap<String, String>,
}

impl std::fmt::Debug for KafkaSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let properties: BTreeMap<&str, &str> = self
            .properties
            .iter()
            .map(|(k, v)| {
                let shown = if is_secret_property(k) {
                    "[redacted]"
                } else {
                    v.as_str()
                };
                (k.as_str(), shown)
            })
            .collect();
        f.debug_struct("KafkaSettings")
            .field("bootstrap_servers", &self.bootstrap_servers)
            .field("security_protocol", &self.security_protocol)
            .field("sasl", &self.sasl)
            .field("ca_file", &self.ca_file)
            .field("group_id", &self.group_id)
            .field("start_from", &self.start_from)
            .field("properties", &properties)
            .finish()
    }
}

impl KafkaSettings {
    /// These settings for one of the `consumers` consumers of a worker, which share its
    /// memory and its idle CPU: the prefetch queue (`queued.max.messages.kbytes`) is its
    /// share of [`WORKER_QUEUE_BUDGET_KIB`], between 1 MiB and librdkafka's default of
    /// 64 MiB, and it prefetches its share of librdkafka's default `queued.min.messages`
    /// (100,000, at least 1,000: small records cost more in librdkafka's bookkeeping than
    /// in bytes); librdkafka's statistics (the partitions' ends, for lag) come every 5 s
    /// per 10 consumers, at most every minute (100 idle connectors spent a third of their
    /// CPU on them at 5 s), so lag is that old. A value in `kafka.properties` wins.
    pub fn sharing_worker(mut self, consumers: usize) -> Self {
        let consumers = consumers.max(1);
        let share = (WORKER_QUEUE_BUDGET_KIB / consumers).clamp(MIN_QUEUE_KIB, DEFAULT_QUEUE_KIB);
        let statistics_ms = (STATISTICS_MS * consumers.div_ceil(10)).min(60_000);
        let min_messages = (DEFAULT_MIN_MESSAGES / consumers).max(MIN_MIN_MESSAGES);
        for (key, value) in [
            ("queued.max.messages.kbytes", share),
            ("queued.min.messages", min_messages),
            ("statistics.interval.ms", statistics_ms),
        ] {
            self.properties
                .entry(key.to_owned())
                .or_insert_with(|| value.to_string());
        }
        self
    }

    /// The librdkafka configuration of a consumer: auto-commit and offset storing off (the
    /// offsets of record are in PostgreSQL).
    pub fn consumer_config(&self) -> ClientConfig {
        let mut config = self.client_config();
        config
            .set("group.id", &self.group_id)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            // A partition with no stored offset is placed at its start or end explicitly
            // (`start_from`); this applies only to a stored offset the log no longer holds
            // (retention moved its start past it), which must resume at the log's start,
            // never skip to its end.
            .set("auto.offset.reset", "earliest")
            .set("enable.partition.eof", "false")
            // High watermarks for the lag metrics.
            .set("statistics.interval.ms", STATISTICS_MS.to_string());
        for (key, value) in CONSUMER_TUNING {
            config.set(key, value);
        }
        for (key, value) in &self.properties {
            config.set(key, value);
        }
        config
    }

    /// The librdkafka configuration for any client (consumer, producer, admin).
    pub fn client_config(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &self.bootstrap_servers)
            .set("security.protocol", self.security_protocol.as_str())
            .set("client.id", "inlet");
        if let Some((mechanism, username, password)) = &self.sasl {
            config
                .set("sasl.mechanism", mechanism.as_str())
                .set("sasl.username", username)
                .set("sasl.password", password.expose());
        }
        if let Some(ca) = &self.ca_file {
            config.set("ssl.ca.location", ca.display().to_string());
        }
        config
    }
}

/// Each of `properties` librdkafka refuses (an unknown property, a value it cannot take),
/// with its reason: (property, reason). The value of a property that holds a secret is
/// never part of the reason. No client is made.
pub fn refused_properties(properties: &BTreeMap<String, String>) -> Vec<(String, String)> {
    let mut refused = Vec::new();
    for (key, value) in properties {
        let mut config = ClientConfig::new();
        config.set(key, value);
        if let Err(e) = config.create_native_config() {
            let mut reason = e.to_string();
            if is_secret_property(key) && !value.is_empty() {
                reason = reason.replace(value.as_str(), "[redacted]");
            }
            refused.push((key.clone(), reason));
        }
    }
    refused
}

impl KafkaSettings {
    /// `text` with every secret of these settings (the SASL password, the values of
    /// properties that hold secrets) replaced by `[redacted]`: for librdkafka's messages,
    /// which may quote a property's value.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        let secrets = self
            .sasl
            .iter()
            .map(|(_, _, password)| password.expose())
            .chain(
                self.properties
                    .iter()
                    .filter(|(k, _)| is_secret_property(k))
                    .map(|(_, v)| v.as_str()),
            );
        for secret in secrets {
            if !secret.is_empty() {
                out = out.replace(secret, "[redacted]");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(properties: &[(&str, &str)]) -> KafkaSettings {
        KafkaSettings {
            bootstrap_servers: "127.0.0.1:9092".into(),
            security_protocol: SecurityProtocol::Plaintext,
            sasl: None,
            ca_file: None,
            group_id: "inlet/test".into(),
            start_from: StartFrom::Earliest,
            properties: properties
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    fn property(settings: &KafkaSettings, key: &str) -> Option<String> {
        settings.consumer_config().get(key).map(str::to_owned)
    }

    #[test]
    fn a_worker_shares_its_prefetch_memory_and_statistics_among_its_consumers() {
        let alone = settings(&[]).sharing_worker(1);
        assert_eq!(
            property(&alone, "queued.max.messages.kbytes").as_deref(),
            Some("65536")
        );
        assert_eq!(
            property(&alone, "statistics.interval.ms").as_deref(),
            Some("5000")
        );
        let hundred = settings(&[]).sharing_worker(100);
        assert_eq!(
            property(&hundred, "queued.max.messages.kbytes").as_deref(),
            Some("2621")
        );
        assert_eq!(
            property(&hundred, "statistics.interval.ms").as_deref(),
            Some("50000")
        );
        assert_eq!(
            property(&hundred, "queued.min.messages").as_deref(),
            Some("1000")
        );
        let many = settings(&[]).sharing_worker(10_000);
        assert_eq!(
            property(&many, "queued.max.messages.kbytes").as_deref(),
            Some("1024")
        );
        assert_eq!(
            property(&many, "statistics.interval.ms").as_deref(),
            Some("60000")
        );
        // kafka.properties wins.
        let set = settings(&[("queued.max.messages.kbytes", "4096")]).sharing_worker(100);
        assert_eq!(
            property(&set, "queued.max.messages.kbytes").as_deref(),
            Some("4096")
        );
    }
}
