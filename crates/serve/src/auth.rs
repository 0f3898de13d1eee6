//! Who may call the API: bearer tokens with a role (`read`: status, metrics and
//! configurations without secrets; `admin`: everything), also taken as HTTP basic (user =
//! the token's name, password = the token) for the Kafka Connect UIs that only speak basic.
//!
//! Tokens come from a file of lines `NAME ROLE TOKEN`, where TOKEN is `sha256:<hex>` (the
//! SHA-256 of the token, so that the file holds no token) or the token itself, and from
//! `INLET_ADMIN_TOKEN` (an admin named `admin`). With no token at all the API is open —
//! and listens on loopback only. Tokens are compared by their SHA-256, in constant time.

use std::path::Path;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::api::{ApiError, App};

/// What a caller may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Status, metrics, configurations without secrets.
    Read,
    /// Everything.
    Admin,
}

/// The caller of a request, as the audit names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The token's name (`anonymous` when the API has no tokens).
    pub name: String,
    /// Its role.
    pub role: Role,
}

/// The API's tokens.
#[derive(Clone, Default)]
pub struct Tokens {
    /// (name, role, SHA-256 of the token).
    entries: Vec<(String, Role, [u8; 32])>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<(&str, Role)> = self
            .entries
            .iter()
            .map(|(n, r, _)| (n.as_str(), *r))
            .collect();
        f.debug_struct("Tokens").field("names", &names).finish()
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Why the tokens cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokensError {
    /// The file cannot be read.
    #[error("cannot read the tokens file {}: {source}", path.display())]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A line is not `NAME ROLE TOKEN`.
    #[error("{}:{line}: {reason}", path.display())]
    Line {
        /// The file.
        path: std::path::PathBuf,
        /// The line's number, from 1.
        line: usize,
        /// What is wrong with it (never the token).
        reason: String,
    },
}

impl inlet_fault::Classify for TokensError {
    /// Whose fault it is: the operator's configuration.
    fn fault(&self) -> inlet_fault::Fault {
        inlet_fault::Fault::Config
    }
}

impl Tokens {
    /// The tokens of `file` (lines `NAME ROLE TOKEN`; a `#` at the start of a line or
    /// after a space starts a comment) and of `admin_token` (`INLET_ADMIN_TOKEN`).
    ///
    /// # Errors
    /// [`TokensError`]: the file cannot be read, or a line (named) is not `NAME ROLE
    /// TOKEN`.
    pub fn load(file: Option<&Path>, admin_token: Option<&str>) -> Result<Self, TokensError> {
        let mut tokens = Tokens::default();
        if let Some(token) = admin_token.filter(|t| !t.is_empty()) {
            tokens
                .entries
                .push(("admin".into(), Role::Admin, digest(token)));
        }
        let Some(file) = file else {
            return Ok(tokens);
        };
        let text = std::fs::read_to_string(file).map_err(|source| TokensError::Read {
            path: file.to_owned(),
            source,
        })?;
        for (i, line) in text.lines().enumerate() {
            let fields: Vec<&str> = line
                .split_whitespace()
                .take_while(|f| !f.starts_with('#'))
                .collect();
            if fields.is_empty() {
                continue;
            }
            let refuse = |reason: String| TokensError::Line {
                path: file.to_owned(),
                line: i + 1,
                reason,
            };
            let [name, role, token] = fields[..] else {
                return Err(refuse(
                    "a line is NAME ROLE TOKEN (ROLE read or admin; TOKEN sha256:<hex> or the token)"
                        .into(),
                ));
            };
            let role = match role {
                "read" => Role::Read,
                "admin" => Role::Admin,
                other => return Err(refuse(format!("role {other:?} is not read or admin"))),
            };
            let hash = match token.strip_prefix("sha256:") {
                Some(hex) => parse_hex(hex)
                    .ok_or_else(|| refuse("sha256: must be followed by 64 hex digits".into()))?,
                None => digest(token),
            };
            tokens.entries.push((name.to_owned(), role, hash));
        }
        Ok(tokens)
    }

