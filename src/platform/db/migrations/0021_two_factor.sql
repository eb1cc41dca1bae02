-- Two-factor sign-in with a TOTP authenticator app (src/modules/identity/two-factor-service.ts).
-- The shared secret is a credential: sealed (AES-GCM under the tenant's data key, bound to the
-- row). `last_used_step` is the newest 30-second time step a code was accepted for: a code is
-- accepted only for a later step, so a code seen once (shoulder, proxy log) cannot be replayed
-- within its window. A pending row is an enrolment not yet confirmed with a code.
CREATE TABLE two_factor_totp (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  user_id uuid NOT NULL,
  secret_sealed bytea NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'active')),
  last_used_step integer CHECK (last_used_step >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  activated_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, user_id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);

-- Ten single-use recovery codes per person, stored as keyed hashes only (shown once).
CREATE TABLE two_factor_recovery_codes (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  user_id uuid NOT NULL,
  code_hash bytea NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, code_hash),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX two_factor_recovery_codes_user ON two_factor_recovery_codes (tenant_id, user_id);

-- The second step of a password sign-in: after the right password, a short-lived challenge
-- (secret stored as a keyed hash) that a code turns into a session, once.
CREATE TABLE two_factor_challenges (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  user_id uuid NOT NULL,
  token_hash bytea NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  failed_attempts integer NOT NULL DEFAULT 0 CHECK (failed_attempts >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, token_hash),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX two_factor_challenges_user ON two_factor_challenges (tenant_id, user_id, created_at);

-- Whether every staff member must use two-factor sign-in (off by default). `id` is the tenant's id.
CREATE TABLE two_factor_settings (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL CHECK (id = tenant_id),
  require_staff_two_factor boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id),
  UNIQUE (tenant_id, id)
);

DO $$
DECLARE tbl text;
BEGIN
  FOREACH tbl IN ARRAY ARRAY['two_factor_totp', 'two_factor_recovery_codes', 'two_factor_challenges', 'two_factor_settings'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', tbl);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant())', tbl);
  END LOOP;
END $$;
GRANT SELECT, INSERT, UPDATE, DELETE ON two_factor_totp TO vaultdesk_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON two_factor_recovery_codes TO vaultdesk_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON two_factor_challenges TO vaultdesk_app;
GRANT SELECT, INSERT, UPDATE ON two_factor_settings TO vaultdesk_app;
