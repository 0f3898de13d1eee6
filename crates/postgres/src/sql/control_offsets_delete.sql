-- Every offset of connector $1 forgotten.
DELETE FROM inlet.offsets WHERE connector = $1
