-- The preview's table: a temporary copy of the target's columns and types (no
-- constraints, so no row conflicts), dropped with the transaction. {table} is quoted by
-- preview.rs.
CREATE TEMP TABLE inlet_preview (LIKE {table}) ON COMMIT DROP
