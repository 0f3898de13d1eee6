-- $1 rows of the table's defaults: what records of no field become. COPY cannot name an
-- empty column list. The placeholder is the quoted table.
INSERT INTO {table} SELECT FROM generate_series(1, $1::bigint)
