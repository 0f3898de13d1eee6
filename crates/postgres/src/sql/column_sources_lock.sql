-- Serializes the claims of columns of one table by one connector until the transaction
-- ends. $1: the connector and the quoted table, joined by a space.
SELECT pg_advisory_xact_lock(hashtext('inlet.columns'), hashtext($1))
