-- Why an audited look was taken: an IOC member states a reason before seeing who filed an anonymous report.
ALTER TABLE audit_log ADD COLUMN reason TEXT;
