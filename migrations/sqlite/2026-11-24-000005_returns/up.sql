-- Monitoring returns: scheduled when an award is accepted, filled in and submitted by the grant
-- holder, reviewed by an administrator. Reminders are claimed here, one row per return and step,
-- so each is sent once however many workers run and however often.

CREATE TABLE returns (
    id INTEGER PRIMARY KEY,
    award_id BIGINT NOT NULL REFERENCES awards (id),
    financial_year TEXT,
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    due_date DATE NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('scheduled', 'due', 'overdue', 'submitted', 'accepted', 'changes_requested')),
    submitted_at TIMESTAMP,
    submitted_by BIGINT REFERENCES users (id),
    reviewed_at TIMESTAMP,
    reviewed_by BIGINT REFERENCES users (id),
    review_comment TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (period_start <= period_end AND period_end < due_date)
);
CREATE INDEX returns_award ON returns (award_id, period_end);
CREATE INDEX returns_due ON returns (status, due_date);

-- What the grant holder reports; every figure may be left empty in a draft.
CREATE TABLE return_contents (
    return_id BIGINT PRIMARY KEY REFERENCES returns (id),
    spend_pence BIGINT CHECK (spend_pence >= 0),
    women BIGINT CHECK (women >= 0),
    partners BIGINT CHECK (partners >= 0),
    infants BIGINT CHECK (infants >= 0),
    kinship_carers BIGINT CHECK (kinship_carers >= 0),
    families BIGINT CHECK (families >= 0),
    new_people BIGINT CHECK (new_people >= 0),
    continuing_people BIGINT CHECK (continuing_people >= 0),
    sessions BIGINT CHECK (sessions >= 0),
    peer_supporters BIGINT CHECK (peer_supporters >= 0),
    volunteers BIGINT CHECK (volunteers >= 0),
    outcomes TEXT,
    case_study TEXT,
    challenges TEXT,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE return_reminders (
    return_id BIGINT NOT NULL REFERENCES returns (id),
    step TEXT NOT NULL CHECK (step IN ('upcoming', 'due', 'overdue')),
    sent_at TIMESTAMP NOT NULL,
    PRIMARY KEY (return_id, step)
);
