-- Macros (Zendesk's macros): a saved set of ticket changes and a reply an agent applies to a
-- ticket with one click. A personal macro belongs to one person (`user_id`); a shared one is for
-- every staff member (`user_id` and `group_id` both null) or for one group's members (`group_id`).
-- The title, description and actions are sealed (the reply text in the actions may name a
-- customer); nothing about a macro is stored in clear but its audience, state and position.
CREATE TABLE macros (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  nice_id bigint NOT NULL,
  created_by uuid NOT NULL,
  user_id uuid,
  group_id uuid,
  title_sealed bytea NOT NULL,
  description_sealed bytea,
  actions_sealed bytea NOT NULL,
  active boolean NOT NULL DEFAULT true,
  position integer NOT NULL CHECK (position BETWEEN 0 AND 10000),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, nice_id),
  CHECK (user_id IS NULL OR group_id IS NULL),
  FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, group_id) REFERENCES groups (tenant_id, id)
);
CREATE INDEX macros_user ON macros (tenant_id, user_id) WHERE user_id IS NOT NULL;
CREATE INDEX macros_group ON macros (tenant_id, group_id) WHERE group_id IS NOT NULL;

-- Public ids from a per-tenant sequence (0004), as the other objects people create.
CREATE OR REPLACE FUNCTION vd_seq_names() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY['tickets', 'ticket_audits', 'ticket_comments', 'users', 'organizations', 'groups',
    'group_memberships', 'api_tokens', 'job_statuses', 'attachments', 'support_addresses', 'suspended_tickets', 'views',
    'satisfaction_ratings', 'macros']
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

ALTER TABLE macros ENABLE ROW LEVEL SECURITY;
ALTER TABLE macros FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON macros USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON macros TO vaultdesk_app;
