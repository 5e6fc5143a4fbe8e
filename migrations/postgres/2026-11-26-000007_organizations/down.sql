DROP INDEX reports_organization;
ALTER TABLE reports DROP COLUMN organization_id;
DROP TABLE routing_rules;
DROP TABLE organization_members;
DROP TABLE organizations;
