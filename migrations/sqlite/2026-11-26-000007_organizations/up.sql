-- Organizations handle reports: a commune office (one per commune), a provincial department
-- (province-wide, for the categories routed to it) or the province's IOC (everything, escalations).
CREATE TABLE organizations (
    id             TEXT PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('commune_office', 'department', 'ioc')),
    name           TEXT NOT NULL,
    province_code  TEXT NOT NULL REFERENCES admin_units (code),
    unit_code      TEXT REFERENCES admin_units (code),
    created_at     TIMESTAMP NOT NULL,
    CHECK ((kind = 'commune_office') = (unit_code IS NOT NULL))
);
CREATE UNIQUE INDEX organizations_commune_office ON organizations (unit_code) WHERE kind = 'commune_office';
CREATE UNIQUE INDEX organizations_ioc ON organizations (province_code) WHERE kind = 'ioc';

-- Officials belong to one or more organizations.
CREATE TABLE organization_members (
    organization_id  TEXT NOT NULL REFERENCES organizations (id),
    user_id          TEXT NOT NULL REFERENCES users (id),
    created_at       TIMESTAMP NOT NULL,
    PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX organization_members_user ON organization_members (user_id);

-- In a province, reports of a category handled by departments go to this department.
CREATE TABLE routing_rules (
    province_code    TEXT NOT NULL REFERENCES admin_units (code),
    category_code    TEXT NOT NULL REFERENCES categories (code),
    organization_id  TEXT NOT NULL REFERENCES organizations (id),
    PRIMARY KEY (province_code, category_code)
);

-- The organization that handles a report.
ALTER TABLE reports ADD COLUMN organization_id TEXT REFERENCES organizations (id);
CREATE INDEX reports_organization ON reports (organization_id, id);
