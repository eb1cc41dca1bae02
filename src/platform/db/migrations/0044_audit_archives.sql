-- Audit archiving (src/modules/audit/audit-archive.ts): entries older than the tenant's hot period
-- are written, in chain order, to a sealed file (the blob store's `audit` purpose); once an archive
-- is older than the purge delay and its file has been read back and re-verified, its entries are
-- deleted from audit_log by vd_audit_purge. The archive rows stay: `prev_hash` and `last_hash` tie
-- each file into the chain, so verification starts after the last purged archive's `last_hash`.
CREATE TABLE audit_archives (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  nice_id bigint NOT NULL,
  first_seq bigint NOT NULL CHECK (first_seq >= 1),
  last_seq bigint NOT NULL,
  first_at timestamptz NOT NULL,
  last_at timestamptz NOT NULL,
  prev_hash bytea NOT NULL,
  last_hash bytea NOT NULL,
  entries integer NOT NULL CHECK (entries = last_seq - first_seq + 1),
  sha256 bytea NOT NULL,
  bytes bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  verified_at timestamptz,
  purged_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, nice_id),
  UNIQUE (tenant_id, first_seq),
  CHECK (last_seq >= first_seq)
);
ALTER TABLE audit_archives ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_archives FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_archives USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT ON audit_archives TO vaultdesk_app;
GRANT UPDATE (verified_at) ON audit_archives TO vaultdesk_app;

-- How long entries stay in the database before they are archived, and how long after archiving
-- they are deleted from it (the retention policy's; without a row, 90 and 30).
ALTER TABLE retention_policies ADD COLUMN audit_hot_days integer NOT NULL DEFAULT 90 CHECK (audit_hot_days BETWEEN 7 AND 3650);
ALTER TABLE retention_policies ADD COLUMN audit_purge_days integer NOT NULL DEFAULT 30 CHECK (audit_purge_days BETWEEN 0 AND 3650);

-- audit_log stays append-only for everyone, the owner too, except inside vd_audit_purge, which
-- marks its own transaction (a setting local to it) for its tenant's rows only.
CREATE OR REPLACE FUNCTION vd_audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF current_setting('vd.audit_purge', true) = OLD.tenant_id::text THEN
      RETURN OLD;
    END IF;
  END IF;
  RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;

-- Deletes the calling tenant's entries up to p_through, which must be the last entry of a verified
-- archive whose first entry follows the last purged one (archives are purged in order) and whose
-- last hash is the chain's at that entry. Returns how many entries it deleted. Runs as its owner:
-- the app role has no DELETE on audit_log.
CREATE FUNCTION vd_audit_purge(p_through bigint) RETURNS integer LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  t uuid := vd_tenant();
  a record;
  n integer;
  lo bigint;
BEGIN
  IF t IS NULL THEN
    RAISE EXCEPTION 'no tenant context';
  END IF;
  SELECT * INTO a FROM audit_archives WHERE tenant_id = t AND last_seq = p_through AND verified_at IS NOT NULL AND purged_at IS NULL FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'no verified archive ends at entry %', p_through;
  END IF;
  SELECT coalesce(max(last_seq), 0) + 1 INTO lo FROM audit_archives WHERE tenant_id = t AND purged_at IS NOT NULL;
  IF a.first_seq <> lo THEN
    RAISE EXCEPTION 'archives are purged in order: entry % comes next', lo;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM audit_log WHERE tenant_id = t AND seq = a.last_seq AND hash = a.last_hash) THEN
    RAISE EXCEPTION 'the archive does not end at the chain''s entry %', a.last_seq;
  END IF;
  PERFORM set_config('vd.audit_purge', t::text, true);
  DELETE FROM audit_log WHERE tenant_id = t AND seq BETWEEN a.first_seq AND a.last_seq;
  GET DIAGNOSTICS n = ROW_COUNT;
  PERFORM set_config('vd.audit_purge', '', true);
  UPDATE audit_archives SET purged_at = now() WHERE tenant_id = t AND id = a.id;
  RETURN n;
END
$$;
REVOKE ALL ON FUNCTION vd_audit_purge(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vd_audit_purge(bigint) TO vaultdesk_app;
