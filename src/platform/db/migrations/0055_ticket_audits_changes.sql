-- Zendesk's incremental ticket events export (exports-incremental.ts) reads a tenant's ticket
-- audits in the order they were made: a page is one range of this index, so the thousandth page
-- costs what the first does, as for the other streams (0008's updated_at indexes, 0053).
CREATE INDEX ticket_audits_changes ON ticket_audits (tenant_id, created_at, nice_id);
