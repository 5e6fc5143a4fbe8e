-- What filing a report must do in the database, in one transaction, with the reference data (category,
-- commune, office, deadlines) known in memory as the server keeps it: the idempotency key, then the
-- report, its first event, the statistics' note of change and the key.
\set k random(1, 3321)
\set r random(1, 2000000000)
SELECT code AS ccode, lat AS clat, lon AS clon FROM bench_centers WHERE k = :k \gset
\set cell (int(:clat * 100) + 9000) * 100000 + int(:clon * 100) + 18000
BEGIN;
SELECT request_hash, report_id FROM idempotency_keys WHERE user_id = ':user' AND key = 'k-:client_id-:r';
INSERT INTO reports (id, reporter_id, category_code, description, search_text, lat, lon, cell, unit_code, unit_approximate,
    status, is_public, is_anonymous, urgent, supporters, created_at, updated_at, due_at, remind_at)
  VALUES ('b-:client_id-:r', ':user', 'waste', 'Rác thải đổ bừa bãi.', 'rac thai do bua bai', :clat, :clon, :cell, ':ccode',
    true, 'submitted', true, false, false, 0, now(), now(), now() + interval '1 day', now() + interval '18 hours');
INSERT INTO report_events (id, report_id, actor_id, kind, to_status, note, is_public, created_at)
  VALUES ('e-:client_id-:r', 'b-:client_id-:r', ':user', 'submitted', 'submitted', 'unit', true, now());
INSERT INTO stats_changes (id, month, unit_code)
  VALUES ('s-:client_id-:r', date_trunc('month', now() + interval '7 hours')::date, ':ccode');
INSERT INTO idempotency_keys (user_id, key, request_hash, report_id, created_at)
  VALUES (':user', 'k-:client_id-:r', 'hash', 'b-:client_id-:r', now());
COMMIT;
