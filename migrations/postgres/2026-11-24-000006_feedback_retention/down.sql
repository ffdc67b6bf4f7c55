ALTER TABLE organisations DROP COLUMN listed_in_directory;
ALTER TABLE applications DROP COLUMN anonymised_at;
ALTER TABLE users DROP COLUMN deletion_requested_at;
DROP TABLE feedback_responses;
DROP TABLE feedback_links;
