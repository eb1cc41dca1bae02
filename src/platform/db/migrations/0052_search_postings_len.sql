-- Search: a single word's best tickets without scoring all of its postings (bench/README.md,
-- "Search", "Bounds"). Each posting now carries `len`: the length of its document when the
-- posting was last written (capped at 32,767). A document only grows between writes of a term
-- (a write of another text adds to the length but leaves this posting alone; a removal lowers the
-- postings above the new length: search-repo.ts), so `len` never exceeds the document's length
-- and BM25 computed with it is an upper bound of the posting's real weight. A query of one word
-- ranks its tickets by that bound from the postings alone (an index-only scan), computes the real
-- score only for the best few (one length lookup each) and keeps those that no other ticket can
-- beat. Rows written before this migration have 0, the loosest bound: still right, only slower
-- to prune until `vaultdesk search reindex` writes them again.
--
-- The primary key is built again to include `len` (index-only scans); its key columns, and so
-- uniqueness and ON CONFLICT, stay as they were. This reads every posting once.
ALTER TABLE search_postings ADD COLUMN len smallint NOT NULL DEFAULT 0 CHECK (len >= 0);
ALTER TABLE search_postings DROP CONSTRAINT search_postings_pkey;
ALTER TABLE search_postings ADD CONSTRAINT search_postings_pkey PRIMARY KEY (tenant_id, term, nice_id, internal) INCLUDE (tf, len);
