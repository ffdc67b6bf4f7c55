-- The town an organisation gives for its public address: published as the 360Giving recipient's
-- addressLocality when the organisation agreed to be public. `organisations` is full, so it has
-- its own table, one row an organisation.
CREATE TABLE organisation_addresses (
    organisation_id BIGINT PRIMARY KEY REFERENCES organisations (id),
    town TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- The national directory: one listing a funded service, kept by its organisation and public once
-- an administrator has approved it. An edit sends it back to pending. `search_text` holds the
-- listing's words lower-cased, for search by words on either database.
CREATE TABLE directory_services (
    id INTEGER PRIMARY KEY,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    offer TEXT NOT NULL,
    audience TEXT NOT NULL,
    referral TEXT NOT NULL,
    phone TEXT,
    email TEXT,
    website TEXT,
    running BOOLEAN NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved')),
    search_text TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    approved_at TIMESTAMP,
    approved_by BIGINT REFERENCES users (id)
);
CREATE INDEX directory_services_organisation ON directory_services (organisation_id);
CREATE INDEX directory_services_status ON directory_services (status, running);

-- The lists of a listing: the towns and health boards it covers, its kinds of support, the
-- groups it is for and the languages it is offered in.
CREATE TABLE directory_service_items (
    service_id BIGINT NOT NULL REFERENCES directory_services (id) ON DELETE CASCADE,
    list TEXT NOT NULL CHECK (list IN ('town', 'health_board', 'support_type', 'target_group', 'language')),
    value TEXT NOT NULL,
    PRIMARY KEY (service_id, list, value)
);
CREATE INDEX directory_service_items_value ON directory_service_items (list, value);

-- The awards that fund a listed service.
CREATE TABLE directory_service_awards (
    service_id BIGINT NOT NULL REFERENCES directory_services (id) ON DELETE CASCADE,
    award_id BIGINT NOT NULL REFERENCES awards (id),
    PRIMARY KEY (service_id, award_id)
);
