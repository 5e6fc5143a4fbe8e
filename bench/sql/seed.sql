-- The benchmark's data, in SQL for speed (psql variables: reports, citizens, password_hash, busy_unit,
-- busy_org, busy_reports). Ids are UUIDv7-shaped (milliseconds first), as the app's own are.
\set ON_ERROR_STOP on
CREATE OR REPLACE FUNCTION pg_temp.uuid7(t timestamp, n bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-7' || substr(h, 14, 3) || '-8' || substr(h, 18, 3)
         || '-' || substr(h, 21, 12)
  FROM (SELECT lpad(to_hex((extract(epoch FROM t) * 1000)::bigint), 12, '0') || lpad(to_hex(n), 20, '0') AS h) x
$$;

-- Citizens: phones 0910000001…, all with the same password (its hash made by the app at sign-up).
INSERT INTO users (id, phone, password_hash, full_name, role, locale, active, consent_at, search_text,
                   created_at, updated_at)
SELECT pg_temp.uuid7(timestamp '2025-06-01' + g * interval '1 minute', g), '+849' || lpad((10000000 + g)::text, 8, '0'),
       :'password_hash', 'Công dân ' || g, 'citizen', 'vi', true, now(), 'cong dan ' || g, now(), now()
FROM generate_series(1, :citizens) g;
CREATE TABLE bench_citizens AS
SELECT row_number() OVER (ORDER BY id) AS k, id FROM users WHERE role = 'citizen' AND phone LIKE '+84910%';
CREATE UNIQUE INDEX ON bench_citizens (k);

CREATE TABLE bench_centers AS
SELECT (row_number() OVER (ORDER BY code))::int AS k, code, lat, lon FROM admin_units WHERE level = 2;
CREATE UNIQUE INDEX ON bench_centers (k);

-- Reports around every commune's centre, received over 2026; the older ones handled, 60 % of the closed
-- ones rated; plus :busy_reports in the busy commune, for its office.
CREATE TEMP TABLE plan AS
SELECT g, c.code, c.lat + (random() - 0.5) * 0.06 AS lat, c.lon + (random() - 0.5) * 0.06 AS lon,
       (ARRAY['roads','street_lighting','waste','drainage_flooding','urban_order','trees_parks','other'])[1 + (g % 7)] AS category,
       created, CASE WHEN created >= timestamp '2026-11-02' THEN
                    CASE WHEN r < 0.3 THEN 'submitted' WHEN r < 0.5 THEN 'accepted' WHEN r < 0.8 THEN 'in_progress' ELSE 'resolved' END
                WHEN r < 0.04 THEN 'rejected' WHEN r < 0.14 THEN 'resolved' ELSE 'closed' END AS status,
       1 + random() * 20 AS resolve_days, random() < 0.6 AS rated, 1 + (g % :citizens) AS reporter_k,
       CASE WHEN g > :reports THEN :'busy_org' END AS organization_id
FROM (SELECT g, random() AS r, timestamp '2025-12-31 17:00' + (random() * interval '335 days') AS created,
             CASE WHEN g > :reports THEN (SELECT k FROM bench_centers WHERE code = :'busy_unit')
                  ELSE 1 + (g % 3321) END AS k
      FROM generate_series(1, :reports + :busy_reports) g) s
JOIN bench_centers c ON c.k = s.k;
INSERT INTO reports (id, reporter_id, category_code, description, search_text, lat, lon, cell, unit_code, unit_approximate,
    status, is_public, is_anonymous, urgent, supporters, created_at, updated_at, due_at, resolved_at, resolved_on_time,
    rating_score, rated_at, organization_id)
SELECT pg_temp.uuid7(created, g), b.id, category, 'Phản ánh mẫu số ' || g, 'phan anh mau so ' || g, lat, lon,
       (floor(lat * 100)::bigint + 9000) * 100000 + floor(lon * 100)::bigint + 18000, code, false,
       status, g % 10 <> 0, false, g % 20 = 0, 0, created, created, created + interval '14 days',
       CASE WHEN status IN ('resolved', 'closed') THEN created + resolve_days * interval '1 day' END,
       CASE WHEN status IN ('resolved', 'closed') THEN g % 7 <> 0 END,
       CASE WHEN status = 'closed' AND rated THEN 1 + (g % 5) END,
       CASE WHEN status = 'closed' AND rated THEN created + (resolve_days + 1) * interval '1 day' END,
       organization_id
FROM plan JOIN bench_citizens b ON b.k = plan.reporter_k;
INSERT INTO report_events (id, report_id, actor_id, kind, to_status, is_public, created_at)
SELECT pg_temp.uuid7(created, g), pg_temp.uuid7(created, g), b.id, 'submitted', 'submitted', true, created
FROM plan JOIN bench_citizens b ON b.k = plan.reporter_k;
INSERT INTO report_events (id, report_id, kind, from_status, to_status, is_public, created_at)
SELECT pg_temp.uuid7(created + interval '2 hours', g), pg_temp.uuid7(created, g), 'accepted', 'submitted', 'accepted',
       true, created + interval '2 hours'
FROM plan WHERE status NOT IN ('submitted', 'rejected');
INSERT INTO report_events (id, report_id, kind, from_status, to_status, is_public, created_at)
SELECT pg_temp.uuid7(created + resolve_days * interval '1 day', g), pg_temp.uuid7(created, g), 'resolved', 'in_progress',
       'resolved', true, created + resolve_days * interval '1 day'
FROM plan WHERE status IN ('resolved', 'closed');

-- A thousand public reports to view, and every (month, commune) marked for the IOC's sums.
CREATE TABLE bench_ids AS
SELECT (row_number() OVER ())::int AS k, id FROM (SELECT id FROM reports WHERE is_public ORDER BY random() LIMIT 1000) x;
INSERT INTO stats_changes (id, month, unit_code)
SELECT gen_random_uuid()::text, month, unit_code
FROM (SELECT DISTINCT date_trunc('month', created_at + interval '7 hours')::date AS month, unit_code FROM reports) x;
VACUUM ANALYZE;
