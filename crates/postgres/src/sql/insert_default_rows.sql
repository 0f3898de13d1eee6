-- $1 rows of the table's defaults: what records of no field become ({table}: the quoted
-- table). COPY cannot name an empty column list.
INSERT INTO {table} SELECT FROM generate_series(1, $1::bigint)
