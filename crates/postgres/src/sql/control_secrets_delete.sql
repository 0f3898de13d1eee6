-- The secrets of connector $1 (named "<connector>/<key>").
DELETE FROM inlet.secrets WHERE starts_with(name, $1 || '/')
