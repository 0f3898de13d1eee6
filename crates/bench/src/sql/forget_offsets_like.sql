-- The stored offsets of the connectors whose names match $1 (a LIKE pattern).
DELETE FROM inlet.offsets WHERE connector LIKE $1
