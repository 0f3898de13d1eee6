//! The log levels of this worker, as Kafka Connect's `/admin/loggers` shows and sets them:
//! a logger is a tracing target (`inlet_engine`, `inlet_serve::worker`, `rdkafka`) or
//! `root` (every other target), a level one of Connect's (log4j's) names. Setting one
//! rewrites the process's tracing filter at once; the levels last until the process ends,
//! on this worker only (Connect's `scope=worker`).

use std::collections::BTreeMap;
use std::sync::Mutex;

/// How the process's tracing filter is replaced: given the directives of a
/// `tracing_subscriber::EnvFilter` (`info,inlet_engine=debug`), or why they cannot be.
pub type ApplyFilter = Box<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// The most loggers with a level of their own.
pub const MAX_LOGGERS: usize = 100;

/// The longest logger name taken, in bytes.
pub const MAX_NAME: usize = 200;

/// One logger's level and when it was last set (milliseconds since the Unix epoch; None:
/// as the process started).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct LoggerLevel {
    /// `TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR` or `OFF`.
    pub level: String,
    /// When it was set over the API.
    #[schema(required = true)]
    pub last_modified: Option<i64>,
}

/// Why a level cannot be set: Connect's status and sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoggerError {
    /// A level Connect does not know (Connect answers 404).
    #[error("invalid log level '{0}'.")]
    Level(String),
    /// A name that is not a tracing target (400).
    #[error("{0}")]
    Name(String),
    /// The filter could not be applied (500).
    #[error("the log filter could not be changed: {0}")]
    Apply(String),
}

impl inlet_fault::Classify for LoggerError {
    /// Whose fault it is: the caller's level or name, or inlet's filter that did not apply.
    fn fault(&self) -> inlet_fault::Fault {
        match self {
            LoggerError::Level(_) | LoggerError::Name(_) => inlet_fault::Fault::Config,
            LoggerError::Apply(_) => inlet_fault::Fault::Internal,
        }
    }
}

/// The levels of this process, and how to apply them.
pub struct Loggers {
    levels: Mutex<BTreeMap<String, LoggerLevel>>,
    /// Directives of the starting filter that name no single logger (`[span]=debug`,
    /// `target[field]=trace`): kept as they are.
    others: Vec<String>,
    apply: ApplyFilter,
}

impl std::fmt::Debug for Loggers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loggers")
            .field("levels", &self.levels)
            .finish_non_exhaustive()
    }
}

/// Connect's level names, and tracing's for each (`FATAL` is `ERROR` here).
fn tracing_level(connect: &str) -> Option<(&'static str, &'static str)> {
    Some(match connect.to_ascii_uppercase().as_str() {
        "TRACE" | "ALL" => ("TRACE", "trace"),
        "DEBUG" => ("DEBUG", "debug"),
        "INFO" => ("INFO", "info"),
        "WARN" => ("WARN", "warn"),
        "ERROR" | "FATAL" => ("ERROR", "error"),
        "OFF" => ("OFF", "off"),
        _ => return None,
    })
}

