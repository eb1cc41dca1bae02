-- Finished jobs are kept for a while (their results tell an agent which tickets a bulk update
-- could not change) and then removed by the job runner (src/modules/jobs/job-runner.ts).
--
-- vd_jobs_purge deletes finished jobs of every tenant that ended before p_before. It runs as its
-- owner, like vd_jobs_due; the app role cannot call it. Results hold ids, outcome codes and the
-- application's own texts, and payloads are already cleared when a job ends.

CREATE FUNCTION vd_jobs_purge(p_before timestamptz, p_limit integer)
RETURNS integer LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  n integer;
BEGIN
  DELETE FROM job_statuses j
  WHERE (j.tenant_id, j.id) IN (
    SELECT f.tenant_id, f.id FROM job_statuses f
    WHERE f.status IN ('completed', 'failed') AND f.finished_at < p_before
    LIMIT p_limit);
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;
REVOKE ALL ON FUNCTION vd_jobs_purge(timestamptz, integer) FROM PUBLIC;

-- Row-level security is forced on job_statuses: the owner (the function above) may delete
-- finished jobs only.
DO $$
BEGIN
  EXECUTE format($p$CREATE POLICY runner_purge ON job_statuses FOR DELETE TO %I USING (status IN ('completed', 'failed') AND finished_at IS NOT NULL)$p$, current_user);
END
$$;

CREATE INDEX job_statuses_finished ON job_statuses (finished_at) WHERE status IN ('completed', 'failed');
