-- Connector $1's dead letters whose ids are in $2 (replayed or not): removed.
DELETE FROM inlet.dead_letters WHERE connector = $1 AND id = ANY($2::int8[])
