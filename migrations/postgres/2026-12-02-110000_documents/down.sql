DROP TABLE round_document_kinds;
DROP TABLE documents;
