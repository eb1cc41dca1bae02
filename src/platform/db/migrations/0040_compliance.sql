-- Compliance (src/modules/compliance): a tenant's healthcare mode (HIPAA/HDS). While it is on,
-- no settings change that would break one of the healthcare controls of the posture report is
-- taken. Without a row: off.
CREATE TABLE compliance_settings (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  healthcare_mode boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id)
);
ALTER TABLE compliance_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE compliance_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON compliance_settings USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT, UPDATE ON compliance_settings TO vaultdesk_app;
