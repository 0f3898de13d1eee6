//! Errors of the database side, each a sentence a user can act on.

use std::path::PathBuf;

/// What went wrong talking to PostgreSQL.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The connection string could not be understood.
    #[error("the database URL is not valid: {reason}")]
    Config {
        /// What is wrong with it (never the password).
        reason: String,
    },
    /// The CA file given for TLS could not be used.
    #[error("cannot use {} as the CA for the database's certificate: {reason}", path.display())]
    RootCert {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The server could not be reached, refused us, or its certificate was not trusted.
    #[error("cannot connect to PostgreSQL at {target}: {}{hint}", describe(source))]
    Connect {
        /// `user@host:port/database`, without the password.
        target: String,
        /// What the driver said.
        source: tokio_postgres::Error,
        /// How to fix the usual causes, or empty.
        hint: &'static str,
    },
    /// A statement failed.
    #[error("{action}: {}", describe(source))]
    Query {
        /// What inlet was doing.
        action: String,
        /// What the driver said.
        source: tokio_postgres::Error,
    },
    /// The database's inlet schema was made by a newer inlet.
    #[error(
        "the database's inlet schema is at version {found}, newer than this inlet knows ({known}): run a newer inlet against it"
    )]
    SchemaNewer {
        /// The version recorded in inlet.migrations.
        found: i32,
        /// The newest version this build knows.
        known: i32,
    },
    /// A target column has a type plans do not write.
    #[error(
        "column {column} of {table} has type {sql_type}, which inlet cannot write; map it to nothing or change its type"
    )]
    UnsupportedColumn {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// Its type.
        sql_type: String,
    },
}

impl Error {
    pub(crate) fn query(action: impl Into<String>, source: tokio_postgres::Error) -> Self {
        Error::Query {
            action: action.into(),
            source,
        }
    }

    /// The SQLSTATE the server sent, if any.
    pub fn sqlstate(&self) -> Option<&str> {
        match self {
            Error::Query { source, .. } | Error::Connect { source, .. } => {
                source.as_db_error().map(|db| db.code().code())
            }
            _ => None,
        }
    }

    /// Whether one row can have caused this refusal, so that the batch is split until the
    /// row is found and dead-lettered: a data exception (SQLSTATE class 22), an integrity
    /// constraint (23), a trigger's raise or its routine's failure (P0, 2F, 38, 39), a view's
    /// check option (44), or a limit the row exceeded (54: a row too big for a page, a value
    /// nested past the server's stack). A refusal of the statement whatever its rows (a
    /// missing column, a permission) is not: every row would be dead-lettered.
    pub fn is_row_refusal(&self) -> bool {
        self.sqlstate().is_some_and(|code| {
            matches!(
                code.get(..2),
                Some("22" | "23" | "2F" | "38" | "39" | "44" | "54" | "P0")
            )
        })
    }
}

impl inlet_fault::Classify for Error {
    /// Whether trying again later may succeed (the server is restarting, the network is
    /// down) rather than needing a change of configuration (wrong password, untrusted
    /// certificate, no such database).
    fn is_retriable(&self) -> bool {
        match self {
            Error::Config { .. }
            | Error::RootCert { .. }
            | Error::UnsupportedColumn { .. }
            | Error::SchemaNewer { .. } => false,
            // The connection broke, the server is shutting down, or a serialization conflict.
            Error::Query { source, .. } => match source.as_db_error() {
                None => source.is_closed() || std::error::Error::source(source).is_some(),
                Some(db) => matches!(&db.code().code()[..2], "08" | "57" | "40" | "53"),
            },
            // Refused while starting up (57P03) or full (53300): it passes.
            Error::Connect { source, hint, .. } => match source.as_db_error() {
                None => hint.is_empty(),
                Some(db) => matches!(db.code().code(), "57P03" | "53300"),
            },
        }
    }

    /// Whose fault it is: the URL, the CA, a refused login or a missing database, a table
    /// inlet cannot write, or a statement the server refused for its data (constraints,
    /// permissions) are the configuration's; an unreachable or failing server is external.
    fn fault(&self) -> inlet_fault::Fault {
        use inlet_fault::Fault;
        if self.is_retriable() {
            return Fault::External;
        }
        match self {
            Error::Config { .. }
            | Error::RootCert { .. }
            | Error::UnsupportedColumn { .. }
            | Error::SchemaNewer { .. } => Fault::Config,
            Error::Connect { .. } => Fault::Config,
            // No answer from the server behind it: the client side (a conversion) failed.
            Error::Query { source, .. } if source.as_db_error().is_none() => Fault::Internal,
            // SQLSTATE class XX: the server's own internal error.
            Error::Query { .. } if self.sqlstate().is_some_and(|s| s.starts_with("XX")) => {
                Fault::External
            }
            Error::Query { .. } => Fault::Config,
        }
    }
}

/// The driver's error with what the server or the TLS layer said: tokio-postgres' own
/// `Display` is only "db error" for an error the server sent.
pub(crate) fn describe(error: &tokio_postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        return format!("{}: {}", db.severity(), db.message());
    }
    inlet_fault::with_causes(error)
}

/// Results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
