-- Documents: files uploaded for an organisation, an application, a monitoring return or an
-- award. The content is a blob in the document store, named by its SHA-256; a row exists only
-- for a blob that was stored first.
CREATE TABLE documents (
    id INTEGER PRIMARY KEY NOT NULL,
    owner_kind TEXT NOT NULL,
    owner_id BIGINT NOT NULL,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id),
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
CREATE INDEX documents_owner ON documents (owner_kind, owner_id);
CREATE INDEX documents_sha256 ON documents (sha256);

-- The kinds of document an application to a round must carry before it is submitted.
CREATE TABLE round_document_kinds (
    round_id BIGINT NOT NULL REFERENCES rounds (id),
    kind TEXT NOT NULL,
    PRIMARY KEY (round_id, kind)
);
