-- What storing a photo writes to the database (the bytes go to the media store, outside it).
INSERT INTO media (id, owner_id, content_type, width, height, bytes, created_at)
  VALUES (gen_random_uuid()::text, ':user', 'image/jpeg', 1280, 960, 142151, now());
