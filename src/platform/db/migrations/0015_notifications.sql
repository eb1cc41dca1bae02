-- E-mail notifications per tenant: which are sent, and whether they carry the comment's text.
--   request_received: the requester, when their new request arrives (an acknowledgement);
--   public_reply:     the requester, on a public comment from staff (and a ticket staff opened for them);
--   solved:           the requester, when the ticket is solved;
--   end_user_update:  the assignee (or, with none, the group's agents), on a new request or a
--                     customer's reply.
-- content_free: messages say only that something happened, with a link (no subject, no text): for
-- teams whose conversations may hold health or financial data.
CREATE TABLE notification_settings (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  request_received boolean NOT NULL DEFAULT true,
  public_reply boolean NOT NULL DEFAULT true,
  solved boolean NOT NULL DEFAULT true,
  end_user_update boolean NOT NULL DEFAULT true,
  content_free boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id)
);

ALTER TABLE notification_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE notification_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON notification_settings USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT, UPDATE ON notification_settings TO vaultdesk_app;

-- Texts an admin wrote for an event in one language, in place of the built-in ones; `{{…}}`
-- placeholders are checked by the server. Sealed: a team's texts may name people.
CREATE TABLE notification_templates (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  event text NOT NULL CHECK (event IN ('request_received', 'public_reply', 'solved', 'end_user_update')),
  locale text NOT NULL CHECK (locale IN ('en', 'sv', 'ja', 'ko', 'zh-CN')),
  subject_sealed bytea NOT NULL,
  body_sealed bytea NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, event, locale)
);

-- Mail the server could not hand to the mail server at any attempt (the dead-letter list admins
-- see): the message (recipient, subject, text, language) sealed, to send again or delete. Mail
-- whose content expires (sign-in links, invitations) is never kept here.
CREATE TABLE undelivered_mail (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  message_sealed bytea NOT NULL,
  attempts integer NOT NULL,
  failed_at timestamptz NOT NULL,
  -- What it is about: dropped with its ticket or person; kept 30 days at most (the upkeep).
  ticket_id uuid,
  user_id uuid,
  PRIMARY KEY (tenant_id, id)
);
CREATE INDEX undelivered_mail_failed_at ON undelivered_mail (tenant_id, failed_at DESC);
CREATE INDEX undelivered_mail_ticket ON undelivered_mail (tenant_id, ticket_id) WHERE ticket_id IS NOT NULL;
CREATE INDEX undelivered_mail_user ON undelivered_mail (tenant_id, user_id) WHERE user_id IS NOT NULL;

DO $$
DECLARE
  tbl text;
BEGIN
  FOREACH tbl IN ARRAY ARRAY['notification_templates', 'undelivered_mail'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tbl);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', tbl);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant())', tbl);
  END LOOP;
END
$$;
GRANT SELECT, INSERT, UPDATE, DELETE ON notification_templates TO vaultdesk_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON undelivered_mail TO vaultdesk_app;
