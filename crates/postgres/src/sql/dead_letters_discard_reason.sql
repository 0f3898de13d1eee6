-- Connector $1's dead letters not replayed whose reason is $2 (as the reasons list shows
-- it): removed.
DELETE FROM inlet.dead_letters WHERE connector = $1 AND replayed_at IS NULL AND error = $2
