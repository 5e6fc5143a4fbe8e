ALTER TABLE outbox DROP COLUMN failed_at;
ALTER TABLE outbox DROP COLUMN secret;
DROP INDEX outbox_user;
ALTER TABLE outbox DROP COLUMN user_id;
