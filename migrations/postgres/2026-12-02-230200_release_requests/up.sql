-- Two people for every payment: an administrator requests an instalment's release, and a finance
-- user who is neither the requester nor the award's decider authorises it. The database refuses
-- the same person as requester and authoriser, whatever the client sends; the service checks
-- the decider in the same transaction.
CREATE TABLE release_requests (
    award_id BIGINT NOT NULL REFERENCES awards (id),
    financial_year TEXT NOT NULL,
    requested_by BIGINT NOT NULL REFERENCES users (id),
    requested_at TIMESTAMP NOT NULL,
    authorised_by BIGINT REFERENCES users (id),
    authorised_at TIMESTAMP,
    PRIMARY KEY (award_id, financial_year),
    CHECK (authorised_by IS NULL OR authorised_by <> requested_by),
    CHECK ((authorised_by IS NULL) = (authorised_at IS NULL))
);
