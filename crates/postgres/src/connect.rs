//! Connections: a libpq-style URL or key/value string, with libpq's `sslmode` values
//! (`disable`, `prefer`, `require`, `verify-ca`, `verify-full`) and `sslrootcert`, over rustls.
//!
//! tokio-postgres itself knows only `disable`, `prefer` and `require`, and leaves
//! certificate checks to the TLS connector; this module takes `sslmode` and `sslrootcert`
//! out of the string and builds the rustls configuration that gives each mode libpq's
//! meaning. Without `sslrootcert`, verification uses the Mozilla roots (`webpki-roots`),
//! which is what managed services such as Tiger Cloud present certificates for.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres::config::{Host, SslMode as DriverSslMode};
use tokio_postgres_rustls::MakeRustlsConnect;
use tracing::Instrument as _;

use crate::error::{Error, Result};

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SslMode {
    /// Plain TCP.
    Disable,
    /// TLS when the server offers it, without checking its certificate (libpq's default).
    #[default]
    Prefer,
    /// TLS, without checking the certificate.
    Require,
    /// TLS, with a certificate signed by a trusted CA, for any host name.
    VerifyCa,
    /// TLS, with a certificate signed by a trusted CA and issued for the host connected to.
    VerifyFull,
}

impl SslMode {
    fn parse(value: &str) -> Result<Self> {
        Ok(match value {
            "disable" => SslMode::Disable,
            "prefer" | "allow" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(Error::Config {
                    reason: format!(
                        "sslmode={other:?} is not one of disable, prefer, require, verify-ca, verify-full"
                    ),
                });
            }
        })
    }
}

/// Where and how to connect. Its `Debug` never shows the password.
#[derive(Clone)]
pub struct DatabaseConfig {
    driver: tokio_postgres::Config,
    ssl_mode: SslMode,
    root_cert: Option<PathBuf>,
}

impl fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("target", &self.target())
            .field("ssl_mode", &self.ssl_mode)
            .field("root_cert", &self.root_cert)
            .finish_non_exhaustive()
    }
}

impl DatabaseConfig {
    /// Parses `postgres://user:password@host:port/db?sslmode=verify-full&sslrootcert=/ca.pem`
    /// or the key/value form `host=… user=… sslmode=…`.
    pub fn parse(url: &str) -> Result<Self> {
        let (rest, ssl_mode) = take_param(url, "sslmode");
        let (rest, root_cert) = take_param(&rest, "sslrootcert");
        let ssl_mode = ssl_mode.as_deref().map(SslMode::parse).transpose()?;
        let driver: tokio_postgres::Config = rest.parse().map_err(|e: tokio_postgres::Error| {
            Error::Config {
                // The driver's parse errors name the bad key or value, never the password.
                reason: e.to_string(),
            }
        })?;
        if driver.get_hosts().is_empty() && driver.get_hostaddrs().is_empty() {
            return Err(Error::Config {
                reason: "it names no host (e.g. postgres://user@127.0.0.1:5432/db)".into(),
            });
        }
        Ok(DatabaseConfig {
            driver,
            ssl_mode: ssl_mode.unwrap_or_default(),
            root_cert: root_cert.map(PathBuf::from),
        })
    }

    /// Trusts the CA certificates (PEM) in `path` instead of the Mozilla roots.
    pub fn with_root_cert(mut self, path: impl Into<PathBuf>) -> Self {
        self.root_cert = Some(path.into());
        self
    }

    /// Overrides the URL's `sslmode`.
    pub fn with_ssl_mode(mut self, mode: SslMode) -> Self {
        self.ssl_mode = mode;
        self
    }

    /// The mode in force.
    pub fn ssl_mode(&self) -> SslMode {
        self.ssl_mode
    }

    /// Uses `database` instead of the URL's.
    pub fn with_database(mut self, database: &str) -> Self {
        self.driver.dbname(database);
        self
    }

    /// `user@host:port/database`, for messages: never the password.
    pub fn target(&self) -> String {
        let host = match self.driver.get_hosts().first() {
            Some(Host::Tcp(name)) => name.clone(),
            Some(Host::Unix(path)) => path.display().to_string(),
            None => self
                .driver
                .get_hostaddrs()
                .first()
                .map(ToString::to_string)
                .unwrap_or_default(),
        };
        format!(
            "{}@{host}:{}/{}",
            self.driver.get_user().unwrap_or("postgres"),
            self.driver.get_ports().first().copied().unwrap_or(5432),
            self.driver
                .get_dbname()
                .or(self.driver.get_user())
                .unwrap_or("postgres"),
        )
    }

