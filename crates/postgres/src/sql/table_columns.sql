-- The columns of a table ($1: its quoted name), in order: name, SQL type with typmod,
-- nullability, default, for enum types their name and OID, and how PostgreSQL fills a
-- column itself: attgenerated 's' (GENERATED ALWAYS AS (…) STORED), attidentity 'a'
-- (GENERATED ALWAYS AS IDENTITY) or 'd' (BY DEFAULT).
SELECT a.attname::text,
       format_type(a.atttypid, a.atttypmod),
       NOT a.attnotnull,
       a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '',
       t.typtype = 'e',
       a.atttypid::oid::bigint,
       a.attgenerated::text,
       a.attidentity::text
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = to_regclass($1)
  AND a.attnum > 0
  AND NOT a.attisdropped
ORDER BY a.attnum
