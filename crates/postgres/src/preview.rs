//! Rows as a table would hold them, without writing anything: each COPY BINARY row goes
//! into a temporary table shaped like the target, is read back as JSON, and is rolled
//! back. PostgreSQL itself converts and checks every value, so a preview shows exactly
//! what a connector would store, or the reason PostgreSQL refuses a row.

use bytes::Bytes;
use futures_util::SinkExt as _;
use inlet_avro::{COPY_HEADER, COPY_TRAILER, TableColumn};

use crate::catalog::TableName;
use crate::ddl::{quote, quote_list};
use crate::error::{Error, Result, describe};

/// The shape of the preview's temporary table.
#[derive(Debug, Clone, Copy)]
pub enum PreviewShape<'a> {
    /// The columns and types of an existing table.
    Like(&'a TableName),
    /// The columns of a table not created yet (a proposal's).
    Columns(&'a [TableColumn]),
}

/// One row to preview: one COPY BINARY tuple (field count, then each field) of `columns`.
#[derive(Debug, Clone, Copy)]
pub struct PreviewRow<'a> {
    /// The columns the tuple fills, in order.
    pub columns: &'a [String],
    /// The tuple.
    pub tuple: &'a [u8],
}

/// Each of `rows` as PostgreSQL stores it in a table of `shape`: the row as a JSON object
/// (column → value, in jsonb's rendering; columns the tuple does not fill hold their
/// defaults), or the sentence PostgreSQL refused it with. Nothing is written: the
/// temporary table lives in a transaction that is rolled back.
///
/// # Errors
/// [`Error::Query`] when the temporary table cannot be made (a column type the session
/// cannot use) or the connection fails.
pub async fn preview_rows(
    client: &mut tokio_postgres::Client,
    shape: PreviewShape<'_>,
    rows: &[PreviewRow<'_>],
) -> Result<Vec<std::result::Result<String, String>>> {
    let create = match shape {
        PreviewShape::Like(table) => {
            include_str!("sql/preview_like.sql").replace("{table}", &table.quoted())
        }
        PreviewShape::Columns(columns) => include_str!("sql/preview_create.sql")
            .replace("{columns}", &crate::ddl::column_lines(columns)),
    };
    let mut tx = client
        .transaction()
        .await
        .map_err(|e| Error::query("starting the preview", e))?;
    tx.batch_execute(&create)
        .await
        .map_err(|e| Error::query("making the preview's table", e))?;
    let read = include_str!("sql/preview_read.sql");
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let savepoint = tx
            .savepoint("inlet_preview_row")
            .await
            .map_err(|e| Error::query("previewing a row", e))?;
        let result = copy_one(&savepoint, row).await;
        let shown = match result {
            Ok(()) => match savepoint.query_one(read, &[]).await {
                Ok(r) => Ok(r.get::<_, String>(0)),
                Err(e) => Err(describe(&e)),
            },
            Err(e) if e.as_db_error().is_some() => Err(describe(&e)),
            Err(e) => return Err(Error::query("previewing a row", e)),
        };
        out.push(shown);
        savepoint
            .rollback()
            .await
            .map_err(|e| Error::query("previewing a row", e))?;
    }
    tx.rollback()
        .await
        .map_err(|e| Error::query("ending the preview", e))?;
    Ok(out)
}

/// COPY of one tuple into the preview's table (a row of no column: one row of defaults).
async fn copy_one(
    tx: &tokio_postgres::Transaction<'_>,
    row: &PreviewRow<'_>,
) -> std::result::Result<(), tokio_postgres::Error> {
    if row.columns.is_empty() {
        let insert = include_str!("sql/insert_default_rows.sql")
            .replace("{table}", &format!("pg_temp.{}", quote("inlet_preview")));
        tx.execute(&insert, &[&1_i64]).await?;
        return Ok(());
    }
    let statement =
        include_str!("sql/preview_copy.sql").replace("{columns}", &quote_list(row.columns));
    let sink = tx.copy_in(&statement).await?;
    futures_util::pin_mut!(sink);
    let mut body = Vec::with_capacity(COPY_HEADER.len() + row.tuple.len() + COPY_TRAILER.len());
    body.extend_from_slice(COPY_HEADER);
    body.extend_from_slice(row.tuple);
    body.extend_from_slice(COPY_TRAILER);
    sink.send(Bytes::from(body)).await?;
    sink.finish().await?;
    Ok(())
}
