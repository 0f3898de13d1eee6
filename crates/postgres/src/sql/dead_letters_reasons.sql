-- Connector $1's dead letters not yet replayed, counted by reason (the most first).
SELECT error, count(*) FROM inlet.dead_letters
WHERE connector = $1 AND replayed_at IS NULL
GROUP BY error ORDER BY count(*) DESC, error
LIMIT 100
