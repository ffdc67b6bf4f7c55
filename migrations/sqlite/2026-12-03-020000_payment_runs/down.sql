-- Back to paying at authorisation (fails while an instalment is `authorised`).
PRAGMA foreign_keys = OFF;
BEGIN;
DROP TABLE payment_lines;
DROP TABLE payment_runs;
CREATE TABLE instalments_rebuilt (
    award_id BIGINT NOT NULL REFERENCES awards (id),
    fund_id BIGINT NOT NULL,
    financial_year TEXT NOT NULL,
    amount_pence BIGINT NOT NULL CHECK (amount_pence > 0),
    status TEXT NOT NULL CHECK (status IN ('committed', 'released', 'cancelled')),
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
COMMIT;
PRAGMA foreign_keys = ON;
