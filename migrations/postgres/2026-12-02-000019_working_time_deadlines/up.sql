-- Deadlines counted in Vietnamese working time (src/reports/deadlines.rs).
-- A category's steps: accept (triage) within `accept_hours` office hours, resolve within `resolve_days`
-- working days, extended at most to `max_resolve_days`; an urgent report counts `urgent_hours` around the
-- clock. The old SLA in clock hours becomes the urgent count (at most a day).
ALTER TABLE categories RENAME COLUMN sla_hours TO urgent_hours;
UPDATE categories SET urgent_hours = LEAST(urgent_hours, 24);
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

ALTER TABLE reports DROP CONSTRAINT reports_status_check;
ALTER TABLE reports ADD CONSTRAINT reports_status_check CHECK (status IN
    ('submitted', 'accepted', 'in_progress', 'waiting_for_citizen', 'resolved', 'closed', 'rejected', 'withdrawn'));
-- When the handling office is to be reminded (a share of the step's working time in); cleared by the
-- worker that reminds it, which replaces `reminded_at`.
ALTER TABLE reports ADD COLUMN remind_at TIMESTAMP;
-- When the report closes by itself: resolved and neither rated nor reopened, or waiting for an answer
-- that did not come.
ALTER TABLE reports ADD COLUMN closes_at TIMESTAMP;
-- Whether its last resolution came before its deadline.
ALTER TABLE reports ADD COLUMN resolved_on_time BOOLEAN;
-- A rating of 1–2 asks the IOC to review the handling; cleared once the IOC has.
ALTER TABLE reports ADD COLUMN review_requested_at TIMESTAMP;
CREATE INDEX reports_remind ON reports (remind_at);
CREATE INDEX reports_closes ON reports (closes_at);
CREATE INDEX reports_review ON reports (review_requested_at);

-- Reports already under way keep the old rules: a reminder two hours before, closing 7 days after.
UPDATE reports SET remind_at = due_at - INTERVAL '2 hours'
    WHERE due_at IS NOT NULL AND reminded_at IS NULL AND status IN ('submitted', 'accepted', 'in_progress');
ALTER TABLE reports DROP COLUMN reminded_at;
UPDATE reports SET closes_at = resolved_at + INTERVAL '7 days' WHERE status = 'resolved';
UPDATE reports SET resolved_on_time = (due_at IS NULL OR resolved_at <= due_at) WHERE resolved_at IS NOT NULL;
