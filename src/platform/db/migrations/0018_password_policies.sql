-- Password policies (src/modules/identity/password-policy.ts): one for staff and one for end users
-- per tenant, chosen by admins, with Zendesk's levels. A policy names rules, never a password, so
-- it is stored as plain JSON. `id` is the tenant's id (as in tenant_settings).
CREATE TABLE password_settings (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL CHECK (id = tenant_id),
  staff_policy jsonb NOT NULL,
  end_user_policy jsonb NOT NULL,
  -- Zendesk's "Allow admins to set passwords" for end users; off by default (the healthcare minimum).
  admins_set_end_user_passwords boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id),
  UNIQUE (tenant_id, id)
);

-- When the password was set (expiry), wrong passwords in a row and the lockout they led to.
ALTER TABLE users
  ADD COLUMN password_set_at timestamptz,
  ADD COLUMN failed_signins integer NOT NULL DEFAULT 0 CHECK (failed_signins >= 0),
  ADD COLUMN lockouts integer NOT NULL DEFAULT 0 CHECK (lockouts >= 0),
  ADD COLUMN locked_until timestamptz;
UPDATE users SET password_set_at = updated_at WHERE password_hash IS NOT NULL;

-- Earlier passwords' hashes (argon2id, as the current one), for "must differ from the last N".
CREATE TABLE password_history (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  user_id uuid NOT NULL,
  password_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX password_history_user ON password_history (tenant_id, user_id, created_at DESC);

DO $$
DECLARE tbl text;
BEGIN
  FOREACH tbl IN ARRAY ARRAY['password_settings', 'password_history'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', tbl);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant())', tbl);
  END LOOP;
END $$;
GRANT SELECT, INSERT, UPDATE ON password_settings TO vaultdesk_app;
GRANT SELECT, INSERT, DELETE ON password_history TO vaultdesk_app;
