//! The `inlet` binary's integration tests, one test binary (linking inlet once rather than
//! once a file): each module drives `inlet run`, `inlet serve` or another subcommand as a
//! user does, against the real services `scripts/services up` starts. `support` holds what
//! they share: a topic and a database per test, the connector configurations (one builder,
//! as a `POST /connectors` body or an `inlet run` file) and the child processes.
//!
//! One module's tests: `cargo nextest run -p inlet --test integration -E 'test(/^serve::/)'`.

mod brokers;
mod conformance;
mod console;
mod faults;
mod json;
mod json_schema;
mod permissions;
mod protobuf;
mod run;
mod schema_propose;
mod secure;
mod serve;
mod support;
