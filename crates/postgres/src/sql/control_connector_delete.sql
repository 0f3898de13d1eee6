-- Connector $1 and its tasks (their rows go with it).
DELETE FROM inlet.connectors WHERE name = $1 RETURNING version
