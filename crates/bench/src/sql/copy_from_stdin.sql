-- The COPY limit over the wire: the client sends the server's own file. {table}: quoted.
COPY public.{table} FROM STDIN WITH (FORMAT binary)
