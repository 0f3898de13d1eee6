//! `inlet preview --config FILE --topic T`: a topic's latest records as the rows its
//! connector would store, one JSON document per line, and the records that would be dead
//! letters with the reason. Nothing is written (see `inlet_engine::preview_topic`).

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use inlet_engine::{Config, preview_topic};

/// What to preview.
#[derive(clap::Args)]
pub struct PreviewArgs {
    /// The connectors' configuration (TOML).
    #[arg(long, env = "INLET_CONFIG")]
    config: PathBuf,
    /// The connector whose mapping and table apply (default: the one with the topic).
    #[arg(long)]
    connector: Option<String>,
    /// The topic.
    #[arg(long)]
    topic: String,
    /// How many of its latest records (at most 1000).
    #[arg(long, default_value_t = 10)]
    count: usize,
}

pub async fn run(args: PreviewArgs) -> anyhow::Result<()> {
    let config = Config::load(&args.config)?;
    let connector = config
        .connectors
        .iter()
        .find(|c| match &args.connector {
            Some(name) => c.name == *name,
            None => c.topics.iter().any(|t| t.topic == args.topic),
        })
        .with_context(|| match &args.connector {
            Some(name) => format!("{} has no connector {name}", args.config.display()),
            None => format!(
                "no connector of {} reads topic {}",
                args.config.display(),
                args.topic
            ),
        })?;
    let preview = preview_topic(connector, &config.database, &args.topic, args.count).await?;
    if let Some(ddl) = &preview.ddl {
        eprintln!(
            "table {} does not exist yet; the connector creates it with:\n{ddl}",
            preview.table
        );
    }
    if preview.records.is_empty() {
        eprintln!("topic {} has no records", args.topic);
    }
    let mut out = std::io::stdout().lock();
    for record in &preview.records {
        writeln!(out, "{}", serde_json::to_string(record)?)?;
    }
    Ok(())
}
