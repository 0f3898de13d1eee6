-- How many of connector $1's dead letters wait (not replayed).
SELECT count(*) FROM inlet.dead_letters WHERE connector = $1 AND replayed_at IS NULL
