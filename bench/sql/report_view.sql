-- One public report: its row with the reporter's and the office's names, its photos, its public timeline.
\set k random(1, 1000)
SELECT id AS rid FROM bench_ids WHERE k = :k \gset
SELECT r.*, u.full_name, o.name FROM reports r JOIN users u ON u.id = r.reporter_id
  LEFT JOIN organizations o ON o.id = r.organization_id WHERE r.id = ':rid';
SELECT * FROM media WHERE report_id = ':rid';
SELECT * FROM report_events WHERE report_id = ':rid' AND is_public ORDER BY created_at, id;
