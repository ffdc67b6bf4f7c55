-- A second factor for signing in: a TOTP secret (RFC 6238), sealed with the data keys like bank
-- details, confirmed by one valid code before it counts. The last step a code was accepted for is
-- kept so that no code is accepted twice, even within its window.
CREATE TABLE user_factors (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_sealed TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    confirmed_at TIMESTAMP,
    last_used_step BIGINT
);

-- Single-use recovery codes, shown once and kept only as hashes.
CREATE TABLE recovery_codes (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL UNIQUE,
    used_at TIMESTAMP
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);

-- What happened at each sign-in of a staff account, kept for SIGN_IN_HISTORY_DAYS.
CREATE TABLE sign_in_events (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    outcome TEXT NOT NULL,
    client TEXT NOT NULL,
    user_agent TEXT,
    occurred_at TIMESTAMP NOT NULL
);
CREATE INDEX sign_in_events_user ON sign_in_events (user_id, occurred_at);
CREATE INDEX sign_in_events_time ON sign_in_events (occurred_at);

-- A session (a family of refresh tokens) remembers the browser or client that began it and when
-- its holder last entered a second factor.
ALTER TABLE refresh_tokens ADD COLUMN user_agent TEXT;
ALTER TABLE refresh_tokens ADD COLUMN factor_at TIMESTAMP;
