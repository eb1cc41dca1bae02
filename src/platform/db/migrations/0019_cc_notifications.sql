-- Notifications to the people copied on a ticket (its CCs), as Zendesk's CC notification:
--   cc_update: each CC, on a public comment from someone else (never an internal note), on a
--              ticket its requester can see. On by default, as in Zendesk.
ALTER TABLE notification_settings ADD COLUMN cc_update boolean NOT NULL DEFAULT true;

-- An admin may write the CC notification's text too.
ALTER TABLE notification_templates DROP CONSTRAINT notification_templates_event_check;
ALTER TABLE notification_templates ADD CONSTRAINT notification_templates_event_check
  CHECK (event IN ('request_received', 'public_reply', 'solved', 'end_user_update', 'cc_update'));
