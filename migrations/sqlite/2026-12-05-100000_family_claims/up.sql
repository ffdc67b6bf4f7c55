-- The family fund's people: claimants (individuals who register themselves, of no
-- organisation), clinicians (staff of one unit) and cash offices (staff of one NHS board); and
-- a claim's receipts, documents of no organisation.
-- SQLite cannot change a CHECK constraint or a column's NOT NULL, so the two tables are rebuilt
-- the way SQLite documents: outside a transaction of the migration's own (metadata.toml), with
-- foreign keys off while each new table takes the old one's name, and checked before the
-- change is committed.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE users_rebuilt (
    id INTEGER PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('applicant', 'assessor', 'administrator', 'official', 'finance', 'claimant', 'clinician', 'cash_office')),
    organisation_id BIGINT REFERENCES organisations (id),
    password_hash TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    password_changed_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deletion_requested_at TIMESTAMP,
    session_generation BIGINT NOT NULL DEFAULT 0,
    unit_id BIGINT REFERENCES units (id),
    health_board TEXT,
    CHECK ((role = 'applicant') = (organisation_id IS NOT NULL)),
    CHECK ((role = 'clinician') = (unit_id IS NOT NULL)),
    CHECK ((role = 'cash_office') = (health_board IS NOT NULL))
);
INSERT INTO users_rebuilt (id, email, name, role, organisation_id, password_hash, active,
        password_changed_at, created_at, updated_at, deletion_requested_at, session_generation)
    SELECT id, email, name, role, organisation_id, password_hash, active,
        password_changed_at, created_at, updated_at, deletion_requested_at, session_generation
    FROM users;
DROP TABLE users;
ALTER TABLE users_rebuilt RENAME TO users;
CREATE INDEX users_organisation ON users (organisation_id);
CREATE TABLE documents_rebuilt (
    id INTEGER PRIMARY KEY NOT NULL,
    owner_kind TEXT NOT NULL,
    owner_id BIGINT NOT NULL,
    organisation_id BIGINT REFERENCES organisations (id),
    kind TEXT NOT NULL,
    given_name TEXT NOT NULL,
    display_name TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    media_type TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    uploaded_by BIGINT NOT NULL REFERENCES users (id),
    uploaded_at TIMESTAMP NOT NULL,
    period_end DATE
);
INSERT INTO documents_rebuilt SELECT id, owner_kind, owner_id, organisation_id, kind, given_name,
    display_name, size_bytes, media_type, sha256, uploaded_by, uploaded_at, period_end FROM documents;
DROP TABLE documents;
ALTER TABLE documents_rebuilt RENAME TO documents;
CREATE INDEX documents_owner ON documents (owner_kind, owner_id);
CREATE INDEX documents_sha256 ON documents (sha256);

-- A stay: one woman's admission to a unit, recorded by the claimant who visits her.
-- `cap_pence` and `claim_window_months` are copied from the rates of the financial year of
-- admission when the stay is recorded. `approved_pence` is what the cash office has approved
-- across all the stay's claims: every approval adds to it with one conditional update, and the
-- CHECK stands behind that update, so no two approvals together pass the cap.
CREATE TABLE stays (
    id INTEGER PRIMARY KEY NOT NULL,
    fund_id BIGINT NOT NULL REFERENCES funds (id),
    unit_id BIGINT NOT NULL REFERENCES units (id),
    claimant_id BIGINT NOT NULL REFERENCES users (id),
    admitted_on DATE NOT NULL,
    discharged_on DATE,
    home_board TEXT NOT NULL,
    cap_pence BIGINT NOT NULL CHECK (cap_pence > 0),
    claim_window_months INTEGER NOT NULL CHECK (claim_window_months >= 0),
    approved_pence BIGINT NOT NULL DEFAULT 0,
    paid_pence BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    anonymised_at TIMESTAMP,
    CHECK (approved_pence >= 0 AND approved_pence <= cap_pence),
    CHECK (paid_pence >= 0 AND paid_pence <= approved_pence),
    CHECK (discharged_on IS NULL OR discharged_on >= admitted_on)
);
CREATE INDEX stays_claimant ON stays (claimant_id);
CREATE INDEX stays_unit ON stays (unit_id);

-- Who the stay is about, kept apart so that retention removes the row and nothing else: the
-- woman's name and date of birth sealed together (AES-256-GCM) under the key named in `key_id`,
-- her ward and her consultant.
CREATE TABLE stay_people (
    stay_id BIGINT PRIMARY KEY NOT NULL REFERENCES stays (id) ON DELETE CASCADE,
    woman_sealed TEXT NOT NULL,
    key_id TEXT NOT NULL,
    ward TEXT NOT NULL,
    consultant TEXT NOT NULL
);

-- Who visits: the claimant (one row, no sealed details: the account holds them) and each child,
-- whose first name and date of birth are sealed together.
CREATE TABLE visitors (
    id INTEGER PRIMARY KEY NOT NULL,
    stay_id BIGINT NOT NULL REFERENCES stays (id),
    kind TEXT NOT NULL CHECK (kind IN ('claimant', 'child')),
    sealed TEXT,
    key_id TEXT,
    created_at TIMESTAMP NOT NULL,
    CHECK ((sealed IS NULL) = (key_id IS NULL))
);
CREATE INDEX visitors_stay ON visitors (stay_id);
CREATE UNIQUE INDEX visitors_one_claimant ON visitors (stay_id) WHERE kind = 'claimant';

