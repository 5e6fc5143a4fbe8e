-- Failed log-ins are counted under the SHA-256 of the login name, not the name as typed: whatever
-- people type at the log-in form (or an attacker's 60 KB) is not stored. Earlier counts are forgotten.
DELETE FROM login_attempts;
