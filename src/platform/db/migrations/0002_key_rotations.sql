-- Key rotation progress: one row per rotation, so an interrupted re-seal resumes where it stopped.
CREATE TABLE key_rotations (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  version integer NOT NULL,
  status text NOT NULL CHECK (status IN ('running', 'completed')),
  resealed bigint NOT NULL DEFAULT 0,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  PRIMARY KEY (tenant_id, version)
);
ALTER TABLE key_rotations ENABLE ROW LEVEL SECURITY;
ALTER TABLE key_rotations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON key_rotations USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT, UPDATE ON key_rotations TO vaultdesk_app;

-- The data-key version a sealed value was written under (bytes 1..4 of the sealed format).
CREATE FUNCTION vd_sealed_version(b bytea) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN b IS NULL THEN NULL ELSE (get_byte(b, 1) << 24) | (get_byte(b, 2) << 16) | (get_byte(b, 3) << 8) | get_byte(b, 4) END
$$;
