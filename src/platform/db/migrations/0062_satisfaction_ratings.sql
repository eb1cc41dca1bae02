-- Customer satisfaction ratings (Zendesk's satisfaction ratings): the requester of a solved
-- ticket rates it good or bad, with an optional comment. One rating a ticket (a later rating
-- changes it, keeping its id). The comment is sealed (it is the customer's words, redacted as
-- ticket comments are before it is sealed); `has_comment` lets lists filter on it without opening
-- it. `assignee_id` and `group_id` are the ticket's at the time of the (last) rating; they are
-- not foreign keys, as the rating keeps what they were. Deleting a ticket for good deletes its
-- rating (ON DELETE CASCADE).
CREATE TABLE satisfaction_ratings (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  nice_id bigint NOT NULL,
  ticket_id uuid NOT NULL,
  requester_id uuid NOT NULL,
  assignee_id uuid,
  group_id uuid,
  score text NOT NULL CHECK (score IN ('good', 'bad')),
  comment_sealed bytea,
  has_comment boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, nice_id),
  UNIQUE (tenant_id, ticket_id),
  CHECK (has_comment = (comment_sealed IS NOT NULL)),
  FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, requester_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX satisfaction_ratings_updated ON satisfaction_ratings (tenant_id, updated_at DESC, nice_id DESC);
CREATE INDEX satisfaction_ratings_requester ON satisfaction_ratings (tenant_id, requester_id);

-- Whether the tenant asks requesters for ratings (off by default, as in Zendesk). `id` is the tenant's id.
CREATE TABLE satisfaction_settings (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL CHECK (id = tenant_id),
  enabled boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id),
  UNIQUE (tenant_id, id)
);

-- Public ids from a per-tenant sequence (0004), as the other objects people create.
CREATE OR REPLACE FUNCTION vd_seq_names() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY['tickets', 'ticket_audits', 'ticket_comments', 'users', 'organizations', 'groups',
    'group_memberships', 'api_tokens', 'job_statuses', 'attachments', 'support_addresses', 'suspended_tickets', 'views',
    'satisfaction_ratings']
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

ALTER TABLE satisfaction_ratings ENABLE ROW LEVEL SECURITY;
ALTER TABLE satisfaction_ratings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON satisfaction_ratings USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON satisfaction_ratings TO vaultdesk_app;

ALTER TABLE satisfaction_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE satisfaction_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON satisfaction_settings USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT, UPDATE ON satisfaction_settings TO vaultdesk_app;
