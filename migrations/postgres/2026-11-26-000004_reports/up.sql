-- Feedback reports ("phản ánh hiện trường"). `cell` is a 0.01° grid cell of the position (about 1.1 km),
-- indexed so that "near here" reads a handful of cells instead of scanning the table.
CREATE TABLE reports (
    id                TEXT PRIMARY KEY,
    reporter_id       TEXT NOT NULL REFERENCES users (id),
    category_code     TEXT NOT NULL REFERENCES categories (code),
    description       TEXT NOT NULL,
    address_text      TEXT,
    search_text       TEXT NOT NULL,
    lat               DOUBLE PRECISION NOT NULL,
    lon               DOUBLE PRECISION NOT NULL,
    accuracy_m        DOUBLE PRECISION,
    cell              BIGINT NOT NULL,
    unit_code         TEXT NOT NULL REFERENCES admin_units (code),
    unit_approximate  BOOLEAN NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('submitted', 'accepted', 'in_progress', 'resolved', 'closed', 'rejected', 'withdrawn')),
    is_public         BOOLEAN NOT NULL,
    is_anonymous      BOOLEAN NOT NULL,
    urgent            BOOLEAN NOT NULL,
    supporters        INTEGER NOT NULL DEFAULT 0,
    captured_at       TIMESTAMP,
    created_at        TIMESTAMP NOT NULL,
    updated_at        TIMESTAMP NOT NULL,
    due_at            TIMESTAMP
);
CREATE INDEX reports_cell ON reports (cell, id);
CREATE INDEX reports_category_cell ON reports (category_code, cell);
CREATE INDEX reports_reporter ON reports (reporter_id, id);
CREATE INDEX reports_unit ON reports (unit_code, id);
CREATE INDEX reports_position ON reports (lat, lon);

-- Every change of a report, in order: its timeline.
CREATE TABLE report_events (
    id           TEXT PRIMARY KEY,
    report_id    TEXT NOT NULL REFERENCES reports (id),
    actor_id     TEXT REFERENCES users (id),
    kind         TEXT NOT NULL,
    from_status  TEXT,
    to_status    TEXT,
    note         TEXT,
    is_public    BOOLEAN NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX report_events_report ON report_events (report_id, id);

-- "Me too": one per person and report.
CREATE TABLE report_supports (
    report_id   TEXT NOT NULL REFERENCES reports (id),
    user_id     TEXT NOT NULL REFERENCES users (id),
    created_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (report_id, user_id)
);

-- A retried POST /reports with the same Idempotency-Key returns the first report.
CREATE TABLE idempotency_keys (
    user_id       TEXT NOT NULL REFERENCES users (id),
    key           TEXT NOT NULL,
    request_hash  TEXT NOT NULL,
    report_id     TEXT NOT NULL REFERENCES reports (id),
    created_at    TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, key)
);
