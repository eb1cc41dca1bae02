-- Business hours (Zendesk's schedules and holidays): the account's working week and days off,
-- which SLA policies count business time on (modules/sla). Each belongs to the account. A
-- schedule's name and a holiday's name are sealed (a holiday may be named for a person or a
-- customer); the time zone, the intervals (minutes from Sunday 00:00) and the dates are stored in
-- clear: the calendar arithmetic reads them, and they say nothing about anybody.
-- Public ids come from the tenant's counters (vd_next_id's fallback), as the objects made rarely.
CREATE TABLE business_hours_schedules (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  nice_id bigint NOT NULL,
  name_sealed bytea NOT NULL,
  time_zone text NOT NULL CHECK (length(time_zone) BETWEEN 1 AND 64),
  -- [{start_time, end_time}], sorted and merged, at most 64 (checked by the service).
  intervals jsonb NOT NULL CHECK (jsonb_typeof(intervals) = 'array'),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, nice_id)
);

CREATE TABLE business_hours_holidays (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  nice_id bigint NOT NULL,
  schedule_id uuid NOT NULL,
  name_sealed bytea NOT NULL,
  start_date date NOT NULL,
  end_date date NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, nice_id),
  FOREIGN KEY (tenant_id, schedule_id) REFERENCES business_hours_schedules (tenant_id, id) ON DELETE CASCADE,
  CHECK (end_date >= start_date AND end_date - start_date < 366),
  CHECK (start_date >= DATE '1970-01-01' AND end_date <= DATE '2200-12-31')
);
CREATE INDEX business_hours_holidays_schedule ON business_hours_holidays (tenant_id, schedule_id, start_date);

ALTER TABLE business_hours_schedules ENABLE ROW LEVEL SECURITY;
ALTER TABLE business_hours_schedules FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON business_hours_schedules USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON business_hours_schedules TO vaultdesk_app;

ALTER TABLE business_hours_holidays ENABLE ROW LEVEL SECURITY;
ALTER TABLE business_hours_holidays FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON business_hours_holidays USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON business_hours_holidays TO vaultdesk_app;
