-- Back to instalments only and organisations' bank details (fails while a claim's payment or a
-- claimant's bank details exist).
PRAGMA foreign_keys = OFF;
BEGIN;
DROP TABLE claim_payments;
CREATE TABLE payment_lines_rebuilt (
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
ALTER TABLE payment_runs DROP COLUMN health_board;
CREATE TABLE bank_details_rebuilt (
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
COMMIT;
PRAGMA foreign_keys = ON;
