-- How many times each fund's reported figures of one kind (money, reach, feedback) have changed:
-- bumped as the last statement of every transaction that changes them, so a computed report can
-- be kept until its version moves.
CREATE TABLE report_versions (
    fund_id BIGINT NOT NULL REFERENCES funds (id),
    figures TEXT NOT NULL CHECK (figures IN ('money', 'reach', 'feedback')),
    version BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (fund_id, figures)
);
INSERT INTO report_versions (fund_id, figures, version)
    SELECT funds.id, kinds.figures, 0
    FROM funds CROSS JOIN (SELECT 'money' AS figures UNION ALL SELECT 'reach' UNION ALL SELECT 'feedback') AS kinds;
