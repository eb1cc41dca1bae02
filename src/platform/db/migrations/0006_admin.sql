-- Admin center: the account's settings (team name) and one-time invitations for staff.
-- Same invariants as 0001_core.sql: tenant_id in every key and foreign key, forced row-level
-- security, personal data sealed by the application, secrets stored only as keyed hashes.

-- One row per tenant. The team name is sealed (it may name a person, e.g. a sole trader). `id`
-- equals tenant_id: key rotation re-seals rows by (tenant_id, id), and the seal binds that row id.
CREATE TABLE tenant_settings (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL CHECK (id = tenant_id),
  name_sealed bytea,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id),
  UNIQUE (tenant_id, id)
);

-- An invitation is a random secret handed over once; only its HMAC (keyed from the master key)
-- is stored. It is single use (used_at), expires (expires_at) and can be revoked.
CREATE TABLE invitations (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  nice_id bigint NOT NULL,
  role text NOT NULL CHECK (role IN ('admin', 'agent', 'light_agent')),
  email_sealed bytea NOT NULL,
  email_bidx bytea NOT NULL,
  token_hash bytea NOT NULL,
  invited_by uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  used_by uuid,
  revoked_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, nice_id),
  UNIQUE (tenant_id, token_hash),
  FOREIGN KEY (tenant_id, invited_by) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, used_by) REFERENCES users (tenant_id, id)
);
CREATE INDEX invitations_created ON invitations (tenant_id, nice_id DESC);

DO $$
DECLARE
  tbl text;
BEGIN
  FOREACH tbl IN ARRAY ARRAY['tenant_settings', 'invitations'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', tbl);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant())', tbl);
  END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE ON tenant_settings TO vaultdesk_app;
GRANT SELECT, INSERT, UPDATE ON invitations TO vaultdesk_app;
