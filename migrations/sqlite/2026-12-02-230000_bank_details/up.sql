-- An organisation's bank details, one row per version: the current one has no replaced_at.
-- The sort code, account number and roll number are sealed together (AES-256-GCM, src/crypto.rs)
-- in `sealed`, whose key is named in `key_id` too so that re-encryption finds what to move.
-- The person who entered a version can never be the one who verifies it.
CREATE TABLE bank_details (
    id INTEGER PRIMARY KEY NOT NULL,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    account_name TEXT NOT NULL,
    sealed TEXT NOT NULL,
    key_id TEXT NOT NULL,
    entered_by BIGINT NOT NULL REFERENCES users (id),
    entered_at TIMESTAMP NOT NULL,
    verified_by BIGINT REFERENCES users (id),
    verified_at TIMESTAMP,
    replaced_at TIMESTAMP,
    CHECK (verified_by IS NULL OR verified_by <> entered_by),
    CHECK ((verified_by IS NULL) = (verified_at IS NULL))
);

CREATE UNIQUE INDEX bank_details_current ON bank_details (organisation_id)
    WHERE replaced_at IS NULL;
CREATE INDEX bank_details_key ON bank_details (key_id);
