-- A family fund's claims are paid in payment runs too. A claimant's bank details are held as an
-- organisation's are (one row a version, sealed, checked by a second person): each version
-- belongs to an organisation or to a claimant, never both. A run of claims belongs to the NHS
-- board whose cash office built it (`health_board`); a run of instalments has none. A line pays
-- an award's instalment (with its organisation) or an approved claim (`claim_payments` names
-- the claim; `held` is true while the line is not failed), and the partial unique index keeps a
-- claim in one run at a time, whatever two builders do at once.
ALTER TABLE bank_details ALTER COLUMN organisation_id DROP NOT NULL;
ALTER TABLE bank_details ADD COLUMN claimant_id BIGINT REFERENCES users (id);
ALTER TABLE bank_details ADD CONSTRAINT bank_details_holder
    CHECK ((organisation_id IS NULL) <> (claimant_id IS NULL));
CREATE UNIQUE INDEX bank_details_claimant_current ON bank_details (claimant_id)
    WHERE replaced_at IS NULL;

ALTER TABLE payment_runs ADD COLUMN health_board TEXT;

ALTER TABLE payment_lines ALTER COLUMN organisation_id DROP NOT NULL;
ALTER TABLE payment_lines DROP CONSTRAINT payment_lines_kind_check;
ALTER TABLE payment_lines ADD CONSTRAINT payment_lines_kind_check
    CHECK (kind IN ('instalment', 'claim'));
ALTER TABLE payment_lines ADD CONSTRAINT payment_lines_instalment_payee
    CHECK (kind <> 'instalment' OR organisation_id IS NOT NULL);

CREATE TABLE claim_payments (
    line_id BIGINT PRIMARY KEY REFERENCES payment_lines (id),
    claim_id BIGINT NOT NULL REFERENCES claims (id),
    held BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE UNIQUE INDEX claim_payments_once ON claim_payments (claim_id) WHERE held;
