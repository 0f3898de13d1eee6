-- Migration 8 of inlet's schema (secrets pasted into the API). Applied once, in order,
-- under the setup lock; recorded in inlet.migrations.

-- A secret a configuration names as ${secret:NAME}: encrypted by inlet serve with the key
-- its operator gives (XChaCha20-Poly1305, the name as associated data); the database never
-- sees the secret itself.
CREATE TABLE IF NOT EXISTS inlet.secrets (
    name        text  PRIMARY KEY,
    nonce       bytea NOT NULL,
    ciphertext  bytea NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
