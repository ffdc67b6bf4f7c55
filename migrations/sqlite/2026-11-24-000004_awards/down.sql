DROP TABLE idempotency_keys;
DROP TABLE instalments;
DROP TABLE awards;
DROP TABLE decisions;
