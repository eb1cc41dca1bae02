-- Vaultdesk core schema. Runs as the owner role. Never edit once merged: add a new migration.
--
-- Invariants (see docs/security-model.md):
--  * every tenant table has tenant_id, a primary key and foreign keys that include it, and
--    row-level security with FORCE comparing tenant_id to the transaction's app.tenant_id;
--  * content and personal data live only in *_sealed bytea columns (AES-256-GCM, sealed by the
--    application); lookups use *_bidx keyed blind indexes;
--  * the app runs as vaultdesk_app: not superuser, not owner, not BYPASSRLS.

DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'vaultdesk_app') THEN
    CREATE ROLE vaultdesk_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
END
$$;

CREATE FUNCTION vd_tenant() RETURNS uuid LANGUAGE sql STABLE AS
$$ SELECT nullif(current_setting('app.tenant_id', true), '')::uuid $$;

-- The tenant registry: resolves a host to a tenant. It holds no customer content.
CREATE TABLE tenants (
  id uuid PRIMARY KEY,
  subdomain text NOT NULL UNIQUE CHECK (subdomain ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'shredded')),
  region text NOT NULL DEFAULT 'local',
  is_default boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  shredded_at timestamptz
);
CREATE UNIQUE INDEX tenants_one_default ON tenants (is_default) WHERE is_default;

-- Wrapped per-tenant keys. purpose 'data' seals values; 'index' keys blind indexes.
CREATE TABLE tenant_keys (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  purpose text NOT NULL CHECK (purpose IN ('data', 'index')),
  version integer NOT NULL CHECK (version > 0),
  wrapped bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  retired_at timestamptz,
  PRIMARY KEY (tenant_id, purpose, version)
);

-- Per-tenant counters for public ids (tickets 1, 2, 3 … in each tenant).
CREATE TABLE tenant_counters (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  name text NOT NULL,
  value bigint NOT NULL,
  PRIMARY KEY (tenant_id, name)
);

CREATE FUNCTION vd_next_id(p_name text) RETURNS bigint LANGUAGE sql VOLATILE AS $$
  INSERT INTO tenant_counters AS c (tenant_id, name, value) VALUES (vd_tenant(), p_name, 1)
  ON CONFLICT (tenant_id, name) DO UPDATE SET value = c.value + 1
  RETURNING value
$$;

CREATE TABLE organizations (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  nice_id bigint NOT NULL,
  name_sealed bytea NOT NULL,
  name_bidx bytea NOT NULL,
  notes_sealed bytea,
  details_sealed bytea,
  external_id_sealed bytea,
  tags text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, nice_id),
  UNIQUE (tenant_id, name_bidx)
);

CREATE TABLE users (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  nice_id bigint NOT NULL,
  role text NOT NULL CHECK (role IN ('owner', 'admin', 'agent', 'light_agent', 'end_user')),
  name_sealed bytea NOT NULL,
  email_sealed bytea,
  email_bidx bytea,
  phone_sealed bytea,
  external_id_sealed bytea,
  organization_id uuid,
  tags text[] NOT NULL DEFAULT '{}',
  active boolean NOT NULL DEFAULT true,
  suspended boolean NOT NULL DEFAULT false,
  password_hash text,
  must_change_password boolean NOT NULL DEFAULT false,
  last_login_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, nice_id),
  UNIQUE (tenant_id, email_bidx),
  FOREIGN KEY (tenant_id, organization_id) REFERENCES organizations (tenant_id, id)
);

CREATE TABLE groups (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  nice_id bigint NOT NULL,
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  deleted boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, nice_id)
);

CREATE TABLE group_memberships (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  nice_id bigint NOT NULL,
  user_id uuid NOT NULL,
  group_id uuid NOT NULL,
  is_default boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, nice_id),
  UNIQUE (tenant_id, user_id, group_id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, group_id) REFERENCES groups (tenant_id, id)
);

