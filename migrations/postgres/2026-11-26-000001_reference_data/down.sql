DROP TABLE categories;
DROP TABLE admin_units;
