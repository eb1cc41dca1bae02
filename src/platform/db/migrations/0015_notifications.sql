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
