-- Administrative units: a tree (province → commune-level unit today). valid_from/valid_to and
-- successor_code let a future merger retire a unit without rewriting history.
CREATE TABLE admin_units (
    code            TEXT PRIMARY KEY CHECK (code ~ '^[0-9]{2}([0-9]{3})?$'),
    parent_code     TEXT REFERENCES admin_units (code),
    level           INTEGER NOT NULL CHECK (level IN (1, 2)),
    kind            TEXT NOT NULL CHECK (kind IN ('province', 'municipality', 'ward', 'commune', 'special_zone')),
    name            TEXT NOT NULL,
    search_name     TEXT NOT NULL,
    lat             DOUBLE PRECISION NOT NULL,
    lon             DOUBLE PRECISION NOT NULL,
    area_km2        DOUBLE PRECISION,
    valid_from      DATE NOT NULL,
    valid_to        DATE,
    successor_code  TEXT REFERENCES admin_units (code)
);
CREATE INDEX admin_units_parent_code ON admin_units (parent_code, code);
CREATE INDEX admin_units_position ON admin_units (lat, lon);

-- Report categories with the kind of organization that handles them and their handling deadline.
CREATE TABLE categories (
    code            TEXT PRIMARY KEY,
    name_vi         TEXT NOT NULL,
    name_en         TEXT NOT NULL,
    handler_kind    TEXT NOT NULL CHECK (handler_kind IN ('commune', 'department')),
    sla_hours       INTEGER NOT NULL CHECK (sla_hours > 0),
    urgent_allowed  BOOLEAN NOT NULL,
    sort_order      INTEGER NOT NULL,
    active          BOOLEAN NOT NULL DEFAULT TRUE
);
