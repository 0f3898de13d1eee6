-- The column sets of a table's unique indexes and its primary key ($1: its quoted name), for
-- the upsert modes' ON CONFLICT: valid ones checked at once (a DEFERRABLE constraint cannot
-- be ON CONFLICT's arbiter, and a COPY into its table would fail only at COMMIT).
SELECT array_agg(a.attname::text ORDER BY a.attname)
FROM pg_index i
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
WHERE i.indrelid = to_regclass($1)
  AND i.indisunique
  AND i.indimmediate
  AND i.indisvalid
  AND i.indpred IS NULL
  AND i.indexprs IS NULL
GROUP BY i.indexrelid
