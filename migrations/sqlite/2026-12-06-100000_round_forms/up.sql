-- Each round's own application form, and each application's answers to it: both read and
-- written whole, as the form's JSON and the answers' JSON, checked by the service.
CREATE TABLE round_forms (
    round_id BIGINT PRIMARY KEY NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    form TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE TABLE application_answers (
    application_id BIGINT PRIMARY KEY NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    answers TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
