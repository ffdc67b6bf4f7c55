DROP TABLE claim_lines;
DROP TABLE claims;
DROP TABLE pre_approvals;
DROP TABLE visitors;
DROP TABLE stay_people;
DROP TABLE stays;
ALTER TABLE documents ALTER COLUMN organisation_id SET NOT NULL;
ALTER TABLE users DROP CONSTRAINT users_board_check;
ALTER TABLE users DROP CONSTRAINT users_unit_check;
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
    CHECK (role IN ('applicant', 'assessor', 'administrator', 'official', 'finance'));
ALTER TABLE users DROP COLUMN health_board;
ALTER TABLE users DROP COLUMN unit_id;
