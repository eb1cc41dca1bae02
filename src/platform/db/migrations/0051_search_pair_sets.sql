-- Phrase pairs as a few rows a ticket instead of a row a pair (bench/README.md, "Search", "Pair
-- sets"). In search_pairs (0050) each of a new ticket's ~96 pairs was a heap tuple and a B-tree
-- entry; an indexed create spent about half of what the index costs it on them. Now each write of
-- a text adds one row holding its pairs' 16-byte hashes side by side (a pair held twice appears
-- twice: counts stay exact for removals), and a phrase's pair is looked for in a ticket's rows with
-- position(). The pairs of one (ticket, visibility) are the union of its rows; a removal takes
-- occurrences out of whichever rows hold them (search-repo.ts removeTerms).
--
-- The rows of search_pairs move here, one row per (ticket, visibility); pairs still among the
-- postings (indexed before 0050) stay there, as 0050 left them.
ALTER TABLE search_pairs NO FORCE ROW LEVEL SECURITY;

CREATE TABLE search_pair_sets (
  tenant_id uuid NOT NULL,
  nice_id bigint NOT NULL,
  internal boolean NOT NULL,
  id bigint GENERATED ALWAYS AS IDENTITY,
  pairs bytea NOT NULL CHECK (octet_length(pairs) > 0 AND octet_length(pairs) % 16 = 0),
  CONSTRAINT search_pair_sets_pkey PRIMARY KEY (tenant_id, nice_id, internal, id)
);
-- Hashes do not compress: stored out of line uncompressed once a row is large, never tried.
ALTER TABLE search_pair_sets ALTER COLUMN pairs SET STORAGE EXTERNAL;

INSERT INTO search_pair_sets (tenant_id, nice_id, internal, pairs)
  SELECT p.tenant_id, p.nice_id, p.internal, string_agg(p.term, ''::bytea ORDER BY p.term)
  FROM search_pairs p CROSS JOIN LATERAL generate_series(1, p.tf) AS n
  GROUP BY p.tenant_id, p.nice_id, p.internal
  ORDER BY p.tenant_id, p.nice_id, p.internal;
DROP TABLE search_pairs;

ALTER TABLE search_pair_sets ENABLE ROW LEVEL SECURITY;
ALTER TABLE search_pair_sets FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON search_pair_sets USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON search_pair_sets TO vaultdesk_app;
