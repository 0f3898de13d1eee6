//! What can go wrong talking to a schema registry, and whether trying again can help.

/// A registry operation that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No registry is configured (an empty URL), and something asked it: a topic read as
    /// Avro needs one.
    #[error(
        "no schema registry is configured (registry.url is empty): topics of format avro need one"
    )]
    NotConfigured,
    /// The URL given for the registry is not a usable http(s) URL.
    #[error("schema registry URL '{url}' is not valid: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The HTTP client could not be built (TLS set-up).
    #[error("could not set up the HTTP client for the schema registry: {0}")]
    Client(#[source] reqwest::Error),
    /// No answer: connection refused, DNS, TLS or a time-out.
    #[error(
        "schema registry at {url} did not answer ({}): check the registry's URL (registry.url) and that the registry runs",
        inlet_fault::with_causes(source)
    )]
    Unreachable {
        /// The URL requested.
        url: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// HTTP 401 or 403.
    #[error(
        "schema registry at {url} refused the credentials (HTTP {status}): check the registry's basic-auth key and secret"
    )]
    Unauthorized {
        /// The URL requested.
        url: String,
        /// 401 or 403.
        status: u16,
    },
    /// The registry answered with an error body.
    #[error("schema registry at {url} answered HTTP {status}: {message}{}", code.map(|c| format!(" (error code {c})")).unwrap_or_default())]
    Api {
        /// The URL requested.
        url: String,
        /// The HTTP status.
        status: u16,
        /// Confluent's `error_code`, when the body had one.
        code: Option<u32>,
        /// The message of the body, or the body itself, shortened.
        message: String,
    },
    /// The answer is not what the Confluent API returns.
    #[error("schema registry at {url} sent an answer inlet cannot read: {reason}")]
    InvalidResponse {
        /// The URL requested.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A success status with a body that is not the JSON the Confluent API returns (a
    /// proxy's page, a truncated answer): the registry or what stands in front of it is at
    /// fault, and a later request may be answered properly.
    #[error(
        "schema registry at {url} answered HTTP {status} with a body that is not the JSON of the Confluent API ({reason}); it began: {excerpt}. Check that registry.url is the registry itself, not a proxy or a web page; inlet retries"
    )]
    Garbled {
        /// The URL requested.
        url: String,
        /// The HTTP status (a success).
        status: u16,
        /// What the JSON parser said.
        reason: String,
        /// The body's start, shortened.
        excerpt: String,
    },
    /// A schema's references nest deeper than inlet follows (or form a cycle).
    #[error(
        "schema {id} has references nested deeper than {max} levels (or a cycle of references)"
    )]
    ReferenceDepth {
        /// The schema id being resolved.
        id: u32,
        /// The limit.
        max: usize,
    },
}

impl inlet_fault::Classify for Error {
    /// Whether the same request may succeed later (registry down, overloaded, timing out,
    /// answering with something that is not its API's JSON).
    fn is_retriable(&self) -> bool {
        match self {
            Error::Unreachable { .. } | Error::Garbled { .. } => true,
            Error::Api { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }

    /// Whose fault it is: a URL or credentials the user gave, or the registry (down, an
    /// error status, an answer inlet cannot read). A missing subject or schema (404) is the
    /// configuration's: the topic's records name a schema the registry does not have.
    fn fault(&self) -> inlet_fault::Fault {
        use inlet_fault::Fault;
        match self {
            Error::InvalidUrl { .. }
            | Error::NotConfigured
            | Error::Unauthorized { .. }
            | Error::ReferenceDepth { .. } => Fault::Config,
            Error::Api { status, .. } if *status < 500 && *status != 429 => Fault::Config,
            Error::Client(_) => Fault::Internal,
            _ => Fault::External,
        }
    }
}

impl Error {
    /// Whether the registry said the schema, subject or version does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::Api { status: 404, .. })
    }
}

/// A result whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
