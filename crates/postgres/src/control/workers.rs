//! The workers: heartbeats, the worker id each holds by a session lock, who is alive, leaving, and the channel they listen on.

use super::*;

/// Worker `worker_id` is alive (its row made the first time), running `files` from its
/// configuration file.
pub async fn heartbeat(
    client: &impl GenericClient,
    worker_id: &str,
    version: &str,
    files: &[String],
) -> Result<()> {
    client
        .execute(
            include_str!("../sql/control_worker_heartbeat.sql"),
            &[&worker_id, &version, &files],
        )
        .await
        .map_err(query("recording the worker's heartbeat"))?;
    Ok(())
}

/// A worker heard of in the last `within_secs` seconds that runs connector `name` from
/// its configuration file.
pub async fn file_connector_holder(
    client: &impl GenericClient,
    name: &str,
    within_secs: f64,
) -> Result<Option<String>> {
    let row = client
        .query_opt(
            include_str!("../sql/control_file_holder.sql"),
            &[&name, &within_secs],
        )
        .await
        .map_err(query("looking for the connector in workers' files"))?;
    Ok(row.map(|r| r.get(0)))
}

/// Takes worker id `worker_id` for the session of `client` (keep the connection open while
/// the worker runs); false when another live session holds it — two workers of one id
/// would run the same tasks.
///
/// # Errors
/// [`Error::Query`] when the database fails.
pub async fn lock_worker_id(client: &Client, worker_id: &str) -> Result<bool> {
    let row = client
        .query_one(
            include_str!("../sql/control_worker_lock.sql"),
            &[&worker_id],
        )
        .await
        .map_err(query("taking the worker's id"))?;
    Ok(row.get(0))
}

/// The workers heard of in the last `within_secs` seconds.
pub async fn live_workers(client: &impl GenericClient, within_secs: f64) -> Result<Vec<String>> {
    let rows = client
        .query(
            include_str!("../sql/control_workers_live.sql"),
            &[&within_secs],
        )
        .await
        .map_err(query("listing the live workers"))?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Worker `worker_id` leaves: its tasks are free at once.
pub async fn leave(client: &impl GenericClient, worker_id: &str) -> Result<()> {
    client
        .execute(
            include_str!("../sql/control_worker_leave.sql"),
            &[&worker_id],
        )
        .await
        .map_err(query("giving the worker's tasks up"))?;
    Ok(())
}

/// Starts hearing of changes of connectors on `client` (a connection whose notifications
/// are read: `DatabaseConfig::connect_listening`).
///
/// # Errors
/// [`Error::Query`] when the database fails.
pub async fn listen(client: &Client) -> Result<()> {
    client
        .batch_execute(include_str!("../sql/control_listen.sql"))
        .await
        .map_err(query("listening for changes of connectors"))
}
