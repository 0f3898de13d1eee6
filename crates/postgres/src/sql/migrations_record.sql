-- Records migration $1 ($2) as applied.
INSERT INTO inlet.migrations (version, name) VALUES ($1, $2)
