-- Connector $1's dead letters not yet replayed, counted by reason, with its code (the most
-- first).
SELECT error, reason_code, count(*) FROM inlet.dead_letters
WHERE connector = $1 AND replayed_at IS NULL
GROUP BY error, reason_code ORDER BY count(*) DESC, error
LIMIT 100
