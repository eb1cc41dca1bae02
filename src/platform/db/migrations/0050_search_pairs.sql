-- Phrase pairs (an adjacent pair of word stems, search-text.ts `p:` terms) move out of the
-- postings into a table keyed by ticket first (bench/README.md, "Search", "Pairs by ticket").
-- Pairs are 55 % of a ticket's terms and nearly all rare: in search_postings, keyed by term, each
-- one's new row landed on a random leaf page of a B-tree larger than memory, a page read and a
-- full-page image in the WAL per pair. Keyed by (tenant, ticket nice_id, term), a new ticket's
-- pairs go together to the last pages (its nice_id is the tenant's highest). A phrase is matched
-- by its words (postings, BM25) and then checked for its pairs, ticket by ticket.
--
-- Pairs already in search_postings stay there and still count for phrases (search-repo.ts checks
-- both tables) until `vaultdesk search reindex` rebuilds a tenant's index, which writes them here.
CREATE TABLE search_pairs (
  tenant_id uuid NOT NULL,
  nice_id bigint NOT NULL,
  term bytea NOT NULL CHECK (octet_length(term) = 16),
  internal boolean NOT NULL,
  tf integer NOT NULL CHECK (tf > 0),
  CONSTRAINT search_pairs_pkey PRIMARY KEY (tenant_id, nice_id, term, internal)
);

ALTER TABLE search_pairs ENABLE ROW LEVEL SECURITY;
ALTER TABLE search_pairs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON search_pairs USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON search_pairs TO vaultdesk_app;
