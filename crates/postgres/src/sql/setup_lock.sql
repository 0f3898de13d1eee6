-- Serializes inlet's DDL between workers starting together (CREATE ... IF NOT EXISTS races
-- on the catalog's unique indexes); released at the end of the transaction.
SELECT pg_advisory_xact_lock(hashtext('inlet: schema and table setup'))
