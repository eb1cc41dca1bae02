-- Passkeys (WebAuthn): a person's credentials and the challenges of registration and sign-in
-- (src/modules/identity/passkeys-service.ts).
-- The credential id is what an authenticator names a credential by: it is found through a keyed
-- blind index (`credential_bidx`) and kept sealed, so a dump names no usable credential; the public
-- key and the person's name for the passkey are sealed too. `sign_count` is the authenticator's
-- counter at the last accepted assertion (a value that does not grow means a cloned authenticator).
CREATE TABLE passkeys (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  user_id uuid NOT NULL,
  credential_bidx bytea NOT NULL,
  credential_id_sealed bytea NOT NULL,
  public_key_sealed bytea NOT NULL,
  name_sealed bytea NOT NULL,
  sign_count bigint NOT NULL DEFAULT 0 CHECK (sign_count >= 0),
  transports text[] NOT NULL DEFAULT '{}',
  device_type text NOT NULL CHECK (device_type IN ('singleDevice', 'multiDevice')),
  backed_up boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, credential_bidx),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX passkeys_user ON passkeys (tenant_id, user_id);

-- A challenge handed to a browser, stored as a keyed hash: five minutes, single use, bound to its
-- tenant, to its purpose and (registration, second factor) to its person.
CREATE TABLE webauthn_challenges (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  purpose text NOT NULL CHECK (purpose IN ('registration', 'second_factor', 'passwordless')),
  user_id uuid,
  challenge_hash bytea NOT NULL,
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, challenge_hash),
  CHECK ((purpose = 'passwordless') = (user_id IS NULL)),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX webauthn_challenges_expiry ON webauthn_challenges (tenant_id, expires_at);

DO $$
DECLARE tbl text;
BEGIN
  FOREACH tbl IN ARRAY ARRAY['passkeys', 'webauthn_challenges'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', tbl);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant())', tbl);
  END LOOP;
END $$;
GRANT SELECT, INSERT, UPDATE, DELETE ON passkeys TO vaultdesk_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON webauthn_challenges TO vaultdesk_app;
