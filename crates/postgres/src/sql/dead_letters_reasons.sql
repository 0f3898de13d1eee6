-- Connector $1's dead letters not yet replayed, of reason code $2 (NULL: any), counted by
-- reason, with its code (the most first).
SELECT error, reason_code, count(*) FROM inlet.dead_letters
WHERE connector = $1 AND replayed_at IS NULL AND ($2::text IS NULL OR reason_code = $2)
GROUP BY error, reason_code ORDER BY count(*) DESC, error, reason_code
LIMIT 100
