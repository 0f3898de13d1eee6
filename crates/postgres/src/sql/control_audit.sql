-- A change made over the API ($1 who, $2 what, $3 connector, $4 version before, $5 after).
INSERT INTO inlet.audit (who, action, connector, old_version, new_version)
VALUES ($1, $2, $3, $4, $5)
