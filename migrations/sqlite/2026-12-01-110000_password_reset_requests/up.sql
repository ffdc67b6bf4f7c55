-- Password-reset requests waiting for the outbox worker. A request is recorded and answered
-- the same way whatever the email; the lookup, the token and the email happen later, so the
-- answer's timing cannot tell whether the email has an account. A row is deleted when handled.
CREATE TABLE password_reset_requests (
    id INTEGER PRIMARY KEY NOT NULL,
    email TEXT NOT NULL,
    requested_at TIMESTAMP NOT NULL
);
