DROP TABLE audit_log;
DROP TABLE outbox;
DROP TABLE password_resets;
DROP TABLE refresh_tokens;
ALTER TABLE organisations DROP CONSTRAINT organisations_verified_by_fkey;
DROP TABLE users;
DROP TABLE organisation_health_boards;
DROP TABLE organisations;
