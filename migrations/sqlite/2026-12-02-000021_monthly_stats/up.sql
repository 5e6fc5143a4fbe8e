-- The IOC's figures over a year of a province's reports are read from these monthly sums, one row per
-- (month received, commune, organization, category, urgent, channel), rather than from every report,
-- and one more per (month, commune) with `*` for organization, category and channel: the commune's
-- month in one row, for the figures of a whole province. Counts by name, durations and days are kept as
-- text (`status:NAME:N,…`, `bucket:N,…`, `DAY:received:resolved:overdue,…`).
CREATE TABLE report_stats_months (
    month DATE NOT NULL,
    unit_code TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    category_code TEXT NOT NULL,
    urgent BOOLEAN NOT NULL,
    channel TEXT NOT NULL,
    received BIGINT NOT NULL,
    resolved BIGINT NOT NULL,
    on_time BIGINT NOT NULL,
    escalated BIGINT NOT NULL,
    rated BIGINT NOT NULL,
    rating_sum BIGINT NOT NULL,
    satisfied BIGINT NOT NULL,
    reopened BIGINT NOT NULL,
    counts TEXT NOT NULL,
    to_accept TEXT NOT NULL,
    to_start TEXT NOT NULL,
    to_resolve TEXT NOT NULL,
    daily TEXT NOT NULL,
    PRIMARY KEY (month, unit_code, organization_id, category_code, urgent, channel)
);

-- The same for each day of a commune's month, in one row per (day received, commune): the days of a
-- period outside whole months (the last 30 days) of a whole province.
CREATE TABLE report_stats_days (
    day DATE NOT NULL,
    unit_code TEXT NOT NULL,
    received BIGINT NOT NULL,
    resolved BIGINT NOT NULL,
    on_time BIGINT NOT NULL,
    escalated BIGINT NOT NULL,
    rated BIGINT NOT NULL,
    rating_sum BIGINT NOT NULL,
    satisfied BIGINT NOT NULL,
    reopened BIGINT NOT NULL,
    counts TEXT NOT NULL,
    to_accept TEXT NOT NULL,
    to_start TEXT NOT NULL,
    to_resolve TEXT NOT NULL,
    daily TEXT NOT NULL,
    PRIMARY KEY (day, unit_code)
);

-- Which (month, commune) sums are stale: written in the transaction of every change to a report, removed
-- once the sums are computed again. Append-only, so writers never wait on one another here.
CREATE TABLE stats_changes (
    id TEXT PRIMARY KEY,
    month DATE NOT NULL,
    unit_code TEXT NOT NULL
);

-- The reports filed before: every month of every commune is computed at the first look.
INSERT INTO stats_changes (id, month, unit_code)
SELECT DISTINCT 'backfill-' || unit_code || '-' || strftime('%Y-%m', created_at, '+7 hours'),
       date(created_at, '+7 hours', 'start of month'), unit_code
FROM reports;

-- A month of a commune's reports, and the days at a period's edges, are read by commune and receipt.
CREATE INDEX reports_unit_received ON reports (unit_code, created_at);

-- "Overdue now" counts the reports whose clock runs: few among a province's million.
-- Every column it filters by is in the index, so the count is read from the index alone.
CREATE INDEX reports_running_due ON reports (unit_code, due_at, created_at, organization_id, category_code, urgent)
    WHERE status IN ('submitted', 'accepted', 'in_progress');
