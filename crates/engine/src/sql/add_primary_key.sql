
-- A table created for an upsert mode gets its key. {table}: quoted; {key}: quoted columns.
ALTER TABLE {table} ADD PRIMARY KEY ({key});
