SELECT count(*) FROM inlet.dead_letters
