-- The unique key of the upsert measurement, time first as a time-series table would have
-- it: new keys append to the index, which also serves as the table's index on ts.
-- {table}: quoted.
ALTER TABLE public.{table} ADD PRIMARY KEY (ts, device_id);
