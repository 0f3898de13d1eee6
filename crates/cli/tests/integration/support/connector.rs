//! One connector's configuration for the tests, written once as Kafka Connect's flat keys
//! (`kafka.bootstrap_servers`, `table`, `kafka.properties.<librdkafka key>`, as
//! `docs/configuration.md` lists them) and sent either way inlet takes it: the map of
//! strings of a `POST /connectors` or `PUT …/config` body, or an `inlet run` file's
//! `[[connector]]`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// A connector's name and settings, by flat key. Each value is held as typed (`100`, `false`,
/// `["a", "b"]`, a mapping's object) so that the file gets TOML's integers, booleans, arrays
/// and tables, and the body the text Kafka Connect carries (`"100"`, `"false"`, `"a,b"`, the
/// object as JSON text).
#[derive(Debug, Clone)]
pub struct ConnectorConfig {
    name: String,
    settings: BTreeMap<String, Value>,
}

impl ConnectorConfig {
    /// The connector `name` of inlet's plugin, one task, reading `topic` into `table`; every
    /// other setting is inlet's default until set.
    pub fn new(name: &str, topic: &str, table: &str) -> Self {
        ConnectorConfig {
            name: name.to_owned(),
            settings: BTreeMap::new(),
        }
        .set("connector.class", "inlet.PostgresSink")
        .set("tasks.max", 1)
        .set("topics", topic)
        .set("table", table)
    }

    /// The setting `key` (a flat key) is `value`, over what it was.
    pub fn set(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.settings.insert(key.to_owned(), value.into());
        self
    }

    /// The setting `key` is left out (inlet's default).
    pub fn without(mut self, key: &str) -> Self {
        self.settings.remove(key);
        self
    }

    /// The connector's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Kafka Connect's map of strings: a `PUT /connectors/{name}/config` body, a setup
    /// step's `config`.
    pub fn flat(&self) -> Value {
        self.settings
            .iter()
            .map(|(key, value)| {
                let text = match value {
                    Value::String(s) => s.clone(),
                    Value::Array(items) => items
                        .iter()
                        .map(|item| {
                            item.as_str()
                                .map_or_else(|| item.to_string(), str::to_owned)
                        })
                        .collect::<Vec<_>>()
                        .join(","),
                    other => other.to_string(),
                };
                (key.clone(), Value::String(text))
            })
            .collect::<serde_json::Map<_, _>>()
            .into()
    }

    /// A `POST /connectors` body: the name and [`Self::flat`].
    pub fn body(&self) -> Value {
        json!({"name": self.name, "config": self.flat()})
    }

    /// [`Self::body`], created STOPPED (nothing runs until it is resumed).
    pub fn stopped_body(&self) -> Value {
        let mut body = self.body();
        body["initial_state"] = json!("STOPPED");
        body
    }

    /// The `[[connector]]` table of an `inlet run` file: `<section>.<key>` under
    /// `[connector.<section>]`, `kafka.properties.<key>` in `kafka.properties`, a topic's
    /// keys (`table`, `insert`, …, or `topic.<topic>.<key>` for one topic) in each
    /// `[[connector.topic]]` of `topics`; `connector.class` and `tasks.max`, which a file
    /// does not hold, left out.
    fn table(&self) -> toml::Table {
        let mut connector = toml::Table::new();
        connector.insert("name".into(), self.name.clone().into());
        let mut each_topic = toml::Table::new();
        let mut one_topic: BTreeMap<&str, toml::Table> = BTreeMap::new();
        let mut topics = Vec::new();
        for (key, value) in &self.settings {
            let value = toml::Value::try_from(value)
                .unwrap_or_else(|e| panic!("{key}: {value} has no TOML form: {e}"));
            match key.as_str() {
                "connector.class" | "tasks.max" => {}
                "topics" => {
                    let list = value.as_str().expect("topics is text").split(',');
                    topics = list.map(str::trim).map(str::to_owned).collect();
                }
                _ => {
                    if let Some(property) = key.strip_prefix("kafka.properties.") {
                        section(&mut connector, "kafka")
                            .entry("properties")
                            .or_insert_with(|| toml::Table::new().into())
                            .as_table_mut()
                            .expect("kafka.properties is a table")
                            .insert(property.to_owned(), value);
                    } else if let Some(rest) = key.strip_prefix("topic.") {
                        let (topic, key) = rest.rsplit_once('.').expect("topic.<topic>.<key>");
                        one_topic
                            .entry(topic)
                            .or_default()
                            .insert(key.to_owned(), value);
                    } else if let Some((name, key)) = key.split_once('.') {
                        section(&mut connector, name).insert(key.to_owned(), value);
                    } else {
                        each_topic.insert(key.clone(), value);
                    }
                }
            }
        }
        let topics = topics.into_iter().map(|name| {
            let mut topic = each_topic.clone();
            topic.extend(one_topic.remove(name.as_str()).unwrap_or_default());
            topic.insert("name".into(), name.into());
            toml::Value::from(topic)
        });
        connector.insert("topic".into(), toml::Value::Array(topics.collect()));
        connector
    }
}

/// The table `[connector.<name>]`, made when missing.
fn section<'a>(connector: &'a mut toml::Table, name: &str) -> &'a mut toml::Table {
    connector
        .entry(name)
        .or_insert_with(|| toml::Table::new().into())
        .as_table_mut()
        .unwrap_or_else(|| panic!("{name} is a section"))
}

/// The text of an `inlet run` file: `[database]` with `database`'s keys (`url`, `ca_file`),
/// then each connector's `[[connector]]`.
pub fn run_file(database: &[(&str, &str)], connectors: &[ConnectorConfig]) -> String {
    let mut file = toml::Table::new();
    let database: toml::Table = database
        .iter()
        .map(|(key, value)| ((*key).to_owned(), (*value).into()))
        .collect();
    file.insert("database".into(), database.into());
    let connectors = connectors.iter().map(|c| c.table().into()).collect();
    file.insert("connector".into(), toml::Value::Array(connectors));
    toml::to_string(&file).expect("a TOML table is written")
}
