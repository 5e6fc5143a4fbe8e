ALTER TABLE reports DROP COLUMN rated_at;
ALTER TABLE reports DROP COLUMN rating_comment;
ALTER TABLE reports DROP COLUMN rating_score;
ALTER TABLE reports DROP COLUMN resolved_at;
