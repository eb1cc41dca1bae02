-- Help center: consent settings, consent records, one-time sign-in links for end users, and the
-- language an end user chose. Same invariants as 0001_core.sql and 0006_admin.sql: tenant_id in
-- every key and foreign key, forced row-level security, personal data sealed by the application,
-- secrets stored only as keyed hashes.

-- Consent for the request form. The text is sealed (an admin may write anything in it); the
-- version counts changes of the text, so a consent record can name exactly what was shown.
ALTER TABLE tenant_settings
  ADD COLUMN consent_required boolean NOT NULL DEFAULT false,
  ADD COLUMN consent_text_sealed bytea,
  ADD COLUMN consent_version integer NOT NULL DEFAULT 0;

-- The language an end user chose on the help center (a BCP 47 tag such as ja or zh-CN); the
-- sign-in e-mail is written in it.
ALTER TABLE users ADD COLUMN locale text CHECK (locale IS NULL OR locale ~ '^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$');

-- One row per accepted consent: who, for which request, which text (version, SHA-256 of the text
-- and a sealed copy of it), when, and from which address (sealed).
CREATE TABLE consent_records (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  nice_id bigint NOT NULL,
  user_id uuid NOT NULL,
  ticket_id uuid,
  text_version integer NOT NULL,
  text_sha256 bytea NOT NULL,
  text_sealed bytea NOT NULL,
  ip_sealed bytea,
  accepted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, nice_id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id)
);
CREATE INDEX consent_records_user ON consent_records (tenant_id, user_id, accepted_at);

-- A one-time sign-in link for an end user: a random secret sent by e-mail (or handed over by
-- staff, created_by), stored only as its HMAC. Single use (used_at), short-lived (expires_at).
CREATE TABLE signin_links (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  user_id uuid NOT NULL,
  token_hash bytea NOT NULL,
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, token_hash),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, id)
);
CREATE INDEX signin_links_user ON signin_links (tenant_id, user_id, created_at);

DO $$
DECLARE
  tbl text;
BEGIN
  FOREACH tbl IN ARRAY ARRAY['consent_records', 'signin_links'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', tbl);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant())', tbl);
  END LOOP;
END
$$;

-- Consent records are evidence: the app may add them and re-seal them (key rotation), never
-- change what they say or remove them.
GRANT SELECT, INSERT ON consent_records TO vaultdesk_app;
GRANT UPDATE (text_sealed, ip_sealed) ON consent_records TO vaultdesk_app;
GRANT SELECT, INSERT, UPDATE ON signin_links TO vaultdesk_app;