    /// Opens a connection; the connection's driver task runs on the current runtime and
    /// logs how the connection ended.
    pub async fn connect(&self) -> Result<tokio_postgres::Client> {
        self.open(None).await
    }

    /// Opens a connection whose notifications (`LISTEN`) arrive on the receiver, as their
    /// payloads; the receiver closes when the connection ends. (A connection pooler in
    /// transaction mode does not deliver notifications: this needs a direct connection.)
    pub async fn connect_listening(
        &self,
    ) -> Result<(
        tokio_postgres::Client,
        tokio::sync::mpsc::UnboundedReceiver<String>,
    )> {
        let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
        Ok((self.open(Some(sender)).await?, receiver))
    }

    async fn open(
        &self,
        notifications: Option<tokio::sync::mpsc::UnboundedSender<String>>,
    ) -> Result<tokio_postgres::Client> {
        let mut driver = self.driver.clone();
        let connect_error = |source, hint| Error::Connect {
            target: self.target(),
            source,
            hint,
        };
        let client = if self.ssl_mode == SslMode::Disable {
            driver.ssl_mode(DriverSslMode::Disable);
            let (client, connection) =
                driver.connect(tokio_postgres::NoTls).await.map_err(|e| {
                    let hint = server_hint(&e);
                    connect_error(e, hint)
                })?;
            spawn_driver(connection, self.target(), notifications);
            client
        } else {
            driver.ssl_mode(match self.ssl_mode {
                SslMode::Prefer => DriverSslMode::Prefer,
                _ => DriverSslMode::Require,
            });
            let tls = MakeRustlsConnect::new(self.tls_config()?);
            let (client, connection) = driver.connect(tls).await.map_err(|e| {
                let hint = match tls_hint(&e, self.ssl_mode) {
                    "" => server_hint(&e),
                    hint => hint,
                };
                connect_error(e, hint)
            })?;
            spawn_driver(connection, self.target(), notifications);
            client
        };
        Ok(client)
    }

    fn tls_config(&self) -> Result<rustls::ClientConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Config {
                reason: format!("TLS set-up failed: {e}"),
            })?;
        let algorithms = provider.signature_verification_algorithms;
        let verifier: Arc<dyn ServerCertVerifier> = match self.ssl_mode {
            SslMode::Disable | SslMode::Prefer | SslMode::Require => {
                Arc::new(Unverified { algorithms })
            }
            SslMode::VerifyCa => Arc::new(AnyHostName(self.webpki(&provider)?)),
            SslMode::VerifyFull => self.webpki(&provider)?,
        };
        Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth())
    }

    fn webpki(&self, provider: &Arc<CryptoProvider>) -> Result<Arc<WebPkiServerVerifier>> {
        let mut roots = RootCertStore::empty();
        match &self.root_cert {
            Some(path) => {
                for cert in read_certificates(path)? {
                    roots.add(cert).map_err(|e| Error::RootCert {
                        path: path.clone(),
                        reason: e.to_string(),
                    })?;
                }
            }
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        }
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| Error::Config {
                reason: format!("TLS set-up failed: {e}"),
            })
    }
}

fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let error = |reason: String| Error::RootCert {
        path: path.to_owned(),
        reason,
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| error(e.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| error(e.to_string()))?;
    if certs.is_empty() {
        return Err(error("it holds no PEM certificate".into()));
    }
    Ok(certs)
}

fn spawn_driver<S, T>(
    mut connection: tokio_postgres::Connection<S, T>,
    target: String,
    notifications: Option<tokio::sync::mpsc::UnboundedSender<String>>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    // In the caller's span: the line names the connector whose connection it was.
    tokio::spawn(
        async move {
            let ended = match notifications {
                None => connection.await,
                Some(sender) => {
                    let mut messages =
                        futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
                    let mut ended = Ok(());
                    while let Some(message) = futures_util::StreamExt::next(&mut messages).await {
                        match message {
                            Ok(tokio_postgres::AsyncMessage::Notification(n)) => {
                                let _ = sender.send(n.payload().to_owned());
                            }
                            Ok(_) => {}
                            Err(e) => {
                                ended = Err(e);
                                break;
                            }
                        }
                    }
                    ended
                }
            };
            if let Err(e) = ended {
                tracing::warn!(%target, error = %crate::error::describe(&e), "database connection ended; the next use reconnects");
            }
        }
        .in_current_span(),
    );
}

