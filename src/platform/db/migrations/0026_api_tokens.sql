-- API tokens gain an expiry, a last-used address, and rotation; the tenant's API settings
-- (src/modules/identity/api-tokens-service.ts, api-settings-service.ts).
-- `expires_at`: NULL never expires; past it the token answers 401 like a revoked one.
-- `last_used_ip_sealed`: the client address of the last use, sealed (an address is personal data),
--   written with `last_used_at` at most once a minute per token.
-- Rotation: the new secret's keyed hash replaces `token_hash`; the old one moves to
--   `previous_token_hash` and is accepted until `previous_expires_at` (the overlap). A second
--   rotation overwrites both, which ends the earlier overlap at once.
ALTER TABLE api_tokens
  ADD COLUMN expires_at timestamptz,
  ADD COLUMN last_used_ip_sealed bytea,
  ADD COLUMN previous_token_hash bytea,
  ADD COLUMN previous_expires_at timestamptz,
  ADD COLUMN rotated_at timestamptz,
  ADD CONSTRAINT api_tokens_previous CHECK ((previous_token_hash IS NULL) = (previous_expires_at IS NULL));
CREATE UNIQUE INDEX api_tokens_previous_hash ON api_tokens (tenant_id, previous_token_hash) WHERE previous_token_hash IS NOT NULL;

-- A tenant's API settings, chosen by admins. `password_access`: Basic `email:password` reaches the
-- API (Zendesk's "Password access"); off by default. `id` is the tenant's id.
CREATE TABLE api_settings (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL CHECK (id = tenant_id),
  password_access boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id),
  UNIQUE (tenant_id, id)
);
ALTER TABLE api_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_settings USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT, UPDATE ON api_settings TO vaultdesk_app;
