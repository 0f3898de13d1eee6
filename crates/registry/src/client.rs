//! The HTTP client: schemas by id (with their references), subject versions, registration.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::{Method, StatusCode, Url};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use inlet_secret::Secret;

/// The largest answer read from a registry; a schema is kilobytes, this is generous.
const MAX_RESPONSE_BYTES: usize = 8 << 20;
/// How deep Confluent schema references are followed before inlet gives up.
const MAX_REFERENCE_DEPTH: usize = 32;
/// The content type of Confluent's API.
const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// Basic-auth credentials: a Confluent Cloud API key and secret, or a user and password.
#[derive(Debug, Clone)]
pub struct BasicCredentials {
    /// The API key or user name.
    pub username: String,
    /// The API secret or password.
    pub password: Secret,
}

/// Where the registry is and how to reach it.
#[derive(Debug, Clone)]
pub struct RegistryConfig {
    /// Base URL, e.g. `https://psrc-xxxx.confluent.cloud` or `http://127.0.0.1:8081`.
    pub url: String,
    /// Basic-auth credentials, when the registry requires them.
    pub credentials: Option<BasicCredentials>,
    /// Time limit of one request.
    pub timeout: Duration,
}

impl RegistryConfig {
    /// A registry at `url`, no credentials, a 10 s time limit.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            credentials: None,
            timeout: Duration::from_secs(10),
        }
    }
}

/// A reference from a schema to a named type registered under another subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaReference {
    /// The full name of the referenced type.
    pub name: String,
    /// The subject it is registered under.
    pub subject: String,
    /// The version of that subject.
    pub version: u32,
}

/// What language a registered schema is written in: Confluent's `schemaType` (absent in an
/// answer: Avro).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SchemaType {
    /// `AVRO`: Avro schema JSON.
    #[default]
    Avro,
    /// `PROTOBUF`: a `.proto` file's text, or the base64 of a serialized
    /// `FileDescriptorProto` (as Confluent's Python serializer registers it).
    Protobuf,
    /// `JSON`: a JSON Schema document.
    Json,
}

impl SchemaType {
    /// Confluent's name of it: `AVRO`, `PROTOBUF`, `JSON`.
    pub fn as_str(self) -> &'static str {
        match self {
            SchemaType::Avro => "AVRO",
            SchemaType::Protobuf => "PROTOBUF",
            SchemaType::Json => "JSON",
        }
    }

    /// The type Confluent's name `name` stands for; None for any other name.
    pub fn parse(name: &str) -> Option<Self> {
        [SchemaType::Avro, SchemaType::Protobuf, SchemaType::Json]
            .into_iter()
            .find(|t| t.as_str() == name)
    }
}

impl std::fmt::Display for SchemaType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A schema as the registry returns it, by id or by subject version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredSchema {
    /// The global schema id.
    pub id: u32,
    /// The language it is written in.
    pub schema_type: SchemaType,
    /// The schema text.
    pub schema: String,
    /// The schemas it references.
    pub references: Vec<SchemaReference>,
    /// The version within the subject, when fetched or registered by subject.
    pub version: Option<u32>,
}

/// A writer schema with the texts of every schema it references, transitively, dependencies
/// first: what `apache_avro::Schema::parse_str_with_list` takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedSchema {
    /// The schema id.
    pub id: u32,
    /// The language it is written in.
    pub schema_type: SchemaType,
    /// The schema text.
    pub schema: String,
    /// Referenced schema texts, each once, dependencies before the schemas that use them.
    pub dependencies: Vec<String>,
    /// The name each of [`dependencies`](Self::dependencies) is referenced by, in the same
    /// order: an Avro type's full name, a Protobuf import's file name.
    pub dependency_names: Vec<String>,
}

#[derive(Deserialize)]
struct SchemaBody {
    #[serde(default)]
    id: Option<u32>,
    schema: String,
    #[serde(default)]
    references: Option<Vec<SchemaReference>>,
    #[serde(default)]
    version: Option<u32>,
    #[serde(default, rename = "schemaType")]
    schema_type: Option<String>,
}

#[derive(Deserialize)]
struct IdBody {
    id: u32,
}

#[derive(Deserialize)]
struct ErrorBody {
    error_code: Option<u32>,
    message: Option<String>,
}

/// A client of one Confluent-compatible schema registry, with a cache of resolved schemas.
#[derive(Debug, Clone)]
pub struct RegistryClient {
    http: reqwest::Client,
    /// None: no registry configured (an empty URL); every request is
    /// [`Error::NotConfigured`].
    base: Option<Url>,
    credentials: Option<BasicCredentials>,
    cache: Arc<Mutex<HashMap<u32, Arc<ResolvedSchema>>>>,
}

