//! Topics, consumers and a producer of Confluent-framed Avro records on the test brokers.

use std::time::Duration;

use apache_avro::Schema;
use apache_avro::types::Value;
use inlet_avro::{SchemaId, encode_frame};
use inlet_registry::{RegistryClient, RegistryConfig};
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::StreamConsumer;
use rdkafka::producer::{FutureProducer, FutureRecord};

/// A dead member is noticed after the session time-out: keep it short in tests (the broker
/// allows 1 s and more, `scripts/kafka/server.properties`).
const SESSION_TIMEOUT_MS: &str = "6000";

/// A client configuration for `bootstrap` with test-friendly time-outs.
pub fn kafka_config(bootstrap: &str) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", bootstrap)
        .set("socket.timeout.ms", "10000")
        .set("message.timeout.ms", "30000");
    config
}

/// Creates `topic` with `partitions` partitions on the brokers of `config`; an existing topic
/// is an error. (Tests create their topics: brokers may not auto-create them.)
pub async fn create_topic(config: &ClientConfig, topic: &str, partitions: i32) {
    let bootstrap = config.get("bootstrap.servers").unwrap_or_default();
    let admin: AdminClient<DefaultClientContext> = config
        .create()
        .unwrap_or_else(|e| panic!("creating a Kafka admin client for {bootstrap}: {e}"));
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    let results = admin
        .create_topics(
            &[NewTopic::new(topic, partitions, TopicReplication::Fixed(1))],
            &options,
        )
        .await
        .unwrap_or_else(|e| panic!("creating topic {topic} on {bootstrap}: {e}"));
    for result in results {
        if let Err((name, code)) = result {
            panic!("creating topic {name} on {bootstrap}: {code}");
        }
    }
}

/// A consumer in `group` that starts at the earliest offset and commits nothing by itself.
pub fn consumer(config: &ClientConfig, group: &str) -> StreamConsumer {
    let mut config = config.clone();
    config
        .set("group.id", group)
        .set("session.timeout.ms", SESSION_TIMEOUT_MS)
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false");
    config
        .create()
        .unwrap_or_else(|e| panic!("creating a Kafka consumer in group {group}: {e}"))
}

/// Registers Avro schemas and produces records framed the way Confluent's serializers frame them.
pub struct AvroProducer {
    registry: RegistryClient,
    producer: FutureProducer,
}

impl AvroProducer {
    /// A producer to the brokers of `config`, registering schemas at `registry_url`.
    pub fn new(config: &ClientConfig, registry_url: &str) -> Self {
        let registry = RegistryClient::new(RegistryConfig::new(registry_url))
            .unwrap_or_else(|e| panic!("{e}"));
        let producer = config
            .create()
            .unwrap_or_else(|e| panic!("creating a Kafka producer: {e}"));
        Self { registry, producer }
    }

    /// The Kafka producer (for transactions: a configuration with `transactional.id`).
    pub fn producer(&self) -> &FutureProducer {
        &self.producer
    }

    /// Registers `schema` under `subject`; returns its id and the parsed schema.
    pub async fn register(&self, subject: &str, schema: &str) -> (SchemaId, Schema) {
        let id = self
            .registry
            .register(subject, schema, &[])
            .await
            .unwrap_or_else(|e| panic!("registering a schema under {subject}: {e}"));
        let parsed = Schema::parse_str(schema)
            .unwrap_or_else(|e| panic!("the test schema is not valid Avro: {e}"));
        (SchemaId(id), parsed)
    }

    /// Encodes `value` with `schema`, frames it with `id` and produces it; returns
    /// (partition, offset).
    pub async fn send_avro(
        &self,
        topic: &str,
        partition: Option<i32>,
        key: Option<&[u8]>,
        (id, schema): (SchemaId, &Schema),
        value: Value,
    ) -> (i32, i64) {
        let framed = framed_avro((id, schema), value);
        self.send_raw(topic, partition, key, &framed).await
    }

    /// Produces `value` with a Confluent-framed Avro `key` (both encoded with their
    /// schemas); returns (partition, offset).
    pub async fn send_keyed(
        &self,
        topic: &str,
        key: ((SchemaId, &Schema), Value),
        value: Option<((SchemaId, &Schema), Value)>,
    ) -> (i32, i64) {
        let key = framed_avro(key.0, key.1);
        let value = value.map(|(schema, value)| framed_avro(schema, value));
        self.send(topic, Some(0), Some(&key), value.as_deref())
            .await
    }

    /// Encodes and produces many records at once (the producer queues them all, then waits
    /// for every delivery); `partition` None lets the partitioner choose.
    pub async fn send_avro_many(
        &self,
        topic: &str,
        (id, schema): (SchemaId, &Schema),
        records: Vec<(Option<i32>, Value)>,
    ) {
        let writer = apache_avro::writer::datum::GenericDatumWriter::builder(schema)
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let framed: Vec<(Option<i32>, Vec<u8>)> = records
            .into_iter()
            .map(|(partition, value)| {
                let body = writer
                    .write_value_to_vec(value)
                    .unwrap_or_else(|e| panic!("the test value does not fit its schema: {e}"));
                let mut framed = Vec::with_capacity(body.len() + 5);
                encode_frame(id, &body, &mut framed);
                (partition, framed)
            })
            .collect();
        for chunk in framed.chunks(10_000) {
            let sends = chunk.iter().map(|(partition, value)| {
                let mut record = FutureRecord::<[u8], [u8]>::to(topic).payload(value);
                if let Some(partition) = partition {
                    record = record.partition(*partition);
                }
                self.producer.send(record, Duration::from_secs(60))
            });
            for result in futures_util::future::join_all(sends).await {
                if let Err((e, _)) = result {
                    panic!("producing to {topic}: {e}");
                }
            }
        }
    }

    /// Produces `value` as it is (poison records, plain bytes).
    pub async fn send_raw(
        &self,
        topic: &str,
        partition: Option<i32>,
        key: Option<&[u8]>,
        value: &[u8],
    ) -> (i32, i64) {
        self.send(topic, partition, key, Some(value)).await
    }

    /// Produces a tombstone: `key` and no value.
    pub async fn send_tombstone(
        &self,
        topic: &str,
        partition: Option<i32>,
        key: &[u8],
    ) -> (i32, i64) {
        self.send(topic, partition, Some(key), None).await
    }

    async fn send(
        &self,
        topic: &str,
        partition: Option<i32>,
        key: Option<&[u8]>,
        value: Option<&[u8]>,
    ) -> (i32, i64) {
        let mut record = FutureRecord::<[u8], [u8]>::to(topic);
        if let Some(value) = value {
            record = record.payload(value);
        }
        if let Some(key) = key {
            record = record.key(key);
        }
        if let Some(partition) = partition {
            record = record.partition(partition);
        }
        match self.producer.send(record, Duration::from_secs(30)).await {
            Ok(delivery) => (delivery.partition, delivery.offset),
            Err((e, _)) => panic!("producing to {topic}: {e}"),
        }
    }
}

/// `value` encoded with `schema` in a Confluent frame of schema id `id`.
pub fn framed_avro((id, schema): (SchemaId, &Schema), value: Value) -> Vec<u8> {
    let body = apache_avro::writer::datum::GenericDatumWriter::builder(schema)
        .build()
        .and_then(|writer| writer.write_value_to_vec(value))
        .unwrap_or_else(|e| panic!("the test value does not fit its schema: {e}"));
    let mut framed = Vec::with_capacity(body.len() + 5);
    encode_frame(id, &body, &mut framed);
    framed
}
