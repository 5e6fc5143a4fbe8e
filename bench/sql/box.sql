-- The best single SQL for a map box of about 1 km: its public reports, newest first (20 and one more),
-- whole rows with the reporter's name, from the grid cells the box covers.
\set k random(1, 3321)
SELECT lat AS clat, lon AS clon FROM bench_centers WHERE k = :k \gset
\set lat0 int((:clat - 0.005) * 100) + 9000
\set lat1 int((:clat + 0.005) * 100) + 9000
\set lon0 int((:clon - 0.005) * 100) + 18000
\set lon1 int((:clon + 0.005) * 100) + 18000
SELECT r.*, u.full_name FROM reports r JOIN users u ON u.id = r.reporter_id
WHERE r.is_public AND r.status <> 'withdrawn'
  AND r.cell IN (:lat0 * 100000 + :lon0, :lat0 * 100000 + :lon1, :lat1 * 100000 + :lon0, :lat1 * 100000 + :lon1)
  AND r.lat BETWEEN :clat - 0.005 AND :clat + 0.005 AND r.lon BETWEEN :clon - 0.005 AND :clon + 0.005
ORDER BY r.id DESC LIMIT 21;
