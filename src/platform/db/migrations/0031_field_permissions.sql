-- Field permissions (src/modules/tickets/ticket-fields-service.ts, tickets-fns.ts `fieldAccess`):
-- each custom ticket field can be hidden or read-only for a role, and visible or editable to end
-- users in the help center and the requests API (Zendesk's `visible_in_portal`,
-- `editable_in_portal`). `role_permissions` maps a role's public id (presets 2 and 3, custom roles
-- from 4; admins and owners always see and edit every field) to 'hidden' or 'read_only'; a role
-- not named edits the field, as before. Like the field's title, this is configuration, in clear.
ALTER TABLE ticket_fields ADD COLUMN visible_in_portal boolean NOT NULL DEFAULT false;
ALTER TABLE ticket_fields ADD COLUMN editable_in_portal boolean NOT NULL DEFAULT false;
ALTER TABLE ticket_fields ADD CHECK (visible_in_portal OR NOT editable_in_portal);
ALTER TABLE ticket_fields ADD COLUMN role_permissions jsonb NOT NULL DEFAULT '{}';
ALTER TABLE ticket_fields ADD CHECK (jsonb_typeof(role_permissions) = 'object');
