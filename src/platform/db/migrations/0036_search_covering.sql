-- Search query speed (bench/README.md, "Search"). A query reads the postings of its terms and the
-- lengths of the matching documents; with the counts and lengths in the indexes themselves
-- (INCLUDE), both are index-only scans instead of one random heap page per posting (the postings
-- of one term are spread over the whole table: they are written ticket by ticket). The key
-- columns, and so uniqueness and ON CONFLICT, stay as they were.
ALTER TABLE search_postings DROP CONSTRAINT search_postings_pkey;
ALTER TABLE search_postings ADD CONSTRAINT search_postings_pkey PRIMARY KEY (tenant_id, term, ticket_id, internal) INCLUDE (tf);

ALTER TABLE search_documents DROP CONSTRAINT search_documents_pkey;
ALTER TABLE search_documents ADD CONSTRAINT search_documents_pkey PRIMARY KEY (tenant_id, ticket_id, internal) INCLUDE (length);
