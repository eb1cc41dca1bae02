-- Durable background jobs: the job statuses of 0001_core.sql become the job store the job runner
-- (src/modules/jobs/job-runner.ts) works from. Same invariants as 0001_core.sql, 0006_admin.sql
-- and 0007_help_center.sql: tenant_id in every key and foreign key, forced row-level security,
-- content and personal data sealed by the application.
--
-- A job's input (ticket changes, an e-mail's recipient and text) is sealed in payload_sealed and
-- cleared once the job has finished. Results hold ids, outcome codes and texts written by the
-- application, never content. A claim is a lease: locked_by names the process that works on the
-- job, locked_until says when others may take it over (its process died or lost the database).

ALTER TABLE job_statuses
  ADD COLUMN payload_sealed bytea,
  ADD COLUMN created_by uuid,
  ADD COLUMN request_id text NOT NULL DEFAULT '',
  ADD COLUMN attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  ADD COLUMN max_attempts integer NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
  ADD COLUMN run_after timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN locked_until timestamptz,
  ADD COLUMN locked_by text,
  ADD COLUMN message text,
  ADD COLUMN finished_at timestamptz,
  ADD CONSTRAINT job_statuses_created_by_fk FOREIGN KEY (tenant_id, created_by) REFERENCES users (tenant_id, id),
  ADD CONSTRAINT job_statuses_progress_check CHECK (progress >= 0 AND progress <= total);

-- The runner looks for due work by this index: unfinished jobs only.
CREATE INDEX job_statuses_due ON job_statuses (run_after, tenant_id) WHERE status IN ('queued', 'working');

-- Finds tenants with unfinished jobs of the given types (those the calling process knows how to
-- run) that no live process holds, with the earliest time one of them is due (run_after). p_ignore_leases: on the embedded database one process owns the data
-- folder, so a lease held by anyone but p_worker (that process) was left by a process that is
-- gone. Returns tenant ids and times only, never a payload; each job is then claimed and worked on
-- inside its tenant's context. Runs as its owner so that it can look across tenants; the app role
-- cannot call it.
CREATE FUNCTION vd_jobs_due(p_types text[], p_ignore_leases boolean, p_worker text, p_limit integer)
RETURNS TABLE (tenant_id uuid, next_run timestamptz) LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT j.tenant_id, min(j.run_after)
  FROM job_statuses j
  WHERE j.status IN ('queued', 'working') AND j.job_type = ANY (p_types)
    AND (j.locked_until IS NULL OR j.locked_until < now() OR (p_ignore_leases AND j.locked_by IS DISTINCT FROM p_worker))
  GROUP BY j.tenant_id
  ORDER BY min(j.run_after)
  LIMIT p_limit
$$;
REVOKE ALL ON FUNCTION vd_jobs_due(text[], boolean, text, integer) FROM PUBLIC;

-- Row-level security is forced on job_statuses, so the owner (the function above) gets a
-- read-only policy of its own, as the audit chainer's sweep has on audit_queue.
DO $$
BEGIN
  EXECUTE format('CREATE POLICY runner_sweep ON job_statuses FOR SELECT TO %I USING (true)', current_user);
END
$$;
