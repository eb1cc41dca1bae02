-- Search index writes (bench/README.md, "Search", "Write layouts"). Postings were keyed by
-- (tenant, term, ticket uuid): a random uuid put each new posting of a common term on any of the
-- hundreds of leaf pages holding that term, and most of a create's WAL was the full-page images of
-- those pages. They are now keyed by the ticket's nice_id, which only grows within a tenant: a
-- new ticket's postings go to the last page of each term's range (and the key is 8 bytes, not
-- 16). The documents carry the nice_id too, keyed by it for the queries' length lookups; their
-- key by ticket uuid stays (the foreign key to tickets, and writes by ticket id).
--
-- A ticket's nice_id is never given to another ticket of the tenant (a counter), and every posting
-- has its ticket's document (search-repo.ts writes them together). That it never changes was the
-- code's habit only; the trigger at the end makes it a rule, since postings would otherwise follow
-- the number to whichever ticket held it next.
ALTER TABLE tickets NO FORCE ROW LEVEL SECURITY;
ALTER TABLE search_documents NO FORCE ROW LEVEL SECURITY;
ALTER TABLE search_postings NO FORCE ROW LEVEL SECURITY;

ALTER TABLE search_documents ADD COLUMN nice_id bigint;
UPDATE search_documents d SET nice_id = t.nice_id FROM tickets t WHERE t.tenant_id = d.tenant_id AND t.id = d.ticket_id;
ALTER TABLE search_documents ALTER COLUMN nice_id SET NOT NULL;
CREATE UNIQUE INDEX search_documents_nice ON search_documents (tenant_id, nice_id, internal) INCLUDE (length);

ALTER TABLE search_postings RENAME TO search_postings_0048;
CREATE TABLE search_postings (
  tenant_id uuid NOT NULL,
  term bytea NOT NULL CHECK (octet_length(term) = 16),
  nice_id bigint NOT NULL,
  internal boolean NOT NULL,
  tf integer NOT NULL CHECK (tf > 0)
);
INSERT INTO search_postings (tenant_id, term, nice_id, internal, tf)
  SELECT p.tenant_id, p.term, t.nice_id, p.internal, p.tf
  FROM search_postings_0048 p JOIN tickets t ON t.tenant_id = p.tenant_id AND t.id = p.ticket_id
  ORDER BY p.tenant_id, p.term, t.nice_id, p.internal;
DROP TABLE search_postings_0048;
ALTER TABLE search_postings ADD CONSTRAINT search_postings_pkey PRIMARY KEY (tenant_id, term, nice_id, internal) INCLUDE (tf);
CREATE INDEX search_postings_ticket ON search_postings (tenant_id, nice_id);

ALTER TABLE search_postings ENABLE ROW LEVEL SECURITY;
ALTER TABLE search_postings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON search_postings USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON search_postings TO vaultdesk_app;

ALTER TABLE search_documents FORCE ROW LEVEL SECURITY;
ALTER TABLE tickets FORCE ROW LEVEL SECURITY;

CREATE FUNCTION vd_refuse_nice_id_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'a ticket''s nice_id never changes' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER tickets_nice_id_fixed BEFORE UPDATE OF nice_id ON tickets
  FOR EACH ROW WHEN (OLD.nice_id IS DISTINCT FROM NEW.nice_id) EXECUTE FUNCTION vd_refuse_nice_id_change();
