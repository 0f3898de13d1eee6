//! Where the services are, and a loud failure when one is not there.

use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

/// The command that starts every local service.
const START: &str = "scripts/services up";

/// The local services' addresses.
#[derive(Debug, Clone)]
pub struct Endpoints {
    /// `INLET_TEST_DATABASE_URL`: a PostgreSQL server where tests may create databases.
    pub database_url: String,
    /// `INLET_TEST_DATABASE_TLS_URL`: the PostgreSQL cluster that requires TLS.
    pub database_tls_url: String,
    /// `INLET_TEST_KAFKA`: bootstrap servers of the PLAINTEXT broker.
    pub kafka: String,
    /// `INLET_TEST_KAFKA_SASL`: bootstrap servers of the broker's SASL_PLAINTEXT listener.
    pub kafka_sasl: String,
    /// `INLET_TEST_KAFKA_SASL_SSL`: bootstrap servers of the broker's SASL_SSL listener.
    pub kafka_sasl_ssl: String,
    /// `INLET_TEST_REGISTRY`: the schema registry's URL.
    pub registry: String,
    /// `INLET_TEST_APICURIO`: Apicurio Registry's Confluent-compatible API.
    pub apicurio: String,
    /// `INLET_TEST_CA`: the test CA's certificate (PEM), which signed the services' certificates.
    pub ca_file: PathBuf,
}

/// SASL users the services script creates on the broker (SCRAM at format time, PLAIN in the
/// listeners' JAAS configuration).
pub mod sasl {
    /// The SCRAM-SHA-256 user.
    pub const SHA256_USER: &str = "inlet-256";
    /// The SCRAM-SHA-512 user.
    pub const SHA512_USER: &str = "inlet-512";
    /// The PLAIN user.
    pub const PLAIN_USER: &str = "inlet-plain";
    /// Every user's password.
    pub const PASSWORD: &str = "inlet-test-secret";
}

fn var(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// Where `scripts/services` keeps its tools and state (`INLET_HOME`, default
/// `~/.cache/inlet`).
pub fn inlet_home() -> PathBuf {
    match std::env::var_os("INLET_HOME") {
        Some(home) => PathBuf::from(home),
        None => PathBuf::from(var("HOME", "/root")).join(".cache/inlet"),
    }
}

/// The endpoints, from env with loopback defaults.
pub fn endpoints() -> Endpoints {
    Endpoints {
        database_url: var(
            "INLET_TEST_DATABASE_URL",
            "postgres://postgres@127.0.0.1:5432/postgres",
        ),
        database_tls_url: var(
            "INLET_TEST_DATABASE_TLS_URL",
            "postgres://postgres@127.0.0.1:5433/postgres",
        ),
        kafka: var("INLET_TEST_KAFKA", "127.0.0.1:9092"),
        kafka_sasl: var("INLET_TEST_KAFKA_SASL", "127.0.0.1:9094"),
        kafka_sasl_ssl: var("INLET_TEST_KAFKA_SASL_SSL", "127.0.0.1:9095"),
        registry: var("INLET_TEST_REGISTRY", "http://127.0.0.1:8081"),
        apicurio: var(
            "INLET_TEST_APICURIO",
            "http://127.0.0.1:8082/apis/ccompat/v7",
        ),
        ca_file: std::env::var_os("INLET_TEST_CA")
            .map(PathBuf::from)
            .unwrap_or_else(|| inlet_home().join("tls/ca.pem")),
    }
}

/// A service that a test needs is not answering.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{service} is not reachable at {address} ({reason}). Integration tests need the local services: start them with `{START}` (env {env} overrides the address)."
)]
pub struct ServiceDown {
    /// The service's name, as a person would say it.
    pub service: &'static str,
    /// The address tried.
    pub address: String,
    /// Why it failed.
    pub reason: String,
    /// The env variable that sets the address.
    pub env: &'static str,
}

impl ServiceDown {
    pub(crate) fn new(
        service: &'static str,
        env: &'static str,
        address: &str,
        reason: impl ToString,
    ) -> Self {
        Self {
            service,
            address: address.to_owned(),
            reason: reason.to_string(),
            env,
        }
    }
}