    /// Whether the API has no token (then it is open, on loopback only).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The caller `token` is, if it is one of the tokens (of `name`, when given).
    fn check(&self, name: Option<&str>, token: &str) -> Option<Caller> {
        let presented = digest(token);
        let mut found = None;
        // Every entry is compared, so that the time taken says nothing of which matched.
        for (entry, role, hash) in &self.entries {
            let equal: bool = hash.ct_eq(&presented).into();
            if equal && name.is_none_or(|n| n == entry) && found.is_none() {
                found = Some(Caller {
                    name: entry.clone(),
                    role: *role,
                });
            }
        }
        found
    }
}

fn parse_hex(hex: &str) -> Option<[u8; 32]> {
    if hex.len() != 64 || !hex.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// The caller of a request with these headers: `Authorization: Bearer TOKEN`, or `Basic`
/// with the token's name and the token.
fn caller(tokens: &Tokens, headers: &HeaderMap) -> Option<Caller> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    if let Some(token) = value.strip_prefix("Bearer ") {
        return tokens.check(None, token.trim());
    }
    let encoded = value.strip_prefix("Basic ")?;
    let decoded =
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (name, token) = text.split_once(':')?;
    tokens.check(Some(name), token)
}

/// Whether a read-only caller may make this request: reads of status, metrics and
/// configurations; not dead letters (their records, and reasons that quote values), nor
/// anything that changes or connects.
fn readable(method: &Method, path: &str) -> bool {
    method == Method::GET && !path.contains("/dead-letters") && !path.ends_with("/partitions")
}

/// The middleware: `/`, `/health`, `/openapi.json` and the console's files (`/console/…`)
/// are open; everything else needs a token once the API
/// has one (401 without, 403 for a read token on what only an admin may do). The caller
/// goes into the request's extensions, for the handlers and the audit.
pub async fn authorize(State(app): State<App>, mut request: Request, next: Next) -> Response {
    let tokens = &app.0.tokens;
    let path = request.uri().path().to_owned();
    let found = if tokens.is_empty() {
        Some(Caller {
            name: "anonymous".into(),
            role: Role::Admin,
        })
    } else {
        caller(tokens, request.headers())
    };
    let open = path == "/"
        || path == "/health"
        || path == "/openapi.json"
        || path.starts_with("/console/");
    let Some(found) = found else {
        if open {
            return next.run(request).await;
        }
        let message = if request.headers().contains_key(header::AUTHORIZATION) {
            "the token sent is not one of this API's (with HTTP basic: the user must be the token's name, the password the token)"
        } else {
            "this API needs a token: send Authorization: Bearer <token> (or HTTP basic with the token's name and the token)"
        };
        let mut response = ApiError::new(StatusCode::UNAUTHORIZED, message).into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Basic realm=\"inlet\", charset=\"UTF-8\""),
        );
        return response;
    };
    if found.role == Role::Read && !open && !readable(request.method(), &path) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "token {} may only read (status, metrics, configurations): this needs an admin token",
                found.name
            ),
        )
        .into_response();
    }
    request.extensions_mut().insert(found);
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_read_from_a_file_hashed_or_not_and_checked_by_name_and_role() {
        let dir = std::env::temp_dir().join(format!("inlet-tokens-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("tokens");
        let hashed: String = digest("s3cret")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        std::fs::write(
            &file,
            format!("# who role token\nconsole admin sha256:{hashed}\ngrafana read plain-token  # a comment\n"),
        )
        .unwrap();
        let tokens = Tokens::load(Some(&file), Some("boot")).unwrap();
        assert_eq!(tokens.check(None, "s3cret").unwrap().name, "console");
        assert_eq!(tokens.check(None, "plain-token").unwrap().role, Role::Read);
        assert_eq!(tokens.check(None, "boot").unwrap().name, "admin");
        assert_eq!(tokens.check(None, "wrong"), None);
        assert_eq!(
            tokens.check(Some("grafana"), "s3cret"),
            None,
            "a name must match its token"
        );
        assert!(!format!("{tokens:?}").contains(&hashed));

        std::fs::write(&file, "console superuser x\n").unwrap();
        let error = Tokens::load(Some(&file), None).unwrap_err().to_string();
        assert!(error.contains(":1: role \"superuser\""), "{error}");
        std::fs::write(&file, "console admin sha256:abc\n").unwrap();
        let error = Tokens::load(Some(&file), None).unwrap_err().to_string();
        assert!(error.contains("64 hex digits"), "{error}");
        // A # inside a token is part of it.
        std::fs::write(&file, "ops admin to#ken # the ops team\n").unwrap();
        let tokens = Tokens::load(Some(&file), None).unwrap();
        assert_eq!(tokens.check(None, "to#ken").unwrap().name, "ops");
    }

    #[test]
    fn a_read_token_reads_and_does_nothing_else() {
        assert!(readable(&Method::GET, "/connectors/x/status"));
        assert!(readable(&Method::GET, "/inlet/v1/connectors/x/metrics"));
        assert!(!readable(
            &Method::GET,
            "/inlet/v1/connectors/x/dead-letters"
        ));
        assert!(!readable(
            &Method::GET,
            "/inlet/v1/connectors/x/dead-letters/1/value"
        ));
        assert!(!readable(&Method::PUT, "/connectors/x/pause"));
        assert!(!readable(&Method::POST, "/inlet/v1/kafka/check"));
    }
}
