//! Rows written by a plan, loaded into PostgreSQL the way inlet loads them.

use bytes::Bytes;
use futures_util::SinkExt;
use inlet_avro::{DecodePlan, copy_stream};
use inlet_postgres::ddl::quote;

/// `COPY table (plan's columns) FROM STDIN (FORMAT binary)` with `rows`; the row count.
pub async fn copy_rows(
    db: &tokio_postgres::Client,
    table: &str,
    plan: &DecodePlan,
    rows: &[u8],
) -> Result<u64, tokio_postgres::Error> {
    let columns: Vec<String> = plan.copy_columns().map(quote).collect();
    let statement = format!(
        "COPY {} ({}) FROM STDIN (FORMAT binary)",
        quote(table),
        columns.join(", ")
    );
    let sink = db.copy_in(&statement).await?;
    futures_util::pin_mut!(sink);
    let mut stream = Vec::new();
    copy_stream(rows, &mut stream);
    sink.send(Bytes::from(stream)).await?;
    sink.finish().await
}
