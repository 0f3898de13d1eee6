-- Whether a table (plain or partitioned) exists ($1: schema, $2: table), read from the catalog with this
-- statement's snapshot: after waiting for another worker's setup lock, a name lookup
-- (to_regclass) may still answer from this backend's cache, which that worker's commit
-- has not invalidated yet, and miss the table it just created.
SELECT EXISTS (
    SELECT 1 FROM pg_catalog.pg_class c
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')
)