/// What to do when the server refused the connection: no such database, a wrong password,
/// a user pg_hba.conf does not let in.
fn server_hint(error: &tokio_postgres::Error) -> &'static str {
    match error.as_db_error().map(|db| db.code().code()) {
        Some("3D000") => " (create the database, or correct its name in the URL)",
        Some("28P01") => " (check the user and the password in the URL)",
        Some("28000") => {
            " (the server does not let this user in from this host: check the user, and pg_hba.conf)"
        }
        _ => "",
    }
}

/// A hint for the usual reasons a TLS connection fails.
fn tls_hint(error: &tokio_postgres::Error, mode: SslMode) -> &'static str {
    let text = format!("{error:?}");
    if text.contains("NotValidForName") {
        " (the server's certificate is not issued for this host name: connect by the name in the certificate, or use sslmode=verify-ca)"
    } else if text.contains("UnknownIssuer") || text.contains("BadSignature") {
        " (the server's certificate is not signed by a trusted CA: give the CA with sslrootcert=/path/ca.pem)"
    } else if text.contains("InvalidCertificate") {
        " (the server's certificate was refused)"
    } else if mode == SslMode::Require && text.contains("server does not support TLS") {
        " (the server does not offer TLS: enable ssl on it, or use sslmode=prefer)"
    } else {
        ""
    }
}

/// `sslmode=require` and `prefer`: encrypted, the certificate not checked, as libpq does.
/// The handshake signatures are still verified, so the key exchange is with the holder of
/// the presented certificate.
#[derive(Debug)]
struct Unverified {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// `sslmode=verify-ca`: the chain must lead to a trusted CA; the host name is not checked.
#[derive(Debug)]
struct AnyHostName(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for AnyHostName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// Removes `key` from a URL's query or a key/value string; returns the rest and its value.
fn take_param(conn: &str, key: &str) -> (String, Option<String>) {
    let is_url = conn.starts_with("postgres://") || conn.starts_with("postgresql://");
    if is_url {
        let Some((base, query)) = conn.split_once('?') else {
            return (conn.to_owned(), None);
        };
        let mut value = None;
        let kept: Vec<&str> = query
            .split('&')
            .filter(|pair| match pair.split_once('=') {
                Some((k, v)) if k == key => {
                    value = Some(percent_decode(v));
                    false
                }
                _ => true,
            })
            .collect();
        let rest = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        (rest, value)
    } else {
        let mut value = None;
        let prefix = format!("{key}=");
        let kept: Vec<&str> = conn
            .split_whitespace()
            .filter(|token| match token.strip_prefix(&prefix) {
                Some(v) => {
                    value = Some(v.trim_matches('\'').to_owned());
                    false
                }
                None => true,
            })
            .collect();
        (kept.join(" "), value)
    }
}

/// `%2F` → `/`; anything that is not a valid escape is kept as it is.
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmode_and_root_cert_come_out_of_urls_and_key_values() {
        let config =
            DatabaseConfig::parse("postgres://u:pw@db.example:6543/app?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&application_name=x")
                .unwrap();
        assert_eq!(config.ssl_mode(), SslMode::VerifyFull);
        assert_eq!(config.root_cert.as_deref(), Some(Path::new("/etc/ca.pem")));
        assert_eq!(config.target(), "u@db.example:6543/app");
        let config = DatabaseConfig::parse("host=h user=u sslmode=verify-ca dbname=d").unwrap();
        assert_eq!(config.ssl_mode(), SslMode::VerifyCa);
        assert_eq!(config.target(), "u@h:5432/d");
        assert_eq!(
            DatabaseConfig::parse("postgres://h/d").unwrap().ssl_mode(),
            SslMode::Prefer
        );
    }

    #[test]
    fn bad_urls_are_explained_without_the_password() {
        let err = DatabaseConfig::parse("postgres://u:hunter2@h/d?sslmode=maybe").unwrap_err();
        assert!(err.to_string().contains("sslmode=\"maybe\""), "{err}");
        let err = DatabaseConfig::parse("postgres://u:hunter2@h/d?bogus=1").unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        let config = DatabaseConfig::parse("postgres://u:hunter2@h/d").unwrap();
        assert!(!format!("{config:?}").contains("hunter2"));
    }
}
