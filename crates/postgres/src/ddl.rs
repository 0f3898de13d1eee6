//! The DDL inlet writes, and identifier quoting, in one place: the codec describes a table
//! (`inlet_avro::Proposal`: columns, types, nullability, the time column), and this module
//! writes its SQL from the templates in `sql/` — for the connector that creates the table
//! and for `inlet schema propose`, which prints the same statements.

use inlet_avro::TableColumn;

use crate::catalog::TableName;

/// A double-quoted SQL identifier (`a"b` → `"a""b"`).
pub fn quote(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

/// `'it''s'`: a string literal, for the few statements that take no parameters
/// (`ALTER TABLE … SET (…)`); PostgreSQL's standard_conforming_strings (on by default since
/// 9.1) reads backslashes as themselves.
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// `"a", "b"`: identifiers quoted and joined, for column lists.
pub fn quote_list(identifiers: &[String]) -> String {
    identifiers
        .iter()
        .map(|i| quote(i))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `CREATE SCHEMA IF NOT EXISTS`, then `CREATE TABLE` of `columns` (quoted, with their
/// types and NOT NULL), then, for an upsert's `primary_key`, `ALTER TABLE … ADD PRIMARY
/// KEY`: statements separated by `;`, for one `batch_execute`.
pub fn create_table(
    table: &TableName,
    columns: &[TableColumn],
    primary_key: Option<&[String]>,
) -> String {
    let mut sql = statements(include_str!("sql/create_table.sql"))
        .replace("{schema}", &quote(&table.schema))
        .replace("{table}", &table.quoted())
        .replace("{columns}", &column_lines(columns));
    if let Some(key) = primary_key {
        sql.push_str(
            &statements(include_str!("sql/add_primary_key.sql"))
                .replace("{table}", &table.quoted())
                .replace("{key}", &quote_list(key)),
        );
    }
    sql
}

/// The column definitions of a `CREATE TABLE`: one quoted name, type and `NOT NULL` per
/// line, indented, separated by commas.
pub(crate) fn column_lines(columns: &[TableColumn]) -> String {
    let lines: Vec<String> = columns
        .iter()
        .map(|c| {
            format!(
                "  {} {}{}",
                quote(&c.name),
                c.pg_type,
                if c.nullable { "" } else { " NOT NULL" }
            )
        })
        .collect();
    lines.join(",\n")
}

/// A template's statements without its comment lines (the SQL is shown to users by
/// `inlet schema propose`), each line ending in a newline.
fn statements(template: &str) -> String {
    template
        .lines()
        .filter(|l| !l.starts_with("--"))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// The call that makes `table` a hypertable on `time_column`, as a comment for a reader
/// of proposed DDL (inlet runs `create_hypertable` itself when TimescaleDB is present).
pub fn hypertable_comment(table: &TableName, time_column: &str) -> String {
    format!(
        "-- with TimescaleDB: SELECT create_hypertable('{}', by_range('{}'));\n",
        table.quoted().replace('\'', "''"),
        time_column.replace('\'', "''")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use inlet_avro::PgType;

    #[test]
    fn names_are_quoted_and_the_key_added() {
        let table = TableName::parse("iot.re\"adings").unwrap();
        let columns = [
            TableColumn {
                name: "ts".into(),
                pg_type: PgType::Timestamptz,
                nullable: false,
                has_default: false,
                generated: None,
            },
            TableColumn {
                name: "a b".into(),
                pg_type: PgType::Text,
                nullable: true,
                has_default: false,
                generated: None,
            },
        ];
        let sql = create_table(&table, &columns, Some(&["ts".to_owned()]));
        assert!(
            sql.contains("CREATE SCHEMA IF NOT EXISTS \"iot\";"),
            "{sql}"
        );
        assert!(
            sql.contains("CREATE TABLE \"iot\".\"re\"\"adings\" (\n  \"ts\" timestamp with time zone NOT NULL,\n  \"a b\" text\n);"),
            "{sql}"
        );
        assert!(sql.contains("ADD PRIMARY KEY (\"ts\")"), "{sql}");
        assert!(
            sql.starts_with("CREATE SCHEMA"),
            "no template comment: {sql}"
        );
        assert!(hypertable_comment(&table, "ts").contains("by_range('ts')"));
    }
}
