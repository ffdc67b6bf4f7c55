DROP TABLE variation_amounts;
DROP TABLE variations;
