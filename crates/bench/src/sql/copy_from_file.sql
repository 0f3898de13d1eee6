-- The COPY limit: the server loads its own file. {table}: quoted; {file}: a literal.
COPY public.{table} FROM {file} WITH (FORMAT binary)
