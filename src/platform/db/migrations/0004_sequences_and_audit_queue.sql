-- Writes of one tenant no longer serialize on shared rows.
--
-- 1. Public ids come from per-tenant sequences instead of counter rows. A counter row is locked
--    from the insert that takes a number until COMMIT's WAL flush, so every create of a tenant
--    waited for the previous one to flush. nextval() takes no lock that lasts to commit. The cost:
--    a transaction that rolls back after taking a number leaves a gap (as ids do in Zendesk);
--    numbers stay unique and increase in the order they are taken.
--    The sequences live in schema vd_seq, which the app role cannot use: it reaches its own
--    tenant's sequences only through vd_next_id(), which derives the name from app.tenant_id.
--    Names not in vd_seq_names() keep using the counter table (rare objects, no contention).
--
-- 2. Audit entries are queued with the change they record (same transaction, no lock) and an
--    audit chainer links queued entries into the tenant's hash chain shortly after commit
--    (vd_audit_chain, one chainer per tenant at a time under the chain head's row lock). The chain
--    head is therefore no longer held through request commits. See docs/security-model.md for the
--    window in which a committed entry is queued but not yet chained.

CREATE SCHEMA vd_seq;
REVOKE ALL ON SCHEMA vd_seq FROM PUBLIC;

CREATE FUNCTION vd_seq_names() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY['tickets', 'ticket_audits', 'ticket_comments', 'users', 'organizations', 'groups',
    'group_memberships', 'api_tokens', 'job_statuses']
$$;

CREATE FUNCTION vd_seq_relname(p_tenant uuid, p_name text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT 't' || replace(p_tenant::text, '-', '') || '_' || p_name
$$;

-- Creates a tenant's sequences, each starting after the counter's current value. Owner only.
CREATE FUNCTION vd_create_tenant_sequences(p_tenant uuid) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  n text;
  start bigint;
BEGIN
  FOREACH n IN ARRAY vd_seq_names() LOOP
    SELECT coalesce(max(value), 0) + 1 INTO start FROM tenant_counters WHERE tenant_id = p_tenant AND name = n;
    IF start IS NULL THEN start := 1; END IF;
    EXECUTE format('CREATE SEQUENCE IF NOT EXISTS vd_seq.%I AS bigint START WITH %s', vd_seq_relname(p_tenant, n), start);
  END LOOP;
END
$$;
REVOKE ALL ON FUNCTION vd_create_tenant_sequences(uuid) FROM PUBLIC;

DO $$
DECLARE
  t uuid;
BEGIN
  FOR t IN SELECT id FROM tenants LOOP
    -- tenant_counters has FORCE row-level security: read it in each tenant's context.
    PERFORM set_config('app.tenant_id', t::text, true);
    PERFORM vd_create_tenant_sequences(t);
  END LOOP;
  PERFORM set_config('app.tenant_id', '', true);
END
$$;

-- Runs as its owner so it can reach vd_seq; the tenant comes from the transaction's context only.
CREATE OR REPLACE FUNCTION vd_next_id(p_name text) RETURNS bigint LANGUAGE plpgsql VOLATILE
SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  t uuid := vd_tenant();
  v bigint;
BEGIN
  IF t IS NULL THEN
    RAISE EXCEPTION 'no tenant context';
  END IF;
  IF p_name = ANY (vd_seq_names()) THEN
    RETURN nextval(('vd_seq.' || vd_seq_relname(t, p_name))::regclass);
  END IF;
  INSERT INTO tenant_counters AS c (tenant_id, name, value) VALUES (t, p_name, 1)
  ON CONFLICT (tenant_id, name) DO UPDATE SET value = c.value + 1
  RETURNING value INTO v;
  RETURN v;
END
$$;
REVOKE ALL ON FUNCTION vd_next_id(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vd_next_id(text) TO vaultdesk_app;

-- Audit entries waiting to be chained. Written by requests (INSERT only); read and removed only
-- by vd_audit_chain, which moves them into audit_log in one transaction.
CREATE TABLE audit_queue (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  qid bigint GENERATED ALWAYS AS IDENTITY,
  id uuid NOT NULL,
  occurred_at timestamptz NOT NULL,
  actor_kind text NOT NULL,
  actor_id text NOT NULL,
  action text NOT NULL,
  resource_type text NOT NULL,
  resource_id text NOT NULL,
  fields text NOT NULL,
  ip_sealed bytea,
  request_id text NOT NULL,
  PRIMARY KEY (tenant_id, qid)
);
ALTER TABLE audit_queue ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_queue FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_queue USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT INSERT ON audit_queue TO vaultdesk_app;

-- Queues entries (a JSON array, as vd_audit_append took them) for the calling tenant.
CREATE FUNCTION vd_audit_enqueue(p_entries jsonb) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  t uuid := vd_tenant();
BEGIN
  IF t IS NULL THEN
    RAISE EXCEPTION 'no tenant context';
  END IF;
  INSERT INTO audit_queue (tenant_id, id, occurred_at, actor_kind, actor_id, action, resource_type,
    resource_id, fields, ip_sealed, request_id)
  SELECT t, (e ->> 'id')::uuid, clock_timestamp(), e ->> 'actor_kind', e ->> 'actor_id', e ->> 'action',
    e ->> 'resource_type', e ->> 'resource_id', e ->> 'fields',
    CASE WHEN e ->> 'ip' IS NULL THEN NULL ELSE decode(e ->> 'ip', 'hex') END, e ->> 'request_id'
  FROM jsonb_array_elements(p_entries) WITH ORDINALITY AS x(e, n)
  ORDER BY n;
END
$$;

-- Links up to p_limit committed queued entries of the calling tenant into its chain, in queue
-- order. Returns how many it chained. When another chainer holds the chain head it waits for it
-- (p_wait, used before reading the log) or returns -1 at once (the background chainer, which
-- retries shortly). Runs as its owner: the app role can neither read nor delete the queue.
CREATE FUNCTION vd_audit_chain(p_limit integer, p_wait boolean) RETURNS integer LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  t uuid := vd_tenant();
  s bigint;
  h bytea;
  r record;
  done bigint[] := '{}';
BEGIN
  IF t IS NULL THEN
    RAISE EXCEPTION 'no tenant context';
  END IF;
  IF p_wait THEN
    SELECT seq, hash INTO s, h FROM audit_heads WHERE tenant_id = t FOR UPDATE;
  ELSE
    SELECT seq, hash INTO s, h FROM audit_heads WHERE tenant_id = t FOR UPDATE SKIP LOCKED;
  END IF;
  IF NOT FOUND THEN
    IF EXISTS (SELECT 1 FROM audit_heads WHERE tenant_id = t) THEN
      RETURN -1;
    END IF;
    RAISE EXCEPTION 'audit chain not initialised';
  END IF;
  FOR r IN SELECT * FROM audit_queue WHERE tenant_id = t ORDER BY qid LIMIT p_limit LOOP
    s := s + 1;
    h := sha256(h || convert_to(vd_audit_canonical(s, r.occurred_at, r.id, r.actor_kind, r.actor_id,
      r.action, r.resource_type, r.resource_id, r.fields, r.ip_sealed, r.request_id), 'UTF8'));
    INSERT INTO audit_log (tenant_id, seq, id, occurred_at, actor_kind, actor_id, action,
      resource_type, resource_id, fields, ip_sealed, request_id, hash)
    VALUES (t, s, r.id, r.occurred_at, r.actor_kind, r.actor_id, r.action, r.resource_type,
      r.resource_id, r.fields, r.ip_sealed, r.request_id, h);
    done := done || r.qid;
  END LOOP;
  IF cardinality(done) > 0 THEN
    DELETE FROM audit_queue WHERE tenant_id = t AND qid = ANY (done);
    UPDATE audit_heads SET seq = s, hash = h WHERE tenant_id = t;
  END IF;
  RETURN cardinality(done);
END
$$;
REVOKE ALL ON FUNCTION vd_audit_chain(integer, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vd_audit_chain(integer, boolean) TO vaultdesk_app;

-- The chainer's sweep (after a restart, or for entries another process queued) lists the
-- tenants with waiting entries through the owner role; row-level security is forced on the
-- queue, so the owner gets a read-only policy of its own. The queue holds no content: names of
-- actions and fields, and client addresses sealed.
DO $$
BEGIN
  EXECUTE format('CREATE POLICY chainer_sweep ON audit_queue FOR SELECT TO %I USING (true)', current_user);
END
$$;

-- One path for audit entries: vd_audit_enqueue. Appending under the head's lock is gone.
DROP FUNCTION vd_audit_append(jsonb);
