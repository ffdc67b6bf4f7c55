DROP TABLE directory_service_awards;
DROP TABLE directory_service_items;
DROP TABLE directory_services;
DROP TABLE organisation_addresses;
