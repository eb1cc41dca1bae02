-- Legal holds and retention (src/modules/privacy): a hold on a ticket, a person or an organization
-- keeps every purge, retention run and erasure away from what it covers (a person's: the tickets
-- they requested; an organization's: its tickets) until it is released. Released holds stay, as
-- the record of what was held, by whom and until when. The reason is sealed (it may name people).
CREATE TABLE legal_holds (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  nice_id bigint NOT NULL,
  target_kind text NOT NULL CHECK (target_kind IN ('ticket', 'user', 'organization')),
  target_id uuid NOT NULL,
  reason_sealed bytea NOT NULL,
  created_by uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  released_at timestamptz,
  released_by uuid,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, nice_id)
);
CREATE INDEX legal_holds_active ON legal_holds (tenant_id, target_kind, target_id) WHERE released_at IS NULL;
ALTER TABLE legal_holds ENABLE ROW LEVEL SECURITY;
ALTER TABLE legal_holds FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON legal_holds USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT ON legal_holds TO vaultdesk_app;
GRANT UPDATE (released_at, released_by) ON legal_holds TO vaultdesk_app;

-- A tenant's retention policy: tickets solved or closed more than `solved_days` ago go to the
-- trash (unless they carry an excluded tag or are held), and the trash is emptied after
-- `trash_days`. Without a row: no retention run, and the trash keeps 30 days.
CREATE TABLE retention_policies (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  enabled boolean NOT NULL DEFAULT false,
  solved_days integer NOT NULL DEFAULT 365 CHECK (solved_days BETWEEN 1 AND 36500),
  excluded_tags text[] NOT NULL DEFAULT '{}',
  trash_days integer NOT NULL DEFAULT 30 CHECK (trash_days BETWEEN 1 AND 365),
  last_run_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id)
);
ALTER TABLE retention_policies ENABLE ROW LEVEL SECURITY;
ALTER TABLE retention_policies FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON retention_policies USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT, UPDATE ON retention_policies TO vaultdesk_app;

-- Upkeep that must run once per period whatever the number of server processes: the process that
-- moves a task's turn forward runs it (platform/jobs/job-runner.ts). Not a tenant table: names only.
CREATE TABLE maintenance_turns (
  name text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_.]{0,62}$'),
  last_run timestamptz NOT NULL
);
