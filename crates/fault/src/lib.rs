//! `Fault`: whose fault an error is, and [`Classify`], the one trait by which every error
//! type of inlet says it (`fault`) beside whether retrying may help (`is_retriable`), so
//! that a connector's state (FAILED or RESTARTING), a log line's level and an HTTP status
//! follow from the error itself rather than from where it was caught.

use serde::Serialize;

/// Whose fault an error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// The user's configuration or data: a wrong setting, a missing permission, a table
    /// that does not fit. Fixed by a change of it; retrying alone does not help.
    Config,
    /// A system inlet talks to: Kafka, the registry or PostgreSQL is down, slow or
    /// answered something unexpected. Often passes by itself.
    External,
    /// A bug in inlet: a task that panicked, an invariant that did not hold.
    Internal,
}

impl Fault {
    /// The HTTP status an API answers with for an error of this fault: 400 for the
    /// configuration, 502 for an external system, 500 for a bug.
    pub fn http_status(self) -> u16 {
        match self {
            Fault::Config => 400,
            Fault::External => 502,
            Fault::Internal => 500,
        }
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Fault::Config => "configuration",
            Fault::External => "external system",
            Fault::Internal => "internal",
        })
    }
}

/// What an error of inlet answers about itself. An error that wraps another (a connector's
/// `RunError` around a database error) answers as the
/// one it wraps, and keeps it as its `source()`, so that [`with_causes`] can say it whole.
pub trait Classify: std::error::Error {
    /// Whose fault it is.
    fn fault(&self) -> Fault;

    /// Whether the same operation may succeed later without a change of configuration
    /// (a server restarting, a network down). `false` unless the type says otherwise.
    fn is_retriable(&self) -> bool {
        false
    }
}

/// An error and its causes, the deepest last, each said once (`error sending request:
/// client error (Connect): tcp connect error: Connection refused`): the `Display` of many
/// drivers' errors (reqwest, tokio-postgres) does not say why on its own.
pub fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        let said = cause.to_string();
        if !text.contains(&said) {
            text.push_str(": ");
            text.push_str(&said);
        }
        next = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_fault_has_its_status() {
        assert_eq!(
            [Fault::Config, Fault::External, Fault::Internal].map(Fault::http_status),
            [400, 502, 500]
        );
    }
}
