-- The preview's table for a target not created yet: the proposal's columns (one quoted
-- name and type per line, put in by preview.rs), dropped with the transaction.
CREATE TEMP TABLE inlet_preview (
{columns}
) ON COMMIT DROP
