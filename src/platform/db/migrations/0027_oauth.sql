-- OAuth 2.0 for third-party clients (src/modules/identity/oauth-*.ts).
--
-- A client is registered by an admin: a descriptive name and an identifier (the client_id), both
-- unique among the tenant's live clients, the exact redirect URIs it may use, and its kind: a
-- public client (an app on a device) proves itself with PKCE only; a confidential one also with a
-- secret, stored as a keyed hash (shown once). A deleted client keeps its row (deleted_at) so its
-- grants' history stays readable; its grants are revoked with it.
CREATE TABLE oauth_clients (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  nice_id bigint NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
  identifier text NOT NULL CHECK (identifier ~ '^[a-z0-9][a-z0-9_.-]{0,99}$'),
  description text NOT NULL DEFAULT '',
  company text NOT NULL DEFAULT '',
  redirect_uris text[] NOT NULL CHECK (cardinality(redirect_uris) BETWEEN 1 AND 10),
  kind text NOT NULL CHECK (kind IN ('public', 'confidential')),
  secret_hash bytea,
  created_by uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, nice_id),
  CHECK ((kind = 'confidential') = (secret_hash IS NOT NULL)),
  FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, id)
);
CREATE UNIQUE INDEX oauth_clients_identifier ON oauth_clients (tenant_id, identifier) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX oauth_clients_name ON oauth_clients (tenant_id, lower(name)) WHERE deleted_at IS NULL;

-- A grant: one person's consent to one client for some scopes. Every code, access token and
-- refresh token descends from one grant (the token family): revoking the grant ends them all. The
-- person's role at consent is kept; a token of a grant made under another role is refused.
CREATE TABLE oauth_grants (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  nice_id bigint NOT NULL,
  client_id uuid NOT NULL,
  user_id uuid NOT NULL,
  user_role text NOT NULL CHECK (user_role IN ('owner', 'admin', 'agent', 'light_agent', 'end_user')),
  scopes text[] NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  tokens_issued_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz,
  revoked_reason text CHECK (revoked_reason IN ('revoked', 'code_reused', 'refresh_token_reused', 'client_deleted', 'access_ended')),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, nice_id),
  FOREIGN KEY (tenant_id, client_id) REFERENCES oauth_clients (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX oauth_grants_user ON oauth_grants (tenant_id, user_id);
CREATE INDEX oauth_grants_client ON oauth_grants (tenant_id, client_id);

-- Authorization codes (keyed hash): ten minutes at most, single use, bound to their grant, the
-- redirect URI and the PKCE challenge (S256 only).
CREATE TABLE oauth_codes (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  grant_id uuid NOT NULL,
  code_hash bytea NOT NULL,
  redirect_uri text NOT NULL,
  code_challenge text NOT NULL CHECK (code_challenge ~ '^[A-Za-z0-9_-]{43}$'),
  code_challenge_method text NOT NULL CHECK (code_challenge_method = 'S256'),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, code_hash),
  FOREIGN KEY (tenant_id, grant_id) REFERENCES oauth_grants (tenant_id, id)
);
CREATE INDEX oauth_codes_grant ON oauth_codes (tenant_id, grant_id);

-- Access and refresh tokens (keyed hash), each with its scopes (the grant's, or fewer when a refresh
-- asked for fewer). A refresh token is used once: `used_at` marks it rotated, and presenting it
-- again revokes its grant (reuse detection).
CREATE TABLE oauth_tokens (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  grant_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('access', 'refresh')),
  token_hash bytea NOT NULL,
  scopes text[] NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, token_hash),
  FOREIGN KEY (tenant_id, grant_id) REFERENCES oauth_grants (tenant_id, id)
);
CREATE INDEX oauth_tokens_grant ON oauth_tokens (tenant_id, grant_id);

DO $$
DECLARE tbl text;
BEGIN
  FOREACH tbl IN ARRAY ARRAY['oauth_clients', 'oauth_grants', 'oauth_codes', 'oauth_tokens'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', tbl);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant())', tbl);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE ON %I TO vaultdesk_app', tbl);
  END LOOP;
END $$;
