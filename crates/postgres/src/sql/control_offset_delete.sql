-- Connector $1's offset of ($2, $3) forgotten (read again from start_from).
DELETE FROM inlet.offsets WHERE connector = $1 AND topic = $2 AND "partition" = $3
