//! `inlet check --config FILE`: authenticates to every connector's Kafka, schema registry
//! and database, and says what is wrong and how to fix it. Exit status 1 when anything is.

use std::path::PathBuf;

use inlet_engine::{Config, check_connector};

/// What to check.
#[derive(clap::Args)]
pub struct CheckArgs {
    /// The connectors' configuration (TOML).
    #[arg(long, env = "INLET_CONFIG")]
    config: PathBuf,
}

pub async fn run(args: CheckArgs) -> anyhow::Result<()> {
    let config = Config::load(&args.config)?;
    let mut failures = 0;
    for connector in &config.connectors {
        println!("connector {}", connector.name);
        for finding in check_connector(connector, &config.database).await {
            println!(
                "  {:<4}  {:<8}  {}",
                if finding.ok { "ok" } else { "FAIL" },
                finding.what,
                finding.detail
            );
            failures += usize::from(!finding.ok);
        }
    }
    if failures > 0 {
        anyhow::bail!("{failures} check(s) failed; see the FAIL lines above");
    }
    println!("all checks passed");
    Ok(())
}
