-- An email whose body holds a one-time secret (a password reset link) is marked, and its body
-- is erased by the update that records it sent or given up (src/email/outbox.rs), so that no
-- usable secret is kept in clear once the email has gone.
ALTER TABLE outbox ADD COLUMN secret BOOLEAN NOT NULL DEFAULT FALSE;

UPDATE outbox SET secret = TRUE WHERE kind = 'password_reset';

-- Reset emails already sent or given up lose their links now.
UPDATE outbox
    SET body = '(This email held a one-time link. It was removed once the email was sent.)'
    WHERE secret AND status IN ('sent', 'failed');
