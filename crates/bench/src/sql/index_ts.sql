-- The index a user's hypertable would have on its time column. {table}: quoted.
CREATE INDEX ON public.{table} (ts);
