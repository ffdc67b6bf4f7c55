-- How many times each fund's reported figures have changed: bumped as the last statement of every
-- transaction that changes money, reach or feedback, so a computed report can be kept until the
-- fund's version moves.
CREATE TABLE report_versions (
    fund_id BIGINT PRIMARY KEY REFERENCES funds (id),
    version BIGINT NOT NULL DEFAULT 0
);
INSERT INTO report_versions (fund_id, version) SELECT id, 0 FROM funds;
