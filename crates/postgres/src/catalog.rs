//! What the database holds: inlet's own tables, the target tables' columns, TimescaleDB.

use inlet_avro::{Generated, PgType, TableColumn};
use tokio_postgres::Client;

use crate::ddl::quote;
use crate::error::{Error, Result};

/// A table name, `schema.table`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TableName {
    /// The schema.
    pub schema: String,
    /// The table.
    pub table: String,
}

impl TableName {
    /// Parses `schema.table` or `table` (in `public`).
    pub fn parse(name: &str) -> Option<Self> {
        let (schema, table) = name.split_once('.').unwrap_or(("public", name));
        (!schema.is_empty() && !table.is_empty() && !table.contains('.')).then(|| TableName {
            schema: schema.to_owned(),
            table: table.to_owned(),
        })
    }

    /// `"schema"."table"`.
    pub fn quoted(&self) -> String {
        format!("{}.{}", quote(&self.schema), quote(&self.table))
    }
}

impl std::fmt::Display for TableName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.schema, self.table)
    }
}

/// Brings inlet's schema (offsets, dead letters, columns' fields) up to date by its
/// migrations ([`crate::migrate`]). Workers that start together take turns.
pub async fn ensure_inlet_schema(client: &mut Client) -> Result<()> {
    crate::migrations::migrate(client).await.map(|_| ())
}

/// Runs `ddl` to create `table` unless it exists, serialized with other workers; returns
/// whether this call created it.
pub async fn create_table(client: &mut Client, table: &TableName, ddl: &str) -> Result<bool> {
    let action = || format!("creating table {table}");
    let tx = client
        .transaction()
        .await
        .map_err(|e| Error::query(action(), e))?;
    tx.batch_execute(include_str!("sql/setup_lock.sql"))
        .await
        .map_err(|e| Error::query(action(), e))?;
    let exists: bool = tx
        .query_one(
            include_str!("sql/table_exists.sql"),
            &[&table.schema, &table.table],
        )
        .await
        .map_err(|e| Error::query(action(), e))?
        .get(0);
    if !exists {
        tx.batch_execute(ddl)
            .await
            .map_err(|e| Error::query(action(), e))?;
    }
    tx.commit().await.map_err(|e| Error::query(action(), e))?;
    Ok(!exists)
}

/// The columns of `table`, or `None` when it does not exist. Types that plans cannot write
/// are reported with the column's name. A stored generated column and a `GENERATED ALWAYS`
/// identity column are marked [`TableColumn::generated`]: rows leave them out. A `BY
/// DEFAULT` identity column is a column with a default. A domain's column is
/// [`PgType::Domain`] over its base type (an array of domains, an array of
/// [`PgType::Domain`]s), NOT NULL when the domain is.
pub async fn table_columns(client: &Client, table: &TableName) -> Result<Option<Vec<TableColumn>>> {
    let read = || async {
        client
            .query(include_str!("sql/table_columns.sql"), &[&table.quoted()])
            .await
            .map_err(|e| Error::query(format!("reading the columns of {table}"), e))
    };
    let mut rows = read().await?;
    if rows.is_empty() {
        // No column: no table, or a table of no columns (a record with no fields makes one).
        let exists: bool = client
            .query_one(
                include_str!("sql/table_exists.sql"),
                &[&table.schema, &table.table],
            )
            .await
            .map_err(|e| Error::query(format!("looking for table {table}"), e))?
            .get(0);
        if !exists {
            return Ok(None);
        }
        // Another worker may have created it between the two statements: its columns are
        // visible now that the table is.
        rows = read().await?;
    }
    let mut columns = Vec::with_capacity(rows.len());
    for row in rows {
        let name: String = row.get(0);
        let declared: String = row.get(1);
        let unsupported = |stored: &str| Error::UnsupportedColumn {
            table: table.to_string(),
            column: name.clone(),
            sql_type: if stored == declared {
                declared.clone()
            } else {
                format!("{declared} (over {stored})")
            },
        };
        // A type as values are written: an enum by its name and OID, else by its spelling.
        let scalar = |sql: &str, is_enum: bool, oid: i64| {
            if is_enum {
                Some(PgType::Enum {
                    name: sql.to_owned(),
                    oid: u32::try_from(oid).unwrap_or(0),
                })
            } else {
                PgType::parse(sql)
            }
        };
        let stored: String = row.get(6);
        let pg_type = match row.get::<_, Option<i64>>(9) {
            // An array: of its element, which may be a domain itself.
            Some(element_oid) => {
                let element_base: String = row.get(12);
                let base = scalar(&element_base, row.get(13), row.get(14))
                    .ok_or_else(|| unsupported(&stored))?;
                PgType::Array(Box::new(if row.get::<_, bool>(10) {
                    PgType::Domain {
                        name: row.get(11),
                        oid: u32::try_from(element_oid).unwrap_or(0),
                        base: Box::new(base),
                    }
                } else {
                    base
                }))
            }
            None => scalar(&stored, row.get(7), row.get(8)).ok_or_else(|| unsupported(&stored))?,
        };
        let pg_type = if row.get::<_, bool>(15) {
            PgType::Domain {
                name: declared.clone(),
                oid: u32::try_from(row.get::<_, i64>(16)).unwrap_or(0),
                base: Box::new(pg_type),
            }
        } else {
            pg_type
        };
        let generated = match (
            row.get::<_, String>(4).as_str(),
            row.get::<_, String>(5).as_str(),
        ) {
            ("s", _) => Some(Generated::Stored),
            (_, "a") => Some(Generated::AlwaysIdentity),
            _ => None,
        };
        columns.push(TableColumn {
            name,
            pg_type,
            nullable: row.get(2),
            has_default: row.get(3),
            generated,
        });
    }
    Ok(Some(columns))
}

