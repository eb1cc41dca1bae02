-- Single sign-on (SAML, OpenID Connect, JWT) and passkeys: the shared tables
-- (src/modules/identity/sso-service.ts). Each protocol keeps its own settings in one sealed JSON
-- document per tenant and kind (IdP certificates, client secrets, shared JWT secrets are
-- credentials), validated by the protocol's module when it is read or written.
ALTER TABLE sessions DROP CONSTRAINT sessions_method_check;
ALTER TABLE sessions ADD CONSTRAINT sessions_method_check
  CHECK (method IN ('password', 'link', 'invitation', 'passkey', 'saml', 'oidc', 'jwt'));

CREATE TABLE sso_providers (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('saml', 'oidc', 'jwt')),
  enabled boolean NOT NULL DEFAULT false,
  config_sealed bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, kind)
);

-- Who signs in how, per tenant (`id` is the tenant's id). `staff_provider`/`end_user_provider`
-- name the enabled provider each group is sent to (NULL: none). `*_sso_only` turns password
-- sign-in, password reset and e-mailed sign-in links off for that group; the account owner keeps
-- a password-plus-second-factor way in. `role_attribute` names the claim or attribute whose
-- value maps to a role through `role_map` ({"admin": ["…"], "agent": […], …}); NULL leaves roles
-- to Vaultdesk. `jit_users`: a person the IdP vouches for and Vaultdesk does not know yet is
-- created at first sign-in (as an end user, or the mapped role).
CREATE TABLE sso_settings (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL CHECK (id = tenant_id),
  staff_provider text CHECK (staff_provider IN ('saml', 'oidc', 'jwt')),
  end_user_provider text CHECK (end_user_provider IN ('saml', 'oidc', 'jwt')),
  staff_sso_only boolean NOT NULL DEFAULT false,
  end_users_sso_only boolean NOT NULL DEFAULT false,
  jit_users boolean NOT NULL DEFAULT true,
  role_attribute text CHECK (length(role_attribute) BETWEEN 1 AND 200),
  role_map jsonb NOT NULL DEFAULT '{}'::jsonb,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id),
  UNIQUE (tenant_id, id)
);

-- A person's identity at a provider: the subject (SAML NameID, OIDC `iss`+`sub`, JWT
-- `external_id`), found by a blind index and kept sealed, so a changed e-mail address at the IdP
-- still finds the same person.
CREATE TABLE sso_identities (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  user_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('saml', 'oidc', 'jwt')),
  subject_bidx bytea NOT NULL,
  subject_sealed bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, kind, subject_bidx),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX sso_identities_user ON sso_identities (tenant_id, user_id);

-- A sign-in sent to an identity provider and not yet back: the OIDC `state` or the SAML request
-- id as a keyed hash, and what the answer must match (nonce, PKCE verifier, where to return)
-- sealed. Used once; a few minutes long.
CREATE TABLE sso_requests (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('saml', 'oidc', 'jwt')),
  key_hash bytea NOT NULL,
  payload_sealed bytea NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, kind, key_hash)
);
CREATE INDEX sso_requests_expiry ON sso_requests (tenant_id, expires_at);

-- Replay cache: every SAML assertion id and JWT `jti` accepted, as a keyed hash, until it
-- expires. In the database, so that it holds across several server processes.
CREATE TABLE sso_replays (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  kind text NOT NULL CHECK (kind IN ('saml', 'oidc', 'jwt')),
  key_hash bytea NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, kind, key_hash)
);
CREATE INDEX sso_replays_expiry ON sso_replays (tenant_id, expires_at);

DO $$
DECLARE tbl text;
BEGIN
  FOREACH tbl IN ARRAY ARRAY['sso_providers', 'sso_settings', 'sso_identities', 'sso_requests', 'sso_replays'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', tbl);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant())', tbl);
  END LOOP;
END $$;
GRANT SELECT, INSERT, UPDATE ON sso_providers TO vaultdesk_app;
GRANT SELECT, INSERT, UPDATE ON sso_settings TO vaultdesk_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON sso_identities TO vaultdesk_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON sso_requests TO vaultdesk_app;
GRANT SELECT, INSERT, DELETE ON sso_replays TO vaultdesk_app;
