-- A staging table for one run of keyed rows, dropped at commit. {stage}: its name; {columns}:
-- the rows' quoted columns; {table}: the quoted target.
CREATE TEMP TABLE {stage} ON COMMIT DROP AS SELECT {columns} FROM {table} WITH NO DATA;
