-- Attachments, with Zendesk's upload flow: files are uploaded first (POST /uploads answers a
-- token), then a comment names the upload tokens it carries. One upload token may hold several
-- files. The bytes are a sealed blob (src/platform/blobs/, purpose "attachments", blob id = the
-- attachment's id); here are the file name (sealed), the type detected from the content, the size,
-- who uploaded it, where it was attached, and the malware scan's state.

-- An upload token is a random secret; only its keyed hash is stored. Unused uploads expire.
CREATE TABLE uploads (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  token_hash bytea NOT NULL,
  -- NULL: uploaded by nobody signed in (the help center's anonymous form).
  uploader_id uuid,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  -- Set when a comment took the upload's files: the token works no more.
  used_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, token_hash),
  FOREIGN KEY (tenant_id, uploader_id) REFERENCES users (tenant_id, id)
);

CREATE TABLE attachments (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  nice_id bigint NOT NULL,
  upload_id uuid NOT NULL,
  file_name_sealed bytea NOT NULL,
  -- Detected from the content (never the client's word); application/octet-stream when unknown.
  content_type text NOT NULL CHECK (content_type ~ '^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$'),
  size bigint NOT NULL CHECK (size >= 0),
  ticket_id uuid,
  comment_id uuid,
  -- not_scanned: no scanner is configured; pending: waiting for the scanner (never served while
  -- scanning is configured); clean; infected (quarantined: never served, its sealed bytes kept for
  -- an operator); unscannable (the scanner refused it, e.g. over its size limit: never served).
  scan_status text NOT NULL CHECK (scan_status IN ('not_scanned', 'pending', 'clean', 'infected', 'unscannable')),
  -- The scanner's finding (a signature name), sealed.
  scan_result_sealed bytea,
  scanned_at timestamptz,
  -- Redacted (Zendesk's redact attachment) or quarantined: the bytes are gone.
  redacted_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, nice_id),
  FOREIGN KEY (tenant_id, upload_id) REFERENCES uploads (tenant_id, id),
  FOREIGN KEY (tenant_id, ticket_id) REFERENCES tickets (tenant_id, id),
  FOREIGN KEY (tenant_id, comment_id) REFERENCES ticket_comments (tenant_id, id)
);
CREATE INDEX attachments_upload ON attachments (tenant_id, upload_id);
CREATE INDEX attachments_comment ON attachments (tenant_id, comment_id) WHERE comment_id IS NOT NULL;
CREATE INDEX attachments_pending ON attachments (tenant_id, created_at) WHERE scan_status = 'pending';

-- What a tenant accepts: attachments on or off, for end users too, a size limit, file name
-- extensions refused, and (when set) the only content types accepted.
CREATE TABLE attachment_settings (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  enabled boolean NOT NULL DEFAULT true,
  end_users_may_attach boolean NOT NULL DEFAULT true,
  -- At most the installation's ceiling (VAULTDESK_ATTACHMENT_MAX_BYTES), checked by the server.
  max_bytes bigint NOT NULL CHECK (max_bytes >= 1),
  blocked_extensions text[] NOT NULL,
  allowed_types text[],
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id)
);

-- Attachment ids come from per-tenant sequences, like tickets and comments.
CREATE OR REPLACE FUNCTION vd_seq_names() RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
  SELECT ARRAY['tickets', 'ticket_audits', 'ticket_comments', 'users', 'organizations', 'groups',
    'group_memberships', 'api_tokens', 'job_statuses', 'attachments']
$$;

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
  FOREACH tbl IN ARRAY ARRAY['uploads', 'attachments', 'attachment_settings'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', tbl);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant())', tbl);
  END LOOP;
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON uploads TO vaultdesk_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON attachments TO vaultdesk_app;
GRANT SELECT, INSERT, UPDATE ON attachment_settings TO vaultdesk_app;
