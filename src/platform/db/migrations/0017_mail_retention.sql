-- Retention of mail that made no ticket (src/modules/mail/mail-retention.ts): suspended tickets
-- are deleted after 14 days, and the stored copies of dropped messages and forwarding checks too.
-- The hourly upkeep finds them per tenant, oldest first, through these indexes.
CREATE INDEX suspended_tickets_created ON suspended_tickets (tenant_id, created_at);
CREATE INDEX inbound_messages_unkept ON inbound_messages (tenant_id, received_at) WHERE state IN ('dropped', 'verification');
