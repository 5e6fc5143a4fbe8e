-- A commune's adult population as the province entered it (year and source named), and the share of
-- residents the province aims to have on the app: the denominators of the adoption figures.
CREATE TABLE unit_populations (
    unit_code TEXT PRIMARY KEY REFERENCES admin_units (code),
    adults BIGINT NOT NULL CHECK (adults > 0),
    year INTEGER NOT NULL,
    source TEXT NOT NULL,
    target_share DOUBLE PRECISION NOT NULL CHECK (target_share > 0 AND target_share <= 1),
    updated_by TEXT NOT NULL REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL
);
