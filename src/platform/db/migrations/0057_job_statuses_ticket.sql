-- The ticket a queued job is about (an e-mail notification), so that a redaction rewrites the
-- waiting mail about its ticket without opening every sealed message the tenant has queued
-- (platform/jobs/mail-job.ts reviseMailAbout). An internal id, as undelivered_mail.ticket_id: no
-- content. No foreign key: a job outlives nothing, and a ticket's deletion drops its mail itself.
ALTER TABLE job_statuses ADD COLUMN ticket_id uuid;
CREATE INDEX job_statuses_ticket ON job_statuses (tenant_id, ticket_id) WHERE ticket_id IS NOT NULL AND status IN ('queued', 'working');
