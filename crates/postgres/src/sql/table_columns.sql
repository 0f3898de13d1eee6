-- The columns of a table ($1: its quoted name), in order:
--   0 name, 1 its type as declared (format_type, typmod included), 2 nullability (a NOT
--   NULL of the column or of a domain it is of), 3 default (of the column, a domain's, an
--   identity's or a generation's), 4 attgenerated 's' (GENERATED ALWAYS AS (…) STORED),
--   5 attidentity 'a' (GENERATED ALWAYS AS IDENTITY) or 'd' (BY DEFAULT);
--   6 the type it stores: the declared one, or a domain's base type (followed through
--   domains of domains), as format_type prints it, 7 whether that is an enum, 8 its OID;
--   when that is an array: 9 its element type's OID, 10 whether the element is a domain,
--   11 the element's name, 12 the element's base type (format_type, with the domain's
--   typmod), 13 whether that is an enum, 14 its OID; 15 whether the declared type is a
--   domain, 16 its OID. A domain's CHECK constraints are the
--   database's to apply (COPY refuses a value they refuse, naming the constraint).
WITH RECURSIVE columns AS (
    SELECT a.attnum, a.attname, a.atttypid, a.atttypmod, a.attnotnull, a.atthasdef,
           a.attgenerated, a.attidentity
    FROM pg_attribute a
    WHERE a.attrelid = to_regclass($1)
      AND a.attnum > 0
      AND NOT a.attisdropped
),
-- Each column's type followed through domains: depth 0 is the declared type, the deepest
-- row its base type; not_null: the domain above this row is NOT NULL.
stored(attnum, depth, type, typmod, not_null) AS (
    SELECT attnum, 0, atttypid, atttypmod, false FROM columns
    UNION ALL
    SELECT s.attnum, s.depth + 1, t.typbasetype, t.typtypmod, t.typnotnull
    FROM stored s
    JOIN pg_type t ON t.oid = s.type
    WHERE t.typtype = 'd'
),
base AS (
    SELECT DISTINCT ON (attnum) attnum, type, typmod
    FROM stored
    ORDER BY attnum, depth DESC
),
-- The element of a base type that is an array, followed through domains the same way.
element(attnum, depth, type, typmod, not_null) AS (
    SELECT b.attnum, 0, t.typelem, b.typmod, false
    FROM base b
    JOIN pg_type t ON t.oid = b.type
    WHERE t.typcategory = 'A' AND t.typelem <> 0
    UNION ALL
    SELECT e.attnum, e.depth + 1, t.typbasetype, t.typtypmod, t.typnotnull
    FROM element e
    JOIN pg_type t ON t.oid = e.type
    WHERE t.typtype = 'd'
),
element_base AS (
    SELECT DISTINCT ON (attnum) attnum, type, typmod
    FROM element
    ORDER BY attnum, depth DESC
)
SELECT c.attname::text,
       format_type(c.atttypid, c.atttypmod),
       NOT c.attnotnull AND NOT EXISTS (
           SELECT FROM stored s WHERE s.attnum = c.attnum AND s.not_null),
       c.atthasdef OR c.attidentity <> '' OR c.attgenerated <> ''
           OR declared.typdefaultbin IS NOT NULL,
       c.attgenerated::text,
       c.attidentity::text,
       format_type(b.type, b.typmod),
       bt.typtype = 'e',
       b.type::bigint,
       e.type::bigint,
       et.typtype = 'd',
       format_type(e.type, NULL),
       format_type(eb.type, eb.typmod),
       ebt.typtype = 'e',
       eb.type::bigint,
       declared.typtype = 'd',
       c.atttypid::bigint
FROM columns c
JOIN pg_type declared ON declared.oid = c.atttypid
JOIN base b ON b.attnum = c.attnum
JOIN pg_type bt ON bt.oid = b.type
LEFT JOIN element e ON e.attnum = c.attnum AND e.depth = 0
LEFT JOIN pg_type et ON et.oid = e.type
LEFT JOIN element_base eb ON eb.attnum = c.attnum
LEFT JOIN pg_type ebt ON ebt.oid = eb.type
ORDER BY c.attnum
