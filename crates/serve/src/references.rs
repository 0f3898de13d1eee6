//! Where a reference may stand in a configuration sent over the API, and what it may name:
//! the one rule that every path applies before anything is resolved, read or sent — create,
//! `PUT` and `PATCH` of a configuration, validate, the console's setup steps — and that a
//! task applies again when it starts.
//!
//! | reference | may stand in | may name |
//! |---|---|---|
//! | `${env:NAME}` | a secret key ([`flat::is_secret_key`]) | a variable starting with [`ENV_PREFIX`] |
//! | `${file:PATH}` | a secret key | a file under `inlet serve --secrets-dir` |
//! | `${secret:NAME}` | the secret key it was sealed for | `<connector>/<that key>`, stored in that key of that connector, its section (`kafka.*`, `registry.*`) unchanged |
//!
//! A reference anywhere else (a table name, a URL, a property that is not a secret) is
//! refused, never resolved: whoever may edit a connector could otherwise have any secret
//! the server can open written into a table name, a log line or an answer, or sent to a
//! host of theirs. The section rule is [`flat::keep_hidden`]'s; the rest is [`problems`].
//! Nothing here reads a variable or a file: a refused reference is refused by its text, so
//! an answer never tells whether what it names exists.

use std::path::{Component, Path};

use crate::flat::{self, FlatConfig, Problem};

/// The variables a reference over the API may name start with this: the server's other
/// variables (`HOME`, its own database URL…) are not for connectors.
pub const ENV_PREFIX: &str = "INLET_SECRET_";

