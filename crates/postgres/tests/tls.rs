//! Connections to the PostgreSQL cluster that requires TLS (127.0.0.1:5433, certificate for
//! `localhost` and `127.0.0.1` from the test CA), in every `sslmode`, as a user of Tiger
//! Cloud connects. Needs `scripts/services up`.

use inlet_fault::Classify as _;
use inlet_postgres::{DatabaseConfig, SslMode};
use inlet_testkit::endpoints;

/// The TLS cluster's URL with `extra` query parameters.
fn tls_url(extra: &str) -> String {
    let url = endpoints().database_tls_url;
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{extra}")
}

async fn encrypted(config: &DatabaseConfig) -> bool {
    let client = config.connect().await.unwrap_or_else(|e| panic!("{e}"));
    client
        .query_one(include_str!("sql/connection_is_encrypted.sql"), &[])
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn verify_full_with_the_ca_is_encrypted() {
    let ca = endpoints().ca_file;
    let config = DatabaseConfig::parse(&tls_url("sslmode=verify-full"))
        .unwrap()
        .with_root_cert(&ca);
    assert!(encrypted(&config).await);
    let by_name = DatabaseConfig::parse(&format!(
        "host=localhost port=5433 user=postgres dbname=postgres sslmode=verify-full sslrootcert={}",
        ca.display()
    ))
    .unwrap();
    assert!(encrypted(&by_name).await);
}

#[tokio::test]
async fn require_encrypts_without_checking_the_certificate() {
    let config = DatabaseConfig::parse(&tls_url("sslmode=require")).unwrap();
    assert!(encrypted(&config).await);
    let prefer = DatabaseConfig::parse(&tls_url("sslmode=prefer")).unwrap();
    assert!(encrypted(&prefer).await);
}

#[tokio::test]
async fn verify_full_refuses_an_unknown_ca_and_says_how_to_fix_it() {
    // Without sslrootcert only the public (Mozilla) roots are trusted: not the test CA.
    let err = DatabaseConfig::parse(&tls_url("sslmode=verify-full"))
        .unwrap()
        .connect()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("not signed by a trusted CA"), "{text}");
    assert!(text.contains("sslrootcert"), "{text}");
    assert!(!err.is_retriable());
}

#[tokio::test]
async fn verify_full_checks_the_host_name_and_verify_ca_does_not() {
    let ca = endpoints().ca_file;
    // The certificate is for localhost and 127.0.0.1, not for this name.
    let url = format!(
        "host=db.inlet.invalid hostaddr=127.0.0.1 port=5433 user=postgres dbname=postgres sslrootcert={}",
        ca.display()
    );
    let err = DatabaseConfig::parse(&url)
        .unwrap()
        .with_ssl_mode(SslMode::VerifyFull)
        .connect()
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("not issued for this host name"),
        "{err}"
    );
    let verify_ca = DatabaseConfig::parse(&url)
        .unwrap()
        .with_ssl_mode(SslMode::VerifyCa);
    assert!(encrypted(&verify_ca).await);
}

#[tokio::test]
async fn plain_connections_are_refused_by_the_tls_cluster() {
    let err = DatabaseConfig::parse(&tls_url("sslmode=disable"))
        .unwrap()
        .connect()
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("cannot connect to PostgreSQL at postgres@127.0.0.1:5433/postgres"),
        "{text}"
    );
    assert!(text.contains("pg_hba.conf"), "{text}");
}

#[test]
fn a_missing_ca_file_is_named() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let err = runtime
        .block_on(
            DatabaseConfig::parse(&tls_url(
                "sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
            ))
            .unwrap()
            .connect(),
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot use /nonexistent/ca.pem as the CA"),
        "{err}"
    );
}
