-- A question the fund asks an applicant during assessment, and the applicant's one answer.
CREATE TABLE information_requests (
    id INTEGER PRIMARY KEY NOT NULL,
    application_id BIGINT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    question TEXT NOT NULL,
    asked_by BIGINT NOT NULL REFERENCES users (id),
    asked_at TIMESTAMP NOT NULL,
    answer TEXT,
    answered_by BIGINT REFERENCES users (id),
    answered_at TIMESTAMP,
    CHECK ((answer IS NULL) = (answered_at IS NULL)),
    CHECK ((answer IS NULL) = (answered_by IS NULL))
);
CREATE INDEX information_requests_application ON information_requests (application_id, id);
