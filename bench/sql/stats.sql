-- What the IOC's figures for a province's year read: the province's sums of each month, and its reports
-- overdue now.
SELECT * FROM report_stats_months WHERE month >= '2026-01-01' AND month < '2027-01-01'
  AND unit_code = '68' AND category_code = '*';
SELECT count(*) FROM reports WHERE status IN ('submitted', 'accepted', 'in_progress') AND due_at < now()
  AND unit_code IN (SELECT code FROM admin_units WHERE parent_code = '68')
  AND created_at >= '2025-12-31 17:00' AND created_at < '2026-12-31 17:00';
