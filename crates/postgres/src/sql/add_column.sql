-- Schema evolution: a new field becomes a new nullable column. The placeholders (the quoted
-- table and column, and a type inlet's proposal wrote) are filled in by add_column.
ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {type}
