-- SLA policies (Zendesk's service level agreements): targets for the account's replies and the
-- time its tickets wait, per priority (modules/sla). Each belongs to the account. The title,
-- description and filter are sealed (a filter may name a customer's tags or custom field values);
-- the metric rows (priority, metric, minutes, business hours) and the position are clear. Public
-- ids come from the tenant's counter table (0004: rare objects keep it), so this migration leaves
-- vd_seq_names() as it is.
CREATE TABLE sla_policies (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  nice_id bigint NOT NULL,
  title_sealed bytea NOT NULL,
  description_sealed bytea,
  filter_sealed bytea NOT NULL,
  policy_metrics jsonb NOT NULL DEFAULT '[]'::jsonb,
  position integer NOT NULL CHECK (position BETWEEN 0 AND 100000),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, nice_id)
);
CREATE INDEX sla_policies_position ON sla_policies (tenant_id, position);

-- The policy applied to a ticket (none: NULL; a deleted policy leaves its tickets without one until
-- their next write), and the earliest breach among its active metrics, for views' order.
ALTER TABLE tickets
  ADD COLUMN sla_policy_id uuid,
  ADD COLUMN sla_next_breach_at timestamptz;
-- (Deleting a policy clears it from its tickets first: modules/sla.)
ALTER TABLE tickets ADD FOREIGN KEY (tenant_id, sla_policy_id) REFERENCES sla_policies (tenant_id, id);
CREATE INDEX tickets_sla_next_breach ON tickets (tenant_id, sla_next_breach_at) WHERE deleted_at IS NULL;

-- Each ticket's metric state (ids and times only): when the metric's current stretch began
-- (`activated_at`; cumulative metrics: when it first ran), when it was fulfilled, the running
-- stretch of a cumulative metric (`running_since`, NULL while paused) and the minutes of its
-- earlier stretches (calendar and on the default schedule), the computed breach and stage.
CREATE TABLE ticket_sla_metrics (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  ticket_id uuid NOT NULL,
  metric text NOT NULL CHECK (metric IN ('first_reply_time', 'next_reply_time', 'periodic_update_time', 'requester_wait_time', 'agent_work_time')),
  activated_at timestamptz,
  fulfilled_at timestamptz,
  running_since timestamptz,
  elapsed_minutes double precision NOT NULL DEFAULT 0,
  elapsed_business_minutes double precision NOT NULL DEFAULT 0,
  breach_at timestamptz,
  stage text CHECK (stage IN ('active', 'paused', 'achieved')),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, ticket_id, metric),
  FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id) ON DELETE CASCADE
);

-- Views may be ordered by the next breach (soonest first).
ALTER TABLE views DROP CONSTRAINT IF EXISTS views_sort_by_check;
ALTER TABLE views ADD CONSTRAINT views_sort_by_check CHECK (sort_by IN ('updated_at', 'created_at', 'priority', 'status', 'id', 'sla_next_breach_at'));

ALTER TABLE sla_policies ENABLE ROW LEVEL SECURITY;
ALTER TABLE sla_policies FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sla_policies USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON sla_policies TO vaultdesk_app;

ALTER TABLE ticket_sla_metrics ENABLE ROW LEVEL SECURITY;
ALTER TABLE ticket_sla_metrics FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON ticket_sla_metrics USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON ticket_sla_metrics TO vaultdesk_app;
