-- What the incremental exports say of a ticket or an organization deleted for good
-- (exports-incremental.ts): its public id and when, nothing else. A ticket purged from the trash,
-- by the retention policy or by a person's erasure, and an organization deleted (at once), used to
-- leave no trace in the streams, so a warehouse or another system kept in step by them kept its
-- copy (and an erased person's tickets in it) for ever. A row here comes in the stream as the
-- item `deleted`, at the time of its deletion, in the order of the other changes.
CREATE TABLE purged_records (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  resource text NOT NULL CHECK (resource IN ('ticket', 'organization')),
  nice_id bigint NOT NULL,
  deleted_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, resource, nice_id)
);
-- A stream's page is one range of this index, as for the live rows (0008's updated_at indexes).
CREATE INDEX purged_records_changes ON purged_records (tenant_id, resource, deleted_at, nice_id);

ALTER TABLE purged_records ENABLE ROW LEVEL SECURITY;
ALTER TABLE purged_records FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON purged_records USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT ON purged_records TO vaultdesk_app;
