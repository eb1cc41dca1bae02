-- Temporary support access (src/modules/support/): the account's owner grants the installation's
-- operator access for at most 30 days; the operator then acts through the command line as the
-- tenant's support user, one per tenant, marked `support` (created on first grant, suspended while
-- no grant is live). The reason for a grant is the owner's words: sealed.
ALTER TABLE users ADD COLUMN support boolean NOT NULL DEFAULT false;
CREATE UNIQUE INDEX users_one_support_user ON users (tenant_id) WHERE support;

CREATE TABLE support_access_grants (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  nice_id bigint NOT NULL,
  level text NOT NULL CHECK (level IN ('read_only', 'read_write')),
  reason_sealed bytea,
  granted_by uuid NOT NULL,
  support_user_id uuid NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  revoked_by uuid,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, nice_id),
  CHECK (expires_at > created_at AND expires_at <= created_at + interval '30 days'),
  CHECK ((revoked_at IS NULL) = (revoked_by IS NULL)),
  FOREIGN KEY (tenant_id, granted_by) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, revoked_by) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, support_user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX support_access_grants_live ON support_access_grants (tenant_id, expires_at) WHERE revoked_at IS NULL;

ALTER TABLE support_access_grants ENABLE ROW LEVEL SECURITY;
ALTER TABLE support_access_grants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON support_access_grants USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT, UPDATE ON support_access_grants TO vaultdesk_app;
