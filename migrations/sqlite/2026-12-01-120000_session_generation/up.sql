-- Which generation of sessions an account is on: every access token carries the generation it was
-- issued in, and ending an account's sessions (disabling it, resetting its password) moves the
-- account to the next, so no token from before works again, even once the account is re-enabled.
ALTER TABLE users ADD COLUMN session_generation BIGINT NOT NULL DEFAULT 0;
