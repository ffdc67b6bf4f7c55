-- A family fund's claims are paid in payment runs too. A claimant's bank details are held as an
-- organisation's are (one row a version, sealed, checked by a second person): each version
-- belongs to an organisation or to a claimant, never both. A run of claims belongs to the NHS
-- board whose cash office built it (`health_board`); a run of instalments has none. A line pays
-- an award's instalment (with its organisation) or an approved claim (`claim_payments` names
-- the claim; `held` is true while the line is not failed), and the partial unique index keeps a
-- claim in one run at a time, whatever two builders do at once.
-- SQLite cannot change a CHECK constraint or a column's NOT NULL, so the two tables are rebuilt
-- the way SQLite documents: outside a transaction of the migration's own (metadata.toml), with
-- foreign keys off while each new table takes the old one's name.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE bank_details_rebuilt (
    id INTEGER PRIMARY KEY NOT NULL,
    organisation_id BIGINT REFERENCES organisations (id) ON DELETE CASCADE,
    account_name TEXT NOT NULL,
    sealed TEXT NOT NULL,
    key_id TEXT NOT NULL,
    entered_by BIGINT NOT NULL REFERENCES users (id),
    entered_at TIMESTAMP NOT NULL,
    verified_by BIGINT REFERENCES users (id),
    verified_at TIMESTAMP,
    replaced_at TIMESTAMP,
    claimant_id BIGINT REFERENCES users (id),
    CHECK ((organisation_id IS NULL) <> (claimant_id IS NULL)),
    CHECK (verified_by IS NULL OR verified_by <> entered_by),
    CHECK ((verified_by IS NULL) = (verified_at IS NULL))
);
INSERT INTO bank_details_rebuilt (id, organisation_id, account_name, sealed, key_id, entered_by,
        entered_at, verified_by, verified_at, replaced_at)
    SELECT id, organisation_id, account_name, sealed, key_id, entered_by, entered_at,
        verified_by, verified_at, replaced_at
    FROM bank_details;
DROP TABLE bank_details;
ALTER TABLE bank_details_rebuilt RENAME TO bank_details;
CREATE UNIQUE INDEX bank_details_current ON bank_details (organisation_id)
    WHERE replaced_at IS NULL;
CREATE INDEX bank_details_key ON bank_details (key_id);
CREATE UNIQUE INDEX bank_details_claimant_current ON bank_details (claimant_id)
    WHERE replaced_at IS NULL;
ALTER TABLE payment_runs ADD COLUMN health_board TEXT;
CREATE TABLE payment_lines_rebuilt (
    id INTEGER PRIMARY KEY NOT NULL,
    run_id BIGINT NOT NULL REFERENCES payment_runs (id),
    kind TEXT NOT NULL CHECK (kind IN ('instalment', 'claim')),
    award_id BIGINT REFERENCES awards (id),
    financial_year TEXT,
    organisation_id BIGINT REFERENCES organisations (id),
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
    CHECK (kind <> 'instalment' OR organisation_id IS NOT NULL),
    FOREIGN KEY (award_id, financial_year) REFERENCES instalments (award_id, financial_year)
);
INSERT INTO payment_lines_rebuilt (id, run_id, kind, award_id, financial_year, organisation_id,
        fund_id, bank_details_id, amount_pence, payment_reference, award_reference, status,
        paid_on, failure_reason, marked_by, marked_at)
    SELECT id, run_id, kind, award_id, financial_year, organisation_id, fund_id,
        bank_details_id, amount_pence, payment_reference, award_reference, status, paid_on,
        failure_reason, marked_by, marked_at
    FROM payment_lines;
DROP TABLE payment_lines;
ALTER TABLE payment_lines_rebuilt RENAME TO payment_lines;
CREATE INDEX payment_lines_run ON payment_lines (run_id, id);
CREATE UNIQUE INDEX payment_lines_once ON payment_lines (kind, award_id, financial_year)
    WHERE status <> 'failed';
CREATE TABLE claim_payments (
    line_id BIGINT PRIMARY KEY NOT NULL REFERENCES payment_lines (id),
    claim_id BIGINT NOT NULL REFERENCES claims (id),
    held BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE UNIQUE INDEX claim_payments_once ON claim_payments (claim_id) WHERE held;
COMMIT;
PRAGMA foreign_keys = ON;
