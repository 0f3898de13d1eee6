-- Connector $1, its tasks (their rows go with it), its stored offsets and the record of its
-- columns' fields: a connector made again under the name starts afresh. Its dead letters
-- stay.
WITH offsets AS (
    DELETE FROM inlet.offsets WHERE connector = $1
), columns AS (
    DELETE FROM inlet.columns WHERE connector = $1
)
DELETE FROM inlet.connectors WHERE name = $1 RETURNING version
