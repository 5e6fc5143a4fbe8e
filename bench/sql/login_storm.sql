-- What a log-in writes and reads besides the password check: the account by phone, a new session.
\set k random(1, :citizens)
SELECT * FROM users WHERE phone = '+849' || lpad((10000000 + :k)::text, 8, '0') AND deleted_at IS NULL;
INSERT INTO refresh_tokens (id, user_id, family_id, token_hash, created_at, expires_at)
  VALUES (gen_random_uuid()::text, (SELECT id FROM bench_citizens WHERE k = :k), gen_random_uuid()::text,
          md5(random()::text), now(), now() + interval '30 days');
