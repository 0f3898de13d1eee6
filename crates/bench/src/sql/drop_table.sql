-- {table}: quoted. A scale scenario's table, and the offsets of every connector.
DROP TABLE public.{table};
DELETE FROM inlet.offsets;
