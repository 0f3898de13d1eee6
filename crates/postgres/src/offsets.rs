//! The offsets of record, read back on partition assignment.

use std::collections::HashMap;

use tokio_postgres::Client;

use crate::error::{Error, Result};

/// partition → next offset to store, for `connector` on `topic`.
pub async fn load_offsets(
    client: &Client,
    connector: &str,
    topic: &str,
) -> Result<HashMap<i32, i64>> {
    let rows = client
        .query(include_str!("sql/offsets_load.sql"), &[&connector, &topic])
        .await
        .map_err(|e| Error::query(format!("reading the stored offsets of {topic}"), e))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}
