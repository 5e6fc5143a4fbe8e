-- The best single SQL for the near page: public reports within 500 m of a random commune centre, nearest
-- first (20 and one more), whole rows with the reporter's name: the grid cells of the box, the box, the
-- distance on a local flat map, ordered and cut by the database.
\set k random(1, 3321)
SELECT lat AS clat, lon AS clon FROM bench_centers WHERE k = :k \gset
\set lat0 int((:clat - 0.0045) * 100) + 9000
\set lat1 int((:clat + 0.0045) * 100) + 9000
\set lon0 int((:clon - 0.0046) * 100) + 18000
\set lon1 int((:clon + 0.0046) * 100) + 18000
SELECT r.*, u.full_name FROM reports r JOIN users u ON u.id = r.reporter_id
WHERE r.is_public AND r.status <> 'withdrawn'
  AND r.cell IN (:lat0 * 100000 + :lon0, :lat0 * 100000 + :lon1, :lat1 * 100000 + :lon0, :lat1 * 100000 + :lon1)
  AND r.lat BETWEEN :clat - 0.0045 AND :clat + 0.0045 AND r.lon BETWEEN :clon - 0.0046 AND :clon + 0.0046
  AND ((r.lat - :clat) * 111320) ^ 2 + ((r.lon - :clon) * 111320 * cos(radians(:clat))) ^ 2 <= 250000
ORDER BY ((r.lat - :clat) * 111320) ^ 2 + ((r.lon - :clon) * 111320 * cos(radians(:clat))) ^ 2, r.id DESC LIMIT 21;