/// Checks that something accepts TCP connections at `host:port`.
pub(crate) fn check_tcp(
    service: &'static str,
    env: &'static str,
    address: &str,
) -> Result<(), ServiceDown> {
    let down = |reason: &dyn ToString| ServiceDown::new(service, env, address, reason.to_string());
    let addrs: Vec<_> = address.to_socket_addrs().map_err(|e| down(&e))?.collect();
    let mut last = String::from("no address");
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, Duration::from_secs(3)) {
            Ok(_) => return Ok(()),
            Err(e) => last = e.to_string(),
        }
    }
    Err(down(&last))
}

impl Endpoints {
    /// Panics, naming the service and how to start it, unless the PLAINTEXT broker answers.
    pub fn require_kafka(&self) -> &str {
        let first = self.kafka.split(',').next().unwrap_or_default();
        if let Err(down) = check_tcp("Kafka broker (PLAINTEXT)", "INLET_TEST_KAFKA", first) {
            panic!("{down}");
        }
        &self.kafka
    }

    /// Panics, naming the service and how to start it, unless the SASL/SCRAM broker answers.
    pub fn require_kafka_sasl(&self) -> &str {
        let first = self.kafka_sasl.split(',').next().unwrap_or_default();
        if let Err(down) = check_tcp(
            "Kafka broker (SASL_PLAINTEXT)",
            "INLET_TEST_KAFKA_SASL",
            first,
        ) {
            panic!("{down}");
        }
        &self.kafka_sasl
    }

    /// Panics, naming the service and how to start it, unless the SASL_SSL endpoint answers.
    pub fn require_kafka_sasl_ssl(&self) -> &str {
        let first = self.kafka_sasl_ssl.split(',').next().unwrap_or_default();
        if let Err(down) = check_tcp(
            "Kafka broker (SASL_SSL)",
            "INLET_TEST_KAFKA_SASL_SSL",
            first,
        ) {
            panic!("{down}");
        }
        &self.kafka_sasl_ssl
    }

    /// Panics, naming the service and how to start it, unless Apicurio Registry answers.
    pub async fn require_apicurio(&self) -> &str {
        if let Err(down) =
            check_registry_named("Apicurio Registry", "INLET_TEST_APICURIO", &self.apicurio).await
        {
            panic!("{down}");
        }
        &self.apicurio
    }

    /// Panics, naming the service and how to start it, unless the registry answers HTTP.
    pub async fn require_registry(&self) -> &str {
        if let Err(down) = check_registry(&self.registry).await {
            panic!("{down}");
        }
        &self.registry
    }
}

/// Checks that a schema registry answers `GET /subjects` at `url`.
pub(crate) async fn check_registry(url: &str) -> Result<(), ServiceDown> {
    check_registry_named("Schema registry", "INLET_TEST_REGISTRY", url).await
}

async fn check_registry_named(
    service: &'static str,
    env: &'static str,
    url: &str,
) -> Result<(), ServiceDown> {
    let client = inlet_registry::RegistryClient::new(inlet_registry::RegistryConfig::new(url))
        .map_err(|e| ServiceDown::new(service, env, url, e))?;
    client
        .subjects()
        .await
        .map(drop)
        .map_err(|e| ServiceDown::new(service, env, url, e))
}

/// The Python of the virtualenv that `scripts/services up` makes, with Confluent's client
/// (`confluent-kafka`) and fastavro in it. Panics, saying how to make it, when it is missing.
pub fn python() -> PathBuf {
    let path = std::env::var_os("INLET_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| inlet_home().join("venv/bin/python"));
    if !path.exists() {
        panic!(
            "the Python virtualenv with confluent-kafka is missing at {} (env INLET_TEST_PYTHON overrides it): create it with `{START}`",
            path.display()
        );
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    fn closed_port() -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().to_string()
    }

    #[test]
    fn a_stopped_service_is_named_with_the_command_that_starts_it() {
        let address = closed_port();
        let err = check_tcp("Kafka broker (PLAINTEXT)", "INLET_TEST_KAFKA", &address).unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("Kafka broker (PLAINTEXT) is not reachable at "),
            "{text}"
        );
        assert!(text.contains(&address), "{text}");
        assert!(text.contains("scripts/services up"), "{text}");
        assert!(text.contains("INLET_TEST_KAFKA"), "{text}");
    }

    #[tokio::test]
    async fn a_stopped_registry_is_named() {
        let url = format!("http://{}", closed_port());
        let err = check_registry(&url).await.unwrap_err();
        assert_eq!(err.service, "Schema registry");
        assert!(err.to_string().contains("scripts/services up"), "{err}");
    }
}
