//! A look at a topic's latest records, for a preview: read without joining the consumer
//! group and without committing anything, so a running connector is not disturbed.

use std::time::{Duration, Instant};

use rdkafka::Message;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Headers;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

use crate::{Error, KafkaSettings};

/// The most records [`sample`] reads, whatever it is asked for.
pub const MAX_SAMPLE: usize = 1_000;

/// A record read by [`sample`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampledRecord {
    /// Its partition.
    pub partition: i32,
    /// Its offset.
    pub offset: i64,
    /// Its timestamp, in milliseconds since the Unix epoch (None: it has none).
    pub timestamp_ms: Option<i64>,
    /// The raw key (None: a null key).
    pub key: Option<Vec<u8>>,
    /// The raw value (None: a tombstone).
    pub value: Option<Vec<u8>>,
    /// The headers in order: (name, raw value; None for a null value).
    pub headers: Vec<(String, Option<Vec<u8>>)>,
}

/// Up to `limit` (at most [`MAX_SAMPLE`]) of the latest records of `topic`, shared evenly
/// among its partitions, in (partition, offset) order. It reads for at most `timeout`: a
/// partition whose records do not arrive by then gives what it has. Nothing is committed
/// and the group is not joined. Blocking (librdkafka): call it from a blocking thread.
///
/// # Errors
/// [`Error::UnknownTopic`] when the cluster has no such topic (or the principal may not
/// describe it); [`Error::Consumer`] for a setting librdkafka refuses; [`Error::Request`]
/// when the brokers do not answer the metadata or offsets request in `timeout`.
pub fn sample(
    settings: &KafkaSettings,
    topic: &str,
    limit: usize,
    timeout: Duration,
) -> crate::Result<Vec<SampledRecord>> {
    let limit = limit.min(MAX_SAMPLE);
    let started = Instant::now();
    let consumer: BaseConsumer = settings
        .consumer_config()
        .set("statistics.interval.ms", "0")
        .create()
        .map_err(|e| Error::Consumer {
            reason: settings.scrub(&e.to_string()),
        })?;
    let request = |what| {
        move |source| Error::Request {
            what,
            source: Box::new(source),
        }
    };
    let metadata = consumer
        .fetch_metadata(Some(topic), timeout)
        .map_err(request("reading the topic's metadata"))?;
    let partitions: Vec<i32> = match metadata.topics().first() {
        Some(t) if t.error().is_none() && !t.partitions().is_empty() => {
            t.partitions().iter().map(|p| p.id()).collect()
        }
        _ => {
            return Err(Error::UnknownTopic {
                topic: topic.to_owned(),
            });
        }
    };
    if limit == 0 || partitions.is_empty() {
        return Ok(Vec::new());
    }
    let share = limit.div_ceil(partitions.len()) as i64;
    let mut assignment = TopicPartitionList::new();
    // partition → the offset before which its records are read.
    let mut ends = std::collections::HashMap::new();
    for &partition in &partitions {
        let (low, high) = consumer
            .fetch_watermarks(topic, partition, timeout)
            .map_err(request("reading the partitions' offsets"))?;
        if high > low {
            assignment
                .add_partition_offset(topic, partition, Offset::Offset(low.max(high - share)))
                .map_err(|e| Error::Consumer {
                    reason: e.to_string(),
                })?;
            ends.insert(partition, high);
        }
    }
    consumer
        .assign(&assignment)
        .map_err(request("assigning the partitions"))?;
    let mut records = Vec::new();
    while !ends.is_empty() && started.elapsed() < timeout {
        let Some(message) = consumer.poll(Duration::from_millis(100)) else {
            // Past transaction markers and aborted records, the position may reach the end
            // with no record.
            if let Ok(positions) = consumer.position() {
                ends.retain(|&partition, &mut end| {
                    !matches!(
                        positions.find_partition(topic, partition).map(|e| e.offset()),
                        Some(Offset::Offset(at)) if at >= end
                    )
                });
            }
            continue;
        };
        let Ok(message) = message else { continue };
        let partition = message.partition();
        let Some(&end) = ends.get(&partition) else {
            continue;
        };
        if message.offset() < end {
            records.push(SampledRecord {
                partition,
                offset: message.offset(),
                timestamp_ms: message.timestamp().to_millis(),
                key: message.key().map(<[u8]>::to_vec),
                value: message.payload().map(<[u8]>::to_vec),
                headers: message
                    .headers()
                    .map(|h| {
                        h.iter()
                            .map(|h| (h.key.to_owned(), h.value.map(<[u8]>::to_vec)))
                            .collect()
                    })
                    .unwrap_or_default(),
            });
        }
        if message.offset() + 1 >= end {
            ends.remove(&partition);
        }
    }
    // Shares rounded up may hold a few more than asked: the newest are kept.
    records.sort_by_key(|r| std::cmp::Reverse((r.timestamp_ms, r.offset)));
    records.truncate(limit);
    records.sort_by_key(|r| (r.partition, r.offset));
    Ok(records)
}
