//! The offsets as the API shows and edits them: only while the connector is STOPPED and no lease of it is live.

use super::*;

/// Connector `name`'s stored next offsets: (topic, partition, next offset).
pub async fn offsets_of(
    client: &impl GenericClient,
    name: &str,
) -> Result<Vec<(String, i32, i64)>> {
    let rows = client
        .query(include_str!("../sql/control_offsets_of.sql"), &[&name])
        .await
        .map_err(query("reading a connector's offsets"))?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect())
}

/// Why offsets were not changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OffsetsRefused {
    /// No such connector.
    Missing,
    /// The connector is not STOPPED (its state), or a live worker still holds a task.
    NotStopped(TargetState),
}

/// Changes connector `name`'s offsets in one transaction: each (topic, partition) set to
/// its next offset, or forgotten (None; read again from `start_from`); `None` for the whole
/// list forgets every offset. Only while the connector is STOPPED and no worker holds a
/// task of it.
pub async fn alter_offsets(
    client: &mut Client,
    name: &str,
    offsets: Option<&[(String, i32, Option<i64>)]>,
    who: Actor<'_>,
) -> Result<std::result::Result<(), OffsetsRefused>> {
    let action = "changing a connector's offsets";
    let tx = client.transaction().await.map_err(query(action))?;
    let Some(row) = tx
        .query_opt(
            include_str!("../sql/control_offsets_editable.sql"),
            &[&name],
        )
        .await
        .map_err(query(action))?
    else {
        return Ok(Err(OffsetsRefused::Missing));
    };
    let state = TargetState::from_row(row.get(0));
    let held: i64 = row.get(1);
    if state != TargetState::Stopped || held > 0 {
        return Ok(Err(OffsetsRefused::NotStopped(state)));
    }
    match offsets {
        None => {
            tx.execute(include_str!("../sql/control_offsets_delete.sql"), &[&name])
                .await
                .map_err(query(action))?;
        }
        Some(offsets) => {
            for (topic, partition, next) in offsets {
                match next {
                    Some(next) => tx
                        .execute(
                            include_str!("../sql/control_offset_set.sql"),
                            &[&name, topic, partition, next],
                        )
                        .await
                        .map_err(query(action))?,
                    None => tx
                        .execute(
                            include_str!("../sql/control_offset_delete.sql"),
                            &[&name, topic, partition],
                        )
                        .await
                        .map_err(query(action))?,
                };
            }
        }
    }
    let what = if offsets.is_some() {
        "alter offsets"
    } else {
        "reset offsets"
    };
    changed(&tx, who, what, name, None, None).await?;
    tx.commit().await.map_err(query(action))?;
    Ok(Ok(()))
}
