-- The busy office's inbox: the first page (20 and one more, newest first) with the reporters' names, and
-- the counts per status.
SELECT r.*, u.full_name FROM reports r JOIN users u ON u.id = r.reporter_id
WHERE r.organization_id = ':org' ORDER BY r.id DESC LIMIT 21;
SELECT status, count(*) FROM reports WHERE organization_id = ':org' GROUP BY status;
