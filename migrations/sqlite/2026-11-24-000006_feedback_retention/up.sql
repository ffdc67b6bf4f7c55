-- Family feedback and retention.
--
-- A feedback link is known to the service only by the hash of its token. A response holds the
-- answers to the fixed questions and the day it arrived, nothing else: no name, no contact
-- details, no network address, no browser, no free identifier of any kind.

CREATE TABLE feedback_links (
    id INTEGER PRIMARY KEY,
    award_id BIGINT NOT NULL REFERENCES awards (id),
    label TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    expires_at TIMESTAMP,
    revoked_at TIMESTAMP,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX feedback_links_award ON feedback_links (award_id);

CREATE TABLE feedback_responses (
    id INTEGER PRIMARY KEY,
    award_id BIGINT NOT NULL REFERENCES awards (id),
    link_id BIGINT NOT NULL REFERENCES feedback_links (id),
    respondent TEXT NOT NULL CHECK (respondent IN ('mother_birthing_parent', 'father_partner', 'kinship_carer', 'other_family_member', 'prefer_not_to_say')),
    listened_to INTEGER NOT NULL CHECK (listened_to BETWEEN 1 AND 5),
    wellbeing INTEGER NOT NULL CHECK (wellbeing BETWEEN 1 AND 5),
    relationship_with_baby INTEGER NOT NULL CHECK (relationship_with_baby BETWEEN 1 AND 5),
    recommend INTEGER NOT NULL CHECK (recommend BETWEEN 1 AND 5),
    difference TEXT,
    could_be_better TEXT,
    consent_to_quote BOOLEAN NOT NULL,
    received_on DATE NOT NULL
);
CREATE INDEX feedback_responses_award ON feedback_responses (award_id);

-- Retention: accounts an administrator marked for deletion, and applications whose personal
-- content has been removed.
ALTER TABLE users ADD COLUMN deletion_requested_at TIMESTAMP;
ALTER TABLE applications ADD COLUMN anonymised_at TIMESTAMP;

-- The public directory lists an organisation's funded services only once it agrees.
ALTER TABLE organisations ADD COLUMN listed_in_directory BOOLEAN NOT NULL DEFAULT FALSE;
