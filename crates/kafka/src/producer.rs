//! Producing, for the tools around the connector (`inlet generate`, the benchmark): a
//! producer context that counts deliveries, and topic creation.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::ClientContext;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::producer::{DeliveryResult, ProducerContext};

use crate::error::{Error, Result};

/// Deliveries and their failures, counted (librdkafka reports them on its own thread).
#[derive(Debug, Default)]
pub struct Deliveries {
    /// Records the brokers acknowledged.
    pub ok: AtomicU64,
    /// Records that could not be delivered.
    pub failed: AtomicU64,
    /// The last delivery error, as librdkafka words it.
    pub last_error: std::sync::Mutex<Option<String>>,
}

/// A producer context that counts deliveries into its [`Deliveries`].
pub struct Counting(pub Arc<Deliveries>);

impl ClientContext for Counting {}

impl ProducerContext for Counting {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: Self::DeliveryOpaque) {
        match result {
            Ok(_) => {
                self.0.ok.fetch_add(1, Ordering::Relaxed);
            }
            Err((e, _)) => {
                self.0.failed.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut last) = self.0.last_error.lock() {
                    *last = Some(e.to_string());
                }
            }
        }
    }
}

/// Creates `topic` with `partitions` (replication factor 1: a development cluster) unless
/// it exists. Errors: the admin client cannot be made, or the brokers refuse or do not
/// answer ([`Error::CreateTopic`]).
pub async fn create_topic(kafka: &ClientConfig, topic: &str, partitions: i32) -> Result<()> {
    let failed = |reason: String| Error::CreateTopic {
        topic: topic.to_owned(),
        reason,
    };
    let admin: AdminClient<DefaultClientContext> =
        kafka.create().map_err(|e| failed(e.to_string()))?;
    let results = admin
        .create_topics(
            &[NewTopic::new(topic, partitions, TopicReplication::Fixed(1))],
            &AdminOptions::new().operation_timeout(Some(Duration::from_secs(30))),
        )
        .await
        .map_err(|e| failed(e.to_string()))?;
    for result in results {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((_, code)) => return Err(failed(code.to_string())),
        }
    }
    Ok(())
}
