-- Whether a table exists ($1: its quoted name).
SELECT to_regclass($1) IS NOT NULL
