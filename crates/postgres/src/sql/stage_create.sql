-- A staging table for one run of keyed rows, dropped at commit. {stage}: its name; {columns}:
-- the rows' quoted columns; {table}: the quoted target. "__inlet_seq" numbers the rows in
-- COPY order, so the last record of a key wins.
CREATE TEMP TABLE {stage} ON COMMIT DROP AS SELECT {columns} FROM {table} WITH NO DATA;
ALTER TABLE {stage} ADD COLUMN "__inlet_seq" bigint GENERATED ALWAYS AS IDENTITY;
