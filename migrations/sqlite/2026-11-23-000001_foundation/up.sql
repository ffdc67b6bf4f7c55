-- Organisations, users and their tokens, the email outbox and the audit log.
-- Money is whole pence in BIGINT; timestamps are UTC without a zone.
-- Ids are INTEGER PRIMARY KEY so that SQLite assigns them (it is a 64-bit rowid).

CREATE TABLE organisations (
    id INTEGER PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    organisation_type TEXT NOT NULL,
    charity_number TEXT,
    company_number TEXT,
    annual_income_pence BIGINT NOT NULL CHECK (annual_income_pence >= 0),
    address TEXT,
    postcode TEXT NOT NULL,
    website TEXT,
    contact_email TEXT NOT NULL,
    verified BOOLEAN NOT NULL DEFAULT FALSE,
    verified_at TIMESTAMP,
    verified_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX organisations_charity_number_key ON organisations (charity_number);

CREATE TABLE organisation_health_boards (
    organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    health_board TEXT NOT NULL,
    PRIMARY KEY (organisation_id, health_board)
);
CREATE INDEX organisation_health_boards_board ON organisation_health_boards (health_board);

CREATE TABLE users (
    id INTEGER PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('applicant', 'assessor', 'administrator', 'official')),
    organisation_id BIGINT REFERENCES organisations (id),
    password_hash TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    password_changed_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK ((role = 'applicant') = (organisation_id IS NOT NULL))
);
CREATE INDEX users_organisation ON users (organisation_id);

CREATE TABLE refresh_tokens (
    id INTEGER PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    family TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    issued_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

CREATE TABLE password_resets (
    id INTEGER PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX password_resets_user ON password_resets (user_id);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX outbox_claimable ON outbox (status, next_attempt_at);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    actor_user_id BIGINT REFERENCES users (id),
    entity TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    action TEXT NOT NULL,
    before_state TEXT,
    after_state TEXT
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id);
