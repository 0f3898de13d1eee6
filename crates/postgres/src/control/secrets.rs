//! Secrets sent over the API, sealed: stored under their connector and key, opened by the worker that runs it.

use super::*;

/// Stores secret `name`, encrypted: its `nonce` and `ciphertext` (the database never sees
/// the secret).
pub async fn put_secret(
    client: &impl GenericClient,
    name: &str,
    nonce: &[u8],
    ciphertext: &[u8],
) -> Result<()> {
    client
        .execute(
            include_str!("../sql/control_secret_put.sql"),
            &[&name, &nonce, &ciphertext],
        )
        .await
        .map_err(query("storing a secret"))?;
    Ok(())
}

/// Secret `name`, encrypted: (nonce, ciphertext); None: no such secret.
pub async fn get_secret(
    client: &impl GenericClient,
    name: &str,
) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
    let row = client
        .query_opt(include_str!("../sql/control_secret_get.sql"), &[&name])
        .await
        .map_err(query("reading a secret"))?;
    Ok(row.map(|r| (r.get(0), r.get(1))))
}

/// Forgets the secrets of `connector` (named `<connector>/<key>`).
pub async fn delete_secrets(client: &impl GenericClient, connector: &str) -> Result<()> {
    client
        .execute(
            include_str!("../sql/control_secrets_delete.sql"),
            &[&connector],
        )
        .await
        .map_err(query("forgetting a connector's secrets"))?;
    Ok(())
}
