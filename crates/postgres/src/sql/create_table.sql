-- A table made from a proposal: its schema (quoted), the table (quoted schema.table) and
-- its columns (one quoted name, type and NOT NULL per line) are put in by ddl.rs.
CREATE SCHEMA IF NOT EXISTS {schema};
CREATE TABLE {table} (
{columns}
);
