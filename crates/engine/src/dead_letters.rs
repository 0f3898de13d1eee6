//! Dead-letter replay: after the cause is fixed (a column widened, a schema registered, the
//! registry back), selected dead letters go through the connector's current plan again. One
//! that now converts is stored and marked replayed in the same transaction — exactly once,
//! even with two replays at once; one that still fails keeps its new reason.

use inlet_avro::RowScratch;
use inlet_postgres::DatabaseConfig;
use inlet_postgres::dead_letters::{Replayed, StoredRecord, load_dead_letters};
use inlet_registry::RegistryClient;

use crate::batcher::Batcher;
use crate::config::{ConnectorConfig, Tolerance};
use crate::decode::{Headers, Record, Target, decode};
use crate::preview::PreviewError;

/// The most dead letters one replay takes.
pub const MAX_REPLAY: usize = 1_000;

/// Replays `connector`'s dead letters `ids` (at most [`MAX_REPLAY`]; ids of other
/// connectors, unknown or already replayed are left out) through its current plans, into
/// its tables; returns each one's outcome, by id.
///
/// # Errors
/// [`PreviewError`]: the database or the registry cannot be asked.
pub async fn replay_dead_letters(
    connector: &ConnectorConfig,
    database: &DatabaseConfig,
    ids: &[i64],
) -> Result<Vec<(i64, Replayed)>, PreviewError> {
    let ids = &ids[..ids.len().min(MAX_REPLAY)];
    let registry = RegistryClient::new(connector.registry.clone())?;
    let mut client = database.connect().await?;
    let records = load_dead_letters(&client, &connector.name, ids).await?;
    // One target per topic of the connector, as a running connector has it.
    let mut targets: Vec<Target> = Vec::new();
    let mut unusable: Vec<(String, String)> = Vec::new();
    for topic in &connector.topics {
        match crate::preview::target(connector, topic, &client, &registry, None, &[]).await {
            Ok((target, None)) => targets.push(target),
            Ok((_, Some(_))) => unusable.push((
                topic.topic.clone(),
                format!("table {} does not exist", topic.table),
            )),
            Err(e) => unusable.push((topic.topic.clone(), e.to_string())),
        }
    }
    let mut batcher = Batcher::new(&connector.name, &targets, None);
    let mut scratch = RowScratch::default();
    let mut out = Vec::with_capacity(records.len());
    // Entry index in the batch of each record that has one.
    let mut entries: Vec<(i64, usize)> = Vec::new();
    let pending = rustc_hash::FxHashMap::default();
    for stored in &records {
        let Some(t) = targets.iter().position(|t| t.config.topic == stored.topic) else {
            let reason = unusable
                .iter()
                .find(|(topic, _)| *topic == stored.topic)
                .map_or_else(
                    || {
                        format!(
                            "topic {} is no longer one of the connector's topics",
                            stored.topic
                        )
                    },
                    |(_, reason)| reason.clone(),
                );
            out.push((
                stored.id,
                Replayed::Skipped {
                    reason: format!("not decoded again: {reason}"),
                },
            ));
            continue;
        };
        let headers = headers(stored);
        let record = Record {
            topic: &stored.topic,
            partition: stored.partition,
            offset: stored.offset,
            timestamp_ms: stored.timestamp_ms,
            key: stored.key.as_deref(),
            value: stored.value.as_deref(),
            headers: Headers::parsed(
                headers
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_deref()))
                    .collect(),
            ),
        };
        let start = batcher.batch.rows.len();
        let decoded = decode(
            &mut targets[t],
            &registry,
            None,
            &record,
            &mut scratch,
            &mut batcher.batch.rows,
        )
        .await
        .map_err(PreviewError::Unavailable)?;
        // With tolerance all, a record that cannot be stored is an entry too.
        if batcher
            .add(
                &targets,
                t,
                &record,
                decoded,
                start,
                &pending,
                None,
                Tolerance::All,
            )
            .is_ok()
        {
            entries.push((stored.id, batcher.batch.entries.len() - 1));
        }
    }
    for (id, index) in entries {
        let outcome = batcher.batch.replay(&mut client, index, id).await?;
        out.push((id, outcome));
    }
    out.sort_by_key(|(id, _)| *id);
    Ok(out)
}

/// A dead letter's headers, from their JSON (`\x…` values are hex bytes).
fn headers(stored: &StoredRecord) -> Vec<(String, Option<Vec<u8>>)> {
    let Some(json) = &stored.headers else {
        return Vec::new();
    };
    let Ok(serde_json::Value::Array(items)) = serde_json::from_str::<serde_json::Value>(json)
    else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let key = item.get("key")?.as_str()?.to_owned();
            let value = item.get("value").and_then(|v| v.as_str()).map(|v| {
                v.strip_prefix("\\x")
                    .filter(|hex| hex.len() % 2 == 0 && hex.is_ascii())
                    .and_then(|hex| {
                        (0..hex.len())
                            .step_by(2)
                            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
                            .collect::<Option<Vec<u8>>>()
                    })
                    .unwrap_or_else(|| v.as_bytes().to_vec())
            });
            Some((key, value))
        })
        .collect()
}
