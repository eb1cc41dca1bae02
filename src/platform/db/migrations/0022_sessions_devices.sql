-- Sessions and devices (the Sessions API, src/modules/identity/sessions-service.ts).
-- A session gains a per-tenant number for the API (`nice_id`, from the tenant's counter table:
-- sign-ins are rare next to tickets), the browser's User-Agent header sealed (personal data: the
-- browser and OS names shown in the device list are parsed from it when it is read), and a device
-- fingerprint: an HMAC, under a key derived from the master key, of the user, the browser family,
-- the OS family and the client's network (IPv4 /16, IPv6 /32). It answers only "was this device
-- seen before" and reveals nothing in a dump.
ALTER TABLE sessions
  ADD COLUMN nice_id bigint,
  ADD COLUMN user_agent_sealed bytea,
  ADD COLUMN device_hash bytea;

-- Sessions that exist before this migration are numbered in the order they began, tenant by
-- tenant (the tables have forced row-level security, which also binds an owner that is not a
-- superuser), and each tenant's counter continues from there.
DO $$
DECLARE
  t uuid;
BEGIN
  FOR t IN SELECT id FROM tenants LOOP
    PERFORM set_config('app.tenant_id', t::text, true);
    UPDATE sessions s SET nice_id = n.rn
      FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS rn FROM sessions WHERE tenant_id = t) n
      WHERE s.tenant_id = t AND s.id = n.id;
    INSERT INTO tenant_counters (tenant_id, name, value)
      SELECT t, 'sessions', max(nice_id) FROM sessions WHERE tenant_id = t HAVING max(nice_id) IS NOT NULL
      ON CONFLICT (tenant_id, name) DO UPDATE SET value = GREATEST(tenant_counters.value, EXCLUDED.value);
  END LOOP;
  PERFORM set_config('app.tenant_id', '', true);
END
$$;
ALTER TABLE sessions ALTER COLUMN nice_id SET NOT NULL;
ALTER TABLE sessions ADD CONSTRAINT sessions_nice_id UNIQUE (tenant_id, nice_id);
CREATE INDEX sessions_user ON sessions (tenant_id, user_id, created_at DESC);

-- A tenant's session lengths, chosen by admins. NULL follows the process-wide defaults
-- (VAULTDESK_SESSION_IDLE_MINUTES, VAULTDESK_SESSION_MAX_HOURS). `id` is the tenant's id.
CREATE TABLE session_settings (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL CHECK (id = tenant_id),
  idle_minutes integer CHECK (idle_minutes BETWEEN 5 AND 1440),
  max_hours integer CHECK (max_hours BETWEEN 1 AND 720),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id),
  UNIQUE (tenant_id, id)
);
ALTER TABLE session_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE session_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON session_settings USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT, UPDATE ON session_settings TO vaultdesk_app;
