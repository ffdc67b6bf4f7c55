DROP TABLE moderations;
DROP TABLE scores;
DROP TABLE assignments;
