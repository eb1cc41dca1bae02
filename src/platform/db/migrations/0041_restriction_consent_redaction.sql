-- Restriction of processing (GDPR art. 18) and objection: while `restricted_at` is set, the person
-- gets no automated mail and no automated processing (src/modules/users/users-restriction.ts,
-- docs/privacy.md). The reason is sealed (it may name people). Lifting clears both; the audit trail
-- keeps who restricted and lifted, and when.
ALTER TABLE users ADD COLUMN restricted_at timestamptz;
ALTER TABLE users ADD COLUMN restriction_reason_sealed bytea;
ALTER TABLE users ADD CONSTRAINT users_restriction_reason CHECK ((restricted_at IS NULL) = (restriction_reason_sealed IS NULL));

-- Withdrawals of consent, recorded like consent: which consent record, when, through which way
-- (the person in the help center, or staff on their behalf) and by whom. Evidence: never changed
-- or removed by the app; a withdrawal goes only with its consent record (erasure of the person).
CREATE TABLE consent_withdrawals (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  nice_id bigint NOT NULL,
  consent_record_id uuid NOT NULL,
  user_id uuid NOT NULL,
  via text NOT NULL CHECK (via IN ('help_center', 'staff')),
  withdrawn_by uuid,
  withdrawn_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, nice_id),
  UNIQUE (tenant_id, consent_record_id),
  FOREIGN KEY (tenant_id, consent_record_id) REFERENCES consent_records (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, withdrawn_by) REFERENCES users (tenant_id, id)
);
CREATE INDEX consent_withdrawals_user ON consent_withdrawals (tenant_id, user_id, withdrawn_at);
ALTER TABLE consent_withdrawals ENABLE ROW LEVEL SECURITY;
ALTER TABLE consent_withdrawals FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON consent_withdrawals USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT ON consent_withdrawals TO vaultdesk_app;

-- A tenant's automatic redaction beside card numbers (always on): IBANs and national identity
-- numbers of the listed countries. Without a row: cards only.
CREATE TABLE redaction_settings (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  iban boolean NOT NULL DEFAULT false,
  national_ids text[] NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id)
);
ALTER TABLE redaction_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE redaction_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON redaction_settings USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT, UPDATE ON redaction_settings TO vaultdesk_app;
