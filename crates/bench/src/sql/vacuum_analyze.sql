-- After the deletes of half_keys.sql (its own statement: VACUUM runs outside a
-- transaction block): the deleted rows do not weigh on the measurement.
VACUUM ANALYZE {table}
