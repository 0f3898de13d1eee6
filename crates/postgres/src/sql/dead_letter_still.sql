-- Dead letter $1 was tried again and still cannot be stored, for reason $2 (code $3): one
-- more replay and one more attempt.
UPDATE inlet.dead_letters
SET error = $2, reason_code = $3, replays = replays + 1, attempts = attempts + 1, last_seen = now()
WHERE id = $1 AND replayed_at IS NULL
