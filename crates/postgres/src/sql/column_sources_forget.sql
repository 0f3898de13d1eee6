-- Forgets the recorded sources of a table that was made anew.
-- $1: connector, $2: table schema, $3: table name.
DELETE FROM inlet.columns
WHERE connector = $1 AND table_schema = $2 AND table_name = $3