impl RegistryClient {
    /// A client for the registry `config` describes. Credentials written into the URL
    /// (`https://key:secret@host`) are taken out of it and used as basic auth. An empty
    /// URL is no registry: the client is made, and each request answers
    /// [`Error::NotConfigured`] (a connector whose topics need none never asks).
    pub fn new(config: RegistryConfig) -> Result<Self> {
        if config.url.trim().is_empty() {
            return Ok(Self {
                http: reqwest::Client::new(),
                base: None,
                credentials: None,
                cache: Arc::default(),
            });
        }
        let invalid = |reason: &str| Error::InvalidUrl {
            url: redact_url(&config.url),
            reason: reason.to_owned(),
        };
        let mut base = Url::parse(config.url.trim()).map_err(|e| invalid(&e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(invalid("the scheme must be http or https"));
        }
        let mut credentials = config.credentials;
        if !base.username().is_empty() {
            credentials.get_or_insert_with(|| BasicCredentials {
                username: base.username().to_owned(),
                password: Secret::new(base.password().unwrap_or_default()),
            });
            // Setting empty credentials cannot fail on an http(s) URL with a host.
            let _ = base.set_username("");
            let _ = base.set_password(None);
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let http = reqwest::Client::builder()
            .redirect(same_origin_redirects())
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .user_agent(concat!("inlet/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(Error::Client)?;
        Ok(Self {
            http,
            base: Some(base),
            credentials,
            cache: Arc::default(),
        })
    }

    /// The registry's base URL, without credentials (empty: none is configured).
    pub fn url(&self) -> &str {
        self.base.as_ref().map_or("", Url::as_str)
    }

    /// `GET /schemas/ids/{id}`.
    pub async fn schema_by_id(&self, id: u32) -> Result<RegisteredSchema> {
        let body: SchemaBody = self
            .request(Method::GET, &["schemas", "ids", &id.to_string()], None)
            .await?;
        into_registered(body, Some(id), self.url())
    }

    /// `GET /subjects/{subject}/versions/{version}`; `version` is a number or `latest`.
    pub async fn subject_version(&self, subject: &str, version: &str) -> Result<RegisteredSchema> {
        let body: SchemaBody = self
            .request(
                Method::GET,
                &["subjects", subject, "versions", version],
                None,
            )
            .await?;
        into_registered(body, None, self.url())
    }

    /// `GET /subjects`.
    pub async fn subjects(&self) -> Result<Vec<String>> {
        self.request(Method::GET, &["subjects"], None).await
    }

    /// `POST /subjects/{subject}/versions`: registers an Avro schema, returns its id.
    pub async fn register(
        &self,
        subject: &str,
        schema: &str,
        references: &[SchemaReference],
    ) -> Result<u32> {
        self.register_typed(subject, SchemaType::Avro, schema, references)
            .await
    }

    /// `POST /subjects/{subject}/versions` of a schema of `schema_type`, returns its id.
    pub async fn register_typed(
        &self,
        subject: &str,
        schema_type: SchemaType,
        schema: &str,
        references: &[SchemaReference],
    ) -> Result<u32> {
        let mut body = serde_json::json!({ "schema": schema, "references": references });
        if schema_type != SchemaType::Avro {
            body["schemaType"] = schema_type.as_str().into();
        }
        let answer: IdBody = self
            .request(
                Method::POST,
                &["subjects", subject, "versions"],
                Some(&body),
            )
            .await?;
        Ok(answer.id)
    }

    /// The schema `id` with every schema it references, fetched once and then cached.
    pub async fn resolve(&self, id: u32) -> Result<Arc<ResolvedSchema>> {
        if let Some(found) = self.cached(id) {
            return Ok(found);
        }
        let root = self.schema_by_id(id).await?;
        let mut dependencies = Vec::new();
        let mut seen = Vec::new();
        self.resolve_references(id, &root.references, 0, &mut seen, &mut dependencies)
            .await?;
        let (dependency_names, dependencies) = dependencies.into_iter().unzip();
        let resolved = Arc::new(ResolvedSchema {
            id,
            schema_type: root.schema_type,
            schema: root.schema,
            dependencies,
            dependency_names,
        });
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, resolved.clone());
        Ok(resolved)
    }

    fn cached(&self, id: u32) -> Option<Arc<ResolvedSchema>> {
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id)
            .cloned()
    }

    /// Depth-first, so that a dependency's own dependencies come before it.
    async fn resolve_references(
        &self,
        root: u32,
        references: &[SchemaReference],
        depth: usize,
        seen: &mut Vec<u32>,
        out: &mut Vec<(String, String)>,
    ) -> Result<()> {
        if depth >= MAX_REFERENCE_DEPTH {
            return Err(Error::ReferenceDepth {
                id: root,
                max: MAX_REFERENCE_DEPTH,
            });
        }
        for reference in references {
            let found = self
                .subject_version(&reference.subject, &reference.version.to_string())
                .await?;
            if seen.contains(&found.id) {
                continue;
            }
            seen.push(found.id);
            Box::pin(self.resolve_references(root, &found.references, depth + 1, seen, out))
                .await?;
            out.push((reference.name.clone(), found.schema));
        }
        Ok(())
    }

    async fn request<T: for<'de> Deserialize<'de>>(
        &self,
        method: Method,
        segments: &[&str],
        body: Option<&serde_json::Value>,
    ) -> Result<T> {
        let Some(base) = &self.base else {
            return Err(Error::NotConfigured);
        };
        let mut url = base.clone();
        url.path_segments_mut()
            .map_err(|()| Error::InvalidUrl {
                url: base.to_string(),
                reason: "it cannot have a path".into(),
            })?
            .pop_if_empty()
            .extend(segments);
        let mut request = self
            .http
            .request(method, url.clone())
            .header(reqwest::header::ACCEPT, CONTENT_TYPE);
        if let Some(credentials) = &self.credentials {
            request =
                request.basic_auth(&credentials.username, Some(credentials.password.expose()));
        }
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, CONTENT_TYPE)
                .body(body.to_string());
        }
        let url_text = url.to_string();
        let mut response = request.send().await.map_err(|source| Error::Unreachable {
            url: url_text.clone(),
            source,
        })?;
        let status = response.status();
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|source| Error::Unreachable {
                url: url_text.clone(),
                source,
            })?
        {
            if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(Error::InvalidResponse {
                    url: url_text,
                    reason: format!("the answer is larger than {MAX_RESPONSE_BYTES} bytes"),
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
            return Err(Error::Unauthorized {
                url: url_text,
                status: status.as_u16(),
            });
        }
        if !status.is_success() {
            let (code, message) = match serde_json::from_slice::<ErrorBody>(&bytes) {
                Ok(ErrorBody {
                    error_code,
                    message: Some(message),
                }) => (error_code, shorten(&message)),
                _ => (None, shorten(&String::from_utf8_lossy(&bytes))),
            };
            return Err(Error::Api {
                url: url_text,
                status: status.as_u16(),
                code,
                message,
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| Error::Garbled {
            url: url_text,
            status: status.as_u16(),
            reason: e.to_string(),
            excerpt: shorten(&String::from_utf8_lossy(&bytes)),
        })
    }
}

fn into_registered(body: SchemaBody, id: Option<u32>, base: &str) -> Result<RegisteredSchema> {
    let schema_type = match body.schema_type.as_deref() {
        None => SchemaType::Avro,
        Some(name) => SchemaType::parse(name).ok_or_else(|| Error::InvalidResponse {
            url: base.to_string(),
            reason: format!(
                "the schema is of type {}; inlet reads AVRO, PROTOBUF and JSON",
                shorten(name)
            ),
        })?,
    };
    let id = body.id.or(id).ok_or_else(|| Error::InvalidResponse {
        url: base.to_string(),
        reason: "the answer has no schema id".into(),
    })?;
    Ok(RegisteredSchema {
        id,
        schema_type,
        schema: body.schema,
        references: body.references.unwrap_or_default(),
        version: body.version,
    })
}

/// Redirects followed only within the registry's own origin (scheme, host and port), at
/// most 5: a redirect elsewhere is answered as the 3xx it is, so the credentials and the
/// requests inlet sends to a registry never go to a host its URL does not name.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let first = attempt.previous().first();
        let same = first.is_some_and(|first| first.origin() == attempt.url().origin());
        if same && attempt.previous().len() <= 5 {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

/// A remote text as a message may quote it: at most 200 characters.
fn shorten(text: &str) -> String {
    const MAX: usize = 200;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// The URL with any `user:password@` removed, for messages.
fn redact_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) if !parsed.username().is_empty() => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        Ok(_) => url.to_owned(),
        Err(_) => "(unparseable URL)".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_move_out_of_the_url() {
        let client = RegistryClient::new(RegistryConfig::new(
            "https://key:s3cret@registry.example/ctx",
        ))
        .unwrap();
        assert_eq!(client.url(), "https://registry.example/ctx/");
        let credentials = client.credentials.as_ref().unwrap();
        assert_eq!(
            (credentials.username.as_str(), credentials.password.expose()),
            ("key", "s3cret")
        );
        assert!(!format!("{client:?}").contains("s3cret"));
    }

    #[test]
    fn bad_urls_are_explained_without_secrets() {
        let err = RegistryClient::new(RegistryConfig::new("ftp://key:s3cret@host")).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("http or https"), "{text}");
        assert!(!text.contains("s3cret"), "{text}");
        assert!(RegistryClient::new(RegistryConfig::new("not a url")).is_err());
    }
}
