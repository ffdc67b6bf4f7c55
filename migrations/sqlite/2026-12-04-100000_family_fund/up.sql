-- A fund is of one of two kinds: grants to organisations, or families' expenses paid back claim
-- by claim. A family-expenses fund has its units (the Mother and Baby Units whose patients'
-- families it helps, each hosted by an NHS board) and, for each financial year, the rates its
-- claims are paid at: held as data, so that a new year's mileage rate needs no code.
ALTER TABLE funds ADD COLUMN kind TEXT NOT NULL DEFAULT 'grants'
    CHECK (kind IN ('grants', 'family_expenses'));

CREATE TABLE units (
    id INTEGER PRIMARY KEY NOT NULL,
    fund_id BIGINT NOT NULL REFERENCES funds (id),
    name TEXT NOT NULL,
    health_board TEXT NOT NULL,
    provides_meals BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (fund_id, name)
);

CREATE TABLE unit_wards (
    unit_id BIGINT NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    PRIMARY KEY (unit_id, name)
);

CREATE TABLE fund_rates (
    fund_id BIGINT NOT NULL REFERENCES funds (id),
    financial_year TEXT NOT NULL,
    mileage_rate_pence BIGINT NOT NULL CHECK (mileage_rate_pence >= 0),
    food_rate_pence BIGINT NOT NULL CHECK (food_rate_pence >= 0),
    family_cap_pence BIGINT NOT NULL CHECK (family_cap_pence > 0),
    claim_window_months INTEGER NOT NULL CHECK (claim_window_months BETWEEN 0 AND 24),
    flights_per_week INTEGER NOT NULL CHECK (flights_per_week BETWEEN 0 AND 14),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (fund_id, financial_year)
);
