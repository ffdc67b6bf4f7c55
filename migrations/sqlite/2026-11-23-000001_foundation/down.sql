DROP TABLE audit_log;
DROP TABLE outbox;
DROP TABLE password_resets;
DROP TABLE refresh_tokens;
DROP TABLE users;
DROP TABLE organisation_health_boards;
DROP TABLE organisations;
