-- Mail waiting to be sent. Rows are written in the same transaction as the change that causes them;
-- a worker delivers them, retrying with backoff, so an SMTP outage loses nothing.
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    -- A worker's claim on the row; another may take it over once it has passed.
    locked_until    TIMESTAMP,
    sent_at         TIMESTAMP,
    last_error      TEXT
);
CREATE INDEX outbox_due ON outbox (sent_at, next_attempt_at);
