-- The newest migration applied (0: none).
SELECT COALESCE(max(version), 0) FROM inlet.migrations
