-- Inbound e-mail: support addresses (Zendesk's recipient addresses), the messages the built-in
-- SMTP server accepted (their bytes are a sealed blob, purpose "mail", blob id = the message's
-- id), suspended tickets, the tenant's mail settings (blocked senders) and a ticket's CCs.

-- A tenant's support addresses. The default one (support@<subdomain>.<mail domain>) is a row
-- like the others, marked `is_default`. The address is sealed; `email_route` is a keyed hash
-- under the installation's secret-hash key (not a tenant key), so the SMTP server can find which
-- tenant an address belongs to before it knows the tenant (through vd_mail_route below).
CREATE TABLE support_addresses (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  nice_id bigint NOT NULL,
  email_sealed bytea NOT NULL,
  name_sealed bytea,
  email_route bytea NOT NULL,
  is_default boolean NOT NULL DEFAULT false,
  -- Forwarding from the team's own mailbox: unknown (never checked), waiting (a test message was
  -- sent), verified (it came back through the SMTP server), failed.
  forwarding_status text NOT NULL CHECK (forwarding_status IN ('unknown', 'waiting', 'verified', 'failed')),
  verification_hash bytea,
  verification_sent_at timestamptz,
  verified_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, nice_id),
  UNIQUE (tenant_id, email_route)
);
-- An address routes mail to one tenant only: the one cross-tenant uniqueness of this migration.
CREATE UNIQUE INDEX support_addresses_route ON support_addresses (email_route);

-- A message the SMTP server accepted, from queued to what became of it.
CREATE TABLE inbound_messages (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  -- The SMTP envelope (client address, HELO, MAIL FROM, RCPT TO), sealed: SPF and reply tokens need it.
  envelope_sealed bytea NOT NULL,
  size bigint NOT NULL CHECK (size >= 0),
  received_at timestamptz NOT NULL DEFAULT now(),
  state text NOT NULL CHECK (state IN ('queued', 'ticket', 'comment', 'suspended', 'dropped', 'verification', 'deleted')),
  -- Why no ticket was made (loop, bulk, bounce, rate limit, duplicate): a code, never content.
  outcome text CHECK (outcome IS NULL OR outcome ~ '^[a-z_]{1,40}$'),
  -- Keyed hash of the sender's address (the tenant's blind-index key): the per-sender rate limit.
  sender_bidx bytea,
  -- Keyed hash of the Message-ID: the same message delivered twice makes one ticket.
  message_id_bidx bytea,
  -- SPF, DKIM and DMARC results (sealed JSON).
  auth_results_sealed bytea,
  ticket_id uuid,
  comment_id uuid,
  processed_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id),
  FOREIGN KEY (tenant_id, comment_id) REFERENCES ticket_comments (tenant_id, id)
);
CREATE INDEX inbound_messages_sender ON inbound_messages (tenant_id, sender_bidx, received_at) WHERE sender_bidx IS NOT NULL;
CREATE INDEX inbound_messages_message_id ON inbound_messages (tenant_id, message_id_bidx) WHERE message_id_bidx IS NOT NULL;
CREATE INDEX inbound_messages_comment ON inbound_messages (tenant_id, comment_id) WHERE comment_id IS NOT NULL;

-- Zendesk's suspended tickets: a message that made no ticket, for an agent to recover or delete.
CREATE TABLE suspended_tickets (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  nice_id bigint NOT NULL,
  inbound_message_id uuid NOT NULL,
  cause text NOT NULL CHECK (cause ~ '^[a-z_]{1,40}$'),
  subject_sealed bytea NOT NULL,
  content_sealed bytea NOT NULL,
  author_name_sealed bytea,
  author_email_sealed bytea,
  recipient_sealed bytea,
  -- A reply that would have gone into this ticket.
  ticket_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, nice_id),
  FOREIGN KEY (tenant_id, inbound_message_id) REFERENCES inbound_messages (tenant_id, id),
  FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id)
);

-- What a tenant does with mail: senders it refuses (addresses or @domains, sealed JSON).
-- `id` is the tenant's id (as in tenant_settings): sealed values bind a row id.
CREATE TABLE mail_settings (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL CHECK (id = tenant_id),
  blocklist_sealed bytea,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id),
  UNIQUE (tenant_id, id)
);

-- The people copied on a ticket (Zendesk's email CCs / collaborators).
CREATE TABLE ticket_ccs (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  ticket_id uuid NOT NULL,
  user_id uuid NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, ticket_id, user_id),
  FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);

-- Support addresses and suspended tickets are numbered per tenant, like tickets.
CREATE OR REPLACE FUNCTION vd_seq_names() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY['tickets', 'ticket_audits', 'ticket_comments', 'users', 'organizations', 'groups',
    'group_memberships', 'api_tokens', 'job_statuses', 'attachments', 'support_addresses', 'suspended_tickets']
$$;

-- Which tenant an address belongs to (given its keyed hash): tenant ids only, never an address.
-- Runs as its owner so the SMTP server can look across tenants; the app role cannot call it.
CREATE FUNCTION vd_mail_route(p_route bytea) RETURNS uuid LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT a.tenant_id FROM support_addresses a JOIN tenants t ON t.id = a.tenant_id
  WHERE a.email_route = p_route AND t.status = 'active'
$$;
REVOKE ALL ON FUNCTION vd_mail_route(bytea) FROM PUBLIC;

-- Whether any tenant holds an address (given its keyed hash), for the app role: a tenant adding
-- an address learns only that it is taken, the answer the unique index would give.
CREATE FUNCTION vd_mail_route_taken(p_route bytea) RETURNS boolean LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT EXISTS (SELECT 1 FROM support_addresses a WHERE a.email_route = p_route)
$$;
REVOKE ALL ON FUNCTION vd_mail_route_taken(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vd_mail_route_taken(bytea) TO vaultdesk_app;

DO $$
DECLARE
  t uuid;
  tbl text;
BEGIN
  FOR t IN SELECT id FROM tenants LOOP
    PERFORM set_config('app.tenant_id', t::text, true);
    PERFORM vd_create_tenant_sequences(t);
  END LOOP;
  PERFORM set_config('app.tenant_id', '', true);
  FOREACH tbl IN ARRAY ARRAY['support_addresses', 'inbound_messages', 'suspended_tickets', 'mail_settings', 'ticket_ccs'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', tbl);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant())', tbl);
  END LOOP;
  -- The owner (vd_mail_route) reads routes across tenants, as the job runner's sweep does.
  EXECUTE format('CREATE POLICY mail_routing ON support_addresses FOR SELECT TO %I USING (true)', current_user);
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON support_addresses TO vaultdesk_app;
GRANT SELECT, INSERT, UPDATE ON inbound_messages TO vaultdesk_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON suspended_tickets TO vaultdesk_app;
GRANT SELECT, INSERT, UPDATE ON mail_settings TO vaultdesk_app;
GRANT SELECT, INSERT, DELETE ON ticket_ccs TO vaultdesk_app;
