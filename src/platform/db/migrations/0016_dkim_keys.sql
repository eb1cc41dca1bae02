-- DKIM keys for a team's own mail domains: notifications sent From an address at the domain are
-- signed with its key once DNS publishes the public key (checked by the server). The private key
-- and the domain are sealed; the selector and the public key are public by nature.
CREATE TABLE dkim_keys (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  domain_sealed bytea NOT NULL,
  selector text NOT NULL CHECK (selector ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  public_key text NOT NULL,
  private_key_sealed bytea NOT NULL,
  -- pending: DNS not checked yet, or it did not match; verified: DNS had the key at the last check.
  status text NOT NULL CHECK (status IN ('pending', 'verified')),
  checked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);

ALTER TABLE dkim_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE dkim_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON dkim_keys USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON dkim_keys TO vaultdesk_app;
