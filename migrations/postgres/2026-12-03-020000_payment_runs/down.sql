-- Back to paying at authorisation (fails while an instalment is `authorised`).
DROP TABLE payment_lines;
DROP TABLE payment_runs;
ALTER TABLE instalments DROP CONSTRAINT instalments_status_check;
ALTER TABLE instalments ADD CONSTRAINT instalments_status_check
    CHECK (status IN ('committed', 'released', 'cancelled'));
