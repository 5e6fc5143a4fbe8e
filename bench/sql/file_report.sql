-- The statements filing a report needs, in one transaction: the idempotency key, the category, the
-- commune candidates around the position, the province, then the report, its first event and the key.
\set k random(1, 3321)
\set r random(1, 2000000000)
SELECT code AS ccode, lat AS clat, lon AS clon FROM bench_centers WHERE k = :k \gset
\set cell (int(:clat * 100) + 9000) * 100000 + int(:clon * 100) + 18000
BEGIN;
SELECT request_hash, report_id FROM idempotency_keys WHERE user_id = ':user' AND key = 'k-:client_id-:r';
SELECT urgent_allowed FROM categories WHERE code = 'waste' AND active;
SELECT * FROM admin_units WHERE level = 2 AND valid_to IS NULL
  AND lat BETWEEN :clat - 0.5 AND :clat + 0.5 AND lon BETWEEN :clon - 0.5 AND :clon + 0.5;
SELECT * FROM admin_units WHERE code = '68';
INSERT INTO reports (id, reporter_id, category_code, description, search_text, lat, lon, cell, unit_code, unit_approximate,
    status, is_public, is_anonymous, urgent, supporters, created_at, updated_at)
  VALUES ('b-:client_id-:r', ':user', 'waste', 'Rác thải đổ bừa bãi.', 'rac thai do bua bai', :clat, :clon, :cell, ':ccode',
    true, 'submitted', true, false, false, 0, now(), now());
INSERT INTO report_events (id, report_id, actor_id, kind, to_status, note, is_public, created_at)
  VALUES ('e-:client_id-:r', 'b-:client_id-:r', ':user', 'submitted', 'submitted', 'unit', true, now());
INSERT INTO idempotency_keys (user_id, key, request_hash, report_id, created_at)
  VALUES (':user', 'k-:client_id-:r', 'hash', 'b-:client_id-:r', now());
COMMIT;
