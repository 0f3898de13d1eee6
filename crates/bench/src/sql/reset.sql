-- Every measurement starts from empty tables, no stored offsets, no dead letters, and no
-- dirty pages for a checkpoint to write in the middle of it.
TRUNCATE public.readings, public.readings_upsert, inlet.dead_letters;
DELETE FROM inlet.offsets;
CHECKPOINT;
