-- Deleted tickets (Zendesk's /api/v2/deleted_tickets): a deleted ticket stays restorable for 30
-- days, then its rows are deleted for good (src/modules/tickets/trash-service.ts). Who deleted it
-- is kept for the trash list. Deleting for good takes the ticket's comments, audits, CCs,
-- attachments (their files swept by the attachments upkeep), undelivered notifications, search
-- index entries and suspended replies with it (inbound-message records stay, marked deleted,
-- without the ticket; their stored copies go with the hourly sweep); a consent record stays
-- (it is the person's), without its ticket.
ALTER TABLE tickets ADD COLUMN deleted_by uuid;
CREATE INDEX tickets_deleted ON tickets (tenant_id, deleted_at) WHERE deleted_at IS NOT NULL;
GRANT UPDATE (ticket_id) ON consent_records TO vaultdesk_app;
