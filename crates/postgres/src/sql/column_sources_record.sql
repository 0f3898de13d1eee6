-- Records columns' sources; a column recorded already keeps the source it has.
-- $1: connector, $2: table schema, $3: table name, $4: column names, $5: their sources.
INSERT INTO inlet.columns (connector, table_schema, table_name, column_name, source)
SELECT $1, $2, $3, c.column_name, c.source
FROM unnest($4::text[], $5::text[]) AS c(column_name, source)
ON CONFLICT (connector, table_schema, table_name, column_name) DO NOTHING
