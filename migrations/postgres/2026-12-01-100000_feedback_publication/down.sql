DROP INDEX feedback_responses_unpublished;
ALTER TABLE feedback_responses DROP COLUMN published;
