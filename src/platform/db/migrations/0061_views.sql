-- Saved and shared views of the agent workspace (Zendesk's views): a title, conditions over
-- tickets, and an order. A personal view belongs to one person (`user_id`); a shared one is for
-- every staff member (`user_id` and `group_id` both null) or for one group's members (`group_id`).
-- The title and description are sealed (they may name a customer); the conditions hold internal
-- references only (public ids of people, groups and organizations, statuses, tags — tags are
-- stored in clear on tickets too).
CREATE TABLE views (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  nice_id bigint NOT NULL,
  created_by uuid NOT NULL,
  user_id uuid,
  group_id uuid,
  title_sealed bytea NOT NULL,
  description_sealed bytea,
  active boolean NOT NULL DEFAULT true,
  position integer NOT NULL CHECK (position BETWEEN 0 AND 10000),
  conditions jsonb NOT NULL,
  sort_by text NOT NULL CHECK (sort_by IN ('updated_at', 'created_at', 'priority', 'status', 'id')),
  sort_order text NOT NULL CHECK (sort_order IN ('asc', 'desc')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, nice_id),
  CHECK (user_id IS NULL OR group_id IS NULL),
  FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, group_id) REFERENCES groups (tenant_id, id)
);
CREATE INDEX views_user ON views (tenant_id, user_id) WHERE user_id IS NOT NULL;
CREATE INDEX views_group ON views (tenant_id, group_id) WHERE group_id IS NOT NULL;

-- Public ids from a per-tenant sequence (0004), as the other objects people create.
CREATE OR REPLACE FUNCTION vd_seq_names() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY['tickets', 'ticket_audits', 'ticket_comments', 'users', 'organizations', 'groups',
    'group_memberships', 'api_tokens', 'job_statuses', 'attachments', 'support_addresses', 'suspended_tickets', 'views']
$$;

DO $$
DECLARE
  t uuid;
BEGIN
  FOR t IN SELECT id FROM tenants LOOP
    PERFORM set_config('app.tenant_id', t::text, true);
    PERFORM vd_create_tenant_sequences(t);
  END LOOP;
  PERFORM set_config('app.tenant_id', '', true);
END
$$;

ALTER TABLE views ENABLE ROW LEVEL SECURITY;
ALTER TABLE views FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON views USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON views TO vaultdesk_app;