-- A journey approved before it is made: a taxi by a clinician of the unit, a flight by the cash
-- office of the unit's board.
CREATE TABLE pre_approvals (
    id INTEGER PRIMARY KEY NOT NULL,
    stay_id BIGINT NOT NULL REFERENCES stays (id),
    visitor_id BIGINT NOT NULL REFERENCES visitors (id),
    kind TEXT NOT NULL CHECK (kind IN ('taxi', 'flight')),
    journey_on DATE NOT NULL,
    details TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'refused')),
    requested_at TIMESTAMP NOT NULL,
    decided_by BIGINT REFERENCES users (id),
    decided_at TIMESTAMP,
    reason TEXT,
    CHECK ((status = 'requested') = (decided_by IS NULL)),
    CHECK ((decided_by IS NULL) = (decided_at IS NULL)),
    CHECK (status <> 'refused' OR reason IS NOT NULL)
);
CREATE INDEX pre_approvals_stay ON pre_approvals (stay_id);

-- A claim against a stay. `draft` until the claimant submits it; a clinician of the unit
-- certifies the woman's residence (`certified`, perhaps for fewer dates); the cash office
-- approves it (in full or in part, line by line), rejects it or refers it to counter fraud
-- (`referred`, frozen), `decided_by` recording who; an approved claim is `paid` when its payment is marked paid.
CREATE TABLE claims (
    id INTEGER PRIMARY KEY NOT NULL,
    stay_id BIGINT NOT NULL REFERENCES stays (id),
    status TEXT NOT NULL CHECK (status IN ('draft', 'submitted', 'certified', 'approved', 'rejected', 'referred', 'paid')),
    claimed_pence BIGINT NOT NULL DEFAULT 0 CHECK (claimed_pence >= 0),
    approved_pence BIGINT CHECK (approved_pence > 0),
    submitted_at TIMESTAMP,
    certified_by BIGINT REFERENCES users (id),
    certified_at TIMESTAMP,
    resident_from DATE,
    resident_to DATE,
    decided_by BIGINT REFERENCES users (id),
    decided_at TIMESTAMP,
    rejection_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK ((status = 'draft') = (submitted_at IS NULL)),
    CHECK ((certified_by IS NULL) = (certified_at IS NULL)),
    CHECK ((certified_by IS NULL) = (resident_from IS NULL)),
    CHECK ((resident_from IS NULL) = (resident_to IS NULL)),
    CHECK (resident_to IS NULL OR resident_to >= resident_from),
    CHECK (status NOT IN ('certified', 'approved', 'paid') OR certified_by IS NOT NULL),
    CHECK ((status IN ('approved', 'paid')) = (approved_pence IS NOT NULL)),
    CHECK ((status IN ('approved', 'paid', 'rejected', 'referred')) = (decided_by IS NOT NULL)),
    CHECK ((decided_by IS NULL) = (decided_at IS NULL)),
    CHECK ((status = 'rejected') = (rejection_reason IS NOT NULL)),
    CHECK (certified_by IS NULL OR decided_by IS NULL OR certified_by <> decided_by)
);
CREATE INDEX claims_stay ON claims (stay_id, id);
CREATE INDEX claims_status ON claims (status, id);

-- A claim's line: one cost of one visitor on one day. Car lines hold the miles and are priced at
-- the mileage rate of the day's financial year; food lines at its food rate; the others carry
-- the amount spent and a receipt. `outcome` is the cash office's (or the certification's, `cut`)
-- decision on the line, `approved_pence` what it pays.
CREATE TABLE claim_lines (
    id INTEGER PRIMARY KEY NOT NULL,
    claim_id BIGINT NOT NULL REFERENCES claims (id) ON DELETE CASCADE,
    visitor_id BIGINT NOT NULL REFERENCES visitors (id),
    spent_on DATE NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('car', 'public_transport', 'taxi', 'flight', 'food', 'accommodation')),
    miles INTEGER CHECK (miles > 0),
    together BOOLEAN NOT NULL DEFAULT FALSE,
    description TEXT NOT NULL,
    amount_pence BIGINT NOT NULL CHECK (amount_pence > 0),
    receipt_document_id BIGINT REFERENCES documents (id),
    pre_approval_id BIGINT REFERENCES pre_approvals (id),
    outcome TEXT CHECK (outcome IN ('full', 'part', 'none', 'cut')),
    approved_pence BIGINT,
    outcome_reason TEXT,
    CHECK ((kind = 'car') = (miles IS NOT NULL)),
    CHECK (kind = 'car' OR NOT together),
    CHECK (outcome IS NULL OR approved_pence IS NOT NULL),
    CHECK (approved_pence IS NULL OR (approved_pence >= 0 AND approved_pence <= amount_pence)),
    CHECK (outcome NOT IN ('part', 'none', 'cut') OR outcome_reason IS NOT NULL)
);
CREATE INDEX claim_lines_claim ON claim_lines (claim_id, id);
COMMIT;
PRAGMA foreign_keys = ON;
