-- The official a report is assigned to.
ALTER TABLE reports ADD COLUMN assignee_id TEXT REFERENCES users (id);
CREATE INDEX reports_assignee ON reports (assignee_id, id);

-- Who looked at what personal data, and when (a report's reporter contact, for now).
CREATE TABLE audit_log (
    id            TEXT PRIMARY KEY,
    actor_id      TEXT NOT NULL REFERENCES users (id),
    action        TEXT NOT NULL,
    subject_type  TEXT NOT NULL,
    subject_id    TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX audit_log_subject ON audit_log (subject_type, subject_id, id);
