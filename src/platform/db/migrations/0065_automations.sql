-- Automations (Zendesk's automations): time-based business rules an admin writes, run hourly over
-- the account's tickets (modules/triggers, automations-run.ts). Each belongs to the account. The
-- title, description, conditions and actions are sealed, as triggers' (0064); nothing about an
-- automation is stored in clear but its state and position.
-- The same columns, checks, keys and position index as triggers (0064), and its tenant reference.
CREATE TABLE automations (LIKE triggers INCLUDING ALL);
ALTER TABLE automations ADD FOREIGN KEY (tenant_id) REFERENCES tenants (id);

-- The times automations' conditions read (Zendesk's hours since new/open/pending/on-hold/solved,
-- assigned, requester and assignee update), kept by the conversation writer (conversation.ts) on
-- every channel: when the status last changed, when the ticket was last assigned (NULL while it is
-- unassigned), when its requester and its assignee last wrote on it (NULL until they do).
ALTER TABLE tickets
  ADD COLUMN status_updated_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN assigned_at timestamptz,
  ADD COLUMN requester_updated_at timestamptz,
  ADD COLUMN assignee_updated_at timestamptz;
CREATE INDEX tickets_status_updated ON tickets (tenant_id, status, status_updated_at) WHERE deleted_at IS NULL;

-- Public ids from a per-tenant sequence (0004), as the other objects people create.
CREATE OR REPLACE FUNCTION vd_seq_names() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY['tickets', 'ticket_audits', 'ticket_comments', 'users', 'organizations', 'groups',
    'group_memberships', 'api_tokens', 'job_statuses', 'attachments', 'support_addresses', 'suspended_tickets', 'views',
    'satisfaction_ratings', 'macros', 'triggers', 'automations']
$$;

-- Earlier tickets, tenant by tenant (forced row-level security binds the owner too). What the
-- audits would tell is sealed, so the times are the latest ones known in clear, never earlier than
-- they were (an automation fires late rather than early): the status since the ticket was solved,
-- else its last update; assigned since its last update; the requester's and the assignee's last
-- update from the audits they wrote and the comments they authored.
DO $$
DECLARE
  t uuid;
BEGIN
  FOR t IN SELECT id FROM tenants LOOP
    PERFORM set_config('app.tenant_id', t::text, true);
    PERFORM vd_create_tenant_sequences(t);
    UPDATE tickets k SET
      status_updated_at = CASE WHEN k.status IN ('solved', 'closed') AND k.solved_at IS NOT NULL THEN k.solved_at ELSE k.updated_at END,
      assigned_at = CASE WHEN k.assignee_id IS NOT NULL THEN k.updated_at END,
      requester_updated_at = (SELECT max(x.at) FROM (
          SELECT a.created_at AS at FROM ticket_audits a WHERE a.tenant_id = t AND a.ticket_id = k.id AND a.author_id = k.requester_id
          UNION ALL
          SELECT c.created_at FROM ticket_comments c WHERE c.tenant_id = t AND c.ticket_id = k.id AND c.author_id = k.requester_id) x),
      assignee_updated_at = CASE WHEN k.assignee_id IS NOT NULL THEN (SELECT max(x.at) FROM (
          SELECT a.created_at AS at FROM ticket_audits a WHERE a.tenant_id = t AND a.ticket_id = k.id AND a.author_id = k.assignee_id
          UNION ALL
          SELECT c.created_at FROM ticket_comments c WHERE c.tenant_id = t AND c.ticket_id = k.id AND c.author_id = k.assignee_id) x) END
      WHERE k.tenant_id = t;
  END LOOP;
  PERFORM set_config('app.tenant_id', '', true);
END
$$;

ALTER TABLE automations ENABLE ROW LEVEL SECURITY;
ALTER TABLE automations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON automations USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON automations TO vaultdesk_app;
