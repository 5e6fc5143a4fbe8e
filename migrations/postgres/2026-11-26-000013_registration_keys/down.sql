DROP TABLE registration_keys;