CREATE TABLE ticket_fields (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  nice_id bigint NOT NULL,
  type text NOT NULL CHECK (type IN ('text', 'number', 'date', 'dropdown', 'checkbox')),
  title text NOT NULL,
  options jsonb NOT NULL DEFAULT '[]',
  required boolean NOT NULL DEFAULT false,
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, nice_id)
);

CREATE TABLE tickets (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  nice_id bigint NOT NULL,
  subject_sealed bytea NOT NULL,
  description_sealed bytea NOT NULL,
  status text NOT NULL CHECK (status IN ('new', 'open', 'pending', 'hold', 'solved', 'closed')),
  priority text CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
  type text CHECK (type IN ('problem', 'incident', 'question', 'task')),
  requester_id uuid NOT NULL,
  submitter_id uuid NOT NULL,
  assignee_id uuid,
  group_id uuid,
  organization_id uuid,
  tags text[] NOT NULL DEFAULT '{}',
  custom_fields_sealed bytea,
  external_id_sealed bytea,
  external_id_bidx bytea,
  due_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  solved_at timestamptz,
  deleted_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, nice_id),
  FOREIGN KEY (tenant_id, requester_id) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, submitter_id) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, assignee_id) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, group_id) REFERENCES groups (tenant_id, id),
  FOREIGN KEY (tenant_id, organization_id) REFERENCES organizations (tenant_id, id)
);
CREATE INDEX tickets_status ON tickets (tenant_id, status, nice_id) WHERE deleted_at IS NULL;
CREATE INDEX tickets_requester ON tickets (tenant_id, requester_id);
CREATE INDEX tickets_assignee ON tickets (tenant_id, assignee_id);
CREATE INDEX tickets_tags ON tickets USING gin (tags);
CREATE INDEX tickets_created ON tickets (tenant_id, created_at);

CREATE TABLE ticket_audits (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  nice_id bigint NOT NULL,
  ticket_id uuid NOT NULL,
  author_id uuid,
  events_sealed bytea NOT NULL,
  via text NOT NULL DEFAULT 'api',
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, nice_id),
  FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id),
  FOREIGN KEY (tenant_id, author_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX ticket_audits_ticket ON ticket_audits (tenant_id, ticket_id, nice_id);

CREATE TABLE ticket_comments (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  nice_id bigint NOT NULL,
  ticket_id uuid NOT NULL,
  audit_id uuid NOT NULL,
  author_id uuid NOT NULL,
  public boolean NOT NULL,
  body_sealed bytea NOT NULL,
  html_body_sealed bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, nice_id),
  FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id),
  FOREIGN KEY (tenant_id, audit_id) REFERENCES ticket_audits (tenant_id, id),
  FOREIGN KEY (tenant_id, author_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX ticket_comments_ticket ON ticket_comments (tenant_id, ticket_id, nice_id);

CREATE TABLE api_tokens (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  nice_id bigint NOT NULL,
  user_id uuid NOT NULL,
  name text NOT NULL,
  scopes text[] NOT NULL DEFAULT '{read,write}',
  token_hash bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, nice_id),
  UNIQUE (tenant_id, token_hash),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);

CREATE TABLE sessions (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  user_id uuid NOT NULL,
  token_hash bytea NOT NULL,
  ip_sealed bytea,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, token_hash),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);

CREATE TABLE job_statuses (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  job_type text NOT NULL,
  status text NOT NULL CHECK (status IN ('queued', 'working', 'completed', 'failed')),
  total integer NOT NULL DEFAULT 0,
  progress integer NOT NULL DEFAULT 0,
  results jsonb NOT NULL DEFAULT '[]',
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id)
);

-- Security audit trail: per-tenant hash chain, append-only.
CREATE TABLE audit_heads (
  tenant_id uuid PRIMARY KEY REFERENCES tenants (id),
  seq bigint NOT NULL,
  hash bytea NOT NULL
);

CREATE TABLE audit_log (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  seq bigint NOT NULL,
  id uuid NOT NULL,
  occurred_at timestamptz NOT NULL,
  actor_kind text NOT NULL,
  actor_id text NOT NULL,
  action text NOT NULL,
  resource_type text NOT NULL,
  resource_id text NOT NULL,
  fields text NOT NULL,
  ip_sealed bytea,
  request_id text NOT NULL,
  hash bytea NOT NULL,
  PRIMARY KEY (tenant_id, seq),
  UNIQUE (tenant_id, id)
);
CREATE INDEX audit_log_action ON audit_log (tenant_id, action, seq);

