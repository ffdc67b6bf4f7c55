-- Assessment: assessors assigned to applications, their conflict declarations and scores, and
-- administrators' moderation of an application's score. Scores are whole numbers; weighted
-- scores are kept in hundredths so that they stay exact.

CREATE TABLE assignments (
    id INTEGER PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES applications (id),
    assessor_id BIGINT NOT NULL REFERENCES users (id),
    status TEXT NOT NULL CHECK (status IN ('pending', 'in_progress', 'conflicted', 'submitted')),
    conflict_reason TEXT,
    declared_at TIMESTAMP,
    submitted_at TIMESTAMP,
    weighted_score_hundredths BIGINT CHECK (weighted_score_hundredths BETWEEN 0 AND 10000),
    assigned_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (application_id, assessor_id)
);
CREATE INDEX assignments_assessor ON assignments (assessor_id, status);

CREATE TABLE scores (
    assignment_id BIGINT NOT NULL REFERENCES assignments (id) ON DELETE CASCADE,
    criterion_id BIGINT NOT NULL REFERENCES criteria (id),
    score INTEGER NOT NULL CHECK (score >= 0),
    comment TEXT,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (assignment_id, criterion_id)
);

CREATE TABLE moderations (
    application_id BIGINT PRIMARY KEY REFERENCES applications (id),
    original_hundredths BIGINT NOT NULL,
    moderated_hundredths BIGINT NOT NULL CHECK (moderated_hundredths BETWEEN 0 AND 10000),
    reason TEXT NOT NULL,
    moderated_by BIGINT NOT NULL REFERENCES users (id),
    moderated_at TIMESTAMP NOT NULL
);
