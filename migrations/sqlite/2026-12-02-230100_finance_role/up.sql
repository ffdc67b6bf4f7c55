-- Finance staff: the role that authorises payments and prepares payment runs.
-- SQLite cannot change a CHECK constraint, so the table is rebuilt the way SQLite documents:
-- outside a transaction of the migration's own (metadata.toml), with foreign keys off while the
-- new table takes the old one's name, and checked before the change is committed.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE users_rebuilt (
    id INTEGER PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('applicant', 'assessor', 'administrator', 'official', 'finance')),
    organisation_id BIGINT REFERENCES organisations (id),
    password_hash TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    password_changed_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deletion_requested_at TIMESTAMP,
    session_generation BIGINT NOT NULL DEFAULT 0,
    CHECK ((role = 'applicant') = (organisation_id IS NOT NULL))
);
INSERT INTO users_rebuilt (id, email, name, role, organisation_id, password_hash, active,
        password_changed_at, created_at, updated_at, deletion_requested_at, session_generation)
    SELECT id, email, name, role, organisation_id, password_hash, active,
        password_changed_at, created_at, updated_at, deletion_requested_at, session_generation
    FROM users;
DROP TABLE users;
ALTER TABLE users_rebuilt RENAME TO users;
CREATE INDEX users_organisation ON users (organisation_id);
COMMIT;
PRAGMA foreign_keys = ON;
