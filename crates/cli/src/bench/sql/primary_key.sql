-- The unique key of the upsert measurement. {table}: quoted.
ALTER TABLE public.{table} ADD PRIMARY KEY (device_id, ts);
