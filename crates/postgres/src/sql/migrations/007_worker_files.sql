-- Migration 7 of inlet's schema (connectors of workers' configuration files). Applied
-- once, in order, under the setup lock; recorded in inlet.migrations.

-- The connectors a worker runs from its configuration file (`inlet serve --config`): the
-- API refuses to store a connector of the same name, which would share their offsets.
ALTER TABLE inlet.workers ADD COLUMN IF NOT EXISTS files text[] NOT NULL DEFAULT '{}';
