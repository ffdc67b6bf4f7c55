DROP TABLE release_requests;
