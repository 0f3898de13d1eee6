//! Connectors as stored: read, created, changed (by the version read), their target state set, deleted with everything of theirs.

use super::*;

/// Every connector stored, by name.
pub async fn list_connectors(client: &impl GenericClient) -> Result<Vec<StoredConnector>> {
    let rows = client
        .query(include_str!("../sql/control_connectors_list.sql"), &[])
        .await
        .map_err(query("listing the connectors"))?;
    Ok(rows.iter().map(StoredConnector::from_row).collect())
}

/// The connector `name`, if stored.
pub async fn get_connector(
    client: &impl GenericClient,
    name: &str,
) -> Result<Option<StoredConnector>> {
    let row = client
        .query_opt(include_str!("../sql/control_connector_get.sql"), &[&name])
        .await
        .map_err(query("reading a connector"))?;
    Ok(row.as_ref().map(StoredConnector::from_row))
}

/// Stores a new connector with its tasks; None when the name is taken.
pub async fn create_connector(
    client: &mut Client,
    name: &str,
    config: &str,
    target_state: TargetState,
    tasks_max: i32,
    who: Actor<'_>,
) -> Result<Option<StoredConnector>> {
    let action = "creating a connector";
    let tx = client.transaction().await.map_err(query(action))?;
    let Some(row) = tx
        .query_opt(
            include_str!("../sql/control_connector_insert.sql"),
            &[&name, &config, &target_state.as_str(), &tasks_max],
        )
        .await
        .map_err(query(action))?
    else {
        return Ok(None);
    };
    let stored = StoredConnector::from_row(&row);
    fit_tasks(&tx, name, tasks_max).await?;
    changed(&tx, who, "create", name, None, Some(stored.version)).await?;
    tx.commit().await.map_err(query(action))?;
    Ok(Some(stored))
}

/// What a write that names the version it read found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Versioned {
    /// Written: the connector as it is now.
    Written(StoredConnector),
    /// No such connector.
    Missing,
    /// Another write came first: the version is no longer the one read.
    Conflict,
}

/// A new configuration and task count for `name`, only if its version is still
/// `read_version`. When the configuration changed, its tasks are UNASSIGNED until their
/// worker starts them again with it.
pub async fn update_connector(
    client: &mut Client,
    name: &str,
    config: &str,
    tasks_max: i32,
    read_version: i64,
    who: Actor<'_>,
) -> Result<Versioned> {
    let action = "changing a connector's configuration";
    let tx = client.transaction().await.map_err(query(action))?;
    let row = tx
        .query_opt(
            include_str!("../sql/control_connector_update.sql"),
            &[&name, &config, &tasks_max, &read_version],
        )
        .await
        .map_err(query(action))?;
    let Some(row) = row else {
        let exists = get_connector(&tx, name).await?.is_some();
        return Ok(if exists {
            Versioned::Conflict
        } else {
            Versioned::Missing
        });
    };
    let stored = StoredConnector::from_row(&row);
    if row.get::<_, bool>(5) {
        tx.execute(include_str!("../sql/control_tasks_unassign.sql"), &[&name])
            .await
            .map_err(query(action))?;
    }
    fit_tasks(&tx, name, tasks_max).await?;
    changed(
        &tx,
        who,
        "update",
        name,
        Some(read_version),
        Some(stored.version),
    )
    .await?;
    tx.commit().await.map_err(query(action))?;
    Ok(Versioned::Written(stored))
}

/// The state `name` is to be in; None: no such connector.
pub async fn set_target_state(
    client: &mut Client,
    name: &str,
    state: TargetState,
    who: Actor<'_>,
) -> Result<Option<StoredConnector>> {
    let action = "changing a connector's state";
    let tx = client.transaction().await.map_err(query(action))?;
    let Some(row) = tx
        .query_opt(
            include_str!("../sql/control_connector_state.sql"),
            &[&name, &state.as_str()],
        )
        .await
        .map_err(query(action))?
    else {
        return Ok(None);
    };
    let stored = StoredConnector::from_row(&row);
    let what = match state {
        TargetState::Running => "resume",
        TargetState::Paused => "pause",
        TargetState::Stopped => "stop",
    };
    changed(
        &tx,
        who,
        what,
        name,
        Some(stored.version),
        Some(stored.version),
    )
    .await?;
    tx.commit().await.map_err(query(action))?;
    Ok(Some(stored))
}

/// Deletes `name`, its tasks, its stored offsets, the record of its columns' fields and
/// its secrets (a connector made again under the name starts afresh), only from version
/// `read_version` when given. Its dead letters stay. Stop its tasks first: a batch
/// committed after would store offsets again.
///
/// # Errors
/// [`Error::Query`] when the database fails.
pub async fn delete_connector(
    client: &mut Client,
    name: &str,
    read_version: Option<i64>,
    who: Actor<'_>,
) -> Result<Versioned> {
    let action = "deleting a connector";
    let tx = client.transaction().await.map_err(query(action))?;
    let Some(row) = tx
        .query_opt(
            include_str!("../sql/control_connector_delete.sql"),
            &[&name, &read_version],
        )
        .await
        .map_err(query(action))?
    else {
        let exists = get_connector(&tx, name).await?.is_some();
        return Ok(if exists {
            Versioned::Conflict
        } else {
            Versioned::Missing
        });
    };
    let gone = StoredConnector::from_row(&row);
    changed(&tx, who, "delete", name, Some(gone.version), None).await?;
    tx.commit().await.map_err(query(action))?;
    Ok(Versioned::Written(gone))
}
