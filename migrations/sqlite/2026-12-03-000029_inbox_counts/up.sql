-- The inbox's counts per status of an office's reports, read from the index alone.
CREATE INDEX reports_organization_status ON reports (organization_id, status);
