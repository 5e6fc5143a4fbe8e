DROP TABLE one_time_tokens;
DROP TABLE refresh_tokens;
DROP TABLE login_attempts;
DROP TABLE users;
