-- Account termination (src/modules/admin/termination-service.ts): the owner closes the account.
-- A closed tenant answers no request and takes no mail; its data stays sealed under its keys until
-- `deletes_at`, when the shared upkeep crypto-shreds it (status 'shredded', keys deleted). Closed
-- with mode 'shred_now', it is shredded right after the closing transaction commits (and by the
-- upkeep, should that step not finish). An operator may reopen a closed tenant before then.
ALTER TABLE tenants DROP CONSTRAINT tenants_status_check;
ALTER TABLE tenants ADD CONSTRAINT tenants_status_check CHECK (status IN ('active', 'closed', 'shredded'));
ALTER TABLE tenants ADD COLUMN closed_at timestamptz;
ALTER TABLE tenants ADD COLUMN deletes_at timestamptz;
ALTER TABLE tenants ADD COLUMN termination_mode text CHECK (termination_mode IN ('delete_after_grace', 'shred_now'));
ALTER TABLE tenants ADD CONSTRAINT tenants_closed_has_dates CHECK (status <> 'closed' OR (closed_at IS NOT NULL AND deletes_at IS NOT NULL AND termination_mode IS NOT NULL));
CREATE INDEX tenants_closed_due ON tenants (deletes_at) WHERE status = 'closed';

-- Closes the calling tenant (its own row only; the app role has no UPDATE on tenants). Refuses
-- only an active tenant, so two concurrent requests close it once: returns whether it closed it.
-- Runs as its owner.
CREATE FUNCTION vd_close_tenant(p_closed_at timestamptz, p_deletes_at timestamptz, p_mode text) RETURNS boolean LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  t uuid := vd_tenant();
BEGIN
  IF t IS NULL THEN
    RAISE EXCEPTION 'no tenant context';
  END IF;
  UPDATE tenants SET status = 'closed', closed_at = p_closed_at, deletes_at = p_deletes_at, termination_mode = p_mode
    WHERE id = t AND status = 'active';
  RETURN FOUND;
END
$$;
REVOKE ALL ON FUNCTION vd_close_tenant(timestamptz, timestamptz, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vd_close_tenant(timestamptz, timestamptz, text) TO vaultdesk_app;
