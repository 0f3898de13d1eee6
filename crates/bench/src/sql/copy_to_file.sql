-- The rows of the COPY limit, written by the server. {table}: quoted; {file}: a literal
-- (COPY takes no parameter for its file).
COPY public.{table} TO {file} WITH (FORMAT binary);
