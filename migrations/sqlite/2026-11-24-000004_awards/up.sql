-- Decisions and awards. Each year of an award is an instalment that holds its amount against
-- the fund year's `committed` until it is released (paid) or cancelled (given back). The cap
-- itself is the CHECK (committed_pence <= limit_pence) on fund_years, reached only through
-- conditional updates.

-- The fund's decision on an application: an award with its conditions, or a decline with
-- feedback for the applicant.
CREATE TABLE decisions (
    application_id BIGINT PRIMARY KEY REFERENCES applications (id),
    outcome TEXT NOT NULL CHECK (outcome IN ('award', 'decline')),
    conditions TEXT,
    feedback TEXT,
    decided_by BIGINT NOT NULL REFERENCES users (id),
    decided_at TIMESTAMP NOT NULL
);

CREATE TABLE awards (
    id INTEGER PRIMARY KEY,
    application_id BIGINT NOT NULL UNIQUE REFERENCES applications (id),
    fund_id BIGINT NOT NULL REFERENCES funds (id),
    round_id BIGINT NOT NULL REFERENCES rounds (id),
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    reference TEXT NOT NULL UNIQUE,
    reference_year INTEGER NOT NULL,
    sequence INTEGER NOT NULL CHECK (sequence >= 1),
    status TEXT NOT NULL CHECK (status IN ('offered', 'accepted', 'declined', 'completed', 'terminated')),
    responded_at TIMESTAMP,
    responded_by BIGINT REFERENCES users (id),
    ended_at TIMESTAMP,
    ended_by BIGINT REFERENCES users (id),
    end_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (fund_id, reference_year, sequence)
);
CREATE INDEX awards_organisation ON awards (organisation_id);
CREATE INDEX awards_fund_status ON awards (fund_id, status);

CREATE TABLE instalments (
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
CREATE INDEX instalments_year ON instalments (fund_id, financial_year, status);

-- The first successful answer to a request sent with an Idempotency-Key, per user.
CREATE TABLE idempotency_keys (
    user_id BIGINT NOT NULL REFERENCES users (id),
    idempotency_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    response_status INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, idempotency_key)
);
