-- Family feedback reaches officials' figures in batches (src/feedback/publication.rs): a
-- response counts there only once it is published, in a batch that brings at least five new
-- responses to every group it changes, so that no reading of the report before and after one
-- response gives that family's ratings away.
ALTER TABLE feedback_responses ADD COLUMN published BOOLEAN NOT NULL DEFAULT FALSE;

-- The responses received so far were already shown as they came; they stay shown.
UPDATE feedback_responses SET published = TRUE;

-- The unpublished few, read after every response.
CREATE INDEX feedback_responses_unpublished ON feedback_responses (award_id) WHERE NOT published;
