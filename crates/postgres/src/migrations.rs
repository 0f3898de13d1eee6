//! inlet's own schema in the target database (`inlet.offsets`, `inlet.dead_letters`,
//! `inlet.columns`, and what the control plane adds), as numbered migrations: each is
//! applied once, in order, in one transaction under the setup lock that serializes workers,
//! and recorded in `inlet.migrations`. A database whose schema is newer than this inlet
//! knows is refused rather than written with the wrong assumptions.

use tokio_postgres::Client;

use crate::error::{Error, Result};

/// The migrations, in order: (version, name, SQL). A new one gets the next number; a
/// published one is never edited.
const MIGRATIONS: &[(i32, &str, &str)] = &[
    (1, "offsets", include_str!("sql/migrations/001_offsets.sql")),
    (
        2,
        "dead letters",
        include_str!("sql/migrations/002_dead_letters.sql"),
    ),
    (
        3,
        "columns' fields",
        include_str!("sql/migrations/003_columns.sql"),
    ),
    (
        4,
        "control plane",
        include_str!("sql/migrations/004_control.sql"),
    ),
    (
        5,
        "dead-letter replay",
        include_str!("sql/migrations/005_replays.sql"),
    ),
    (
        6,
        "task metrics",
        include_str!("sql/migrations/006_metrics.sql"),
    ),
    (
        7,
        "workers' file connectors",
        include_str!("sql/migrations/007_worker_files.sql"),
    ),
    (8, "secrets", include_str!("sql/migrations/008_secrets.sql")),
    (
        9,
        "dead letters met again",
        include_str!("sql/migrations/009_dead_letter_attempts.sql"),
    ),
    (
        10,
        "task states checked",
        include_str!("sql/migrations/010_task_states.sql"),
    ),
    (
        11,
        "dead letters by reason code",
        include_str!("sql/migrations/011_dead_letter_reason_codes.sql"),
    ),
];

/// The version of inlet's schema this build makes: its newest migration.
pub const SCHEMA_VERSION: i32 = MIGRATIONS[MIGRATIONS.len() - 1].0;

/// Brings inlet's schema to [`SCHEMA_VERSION`], applying the migrations the database has
/// not recorded; returns the versions applied now (empty: it was up to date). Errors: a
/// statement failed (nothing of this call is kept), or the database's schema is newer
/// than this build's ([`Error::SchemaNewer`]).
pub async fn migrate(client: &mut Client) -> Result<Vec<i32>> {
    let action = "bringing inlet's schema up to date (inlet.migrations)";
    let query = |e| Error::query(action, e);
    // Up to date (every start but the first): no lock and no DDL, so that a role with
    // rights on the rows only can run connectors on a schema made for it.
    let exists: bool = client
        .query_one(include_str!("sql/migrations_exists.sql"), &[])
        .await
        .map_err(query)?
        .get(0);
    if exists {
        let current: i32 = client
            .query_one(include_str!("sql/migrations_version.sql"), &[])
            .await
            .map_err(query)?
            .get(0);
        if current == SCHEMA_VERSION {
            return Ok(Vec::new());
        }
    }
    let tx = client.transaction().await.map_err(query)?;
    tx.batch_execute(include_str!("sql/setup_lock.sql"))
        .await
        .map_err(query)?;
    tx.batch_execute(include_str!("sql/migrations_table.sql"))
        .await
        .map_err(query)?;
    let current: i32 = tx
        .query_one(include_str!("sql/migrations_version.sql"), &[])
        .await
        .map_err(query)?
        .get(0);
    if current > SCHEMA_VERSION {
        return Err(Error::SchemaNewer {
            found: current,
            known: SCHEMA_VERSION,
        });
    }
    let mut applied = Vec::new();
    for &(version, name, sql) in MIGRATIONS.iter().filter(|(v, _, _)| *v > current) {
        tx.batch_execute(sql).await.map_err(|e| {
            Error::query(
                format!("applying migration {version} ({name}) of inlet's schema"),
                e,
            )
        })?;
        tx.execute(
            include_str!("sql/migrations_record.sql"),
            &[&version, &name],
        )
        .await
        .map_err(query)?;
        applied.push(version);
    }
    tx.commit().await.map_err(query)?;
    if !applied.is_empty() {
        tracing::info!(
            from = current,
            to = SCHEMA_VERSION,
            "inlet's schema migrated"
        );
    }
    Ok(applied)
}
