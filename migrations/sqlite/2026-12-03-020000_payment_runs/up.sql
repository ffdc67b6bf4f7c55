-- Authorising a release no longer pays it: the instalment waits, `authorised`, for a payment
-- run, and is `released` (paid) when its line of the run is marked paid.
-- SQLite cannot change a CHECK constraint, so the table is rebuilt the way SQLite documents:
-- outside a transaction of the migration's own (metadata.toml), with foreign keys off while the
-- new table takes the old one's name.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE instalments_rebuilt (
    award_id BIGINT NOT NULL REFERENCES awards (id),
    fund_id BIGINT NOT NULL,
    financial_year TEXT NOT NULL,
    amount_pence BIGINT NOT NULL CHECK (amount_pence > 0),
    status TEXT NOT NULL CHECK (status IN ('committed', 'authorised', 'released', 'cancelled')),
    released_at TIMESTAMP,
    released_by BIGINT REFERENCES users (id),
    PRIMARY KEY (award_id, financial_year),
    FOREIGN KEY (fund_id, financial_year) REFERENCES fund_years (fund_id, financial_year)
);
INSERT INTO instalments_rebuilt (award_id, fund_id, financial_year, amount_pence, status,
        released_at, released_by)
    SELECT award_id, fund_id, financial_year, amount_pence, status, released_at, released_by
    FROM instalments;
DROP TABLE instalments;
ALTER TABLE instalments_rebuilt RENAME TO instalments;
CREATE INDEX instalments_year ON instalments (fund_id, financial_year, status);

-- A payment run: the authorised payments finance sends to the bank together, as one CSV file.
-- It is built `open`, shown with its total and count, then `closed` once sent; its lines are
-- then marked paid or failed, one by one or from the bank's results file.
CREATE TABLE payment_runs (
    id INTEGER PRIMARY KEY NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    built_by BIGINT NOT NULL REFERENCES users (id),
    built_at TIMESTAMP NOT NULL,
    closed_by BIGINT REFERENCES users (id),
    closed_at TIMESTAMP,
    CHECK ((status = 'closed') = (closed_by IS NOT NULL)),
    CHECK ((closed_by IS NULL) = (closed_at IS NULL))
);

-- One payment of a run. `kind` says what it pays: an award's instalment today (award and year
-- set); a family fund's claim can be a kind of its own later. `bank_details_id` is the verified
-- version of the payee's bank details the line pays to, fixed when the run is built.
-- A line is `pending` until marked `paid` (with the date) or `failed` (with the reason); a
-- failed line's payment goes back to the queue for a later run. The partial unique index keeps
-- a payment in one run at a time, whatever two builders do at once.
CREATE TABLE payment_lines (
    id INTEGER PRIMARY KEY NOT NULL,
    run_id BIGINT NOT NULL REFERENCES payment_runs (id),
    kind TEXT NOT NULL CHECK (kind IN ('instalment')),
    award_id BIGINT REFERENCES awards (id),
    financial_year TEXT,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    fund_id BIGINT NOT NULL REFERENCES funds (id),
    bank_details_id BIGINT NOT NULL REFERENCES bank_details (id),
    amount_pence BIGINT NOT NULL CHECK (amount_pence > 0),
    payment_reference TEXT NOT NULL,
    award_reference TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'failed')),
    paid_on DATE,
    failure_reason TEXT,
    marked_by BIGINT REFERENCES users (id),
    marked_at TIMESTAMP,
    CHECK (kind <> 'instalment' OR (award_id IS NOT NULL AND financial_year IS NOT NULL)),
    CHECK ((status = 'paid') = (paid_on IS NOT NULL)),
    CHECK ((status = 'failed') = (failure_reason IS NOT NULL)),
    CHECK ((status = 'pending') = (marked_by IS NULL)),
    FOREIGN KEY (award_id, financial_year) REFERENCES instalments (award_id, financial_year)
);
CREATE INDEX payment_lines_run ON payment_lines (run_id, id);
CREATE UNIQUE INDEX payment_lines_once ON payment_lines (kind, award_id, financial_year)
    WHERE status <> 'failed';
COMMIT;
PRAGMA foreign_keys = ON;
