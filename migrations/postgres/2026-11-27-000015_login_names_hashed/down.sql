-- Counts kept under hashed names mean nothing to the earlier code.
DELETE FROM login_attempts;
