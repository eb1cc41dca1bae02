-- Deleting people (src/modules/privacy/erasure-*.ts). `DELETE /users/{id}` deactivates a person and
-- stamps deleted_at/deleted_by: restorable from `/deleted_users` for 30 days. Erasure ("delete
-- forever", or the upkeep after 30 days) destroys every row about the person and leaves the users
-- row as a tombstone: no name, address, phone or external id, only `pseudonym` (random, derived
-- from nothing) and erased_at. Other rows (tickets, comments, audit entries) keep pointing at it.
ALTER TABLE users ADD COLUMN deleted_at timestamptz;
ALTER TABLE users ADD COLUMN deleted_by uuid;
ALTER TABLE users ADD COLUMN erased_at timestamptz;
ALTER TABLE users ADD COLUMN pseudonym text CHECK (pseudonym IS NULL OR pseudonym ~ '^[0-9a-f]{12}$');
CREATE INDEX users_deleted ON users (tenant_id, deleted_at) WHERE deleted_at IS NOT NULL AND erased_at IS NULL;

-- People deleted before this migration: their deletion dates from their last change.
ALTER TABLE users NO FORCE ROW LEVEL SECURITY;
UPDATE users SET deleted_at = updated_at WHERE active = false AND support = false;
ALTER TABLE users FORCE ROW LEVEL SECURITY;

-- An erasure's receipt: what was deleted and what was kept and why, by counts and names of kinds
-- (never the person's data), bound to the audit entry recording it (its chain hash proves when).
CREATE TABLE erasure_receipts (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  nice_id bigint NOT NULL,
  user_nice_id bigint NOT NULL,
  pseudonym text NOT NULL,
  erased_at timestamptz NOT NULL,
  erased_by_nice bigint,
  cause text NOT NULL CHECK (cause IN ('request', 'expiry')),
  receipt jsonb NOT NULL,
  audit_entry_id uuid NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, nice_id)
);
ALTER TABLE erasure_receipts ENABLE ROW LEVEL SECURITY;
ALTER TABLE erasure_receipts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON erasure_receipts USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT ON erasure_receipts TO vaultdesk_app;

-- Erasure deletes a person's consent records, the mail they sent, their sign-in links, address
-- changes, password resets, invitations and OAuth grants (each kept, or only expired, otherwise).
GRANT DELETE ON consent_records, inbound_messages, signin_links, email_changes, password_resets, invitations, oauth_grants TO vaultdesk_app;
