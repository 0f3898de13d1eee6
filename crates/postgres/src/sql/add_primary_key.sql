-- A table created for an upsert mode gets its key (the table and the key columns quoted).
ALTER TABLE {table} ADD PRIMARY KEY ({key});
