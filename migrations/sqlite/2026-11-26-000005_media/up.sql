-- Photos, uploaded before the report that uses them. The bytes live in the media store under `id`.
CREATE TABLE media (
    id            TEXT PRIMARY KEY,
    owner_id      TEXT NOT NULL REFERENCES users (id),
    report_id     TEXT REFERENCES reports (id),
    content_type  TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp')),
    width         INTEGER NOT NULL,
    height        INTEGER NOT NULL,
    bytes         BIGINT NOT NULL,
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX media_report ON media (report_id);
CREATE INDEX media_unattached ON media (created_at) WHERE report_id IS NULL;
