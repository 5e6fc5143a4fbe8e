DROP INDEX reports_due;
ALTER TABLE reports DROP COLUMN escalated_at;
ALTER TABLE reports DROP COLUMN reminded_at;
