-- Dead letter $1 was tried again and still cannot be stored, for reason $2.
UPDATE inlet.dead_letters SET error = $2, replays = replays + 1
WHERE id = $1 AND replayed_at IS NULL