CREATE FUNCTION vd_audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION vd_audit_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION vd_audit_refuse_change();

-- The canonical text of an audit entry, hashed into the chain. The verifier rebuilds the same
-- text from the stored row (src/modules/audit/audit-fns.ts); both must change together.
CREATE FUNCTION vd_audit_canonical(p_seq bigint, p_at timestamptz, p_id uuid, p_actor_kind text,
  p_actor_id text, p_action text, p_rtype text, p_rid text, p_fields text, p_ip bytea, p_req text)
RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT concat_ws('|', p_seq::text, ((extract(epoch FROM p_at) * 1000000)::bigint)::text,
    p_id::text, p_actor_kind, p_actor_id, p_action, p_rtype, p_rid, p_fields,
    coalesce(encode(p_ip, 'hex'), ''), p_req)
$$;

-- Appends entries to the calling tenant's chain. Takes the chain head's row lock: callers run it
-- as the last statement before COMMIT so the lock is held for one round trip.
CREATE FUNCTION vd_audit_append(p_entries jsonb) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  t uuid := vd_tenant();
  s bigint;
  h bytea;
  e jsonb;
  ts timestamptz := clock_timestamp();
  ip bytea;
  eid uuid;
BEGIN
  IF t IS NULL THEN
    RAISE EXCEPTION 'no tenant context';
  END IF;
  UPDATE audit_heads SET seq = seq WHERE tenant_id = t RETURNING seq, hash INTO s, h;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'audit chain not initialised';
  END IF;
  FOR e IN SELECT value FROM jsonb_array_elements(p_entries) LOOP
    s := s + 1;
    ip := CASE WHEN e ->> 'ip' IS NULL THEN NULL ELSE decode(e ->> 'ip', 'hex') END;
    eid := (e ->> 'id')::uuid;
    h := sha256(h || convert_to(vd_audit_canonical(s, ts, eid, e ->> 'actor_kind', e ->> 'actor_id',
      e ->> 'action', e ->> 'resource_type', e ->> 'resource_id', e ->> 'fields', ip,
      e ->> 'request_id'), 'UTF8'));
    INSERT INTO audit_log (tenant_id, seq, id, occurred_at, actor_kind, actor_id, action,
      resource_type, resource_id, fields, ip_sealed, request_id, hash)
    VALUES (t, s, eid, ts, e ->> 'actor_kind', e ->> 'actor_id', e ->> 'action',
      e ->> 'resource_type', e ->> 'resource_id', e ->> 'fields', ip, e ->> 'request_id', h);
  END LOOP;
  UPDATE audit_heads SET seq = s, hash = h WHERE tenant_id = t;
  RETURN s;
END
$$;

-- Row-level security on every tenant table, forced even for the owner.
DO $$
DECLARE
  tbl text;
BEGIN
  FOREACH tbl IN ARRAY ARRAY['tenant_keys', 'tenant_counters', 'organizations', 'users', 'groups',
    'group_memberships', 'ticket_fields', 'tickets', 'ticket_audits', 'ticket_comments',
    'api_tokens', 'sessions', 'job_statuses', 'audit_heads', 'audit_log'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', tbl);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant())', tbl);
  END LOOP;
END
$$;

GRANT USAGE ON SCHEMA public TO vaultdesk_app;
GRANT SELECT ON tenants TO vaultdesk_app;
GRANT SELECT ON tenant_keys TO vaultdesk_app;
GRANT SELECT, INSERT, UPDATE ON tenant_counters, audit_heads TO vaultdesk_app;
GRANT SELECT, INSERT ON audit_log TO vaultdesk_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON organizations, users, groups, group_memberships,
  ticket_fields, tickets, ticket_audits, ticket_comments, api_tokens, sessions, job_statuses
  TO vaultdesk_app;
