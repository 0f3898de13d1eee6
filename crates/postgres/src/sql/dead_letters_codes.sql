-- Connector $1's dead letters not yet replayed, counted by reason code (the most first).
SELECT reason_code, count(*) FROM inlet.dead_letters
WHERE connector = $1 AND replayed_at IS NULL
GROUP BY reason_code ORDER BY count(*) DESC, reason_code
