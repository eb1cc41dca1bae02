-- Triggers (Zendesk's triggers): business rules an admin writes, run right after a ticket is
-- created or updated, in the same transaction (modules/triggers). Each belongs to the account.
-- The title, description, conditions and actions are sealed (a condition's words or a
-- notification's text may name a customer); nothing about a trigger is stored in clear but its
-- state and position.
CREATE TABLE triggers (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  nice_id bigint NOT NULL,
  title_sealed bytea NOT NULL,
  description_sealed bytea,
  conditions_sealed bytea NOT NULL,
  actions_sealed bytea NOT NULL,
  active boolean NOT NULL DEFAULT true,
  position integer NOT NULL CHECK (position BETWEEN 0 AND 100000),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, nice_id)
);
CREATE INDEX triggers_position ON triggers (tenant_id, position);

-- Public ids from a per-tenant sequence (0004), as the other objects people create.
CREATE OR REPLACE FUNCTION vd_seq_names() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY['tickets', 'ticket_audits', 'ticket_comments', 'users', 'organizations', 'groups',
    'group_memberships', 'api_tokens', 'job_statuses', 'attachments', 'support_addresses', 'suspended_tickets', 'views',
    'satisfaction_ratings', 'macros', 'triggers']
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

ALTER TABLE triggers ENABLE ROW LEVEL SECURITY;
ALTER TABLE triggers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON triggers USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON triggers TO vaultdesk_app;
