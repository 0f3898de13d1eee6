SELECT "partition", next_offset FROM inlet.offsets WHERE connector = $1 AND topic = $2
