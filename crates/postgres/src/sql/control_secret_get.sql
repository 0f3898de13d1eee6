-- Secret $1, encrypted: (nonce, ciphertext).
SELECT nonce, ciphertext FROM inlet.secrets WHERE name = $1
