//! Errors in Confluent's shape: an HTTP status and a body `{"error_code": N, "message": "..."}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::store::VersionSelector;

/// An error the REST API returns, with Confluent's error code.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message} (error code {code})")]
pub struct RegistryError {
    code: u32,
    message: String,
}

impl RegistryError {
    fn new(code: u32, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// 40401: the subject does not exist (or all its versions are deleted).
    pub fn subject_not_found(subject: &str) -> Self {
        Self::new(40401, format!("Subject '{subject}' not found."))
    }

    /// 40402: the subject has no such version.
    pub fn version_not_found(subject: &str, selector: VersionSelector) -> Self {
        let which = match selector {
            VersionSelector::Latest => "latest".to_owned(),
            VersionSelector::Number(n) => n.to_string(),
        };
        Self::new(
            40402,
            format!("Version {which} not found for subject '{subject}'."),
        )
    }

    /// 40403: no schema with that id, or not under that subject.
    pub fn schema_not_found() -> Self {
        Self::new(40403, "Schema not found")
    }

    /// 42201: the schema is not valid Avro, or its references cannot be resolved.
    pub fn invalid_schema(message: impl Into<String>) -> Self {
        Self::new(42201, message)
    }

    /// 42202: the version is neither `latest` nor a positive number.
    pub fn invalid_version(text: &str) -> Self {
        Self::new(
            42202,
            format!(
                "The specified version '{text}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\""
            ),
        )
    }

    /// 42206: a schema type this registry does not serve.
    pub fn unsupported_schema_type(schema_type: &str) -> Self {
        Self::new(
            42206,
            format!(
                "Schema type '{schema_type}' is not supported by this development registry: it serves AVRO, PROTOBUF and JSON"
            ),
        )
    }

    /// 400: the request body is not what the endpoint takes.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }

    /// 401: credentials missing or wrong.
    pub fn unauthorized() -> Self {
        Self::new(401, "Unauthorized")
    }

    /// 404: no such endpoint.
    pub fn no_route() -> Self {
        Self::new(404, "HTTP 404 Not Found")
    }

    /// 50001: the state file could not be written.
    pub fn store(message: impl Into<String>) -> Self {
        Self::new(
            50001,
            format!("Error in the backend data store: {}", message.into()),
        )
    }

    /// Confluent's numeric error code.
    pub fn code(&self) -> u32 {
        self.code
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status: the first three digits of a five-digit code, or the code itself.
    pub fn status(&self) -> StatusCode {
        let status = if self.code >= 10_000 {
            self.code / 100
        } else {
            self.code
        };
        u16::try_from(status)
            .ok()
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for RegistryError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error_code": self.code, "message": self.message });
        let mut response = (self.status(), crate::http::ConfluentJson(body)).into_response();
        if self.code == 401 {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Basic realm=\"inlet-dev-registry\""),
            );
        }
        response
    }
}
