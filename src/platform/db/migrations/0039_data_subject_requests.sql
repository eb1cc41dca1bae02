-- Data subject requests (GDPR articles 15–21, CCPA): a person's request about their data, the
-- deadline its regime sets, who verified the person and how, and every step until it is completed
-- or rejected (src/modules/privacy/dsr-*.ts). The request only records the work: exports and
-- erasure are done elsewhere. The person's address and every note are sealed (personal data).
CREATE TABLE data_subject_requests (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  nice_id bigint NOT NULL,
  kind text NOT NULL CHECK (kind IN ('access', 'portability', 'rectification', 'erasure', 'restriction', 'objection')),
  regime text NOT NULL CHECK (regime IN ('gdpr', 'ccpa')),
  status text NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'verifying', 'in_progress', 'completed', 'rejected')),
  source text NOT NULL CHECK (source IN ('staff', 'self')),
  subject_user_id uuid,
  subject_email_sealed bytea,
  note_sealed bytea,
  resolution_sealed bytea,
  assignee_id uuid,
  verification_method text CHECK (verification_method IN ('signed_in_session', 'email_link', 'id_document', 'other')),
  verified_by uuid,
  verified_at timestamptz,
  created_by uuid,
  created_at timestamptz NOT NULL,
  due_at timestamptz NOT NULL,
  closed_at timestamptz,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, nice_id),
  CHECK (subject_user_id IS NOT NULL OR subject_email_sealed IS NOT NULL)
);
CREATE INDEX data_subject_requests_open ON data_subject_requests (tenant_id, due_at) WHERE status NOT IN ('completed', 'rejected');
CREATE INDEX data_subject_requests_subject ON data_subject_requests (tenant_id, subject_user_id);
ALTER TABLE data_subject_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE data_subject_requests FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON data_subject_requests USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT ON data_subject_requests TO vaultdesk_app;
-- Sealed columns are updatable for key rotation's re-sealing.
GRANT UPDATE (status, assignee_id, subject_email_sealed, note_sealed, resolution_sealed, verification_method, verified_by, verified_at, closed_at, updated_at) ON data_subject_requests TO vaultdesk_app;

-- Every step of a request, append-only: the evidence of how and when it was answered.
CREATE TABLE data_subject_request_events (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  request_id uuid NOT NULL,
  step integer NOT NULL CHECK (step >= 1),
  action text NOT NULL CHECK (action IN ('created', 'verified', 'status_changed', 'assigned', 'noted')),
  from_status text,
  to_status text,
  detail text CHECK (detail IS NULL OR detail ~ '^[a-z0-9_]{1,40}$'),
  note_sealed bytea,
  actor_id uuid,
  at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, request_id, step),
  FOREIGN KEY (tenant_id, request_id) REFERENCES data_subject_requests (tenant_id, id)
);
ALTER TABLE data_subject_request_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE data_subject_request_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON data_subject_request_events USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT ON data_subject_request_events TO vaultdesk_app;
GRANT UPDATE (note_sealed) ON data_subject_request_events TO vaultdesk_app;

-- A tenant's deadlines: days from a request's creation to its due date, per regime. Without a row:
-- GDPR 30 days, CCPA 45 days, new requests under GDPR.
CREATE TABLE data_subject_request_settings (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  gdpr_days integer NOT NULL DEFAULT 30 CHECK (gdpr_days BETWEEN 1 AND 365),
  ccpa_days integer NOT NULL DEFAULT 45 CHECK (ccpa_days BETWEEN 1 AND 365),
  default_regime text NOT NULL DEFAULT 'gdpr' CHECK (default_regime IN ('gdpr', 'ccpa')),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id)
);
ALTER TABLE data_subject_request_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE data_subject_request_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON data_subject_request_settings USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT, UPDATE ON data_subject_request_settings TO vaultdesk_app;
