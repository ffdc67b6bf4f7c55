DROP TABLE information_requests;
