//! The API's OpenAPI document (`GET /openapi.json`), derived from the handlers' Rust body
//! types and their `#[utoipa::path]`s, each module's merged here. `docs/openapi.json` is a
//! committed copy, so that a change of the contract shows in review: a test fails when it
//! differs from [`document`] (`INLET_BLESS=1 cargo test -p inlet-serve --lib openapi`
//! writes it). CI checks the running server against the document with schemathesis.

use std::sync::LazyLock;

use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{RefOr, Response, ResponseBuilder};

use super::ErrorMessage;

/// The document's frame: its title, and what every operation shares ([`Shared`]).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "inlet",
        description = "inlet serve: Kafka Connect's REST API (shapes and codes), over connectors stored in PostgreSQL, and inlet's own setup steps and dead letters under /inlet/v1. Errors are {\"error_code\", \"message\"}.",
    ),
    components(schemas(ErrorMessage))
)]
struct Frame;

/// Adds what every operation shares: the error answer (`default`: `{"error_code",
/// "message"}`), the two ways a token is sent (Bearer, or as basic auth's password), and
/// its family's tag (Kafka Connect, inlet, Prometheus).
struct Shared;

impl utoipa::Modify for Shared {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
        );
        // A token, as a Bearer or as basic auth's password (the open paths say `[{}]`).
        openapi.security = Some(vec![
            SecurityRequirement::new("bearer", Vec::<String>::new()),
            SecurityRequirement::new("basic", Vec::<String>::new()),
        ]);
        let error: RefOr<Response> = ResponseBuilder::new()
            .description("Refused or failed: the status, and a message that says what to do.")
            .content(
                "application/json",
                utoipa::openapi::ContentBuilder::new()
                    .schema(Some(utoipa::openapi::Ref::from_schema_name("ErrorMessage")))
                    .build(),
            )
            .build()
            .into();
        for (path, item) in openapi.paths.paths.iter_mut() {
            // One tag per family of endpoints, whatever module a handler is in.
            let tag = if path.starts_with("/inlet/v1/") {
                "inlet"
            } else if path == "/metrics" {
                "Prometheus"
            } else {
                "Kafka Connect"
            };
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                operation.tags = Some(vec![tag.to_owned()]);
                operation
                    .responses
                    .responses
                    .entry("default".into())
                    .or_insert_with(|| error.clone());
            }
        }
    }
}

/// The document, as JSON text (made once).
pub fn document() -> &'static str {
    static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
        let mut doc = Frame::openapi();
        doc.info.version = super::VERSION.to_owned();
        doc.merge(super::connectors::Api::openapi());
        doc.merge(super::plugins::Api::openapi());
        doc.merge(super::console::Api::openapi());
        doc.merge(super::dead_letters::Api::openapi());
        doc.merge(super::admin::Api::openapi());
        doc.merge(super::metrics::Api::openapi());
        // The shared answers, on the merged paths.
        utoipa::Modify::modify(&Shared, &mut doc);
        let mut json = serde_json::to_value(&doc).unwrap_or_default();
        config_key_forms(&mut json);
        unreferenced_schemas_dropped(&mut json);
        parameters_never_null(&mut json);
        summaries_made_titles(&mut json);
        unlinked(&mut json);
        serde_json::to_string_pretty(&json).unwrap_or_default() + "\n"
    });
    &DOCUMENT
}

/// The connector configuration's keys of a form rather than a name (utoipa's model has no
/// `patternProperties`): a topic's own value of a per-topic setting, `topic.<topic>.<key>`,
/// and a librdkafka property, `kafka.properties.<property>`.
fn config_key_forms(doc: &mut serde_json::Value) {
    use inlet_engine::config::settings::{SETTINGS, Scope};
    let per_topic: Vec<String> = SETTINGS
        .iter()
        .filter(|s| s.scope == Scope::Topic)
        .map(|s| s.key.replace('.', r"\."))
        .collect();
    if let Some(config) = doc.pointer_mut("/components/schemas/ConnectorConfig") {
        config["patternProperties"] = serde_json::json!({
            format!(r"^topic\.[A-Za-z0-9._-]+\.({})$", per_topic.join("|")): {"$ref": "#/components/schemas/ConfigValue"},
            r"^kafka\.properties\.[a-z0-9._-]+$": {"$ref": "#/components/schemas/ConfigValue"},
        });
    }
}

