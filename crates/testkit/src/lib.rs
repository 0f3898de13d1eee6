//! Test harness for inlet's integration tests.
//!
//! Integration tests talk to real services on 127.0.0.1, started by `scripts/services up`:
//! PostgreSQL, an Apache Kafka broker and the development schema registry. This crate gives
//! their endpoints (from env, with loopback defaults), a unique topic, table, consumer group,
//! subject and database per test, a producer of Confluent-framed Avro records, and Kafka
//! clusters of a test's own ([`KafkaCluster`]) for tests that kill brokers.
//!
//! A service that is down makes the test fail with a message naming the service and the
//! command that starts it: tests never pass or skip silently.

mod broker;
mod endpoints;
mod kafka;
mod names;
mod postgres;
mod timescaledb;

pub use broker::{KAFKA_VERSION, KafkaCluster, kafka_libs};
pub use endpoints::{Endpoints, ServiceDown, endpoints, inlet_home, python, sasl};
pub use kafka::{AvroProducer, consumer, create_topic, framed_avro, kafka_config};
pub use names::unique;
pub use postgres::TestDatabase;
pub use timescaledb::TimescaleDb;
