-- Data exports (src/modules/exports): a person's export (right of access and portability, a ZIP)
-- and a tenant's exports of tickets, users or organizations (CSV or JSON). The file itself is a
-- sealed blob (purpose `exports`, id = the row's id), never stored in clear; this row says whose it
-- is, how far the job got, and when its single-use download link was used or expired. `params`
-- holds field names and a time range only (no personal data). Rows stay as the record of what was
-- exported, by whom and when; the blob goes after its download or its expiry.
CREATE TABLE data_exports (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  nice_id bigint NOT NULL,
  kind text NOT NULL CHECK (kind IN ('person', 'tenant')),
  subject_user_id uuid,
  resource text CHECK (resource IN ('tickets', 'users', 'organizations')),
  format text NOT NULL CHECK (format IN ('zip', 'csv', 'json')),
  params jsonb NOT NULL DEFAULT '{}',
  requested_by uuid NOT NULL,
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'working', 'ready', 'failed')),
  rows_done integer NOT NULL DEFAULT 0,
  bytes bigint,
  created_at timestamptz NOT NULL DEFAULT now(),
  ready_at timestamptz,
  expires_at timestamptz,
  downloaded_at timestamptz,
  blob_removed_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, nice_id),
  CHECK ((kind = 'person') = (subject_user_id IS NOT NULL)),
  CHECK ((kind = 'tenant') = (resource IS NOT NULL))
);
CREATE INDEX data_exports_upkeep ON data_exports (tenant_id, expires_at) WHERE blob_removed_at IS NULL;
ALTER TABLE data_exports ENABLE ROW LEVEL SECURITY;
ALTER TABLE data_exports FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON data_exports USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT ON data_exports TO vaultdesk_app;
GRANT UPDATE (status, rows_done, bytes, ready_at, expires_at, downloaded_at, blob_removed_at) ON data_exports TO vaultdesk_app;
