-- Moves a staging table's rows into the target: the last row of each key, inserted or
-- replacing the stored one. {action}: UPDATE SET "c" = EXCLUDED."c", ... or NOTHING.
INSERT INTO {table} ({columns})
SELECT DISTINCT ON ({key}) {columns} FROM {stage} ORDER BY {key}, "__inlet_seq" DESC
ON CONFLICT ({key}) DO {action}