/// Whether the TimescaleDB extension is installed in the database.
pub async fn timescaledb_present(client: &Client) -> Result<bool> {
    client
        .query_one(include_str!("sql/timescaledb_present.sql"), &[])
        .await
        .map(|row| row.get(0))
        .map_err(|e| Error::query("looking for the TimescaleDB extension", e))
}

/// Makes `table` a hypertable partitioned by `time_column` (TimescaleDB must be present).
pub async fn create_hypertable(
    client: &Client,
    table: &TableName,
    time_column: &str,
    chunk_interval: &str,
) -> Result<()> {
    client
        .execute(
            include_str!("sql/create_hypertable.sql"),
            &[&table.quoted(), &time_column, &chunk_interval],
        )
        .await
        .map(drop)
        .map_err(|e| Error::query(format!("making {table} a hypertable on {time_column}"), e))
}

/// Turns on TimescaleDB's columnstore for hypertable `table`: segmented by `segment_by`
/// (none when empty), ordered by `time_column` newest first, and a policy that converts
/// chunks older than `after` (a PostgreSQL interval). Idempotent.
///
/// # Errors
/// [`Error::Query`] with TimescaleDB's reason (a column that is not there, an interval it
/// cannot read, a TimescaleDB without the columnstore).
pub async fn enable_columnstore(
    client: &Client,
    table: &TableName,
    time_column: &str,
    segment_by: &[String],
    after: &str,
) -> Result<()> {
    let action = || format!("turning on the columnstore of {table}");
    let ddl = include_str!("sql/columnstore_enable.sql")
        .lines()
        .filter(|l| !l.starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("{table}", &table.quoted())
        .replace(
            "{segmentby}",
            &crate::ddl::literal(&crate::ddl::quote_list(segment_by)),
        )
        .replace(
            "{orderby}",
            &crate::ddl::literal(&format!("{} DESC", crate::ddl::quote(time_column))),
        );
    client
        .batch_execute(&ddl)
        .await
        .map_err(|e| Error::query(action(), e))?;
    client
        .execute(
            include_str!("sql/columnstore_policy.sql"),
            &[&table.quoted(), &after],
        )
        .await
        .map(drop)
        .map_err(|e| Error::query(action(), e))
}

/// The column sets (each sorted) of `table`'s unique indexes, the primary key included.
pub async fn unique_keys(client: &Client, table: &TableName) -> Result<Vec<Vec<String>>> {
    let rows = client
        .query(include_str!("sql/unique_keys.sql"), &[&table.quoted()])
        .await
        .map_err(|e| Error::query(format!("reading the unique indexes of {table}"), e))?;
    Ok(rows.iter().map(|row| row.get(0)).collect())
}

/// Adds a nullable column to `table`, unless a column of that name exists. `sql_type` is a
/// type name inlet wrote (a proposal's), never user input.
pub async fn add_column(
    client: &Client,
    table: &TableName,
    column: &str,
    sql_type: &PgType,
) -> Result<()> {
    client
        .batch_execute(
            &include_str!("sql/add_column.sql")
                .replace("{table}", &table.quoted())
                .replace("{column}", &quote(column))
                .replace("{type}", &sql_type.to_string()),
        )
        .await
        .map_err(|e| Error::query(format!("adding column {column} to {table}"), e))
}

/// The recorded source (a field path) of each column of `table` for `connector`: column →
/// path. See `inlet.columns` in `sql/migrations/003_columns.sql`.
pub async fn load_column_sources(
    client: &Client,
    connector: &str,
    table: &TableName,
) -> Result<std::collections::BTreeMap<String, String>> {
    let rows = client
        .query(
            include_str!("sql/column_sources_load.sql"),
            &[&connector, &table.schema, &table.table],
        )
        .await
        .map_err(|e| Error::query(format!("reading the column sources of {table}"), e))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// A field that wants a column of a target table (mapping = "auto").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnClaim {
    /// The field's path (`geo.lat`).
    pub path: String,
    /// The column the proposal names for it.
    pub column: String,
    /// None: take the existing column of that name, if no field holds it. Some: add a
    /// nullable column of this type, named `column` or, when that is taken, `column_2`,
    /// `column_3`… (within 63 bytes).
    pub add: Option<PgType>,
}

/// Settles `claims` for `table` and `connector` in one transaction under a lock of their
/// own, so that workers meeting new schema versions at once neither give one column to two
/// fields nor add a column twice: a field that holds a column already keeps it; a claim of
/// an existing column succeeds when no field holds it; an added column gets a free name, and
/// the DDL and its record commit together. With `replace`, the table's recorded sources are
/// first forgotten (a table made anew). Returns the recorded sources afterwards (column →
/// path) and the names of the columns added.
pub async fn claim_columns(
    client: &Client,
    connector: &str,
    table: &TableName,
    claims: &[ColumnClaim],
    replace: bool,
) -> Result<(std::collections::BTreeMap<String, String>, Vec<String>)> {
    let action = || format!("recording the columns' fields of {table}");
    let query = |e| Error::query(action(), e);
    client.batch_execute("BEGIN").await.map_err(query)?;
    let settled = async {
        client
            .execute(
                include_str!("sql/column_sources_lock.sql"),
                &[&format!("{connector} {}", table.quoted())],
            )
            .await
            .map_err(query)?;
        if replace {
            client
                .execute(
                    include_str!("sql/column_sources_forget.sql"),
                    &[&connector, &table.schema, &table.table],
                )
                .await
                .map_err(query)?;
        }
        let mut sources = load_column_sources(client, connector, table).await?;
        let existing: Vec<String> = table_columns(client, table)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(|c| c.name)
            .collect();
        let mut record: Vec<(String, String)> = Vec::new();
        let mut added = Vec::new();
        for claim in claims {
            if sources.values().any(|p| *p == claim.path)
                || record.iter().any(|(_, p)| *p == claim.path)
            {
                continue; // the field holds a column already
            }
            let taken = |name: &str| {
                existing.iter().any(|c| c == name)
                    || sources.contains_key(name)
                    || record.iter().any(|(c, _)| c == name)
            };
            match &claim.add {
                None => {
                    let free = !sources.contains_key(&claim.column)
                        && !record.iter().any(|(c, _)| *c == claim.column);
                    if existing.contains(&claim.column) && free {
                        record.push((claim.column.clone(), claim.path.clone()));
                    }
                }
                Some(pg_type) => {
                    let name = (1..)
                        .map(|i| {
                            if i == 1 {
                                return claim.column.clone();
                            }
                            let suffix = format!("_{i}");
                            let mut base = claim.column.clone();
                            while base.len() + suffix.len() > 63 {
                                base.pop();
                            }
                            base + &suffix
                        })
                        .find(|n| !taken(n))
                        .unwrap_or_else(|| claim.column.clone());
                    add_column(client, table, &name, pg_type).await?;
                    added.push(name.clone());
                    record.push((name, claim.path.clone()));
                }
            }
        }
        record_column_sources(client, connector, table, &record).await?;
        sources.extend(record);
        Ok::<_, Error>((sources, added))
    }
    .await;
    let end = if settled.is_ok() {
        "COMMIT"
    } else {
        "ROLLBACK"
    };
    let ended = client.batch_execute(end).await.map_err(query);
    let settled = settled?;
    ended?;
    Ok(settled)
}

/// Records `sources` (column, field path) for `table` and `connector`; a column recorded
/// already keeps its source.
pub async fn record_column_sources(
    client: &Client,
    connector: &str,
    table: &TableName,
    sources: &[(String, String)],
) -> Result<()> {
    if sources.is_empty() {
        return Ok(());
    }
    let (columns, paths): (Vec<&str>, Vec<&str>) = sources
        .iter()
        .map(|(c, p)| (c.as_str(), p.as_str()))
        .unzip();
    client
        .execute(
            include_str!("sql/column_sources_record.sql"),
            &[&connector, &table.schema, &table.table, &columns, &paths],
        )
        .await
        .map(drop)
        .map_err(|e| Error::query(format!("recording the column sources of {table}"), e))
}
