-- Secret $1, encrypted ($2 nonce, $3 ciphertext).
INSERT INTO inlet.secrets (name, nonce, ciphertext) VALUES ($1, $2, $3)
ON CONFLICT (name) DO UPDATE
SET nonce = EXCLUDED.nonce, ciphertext = EXCLUDED.ciphertext, updated_at = now()
