-- How often each macro is used (Zendesk's usage_1h, usage_24h, usage_7d and usage_30d): one row
-- per macro and hour in which it was used, counting the ticket updates that named it in
-- `macro_ids`. A window's count sums at most 720 rows of one macro, and a list sums the rows of the
-- macros it shows through the primary key; rows older than the longest window (30 days) are deleted
-- by the macros' upkeep. A macro's rows go with it. Nothing here is sealed: ids and counts only.
CREATE TABLE macro_usage (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  macro_id uuid NOT NULL,
  hour timestamptz NOT NULL,
  uses integer NOT NULL CHECK (uses > 0),
  PRIMARY KEY (tenant_id, macro_id, hour),
  FOREIGN KEY (tenant_id, macro_id) REFERENCES macros (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX macro_usage_hour ON macro_usage (tenant_id, hour);

ALTER TABLE macro_usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE macro_usage FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON macro_usage USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON macro_usage TO vaultdesk_app;
