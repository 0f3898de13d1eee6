-- The recorded source (field path) of each column of a table, for a connector.
-- $1: connector, $2: table schema, $3: table name.
SELECT column_name, source
FROM inlet.columns
WHERE connector = $1 AND table_schema = $2 AND table_name = $3
