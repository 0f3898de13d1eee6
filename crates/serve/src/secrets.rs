//! Secrets pasted into the API (a console's password field): stored in `inlet.secrets`,
//! encrypted with XChaCha20-Poly1305 under a key the operator gives (`--secrets-key-file`
//! or `INLET_SECRETS_KEY`: 32 bytes, base64), the secret's name bound as associated data.
//! The configuration keeps `${secret:<connector>/<key>}` in its place, which is shown as
//! written and resolved when a task starts. The cipher is RustCrypto's `chacha20poly1305`
//! (audited), nonces are random (24 bytes: no counter to keep across workers).

use std::path::Path;

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use inlet_postgres::control;

use crate::flat::{self, FlatConfig};
use crate::references::{self, Reference};

/// The key secrets are encrypted with. `Debug` shows nothing of it.
#[derive(Clone)]
pub struct SecretsKey(Key);

impl std::fmt::Debug for SecretsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretsKey([redacted])")
    }
}

impl SecretsKey {
    /// The key from `file` (its text) or `env` (`INLET_SECRETS_KEY`): 32 bytes in base64
    /// (`head -c 32 /dev/urandom | base64`). None when neither is given.
    ///
    /// # Errors
    /// A sentence saying what is wrong with the key (never the key).
    pub fn load(file: Option<&Path>, env: Option<&str>) -> Result<Option<Self>, String> {
        let (text, source) = match (file, env) {
            (Some(file), _) => (
                std::fs::read_to_string(file).map_err(|e| {
                    format!("cannot read the secrets key file {}: {e}", file.display())
                })?,
                file.display().to_string(),
            ),
            (None, Some(env)) if !env.is_empty() => (env.to_owned(), "INLET_SECRETS_KEY".into()),
            _ => return Ok(None),
        };
        let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, text.trim())
            .map_err(|_| format!("the secrets key in {source} is not base64: make one with `head -c 32 /dev/urandom | base64`"))?;
        if bytes.len() != 32 {
            return Err(format!(
                "the secrets key in {source} is {} bytes, not 32: make one with `head -c 32 /dev/urandom | base64`",
                bytes.len()
            ));
        }
        Ok(Some(SecretsKey(*Key::from_slice(&bytes))))
    }

    /// `secret` encrypted under the key, bound to `name`: (nonce, ciphertext).
    fn seal(&self, name: &str, secret: &str) -> Result<(Vec<u8>, Vec<u8>), String> {
        let cipher = XChaCha20Poly1305::new(&self.0);
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ciphertext = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: secret.as_bytes(),
                    aad: name.as_bytes(),
                },
            )
            .map_err(|_| "encrypting a secret failed".to_owned())?;
        Ok((nonce.to_vec(), ciphertext))
    }

    /// The secret `name` held in (nonce, ciphertext).
    fn open(&self, name: &str, nonce: &[u8], ciphertext: &[u8]) -> Result<String, String> {
        if nonce.len() != 24 {
            return Err(format!("secret {name} is damaged (its nonce)"));
        }
        let cipher = XChaCha20Poly1305::new(&self.0);
        let plain = cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: name.as_bytes(),
                },
            )
            .map_err(|_| {
                format!("secret {name} cannot be decrypted: it was stored under another key (INLET_SECRETS_KEY / --secrets-key-file must be the same on every worker)")
            })?;
        String::from_utf8(plain).map_err(|_| format!("secret {name} is not text"))
    }
}

/// The name a `${secret:NAME}` value names.
fn named(value: &str) -> Option<&str> {
    match Reference::of(value)? {
        Reference::Secret(name) => Some(name),
        _ => None,
    }
}

/// `config` with each literal secret (not a reference, not kept hidden) stored encrypted
/// and replaced by its `${secret:…}` reference. Without a key, `config` as it is (the
/// literal stays in the configuration).
///
/// # Errors
/// The database's, or a sentence.
pub async fn store_literals(
    key: Option<&SecretsKey>,
    client: &impl tokio_postgres::GenericClient,
    connector: &str,
    mut config: FlatConfig,
) -> Result<FlatConfig, String> {
    let Some(key) = key else {
        return Ok(config);
    };
    for (flat_key, value) in &mut config {
        if !flat::is_secret_key(flat_key) || flat::is_reference(value) || named(value).is_some() {
            continue;
        }
        let name = references::secret_name(connector, flat_key);
        let (nonce, ciphertext) = key.seal(&name, value)?;
        control::put_secret(client, &name, &nonce, &ciphertext)
            .await
            .map_err(|e| e.to_string())?;
        *value = format!("${{secret:{name}}}");
    }
    Ok(config)
}

/// `config` of connector `connector` with each `${secret:…}` replaced by the secret, for a
/// task to start (or a preview, a replay). A `${secret:…}` is opened only in the secret key
/// it was stored for, of its own connector ([`references::sealed_problem`]); anywhere else
/// it is refused, never opened.
///
/// # Errors
/// A sentence: a reference out of its place, no key given, no such secret, a secret stored
/// under another key.
pub async fn resolve(
    key: Option<&SecretsKey>,
    client: &impl tokio_postgres::GenericClient,
    connector: &str,
    mut config: FlatConfig,
) -> Result<FlatConfig, String> {
    for (flat_key, value) in &mut config {
        let Some(name) = named(value).map(str::to_owned) else {
            continue;
        };
        if let Some(problem) = references::sealed_problem(connector, flat_key, &name) {
            return Err(format!("{}: {problem}", flat::shorten(flat_key)));
        }
        let Some(key) = key else {
            return Err(format!(
                "{flat_key} is ${{secret:{name}}}, and this worker has no secrets key: give it INLET_SECRETS_KEY or --secrets-key-file (the same on every worker)"
            ));
        };
        let (nonce, ciphertext) = control::get_secret(client, &name)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| {
                format!("{flat_key}: secret {name} is not stored: send the secret again")
            })?;
        *value = key.open(&name, &nonce, &ciphertext)?;
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_opens_under_its_key_and_name_only() {
        assert!(
            SecretsKey::load(None, Some("not base64!"))
                .unwrap_err()
                .contains("not base64")
        );
        assert!(SecretsKey::load(None, None).unwrap().is_none());
        let encoded = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [7u8; 32]);
        let key = SecretsKey::load(None, Some(&encoded)).unwrap().unwrap();
        let (nonce, sealed) = key.seal("orders/kafka.password", "s3cret").unwrap();
        assert!(!String::from_utf8_lossy(&sealed).contains("s3cret"));
        assert_eq!(
            key.open("orders/kafka.password", &nonce, &sealed).unwrap(),
            "s3cret"
        );
        // Another name (a row copied to another connector) or another key: refused.
        assert!(key.open("other/kafka.password", &nonce, &sealed).is_err());
        let other = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [8u8; 32]);
        let other = SecretsKey::load(None, Some(&other)).unwrap().unwrap();
        assert!(
            other
                .open("orders/kafka.password", &nonce, &sealed)
                .is_err()
        );
        assert_eq!(format!("{key:?}"), "SecretsKey([redacted])");
        let short = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [1u8; 16]);
        assert!(
            SecretsKey::load(None, Some(&short))
                .unwrap_err()
                .contains("16 bytes")
        );
    }
}
