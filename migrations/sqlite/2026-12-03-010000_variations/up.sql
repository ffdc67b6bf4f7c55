-- Changes to an accepted award, asked by its grant holder or proposed by an administrator, and
-- decided by an administrator with a reason. The proposed amounts of each year keep what the
-- instalment held when it was asked, so a decision on a basis that has since moved is refused;
-- the award before and after the change are kept with the decision.
CREATE TABLE variations (
    id INTEGER PRIMARY KEY NOT NULL,
    award_id BIGINT NOT NULL REFERENCES awards (id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    end_date_before DATE,
    new_end_date DATE,
    conditions_before TEXT,
    new_conditions TEXT,
    requested_by BIGINT NOT NULL REFERENCES users (id),
    requested_at TIMESTAMP NOT NULL,
    decided_by BIGINT REFERENCES users (id),
    decided_at TIMESTAMP,
    decision_reason TEXT,
    before_snapshot TEXT,
    after_snapshot TEXT,
    CHECK ((decided_by IS NULL) = (decided_at IS NULL)),
    CHECK (decided_by IS NULL OR decided_by <> requested_by)
);

CREATE INDEX variations_award ON variations (award_id);
CREATE INDEX variations_status ON variations (status, requested_at);

CREATE TABLE variation_amounts (
    variation_id BIGINT NOT NULL REFERENCES variations (id) ON DELETE CASCADE,
    financial_year TEXT NOT NULL,
    before_pence BIGINT NOT NULL,
    after_pence BIGINT NOT NULL,
    PRIMARY KEY (variation_id, financial_year),
    CHECK (before_pence > 0 AND after_pence > 0)
);
