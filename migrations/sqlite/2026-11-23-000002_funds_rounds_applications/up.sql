-- Funds and their financial years, rounds and their criteria, applications.
-- Money is whole pence in BIGINT; financial years are written '2021-22'.

CREATE TABLE funds (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    code TEXT NOT NULL UNIQUE,
    funder_name TEXT NOT NULL,
    funder_org_id TEXT NOT NULL,
    administrator_name TEXT NOT NULL,
    administrator_org_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    programme_start DATE NOT NULL,
    programme_end DATE NOT NULL,
    reach_target BIGINT NOT NULL CHECK (reach_target >= 0),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (programme_start <= programme_end)
);

-- The annual cap lives here: committed never exceeds the limit, whatever the application does.
CREATE TABLE fund_years (
    fund_id BIGINT NOT NULL REFERENCES funds (id),
    financial_year TEXT NOT NULL,
    limit_pence BIGINT NOT NULL CHECK (limit_pence >= 0),
    approved BOOLEAN NOT NULL,
    committed_pence BIGINT NOT NULL DEFAULT 0 CHECK (committed_pence >= 0),
    paid_pence BIGINT NOT NULL DEFAULT 0 CHECK (paid_pence >= 0),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (fund_id, financial_year),
    CHECK (committed_pence <= limit_pence),
    CHECK (paid_pence <= committed_pence)
);

CREATE TABLE rounds (
    id INTEGER PRIMARY KEY,
    fund_id BIGINT NOT NULL REFERENCES funds (id),
    name TEXT NOT NULL,
    component TEXT NOT NULL CHECK (component IN ('core', 'innovation', 'extension')),
    opens_at TIMESTAMP NOT NULL,
    closes_at TIMESTAMP NOT NULL,
    min_request_pence BIGINT NOT NULL CHECK (min_request_pence >= 0),
    max_request_pence BIGINT NOT NULL,
    max_applicant_income_pence BIGINT CHECK (max_applicant_income_pence >= 0),
    assessments_required INTEGER NOT NULL CHECK (assessments_required >= 1),
    return_frequency TEXT NOT NULL CHECK (return_frequency IN ('quarterly', 'six_monthly', 'annual')),
    guidance TEXT,
    criteria_frozen_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (opens_at < closes_at),
    CHECK (min_request_pence <= max_request_pence)
);
CREATE INDEX rounds_fund ON rounds (fund_id);
CREATE INDEX rounds_window ON rounds (opens_at, closes_at);

CREATE TABLE round_years (
    round_id BIGINT NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    fund_id BIGINT NOT NULL,
    financial_year TEXT NOT NULL,
    PRIMARY KEY (round_id, financial_year),
    FOREIGN KEY (fund_id, financial_year) REFERENCES fund_years (fund_id, financial_year)
);

CREATE TABLE criteria (
    id INTEGER PRIMARY KEY,
    round_id BIGINT NOT NULL REFERENCES rounds (id),
    name TEXT NOT NULL,
    guidance TEXT,
    weight_ten_thousandths BIGINT NOT NULL CHECK (weight_ten_thousandths > 0),
    max_score INTEGER NOT NULL CHECK (max_score BETWEEN 1 AND 100),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX criteria_round ON criteria (round_id);

CREATE TABLE applications (
    id INTEGER PRIMARY KEY,
    round_id BIGINT NOT NULL REFERENCES rounds (id),
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    created_by BIGINT NOT NULL REFERENCES users (id),
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'awarded', 'declined', 'withdrawn')),
    title TEXT NOT NULL,
    summary TEXT,
    description TEXT,
    peer_support BOOLEAN,
    equality_impact TEXT,
    submitted_at TIMESTAMP,
    submitted_by BIGINT REFERENCES users (id),
    withdrawn_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX applications_round_status ON applications (round_id, status);
CREATE INDEX applications_organisation ON applications (organisation_id);
-- One live (draft or submitted) application per organisation per round, even under races.
CREATE UNIQUE INDEX applications_one_live ON applications (round_id, organisation_id)
    WHERE status IN ('draft', 'submitted');

CREATE TABLE application_requests (
    application_id BIGINT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    financial_year TEXT NOT NULL,
    amount_pence BIGINT NOT NULL CHECK (amount_pence >= 0),
    PRIMARY KEY (application_id, financial_year)
);

-- The multi-valued vocabularies of an application: target groups, health boards, support types.
CREATE TABLE application_choices (
    application_id BIGINT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    list TEXT NOT NULL CHECK (list IN ('target_group', 'health_board', 'support_type')),
    value TEXT NOT NULL,
    PRIMARY KEY (application_id, list, value)
);
CREATE INDEX application_choices_value ON application_choices (list, value);

-- How many people of each group an application expects to reach.
CREATE TABLE application_reach (
    application_id BIGINT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    reach_group TEXT NOT NULL CHECK (reach_group IN ('women', 'partners', 'infants', 'families')),
    people BIGINT NOT NULL CHECK (people >= 0),
    PRIMARY KEY (application_id, reach_group)
);
