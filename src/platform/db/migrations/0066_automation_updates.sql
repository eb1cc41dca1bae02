-- How many times automations have updated a ticket (Zendesk's cap: at most 100 in a ticket's life,
-- tickets/rule-write.ts). Two automations, or an automation and a trigger, that undo each other's
-- change each pass the nullifying rule, yet would update (and mail) the same ticket every hour,
-- forever; the count stops them. Kept by the automations' write, never reset.
ALTER TABLE tickets ADD COLUMN automation_updates integer NOT NULL DEFAULT 0 CHECK (automation_updates >= 0);
