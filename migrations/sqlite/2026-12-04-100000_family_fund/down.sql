DROP TABLE fund_rates;
DROP TABLE unit_wards;
DROP TABLE units;
ALTER TABLE funds DROP COLUMN kind;
