-- When a report was last resolved (the reporter may reopen it for 7 days), and the reporter's rating.
ALTER TABLE reports ADD COLUMN resolved_at TIMESTAMP;
ALTER TABLE reports ADD COLUMN rating_score INTEGER CHECK (rating_score BETWEEN 1 AND 5);
ALTER TABLE reports ADD COLUMN rating_comment TEXT;
ALTER TABLE reports ADD COLUMN rated_at TIMESTAMP;