/// A reference as written in a value (the whole value, spaces around it aside).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference<'a> {
    /// `${env:NAME}`: a variable of the server's.
    Env(&'a str),
    /// `${file:PATH}`: a file on the server.
    File(&'a str),
    /// `${secret:NAME}`: a secret `inlet serve` stores encrypted (`<connector>/<key>`).
    Secret(&'a str),
}

impl<'a> Reference<'a> {
    /// The reference `value` is, if it is one.
    pub fn of(value: &'a str) -> Option<Self> {
        let inner = value.trim().strip_prefix("${")?.strip_suffix('}')?;
        let (kind, name) = inner.split_once(':')?;
        match kind {
            "env" => Some(Reference::Env(name)),
            "file" => Some(Reference::File(name)),
            "secret" => Some(Reference::Secret(name)),
            _ => None,
        }
    }
}

/// The name of connector `connector`'s secret stored for flat key `key`.
pub fn secret_name(connector: &str, key: &str) -> String {
    format!("{connector}/{key}")
}

/// Every reference of `config` (connector `connector`'s, as it would be stored) that breaks
/// the rule of this module, by key. `stored` is the connector's configuration as stored
/// (none for a new connector): a `${secret:…}` must be exactly what it stores in that key.
/// `secrets_dir` is `inlet serve --secrets-dir` (none: no `${file:…}` over the API).
///
/// Run after [`flat::keep_hidden`] (which puts the stored values in place of `[hidden]`
/// and refuses a kept secret whose section changed) and before anything resolves, reads or
/// sends a value of `config`.
pub fn problems(
    connector: &str,
    config: &FlatConfig,
    stored: Option<&FlatConfig>,
    secrets_dir: Option<&Path>,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (key, value) in config {
        let Some(reference) = Reference::of(value) else {
            continue;
        };
        if !flat::is_secret_key(key) {
            problems.push((
                key.clone(),
                "holds a reference (${env:…}, ${file:…}, ${secret:…}), which may stand only in a secret key (kafka.password, registry.secret, a secret kafka.properties.*): write the value itself".into(),
            ));
            continue;
        }
        let problem = match reference {
            Reference::Env(name) => (!name.starts_with(ENV_PREFIX) || name.len() == ENV_PREFIX.len())
                .then(|| format!("over the API, ${{env:…}} may only name variables starting with {ENV_PREFIX} (set {ENV_PREFIX}… for inlet serve)")),
            Reference::File(path) => (!under(path, secrets_dir)).then(|| match secrets_dir {
                Some(dir) => format!(
                    "over the API, ${{file:…}} may only name files under {} (inlet serve --secrets-dir)",
                    dir.display()
                ),
                None => "over the API, ${file:…} needs inlet serve --secrets-dir DIR, and a file under it".into(),
            }),
            Reference::Secret(name) => sealed_problem(connector, key, name).or_else(|| {
                (stored.and_then(|s| s.get(key)) != Some(value)).then(|| {
                    format!("no secret of {connector} is stored in {key}: send the secret itself (a ${{secret:…}} stands only where it was stored)")
                })
            }),
        };
        if let Some(problem) = problem {
            problems.push((key.clone(), problem));
        }
    }
    problems
}

/// Why `${secret:name}` may not stand in flat key `key` of connector `connector`, if it
/// may not: it names another connector's secret, or this connector's secret of another key.
/// A task checks this again when it starts (its configuration has no "stored" to compare).
pub fn sealed_problem(connector: &str, key: &str, name: &str) -> Option<String> {
    if !flat::is_secret_key(key) {
        return Some(
            "holds a ${secret:…}, which may stand only in the secret key it was stored for".into(),
        );
    }
    (name != secret_name(connector, key)).then(|| {
        format!(
            "${{secret:{}}} is not the secret stored for {key} (a stored secret stands only in its own key of its own connector: ${{secret:{}}})",
            flat::shorten(name),
            secret_name(connector, key)
        )
    })
}

/// Whether `path` is a file under `dir`: absolute, inside it, no `..`.
fn under(path: &str, dir: Option<&Path>) -> bool {
    let path = Path::new(path);
    dir.is_some_and(|dir| {
        path.is_absolute()
            && path.starts_with(dir)
            && !path.components().any(|c| matches!(c, Component::ParentDir))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(pairs: &[(&str, &str)]) -> FlatConfig {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn keys(problems: &[Problem]) -> Vec<&str> {
        problems.iter().map(|(k, _)| k.as_str()).collect()
    }

    #[test]
    fn env_and_file_references_reach_only_inlets_variables_and_the_secrets_dir() {
        let dir = Path::new("/run/inlet-secrets");
        let config = flat(&[
            ("kafka.password", "${env:HOME}"),
            ("registry.secret", "${file:/etc/shadow}"),
            (
                "kafka.properties.ssl.key.password",
                "${file:/run/inlet-secrets/../shadow}",
            ),
            (
                "kafka.properties.ssl.keystore.password",
                "${file:/run/inlet-secrets/ks}",
            ),
        ]);
        assert_eq!(
            keys(&problems("c", &config, None, Some(dir))),
            [
                "kafka.password",
                "kafka.properties.ssl.key.password",
                "registry.secret"
            ]
        );
        assert_eq!(problems("c", &config, None, None).len(), 4);
        let ok = flat(&[("kafka.password", "${env:INLET_SECRET_KAFKA}")]);
        assert!(problems("c", &ok, None, None).is_empty());
    }

    #[test]
    fn a_reference_stands_only_in_a_secret_key() {
        let config = flat(&[
            ("table", "${secret:c/kafka.password}"),
            ("registry.url", "${env:INLET_SECRET_URL}"),
            ("kafka.username", "${file:/run/inlet-secrets/user}"),
            ("topic.t.table", "public.${topic}"),
        ]);
        let found = problems(
            "c",
            &config,
            Some(&config),
            Some(Path::new("/run/inlet-secrets")),
        );
        assert_eq!(keys(&found), ["kafka.username", "registry.url", "table"]);
        assert!(found[0].1.contains("only in a secret key"), "{found:?}");
    }

    #[test]
    fn a_stored_secret_stands_only_in_its_own_key_of_its_own_connector_as_stored() {
        let stored = flat(&[
            ("kafka.password", "${secret:orders/kafka.password}"),
            ("registry.secret", "${secret:orders/registry.secret}"),
        ]);
        // As stored: fine.
        assert!(problems("orders", &stored, Some(&stored), None).is_empty());
        // Another connector's, another key's, one not stored (a new connector, a key
        // removed by a PATCH and named again).
        let moved = flat(&[
            ("kafka.password", "${secret:payments/kafka.password}"),
            ("registry.secret", "${secret:orders/kafka.password}"),
        ]);
        let found = problems("orders", &moved, Some(&stored), None);
        assert_eq!(keys(&found), ["kafka.password", "registry.secret"]);
        assert!(
            found[1]
                .1
                .contains("not the secret stored for registry.secret"),
            "{found:?}"
        );
        let found = problems("orders", &stored, None, None);
        assert_eq!(keys(&found), ["kafka.password", "registry.secret"]);
        assert!(found[0].1.contains("send the secret itself"), "{found:?}");
    }

    #[test]
    fn references_are_recognised_by_their_text_alone() {
        assert_eq!(Reference::of(" ${env:A} "), Some(Reference::Env("A")));
        assert_eq!(
            Reference::of("${secret:c/k}"),
            Some(Reference::Secret("c/k"))
        );
        assert_eq!(Reference::of("${topic}"), None);
        assert_eq!(Reference::of("x${env:A}"), None);
    }
}
