-- Photos an official attached to an event (the result shown on `resolve`); NULL for the reporter's own.
ALTER TABLE media ADD COLUMN event_id TEXT REFERENCES report_events (id);

-- What each person is told, in their language when it was written; the in-app list. Mail (and later
-- push) goes out through its own outbox in the same transaction.
CREATE TABLE notifications (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id),
    kind        TEXT NOT NULL,
    report_id   TEXT REFERENCES reports (id),
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    link        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL,
    read_at     TIMESTAMP
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
