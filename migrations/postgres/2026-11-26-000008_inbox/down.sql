DROP TABLE audit_log;
DROP INDEX reports_assignee;
ALTER TABLE reports DROP COLUMN assignee_id;
