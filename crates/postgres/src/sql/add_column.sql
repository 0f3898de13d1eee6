-- Schema evolution: a new field becomes a new nullable column. {table}, {column}: quoted;
-- {type}: a type inlet's proposal wrote.
ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {type}
