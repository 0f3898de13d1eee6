-- Dead letter $1 is replayed (in the transaction that stored its row): no row when it was
-- replayed already (by a replay that committed meanwhile).
UPDATE inlet.dead_letters SET replayed_at = now(), replays = replays + 1
WHERE id = $1 AND replayed_at IS NULL
