-- Each message names the account it is for, so erasing the account erases its messages (Decree 13/2023).
ALTER TABLE outbox ADD COLUMN user_id TEXT REFERENCES users (id);
UPDATE outbox SET user_id = (
    SELECT users.id FROM users WHERE users.email = outbox.recipient OR users.phone = outbox.recipient
);
CREATE INDEX outbox_user ON outbox (user_id);
-- One-time secrets are not stored: a body holds a placeholder, and the secret (a token or a six-digit
-- code, as this says) is derived from the message id under the server's key when the message is sent.
ALTER TABLE outbox ADD COLUMN secret TEXT CHECK (secret IN ('token', 'code'));
-- Set when the message is given up after too many failed tries.
ALTER TABLE outbox ADD COLUMN failed_at TIMESTAMP;
-- Sent messages held their links and codes in plain text, and sent messages are now kept only for a
-- retention period: they go.
DELETE FROM outbox WHERE sent_at IS NOT NULL;
