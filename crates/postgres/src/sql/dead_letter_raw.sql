-- The raw key and value of connector $1's dead letter $2.
SELECT key, value FROM inlet.dead_letters WHERE connector = $1 AND id = $2
