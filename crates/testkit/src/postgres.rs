//! A database of its own for each test, dropped afterwards.

use tokio_postgres::{Client, Config, NoTls};

use crate::endpoints::{ServiceDown, endpoints};
use crate::names::unique;

/// A fresh database on the test server; dropped (with its connections) when this is dropped.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    url: String,
    admin_url: String,
}

async fn connect(url: &str) -> Result<Client, ServiceDown> {
    let down = |e: &dyn ToString| {
        ServiceDown::new(
            "PostgreSQL",
            "INLET_TEST_DATABASE_URL",
            &redacted(url),
            e.to_string(),
        )
    };
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .map_err(|e| down(&e))?;
    tokio::spawn(connection);
    Ok(client)
}

/// The URL without a password, for messages.
fn redacted(url: &str) -> String {
    match url.parse::<Config>() {
        Ok(config) if config.get_password().is_some() => "(URL with password)".to_owned(),
        _ => url.to_owned(),
    }
}

impl TestDatabase {
    /// Creates a database named after `prefix` on `INLET_TEST_DATABASE_URL`. Panics, naming
    /// PostgreSQL and how to start it, when the server does not answer.
    pub async fn create(prefix: &str) -> Self {
        let admin_url = endpoints().database_url;
        let admin = connect(&admin_url)
            .await
            .unwrap_or_else(|down| panic!("{down}"));
        let name = unique(prefix);
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .await
            .unwrap_or_else(|e| panic!("creating test database {name}: {e}"));
        let mut config: Config = admin_url
            .parse()
            .unwrap_or_else(|e| panic!("INLET_TEST_DATABASE_URL is not a PostgreSQL URL: {e}"));
        config.dbname(&name);
        let url = config_url(&config);
        Self {
            name,
            url,
            admin_url,
        }
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A connection URL for the database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A new connection to the database.
    pub async fn connect(&self) -> Client {
        connect(&self.url)
            .await
            .unwrap_or_else(|down| panic!("{down}"))
    }
}

/// A URL for `config`'s host, port, user and database (the test server uses trust auth or
/// a password in the URL; both survive).
fn config_url(config: &Config) -> String {
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        _ => "127.0.0.1".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("postgres");
    let password = config
        .get_password()
        .map(|p| format!(":{}", String::from_utf8_lossy(p)))
        .unwrap_or_default();
    let db = config.get_dbname().unwrap_or("postgres");
    format!("postgres://{user}{password}@{host}:{port}/{db}")
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs inside or outside a runtime; a thread with its own runtime works in both.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let admin = connect(&admin_url).await.ok()?;
                admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await
                    .ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(()))) {
            eprintln!("warning: test database {} was not dropped", self.name);
        }
    }
}
