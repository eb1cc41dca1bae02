-- Incremental exports carry deleted tickets too (status "deleted", Zendesk's way): the tickets'
-- last-change index covers the trash as well. The workspace's lists ordered by last change read
-- the same index and drop the few deleted rows it holds (the trash is purged after 30 days).
DROP INDEX tickets_updated_page;
CREATE INDEX tickets_updated_page ON tickets (tenant_id, updated_at, nice_id);

-- Zendesk's incremental organization export pages through organizations by last change, then
-- public id: one index range per page, as the tickets' and people's.
CREATE INDEX organizations_updated_page ON organizations (tenant_id, updated_at, nice_id);
