DROP INDEX reports_review;
DROP INDEX reports_closes;
DROP INDEX reports_remind;
ALTER TABLE reports DROP COLUMN review_requested_at;
ALTER TABLE reports DROP COLUMN resolved_on_time;
ALTER TABLE reports DROP COLUMN closes_at;
ALTER TABLE reports ADD COLUMN reminded_at TIMESTAMP;
ALTER TABLE reports DROP COLUMN remind_at;
UPDATE reports SET status = 'in_progress' WHERE status = 'waiting_for_citizen';
ALTER TABLE reports DROP CONSTRAINT reports_status_check;
ALTER TABLE reports ADD CONSTRAINT reports_status_check CHECK (status IN
    ('submitted', 'accepted', 'in_progress', 'resolved', 'closed', 'rejected', 'withdrawn'));
ALTER TABLE organizations DROP COLUMN office_hours;
DROP TABLE category_deadlines;
ALTER TABLE categories DROP COLUMN max_resolve_days;
ALTER TABLE categories DROP COLUMN resolve_days;
ALTER TABLE categories DROP COLUMN accept_hours;
ALTER TABLE categories RENAME COLUMN urgent_hours TO sla_hours;
