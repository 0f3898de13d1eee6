//! Test harness for inlet's integration tests.
//!
//! Integration tests talk to real services on 127.0.0.1, started by `scripts/services up`:
//! PostgreSQL, the tansu Kafka brokers and the development schema registry. This crate gives
//! their endpoints (from env, with loopback defaults), a unique topic, table, consumer group,
//! subject and database per test, and a producer of Confluent-framed Avro records.
//!
//! A service that is down makes the test fail with a message naming the service and the
//! command that starts it: tests never pass or skip silently.

mod endpoints;
mod kafka;
mod names;
mod postgres;

pub use endpoints::{Endpoints, ServiceDown, endpoints, inlet_home, python, scram};
pub use kafka::{AvroProducer, consumer, create_topic, kafka_config};
pub use names::unique;
pub use postgres::TestDatabase;
