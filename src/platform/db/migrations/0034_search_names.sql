-- Search for people and organizations by name and e-mail, with prefixes for type-ahead
-- (src/modules/search/people-index.ts). Like the ticket index (0033) it holds nothing in clear:
-- each term (a whole word, or one of its first 1..20 characters, of a name or an e-mail address;
-- CJK names by their runs of characters) is a 16-byte keyed hash under the tenant's search key
-- (blind index purpose "search.name"), so the same name in two tenants has unrelated hashes.
-- Written in the same transaction as the person or organization; a deleted person's and a deleted
-- organization's entries go with them.
--
-- One row per term and person (organization). The primary key leads with (tenant_id, term), so a
-- query reads only the entries of its terms; the second index serves replacing one person's entries.
CREATE TABLE search_user_names (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  term bytea NOT NULL CHECK (octet_length(term) = 16),
  user_id uuid NOT NULL,
  PRIMARY KEY (tenant_id, term, user_id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX search_user_names_user ON search_user_names (tenant_id, user_id);

CREATE TABLE search_organization_names (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  term bytea NOT NULL CHECK (octet_length(term) = 16),
  organization_id uuid NOT NULL,
  PRIMARY KEY (tenant_id, term, organization_id),
  FOREIGN KEY (tenant_id, organization_id) REFERENCES organizations (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX search_organization_names_organization ON search_organization_names (tenant_id, organization_id);

ALTER TABLE search_user_names ENABLE ROW LEVEL SECURITY;
ALTER TABLE search_user_names FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON search_user_names USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON search_user_names TO vaultdesk_app;

ALTER TABLE search_organization_names ENABLE ROW LEVEL SECURITY;
ALTER TABLE search_organization_names FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON search_organization_names USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON search_organization_names TO vaultdesk_app;
