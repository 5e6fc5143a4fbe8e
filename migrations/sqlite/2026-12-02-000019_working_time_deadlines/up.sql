-- Deadlines counted in Vietnamese working time (src/reports/deadlines.rs).
-- SQLite cannot change a CHECK constraint in place, so `reports` is rebuilt with the new status in the
-- way SQLite documents (foreign keys off, one transaction, foreign_key_check): hence no transaction
-- around this migration (metadata.toml).
PRAGMA foreign_keys = OFF;
BEGIN;

-- A category's steps: accept (triage) within `accept_hours` office hours, resolve within `resolve_days`
-- working days, extended at most to `max_resolve_days`; an urgent report counts `urgent_hours` around the
-- clock. The old SLA in clock hours becomes the urgent count (at most a day).
ALTER TABLE categories RENAME COLUMN sla_hours TO urgent_hours;
UPDATE categories SET urgent_hours = MIN(urgent_hours, 24);
ALTER TABLE categories ADD COLUMN accept_hours INTEGER NOT NULL DEFAULT 8 CHECK (accept_hours > 0);
ALTER TABLE categories ADD COLUMN resolve_days INTEGER NOT NULL DEFAULT 10 CHECK (resolve_days > 0);
ALTER TABLE categories ADD COLUMN max_resolve_days INTEGER NOT NULL DEFAULT 15 CHECK (max_resolve_days > 0);
-- On-the-spot fixes (lighting, sanitation, public order) in 3 working days, as Đà Nẵng's 1022 rules.
UPDATE categories SET resolve_days = 3, max_resolve_days = 10
    WHERE code IN ('street_lighting', 'waste', 'urban_order', 'security');

-- A province's own deadlines for a category, which win over the category's.
CREATE TABLE category_deadlines (
    category_code     TEXT NOT NULL REFERENCES categories (code),
    province_code     TEXT NOT NULL,
    accept_hours      INTEGER NOT NULL CHECK (accept_hours > 0),
    resolve_days      INTEGER NOT NULL CHECK (resolve_days > 0),
    max_resolve_days  INTEGER NOT NULL CHECK (max_resolve_days >= resolve_days),
    urgent_hours      INTEGER NOT NULL CHECK (urgent_hours > 0),
    updated_by        TEXT REFERENCES users (id),
    updated_at        TIMESTAMP NOT NULL,
    PRIMARY KEY (category_code, province_code)
);

-- An office's own opening hours ("07:30-11:30,13:30-17:00"); NULL keeps the default.
ALTER TABLE organizations ADD COLUMN office_hours TEXT;

CREATE TABLE reports_rebuilt (
    id                   TEXT PRIMARY KEY,
    reporter_id          TEXT NOT NULL REFERENCES users (id),
    category_code        TEXT NOT NULL REFERENCES categories (code),
    description          TEXT NOT NULL,
    address_text         TEXT,
    search_text          TEXT NOT NULL,
    lat                  DOUBLE NOT NULL,
    lon                  DOUBLE NOT NULL,
    accuracy_m           DOUBLE,
    cell                 BIGINT NOT NULL,
    unit_code            TEXT NOT NULL REFERENCES admin_units (code),
    unit_approximate     BOOLEAN NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('submitted', 'accepted', 'in_progress', 'waiting_for_citizen', 'resolved', 'closed', 'rejected', 'withdrawn')),
    is_public            BOOLEAN NOT NULL,
    is_anonymous         BOOLEAN NOT NULL,
    urgent               BOOLEAN NOT NULL,
    supporters           INTEGER NOT NULL DEFAULT 0,
    captured_at          TIMESTAMP,
    created_at           TIMESTAMP NOT NULL,
    updated_at           TIMESTAMP NOT NULL,
    due_at               TIMESTAMP,
    organization_id      TEXT REFERENCES organizations (id),
    assignee_id          TEXT REFERENCES users (id),
    resolved_at          TIMESTAMP,
    rating_score         INTEGER CHECK (rating_score BETWEEN 1 AND 5),
    rating_comment       TEXT,
    rated_at             TIMESTAMP,
    escalated_at         TIMESTAMP,
    -- When the handling office is to be reminded (a share of the step's working time in); cleared by
    -- the worker that reminds it, which replaces `reminded_at`.
    remind_at            TIMESTAMP,
    -- When the report closes by itself: resolved and neither rated nor reopened, or waiting for an
    -- answer that did not come.
    closes_at            TIMESTAMP,
    -- Whether its last resolution came before its deadline.
    resolved_on_time     BOOLEAN,
    -- A rating of 1–2 asks the IOC to review the handling; cleared once the IOC has.
    review_requested_at  TIMESTAMP
);
INSERT INTO reports_rebuilt (id, reporter_id, category_code, description, address_text, search_text, lat, lon,
    accuracy_m, cell, unit_code, unit_approximate, status, is_public, is_anonymous, urgent, supporters,
    captured_at, created_at, updated_at, due_at, organization_id, assignee_id, resolved_at, rating_score,
    rating_comment, rated_at, escalated_at, remind_at)
SELECT id, reporter_id, category_code, description, address_text, search_text, lat, lon,
    accuracy_m, cell, unit_code, unit_approximate, status, is_public, is_anonymous, urgent, supporters,
    captured_at, created_at, updated_at, due_at, organization_id, assignee_id, resolved_at, rating_score,
    rating_comment, rated_at, escalated_at,
    CASE WHEN due_at IS NOT NULL AND reminded_at IS NULL AND status IN ('submitted', 'accepted', 'in_progress')
         THEN datetime(due_at, '-2 hours') END
FROM reports;
DROP TABLE reports;
ALTER TABLE reports_rebuilt RENAME TO reports;
CREATE INDEX reports_cell ON reports (cell, id);
CREATE INDEX reports_category_cell ON reports (category_code, cell);
CREATE INDEX reports_reporter ON reports (reporter_id, id);
CREATE INDEX reports_unit ON reports (unit_code, id);
CREATE INDEX reports_position ON reports (lat, lon);
CREATE INDEX reports_organization ON reports (organization_id, id);
CREATE INDEX reports_assignee ON reports (assignee_id, id);
CREATE INDEX reports_due ON reports (due_at);
CREATE INDEX reports_remind ON reports (remind_at);
CREATE INDEX reports_closes ON reports (closes_at);
CREATE INDEX reports_review ON reports (review_requested_at);

-- Reports already under way keep the old rules: a reminder two hours before, closing 7 days after.
UPDATE reports SET closes_at = datetime(resolved_at, '+7 days') WHERE status = 'resolved';
UPDATE reports SET resolved_on_time = (due_at IS NULL OR resolved_at <= due_at) WHERE resolved_at IS NOT NULL;

COMMIT;
PRAGMA foreign_keys = ON;
