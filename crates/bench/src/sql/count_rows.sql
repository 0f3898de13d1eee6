-- {table}: quoted.
SELECT count(*) FROM public.{table}