impl Loggers {
    /// The levels of the starting filter `directives` (`info,rdkafka=warn`), applied
    /// through `apply` when one is set.
    pub fn new(directives: &str, apply: ApplyFilter) -> Self {
        let mut levels = BTreeMap::new();
        let mut others = Vec::new();
        for directive in directives
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
        {
            let (name, level) = directive.rsplit_once('=').unwrap_or(("root", directive));
            match tracing_level(level) {
                Some((level, _)) if valid_name(name) => {
                    levels.insert(
                        name.to_owned(),
                        LoggerLevel {
                            level: level.into(),
                            last_modified: None,
                        },
                    );
                }
                _ => others.push(directive.to_owned()),
            }
        }
        levels.entry("root".into()).or_insert(LoggerLevel {
            level: "ERROR".into(),
            last_modified: None,
        });
        Loggers {
            levels: Mutex::new(levels),
            others,
            apply,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, LoggerLevel>> {
        self.levels.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every logger with a level of its own, `root` among them.
    pub fn all(&self) -> BTreeMap<String, LoggerLevel> {
        self.lock().clone()
    }

    /// The level `name` logs at: its own, or its nearest parent's (`a::b` → `a`), or
    /// `root`'s. None: a name that is no target.
    pub fn level(&self, name: &str) -> Option<LoggerLevel> {
        if !valid_name(name) {
            return None;
        }
        let levels = self.lock();
        let mut at = name;
        loop {
            if let Some(level) = levels.get(at) {
                return Some(level.clone());
            }
            match at.rsplit_once("::") {
                Some((parent, _)) => at = parent,
                None => return levels.get("root").cloned(),
            }
        }
    }

    /// Sets `name` (and so every target under it, whose own levels go) to `level`, at
    /// `now_ms`; applies the new filter. Returns the loggers whose level changed, sorted
    /// (Connect's answer).
    ///
    /// # Errors
    /// [`LoggerError`]: an unknown level, a name that is no target, too many loggers, or a
    /// filter the subscriber refused (nothing changes then).
    pub fn set(&self, name: &str, level: &str, now_ms: i64) -> Result<Vec<String>, LoggerError> {
        let (level, _) = tracing_level(level).ok_or_else(|| LoggerError::Level(level.into()))?;
        if !valid_name(name) {
            return Err(LoggerError::Name(format!(
                "{:?} is not a logger: give root or a tracing target such as inlet_engine or inlet_serve::worker (letters, digits, _ and ::, at most {MAX_NAME} bytes)",
                crate::flat::shorten(name)
            )));
        }
        let mut levels = self.lock();
        let mut next = levels.clone();
        let below = format!("{name}::");
        let mut changed: Vec<String> = next
            .keys()
            .filter(|k| name == "root" || k.starts_with(&below))
            .filter(|k| k.as_str() != name)
            .cloned()
            .collect();
        next.retain(|k, _| !changed.contains(k));
        next.insert(
            name.to_owned(),
            LoggerLevel {
                level: level.into(),
                last_modified: Some(now_ms),
            },
        );
        if next.len() > MAX_LOGGERS {
            return Err(LoggerError::Name(format!(
                "at most {MAX_LOGGERS} loggers have levels of their own: set a parent's (or root's) instead"
            )));
        }
        (self.apply)(&self.directives(&next)).map_err(LoggerError::Apply)?;
        *levels = next;
        changed.push(name.to_owned());
        changed.sort();
        Ok(changed)
    }

    /// The filter's directives for `levels`, with the starting ones that name no logger.
    fn directives(&self, levels: &BTreeMap<String, LoggerLevel>) -> String {
        let mut out: Vec<String> = Vec::new();
        for (name, level) in levels {
            let (_, tracing) = tracing_level(&level.level).unwrap_or(("INFO", "info"));
            out.push(match name.as_str() {
                "root" => tracing.to_owned(),
                _ => format!("{name}={tracing}"),
            });
        }
        out.extend(self.others.iter().cloned());
        out.join(",")
    }
}

/// `root`, or a tracing target: Rust path segments (letters, digits, `_`, `-`, `.`) joined
/// by `::`, at most [`MAX_NAME`] bytes.
fn valid_name(name: &str) -> bool {
    name.len() <= MAX_NAME
        && !name.is_empty()
        && name.split("::").all(|segment| {
            !segment.is_empty()
                && segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn recording() -> (Loggers, Arc<Mutex<Vec<String>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let loggers = Loggers::new(
            "info,rdkafka=warn,inlet_engine::connector=debug,[span]=trace",
            Box::new(move |d| {
                log.lock().unwrap().push(d.to_owned());
                Ok(())
            }),
        );
        (loggers, seen)
    }

    #[test]
    fn a_level_set_applies_to_the_targets_under_it_and_rewrites_the_filter() {
        let (loggers, seen) = recording();
        assert_eq!(loggers.level("inlet_serve::worker").unwrap().level, "INFO");
        assert_eq!(loggers.level("rdkafka::client").unwrap().level, "WARN");
        assert_eq!(
            loggers.set("inlet_engine", "debug", 7).unwrap(),
            ["inlet_engine", "inlet_engine::connector"]
        );
        assert_eq!(
            seen.lock().unwrap().last().unwrap(),
            "inlet_engine=debug,rdkafka=warn,info,[span]=trace"
        );
        assert_eq!(
            loggers.level("inlet_engine::connector").unwrap(),
            LoggerLevel {
                level: "DEBUG".into(),
                last_modified: Some(7)
            }
        );
        assert_eq!(
            loggers.set("root", "FATAL", 8).unwrap(),
            ["inlet_engine", "rdkafka", "root"]
        );
        assert_eq!(seen.lock().unwrap().last().unwrap(), "error,[span]=trace");
        assert!(matches!(
            loggers.set("root", "LOUD", 9),
            Err(LoggerError::Level(_))
        ));
        assert!(matches!(
            loggers.set("a b", "INFO", 9),
            Err(LoggerError::Name(_))
        ));
        assert!(loggers.level("x=y").is_none());
    }
}