/// A header's or a query parameter's value is absent or text, never JSON's null (utoipa makes
/// an `Option` parameter `["string", "null"]`, and a client then sends `If-Match: null`).
fn parameters_never_null(doc: &mut serde_json::Value) {
    let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    for parameter in paths
        .values_mut()
        .filter_map(|item| item.as_object_mut())
        .flat_map(|item| item.values_mut())
        .filter_map(|operation| operation.get_mut("parameters"))
        .filter_map(|parameters| parameters.as_array_mut())
        .flatten()
    {
        if let Some(types) = parameter
            .pointer_mut("/schema/type")
            .and_then(|t| t.as_array_mut())
        {
            types.retain(|t| t != "null");
            if let [one] = types.as_slice() {
                let one = one.clone();
                parameter["schema"]["type"] = one;
            }
        }
    }
}

/// Each operation's summary one line, its first sentence (a handler's docstring opens with
/// a paragraph, which utoipa takes whole); the paragraph goes to the description.
fn summaries_made_titles(doc: &mut serde_json::Value) {
    let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    for operation in paths
        .values_mut()
        .filter_map(|item| item.as_object_mut())
        .flat_map(|item| item.values_mut())
    {
        let Some(summary) = operation.get("summary").and_then(|s| s.as_str()) else {
            continue;
        };
        let paragraph = summary.split_whitespace().collect::<Vec<_>>().join(" ");
        let first = match paragraph.find(". ") {
            Some(end) => paragraph[..end].to_owned(),
            None => paragraph.trim_end_matches('.').to_owned(),
        };
        if first.len() + 1 < paragraph.len() {
            let rest = operation
                .get("description")
                .and_then(|d| d.as_str())
                .map(|d| format!("\n\n{d}"))
                .unwrap_or_default();
            operation["description"] = format!("{paragraph}{rest}").into();
        }
        operation["summary"] = first.into();
    }
}

/// Every text without rustdoc's link brackets: ``[`x`]`` is `` `x` `` (the docstrings are
/// written for rustdoc first).
fn unlinked(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::String(text) if text.contains("[`") => {
            let mut out = String::with_capacity(text.len());
            let mut rest = text.as_str();
            while let Some(start) = rest.find("[`") {
                out.push_str(&rest[..start]);
                let after = &rest[start + 1..];
                match after.find("`]") {
                    Some(end) => {
                        out.push_str(&after[..=end]);
                        rest = &after[end + 2..];
                    }
                    None => {
                        out.push_str(&rest[start..]);
                        rest = "";
                    }
                }
            }
            out.push_str(rest);
            *text = out;
        }
        serde_json::Value::Object(map) => map.values_mut().for_each(unlinked),
        serde_json::Value::Array(items) => items.iter_mut().for_each(unlinked),
        _ => {}
    }
}

/// Drops the component schemas nothing refers to (a map written inline is also collected
/// under its type's name).
fn unreferenced_schemas_dropped(doc: &mut serde_json::Value) {
    let text = doc.to_string();
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(|s| s.as_object_mut())
    {
        schemas.retain(|name, _| text.contains(&format!("\"#/components/schemas/{name}\"")));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_committed_document_is_the_one_the_types_make() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.json");
        let generated = super::document();
        if std::env::var_os("INLET_BLESS").is_some() {
            std::fs::write(path, generated).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            committed == generated,
            "docs/openapi.json is not the document the API's types make: run INLET_BLESS=1 cargo test -p inlet-serve --lib openapi, and review the change"
        );
        let doc: serde_json::Value = serde_json::from_str(generated).unwrap();
        assert!(doc["paths"]["/connectors"]["post"].is_object());
        // Titles are one line, and no rustdoc link is left.
        for item in doc["paths"].as_object().unwrap().values() {
            for operation in item.as_object().unwrap().values() {
                let summary = operation["summary"].as_str().unwrap_or_default();
                assert!(
                    !summary.is_empty() && !summary.contains('\n'),
                    "{summary:?}"
                );
            }
        }
        assert!(!generated.contains("[`"), "a rustdoc link in the document");
        // Every reference names a schema of the document.
        let mut refs = Vec::new();
        references(&doc, &mut refs);
        for name in refs {
            let name = name.trim_start_matches("#/components/schemas/");
            assert!(
                doc["components"]["schemas"][name].is_object(),
                "{name} is referred to and not in components/schemas: add it to its module's #[openapi(components(schemas(…)))]"
            );
        }
    }

    fn references(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, v) in map {
                    match (key.as_str(), v) {
                        ("$ref", serde_json::Value::String(r)) => out.push(r.clone()),
                        _ => references(v, out),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| references(v, out)),
            _ => {}
        }
    }
}
