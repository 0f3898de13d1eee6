-- Moves a staging table's rows into the target, inserted or replacing the stored one. The
-- rows have one key each (the writer keeps the last record of a key). {action}:
-- UPDATE SET "c" = EXCLUDED."c", ... or NOTHING.
INSERT INTO {table} ({columns})
SELECT {columns} FROM {stage}
ON CONFLICT ({key}) DO {action}
