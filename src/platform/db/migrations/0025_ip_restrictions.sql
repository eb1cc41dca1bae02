-- IP restrictions (src/modules/identity/ip-restrictions-service.ts): the networks a tenant's staff
-- (and, when chosen, its end users) may use it from. The ranges are sealed (an admin's home
-- address written as a /32 is personal data); `id` is the tenant's id. No row: no restriction.
CREATE TABLE ip_restrictions (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL CHECK (id = tenant_id),
  enabled boolean NOT NULL DEFAULT false,
  allowed_ips_sealed bytea,
  enforce_end_users boolean NOT NULL DEFAULT false,
  allow_two_factor boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id),
  UNIQUE (tenant_id, id)
);
ALTER TABLE ip_restrictions ENABLE ROW LEVEL SECURITY;
ALTER TABLE ip_restrictions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ip_restrictions USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT, UPDATE ON ip_restrictions TO vaultdesk_app;

-- Whether a session's sign-in used a second factor (a code or a passkey after the password): the
-- "outside the ranges with two-factor sign-in" exception asks it. A passkey sign-in (method
-- 'passkey') is one by itself. Sessions from before this migration count as without one.
ALTER TABLE sessions ADD COLUMN second_factor boolean NOT NULL DEFAULT false;
