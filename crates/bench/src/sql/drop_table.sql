-- {table}: quoted. A scale scenario's table.
DROP TABLE public.{table}
