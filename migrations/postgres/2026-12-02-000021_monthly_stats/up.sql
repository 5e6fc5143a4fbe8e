-- The IOC's figures over a year of a province's reports are read from these monthly sums, one row per
-- (month received, commune, organization, category, urgent, channel), rather than from every report.
-- Durations and days are kept as text (`bucket:count,…`, `YYYYMMDD:received:resolved:overdue,…`).
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
    statuses TEXT NOT NULL,
    to_accept TEXT NOT NULL,
    to_start TEXT NOT NULL,
    to_resolve TEXT NOT NULL,
    daily TEXT NOT NULL,
    PRIMARY KEY (month, unit_code, organization_id, category_code, urgent, channel)
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
SELECT DISTINCT 'backfill-' || unit_code || '-' || to_char(created_at + interval '7 hours', 'YYYY-MM'),
       date_trunc('month', created_at + interval '7 hours')::date, unit_code
FROM reports;
