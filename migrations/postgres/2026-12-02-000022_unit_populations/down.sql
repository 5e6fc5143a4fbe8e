DROP TABLE unit_populations;
