-- The upsert table loaded with every row, then about half of them deleted (by a hash of
-- the key, the same half each time): a replay then inserts half its keys and updates the
-- other half.
DELETE FROM {table} WHERE hashtext(device_id || ts::text) % 2 = 0
