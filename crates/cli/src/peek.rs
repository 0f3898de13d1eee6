//! `inlet peek`: the first N records of a topic, decoded, one JSON document per line.

use std::io::Write as _;
use std::time::Duration;

use anyhow::{Context as _, bail};
use apache_avro::Schema;
use apache_avro::reader::datum::GenericDatumReader;
use inlet_avro::Frame;
use inlet_registry::{BasicCredentials, RegistryClient, RegistryConfig, Secret};
use rdkafka::ClientConfig;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Message;
use serde_json::json;

/// Where to read and how many.
#[derive(clap::Args)]
pub struct PeekArgs {
    #[command(flatten)]
    endpoints: crate::Endpoints,
    /// Schema registry basic-auth user or API key.
    #[arg(long, env = "INLET_REGISTRY_KEY")]
    registry_key: Option<String>,
    /// Schema registry basic-auth password or API secret.
    #[arg(long, env = "INLET_REGISTRY_SECRET", hide_env_values = true)]
    registry_secret: Option<String>,
    /// The topic to read, from its earliest offset.
    #[arg(long)]
    topic: String,
    /// What the values are: Confluent-framed Avro, Protobuf or JSON Schema (decoded with
    /// the registry's schema; Protobuf printed in its JSON mapping), JSON documents, UTF-8 text, or bytes
    /// (printed as hex).
    #[arg(long, value_enum, default_value = "avro")]
    format: crate::schema::FormatArg,
    /// How many records to print.
    #[arg(long, default_value_t = 10)]
    count: usize,
    /// Give up when no record arrives for this many seconds.
    #[arg(long, default_value_t = 30)]
    timeout_secs: u64,
}

pub async fn run(args: PeekArgs) -> anyhow::Result<()> {
    let mut registry_config = RegistryConfig::new(&args.endpoints.registry);
    registry_config.credentials = match (args.registry_key, args.registry_secret) {
        (Some(username), secret) => Some(BasicCredentials {
            username,
            password: Secret::new(secret.unwrap_or_default()),
        }),
        (None, Some(_)) => bail!("--registry-secret needs --registry-key"),
        (None, None) => None,
    };
    let registry = RegistryClient::new(registry_config)?;
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", &args.endpoints.bootstrap)
        .set("group.id", format!("inlet-peek-{}", std::process::id()))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .set("session.timeout.ms", "6000")
        .create()
        .context("creating the Kafka consumer")?;
    consumer
        .subscribe(&[&args.topic])
        .with_context(|| format!("subscribing to {}", args.topic))?;
    for _ in 0..args.count {
        let message = tokio::time::timeout(Duration::from_secs(args.timeout_secs), consumer.recv())
            .await
            .with_context(|| {
                format!(
                    "no record from {} on {} within {} s",
                    args.topic, args.endpoints.bootstrap, args.timeout_secs
                )
            })?
            .with_context(|| format!("reading {}", args.topic))?;
        let value = match message.payload() {
            None => json!(null),
            Some(bytes) => decode(args.format, &registry, bytes)
                .await
                .unwrap_or_else(|e| json!({ "error": format!("{e:#}") })),
        };
        let line = json!({
            "partition": message.partition(),
            "offset": message.offset(),
            "key": message.key().map(String::from_utf8_lossy),
            "value": value,
        });
        // A reader that went away (`inlet peek … | head`) ends the command quietly.
        writeln!(std::io::stdout().lock(), "{line}")?;
    }
    Ok(())
}

async fn decode(
    format: crate::schema::FormatArg,
    registry: &RegistryClient,
    bytes: &[u8],
) -> anyhow::Result<serde_json::Value> {
    use crate::schema::FormatArg as F;
    match format {
        F::Avro => {}
        F::Protobuf | F::JsonSchema => {
            let json = inlet_engine::framed_value_json(registry, bytes)
                .await
                .map_err(anyhow::Error::msg)?;
            return serde_json::from_str(&json).context("the message's JSON");
        }
        F::Json => return serde_json::from_slice(bytes).context("not a JSON document"),
        F::Text => {
            return Ok(std::str::from_utf8(bytes).context("not UTF-8 text")?.into());
        }
        F::Bytes => {
            return Ok(bytes
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
                .into());
        }
    }
    let frame = Frame::parse(bytes)?;
    let resolved = registry.resolve(frame.schema_id.0).await?;
    if resolved.schema_type != inlet_registry::SchemaType::Avro {
        bail!(
            "schema {} is a {} schema: peek with --format {}",
            frame.schema_id,
            resolved.schema_type,
            match resolved.schema_type {
                inlet_registry::SchemaType::Json => "json-schema",
                _ => "protobuf",
            }
        );
    }
    let (schema, dependencies) =
        Schema::parse_str_with_list(&resolved.schema, &resolved.dependencies)
            .with_context(|| format!("schema {} is not valid Avro", frame.schema_id))?;
    let reader = GenericDatumReader::builder(&schema)
        .writer_schemata(dependencies.iter().collect())?
        .build()?;
    let mut body = frame.body;
    let value = reader
        .read_value(&mut body)
        .with_context(|| format!("the body does not decode with schema {}", frame.schema_id))?;
    if !body.is_empty() {
        bail!("{} bytes left over after the record", body.len());
    }
    Ok(serde_json::Value::try_from(value)?)
}
