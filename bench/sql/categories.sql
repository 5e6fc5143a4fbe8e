-- The active categories.
SELECT * FROM categories WHERE active ORDER BY code;
