ALTER TABLE refresh_tokens DROP COLUMN factor_at;
ALTER TABLE refresh_tokens DROP COLUMN user_agent;
DROP TABLE sign_in_events;
DROP TABLE recovery_codes;
DROP TABLE user_factors;
