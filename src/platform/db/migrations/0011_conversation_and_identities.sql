-- The conversation writer, e-mail address changes, organization domains and unique group names.
-- Same invariants as 0001_core.sql: tenant_id in every key and foreign key, forced row-level
-- security, personal data sealed by the application, secrets stored only as keyed hashes.

-- The channel a ticket came in through ('web', 'api', 'email'), as Zendesk's via.channel; the
-- channel of each later change stays on its ticket audit. Earlier tickets take their first
-- audit's channel.
ALTER TABLE tickets ADD COLUMN via text NOT NULL DEFAULT 'api' CHECK (via ~ '^[a-z_]{1,32}$');

-- A ticket is public once it has a public comment (Zendesk's is_public). A ticket opened with an
-- internal note is not shown to its requester until someone replies publicly.
ALTER TABLE tickets ADD COLUMN is_public boolean NOT NULL DEFAULT true;
CREATE INDEX tickets_requester_public ON tickets (tenant_id, requester_id, updated_at, nice_id) WHERE deleted_at IS NULL AND is_public;

-- Who actually wrote a comment. `author_id` may name someone else (an agent writing on a
-- requester's behalf, as Zendesk allows); `written_by` is always the signed-in writer, and NULL
-- when nobody signed in (the help center's anonymous form, whose sender is unproven).
ALTER TABLE ticket_comments ADD COLUMN written_by uuid;
ALTER TABLE ticket_comments ADD FOREIGN KEY (tenant_id, written_by) REFERENCES users (tenant_id, id);

-- How far a user's primary e-mail address is proven: 'verified' (the person used a link sent to
-- it), 'unverified' (given by someone, not yet used), 'staff_changed' (staff moved the account to
-- this address: it receives mail, but no sign-in link, until the person proves it or an admin
-- vouches for it). Time zone and language are the person's own settings.
ALTER TABLE users
  ADD COLUMN email_status text NOT NULL DEFAULT 'unverified' CHECK (email_status IN ('unverified', 'verified', 'staff_changed')),
  ADD COLUMN time_zone text CHECK (time_zone IS NULL OR time_zone ~ '^[A-Za-z0-9_+/-]{1,64}$');

-- How a session began ('password', 'link', 'invitation'): a one-time password an operator set
-- must be changed before a password session may do anything else; a session from a sign-in link
-- (the person proved their mailbox) is not held to a password it never used.
ALTER TABLE sessions ADD COLUMN method text NOT NULL DEFAULT 'password' CHECK (method IN ('password', 'link', 'invitation'));

-- A pending change of a user's primary e-mail address: the new address (sealed, with its blind
-- index so that it stays unique), who asked, and the secret of the link sent to it (keyed hash).
CREATE TABLE email_changes (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  user_id uuid NOT NULL,
  email_sealed bytea NOT NULL,
  email_bidx bytea NOT NULL,
  token_hash bytea NOT NULL,
  requested_by uuid NOT NULL,
  by_staff boolean NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  cancelled_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, token_hash),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, requested_by) REFERENCES users (tenant_id, id)
);
CREATE INDEX email_changes_user ON email_changes (tenant_id, user_id, created_at);

-- Zendesk's organization domain mapping: a user whose address is at one of these domains joins
-- the organization when the user is created. Domains are sealed like every other value a
-- customer gives; the blind index finds a domain and keeps it unique in the tenant.
CREATE TABLE organization_domains (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  organization_id uuid NOT NULL,
  domain_sealed bytea NOT NULL,
  domain_bidx bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, domain_bidx),
  FOREIGN KEY (tenant_id, organization_id) REFERENCES organizations (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX organization_domains_org ON organization_domains (tenant_id, organization_id);

-- Group names are unique in a tenant (ignoring case) among groups not deleted. Earlier
-- duplicates keep their name with the group's number appended (below).

-- Earlier rows, tenant by tenant (the tables have forced row-level security, which also binds an
-- owner that is not a superuser).
DO $$
DECLARE
  t uuid;
BEGIN
  FOR t IN SELECT id FROM tenants LOOP
    PERFORM set_config('app.tenant_id', t::text, true);
    UPDATE tickets k SET via = a.via
      FROM (SELECT DISTINCT ON (ticket_id) ticket_id, via FROM ticket_audits WHERE tenant_id = t ORDER BY ticket_id, nice_id) a
      WHERE k.tenant_id = t AND a.ticket_id = k.id;
    UPDATE tickets k SET is_public = EXISTS (
      SELECT 1 FROM ticket_comments c WHERE c.tenant_id = t AND c.ticket_id = k.id AND c.public)
      WHERE k.tenant_id = t;
    UPDATE ticket_comments c SET written_by = a.author_id
      FROM ticket_audits a WHERE c.tenant_id = t AND a.tenant_id = t AND a.id = c.audit_id;
    -- Addresses that signed in (by link or password) before this migration were proven then.
    UPDATE users SET email_status = 'verified' WHERE tenant_id = t AND last_login_at IS NOT NULL AND email_sealed IS NOT NULL;
    UPDATE groups g SET name = g.name || ' (' || g.nice_id || ')', updated_at = now()
      WHERE g.tenant_id = t AND NOT g.deleted AND EXISTS (
        SELECT 1 FROM groups o WHERE o.tenant_id = t AND NOT o.deleted AND lower(o.name) = lower(g.name) AND o.nice_id < g.nice_id);
  END LOOP;
  PERFORM set_config('app.tenant_id', '', true);
END
$$;
CREATE UNIQUE INDEX groups_name_unique ON groups (tenant_id, lower(name)) WHERE NOT deleted;

DO $$
DECLARE
  tbl text;
BEGIN
  FOREACH tbl IN ARRAY ARRAY['email_changes', 'organization_domains'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', tbl);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant())', tbl);
  END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE ON email_changes TO vaultdesk_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON organization_domains TO vaultdesk_app;
