-- Deadline follow-up: when the handling office was reminded, and when the report escalated to the IOC.
ALTER TABLE reports ADD COLUMN reminded_at TIMESTAMP;
ALTER TABLE reports ADD COLUMN escalated_at TIMESTAMP;
CREATE INDEX reports_due ON reports (due_at);
