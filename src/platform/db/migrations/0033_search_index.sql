-- Full-text search over sealed content (src/modules/search/search-index.ts). The index holds no
-- word in clear: each term (a stem, a CJK bigram, or an adjacent pair of stems) is stored as a
-- 16-byte keyed hash under the tenant's search key (a blind index of purpose "search.term"), so
-- the same word in two tenants has unrelated hashes. A ticket is two documents: what its
-- requester may see (subject and public comments) and what only staff see (internal notes).
-- It is written in the same transaction as the content by the conversation writer.
--
-- Postings: one row per term, ticket and visibility, with the term's count there. The primary
-- key leads with (tenant_id, term), so a query reads only the postings of its terms; the second
-- index serves deleting a ticket's postings.
CREATE TABLE search_postings (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  term bytea NOT NULL CHECK (octet_length(term) = 16),
  ticket_id uuid NOT NULL,
  internal boolean NOT NULL,
  tf integer NOT NULL CHECK (tf > 0),
  PRIMARY KEY (tenant_id, term, ticket_id, internal)
);
CREATE INDEX search_postings_ticket ON search_postings (tenant_id, ticket_id);

-- The length of each document (word positions and CJK grams), for BM25's length normalisation
-- and the tenant's document count and average length.
CREATE TABLE search_documents (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  ticket_id uuid NOT NULL,
  internal boolean NOT NULL,
  length integer NOT NULL CHECK (length >= 0),
  PRIMARY KEY (tenant_id, ticket_id, internal),
  FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id)
);

ALTER TABLE search_postings ENABLE ROW LEVEL SECURITY;
ALTER TABLE search_postings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON search_postings USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON search_postings TO vaultdesk_app;

ALTER TABLE search_documents ENABLE ROW LEVEL SECURITY;
ALTER TABLE search_documents FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON search_documents USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON search_documents TO vaultdesk_app;
