-- Cancelling a job someone started (POST /api/v2/job_statuses/{id}/cancel): Zendesk's `killed`
-- status. A killed job is finished: its payload is cleared, its lease released, and it is purged
-- with the other finished jobs after VAULTDESK_JOB_RETENTION_HOURS (0010_job_retention.sql).
ALTER TABLE job_statuses DROP CONSTRAINT job_statuses_status_check;
ALTER TABLE job_statuses ADD CONSTRAINT job_statuses_status_check CHECK (status IN ('queued', 'working', 'completed', 'failed', 'killed'));

CREATE OR REPLACE FUNCTION vd_jobs_purge(p_before timestamptz, p_limit integer)
RETURNS integer LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  n integer;
BEGIN
  DELETE FROM job_statuses j
  WHERE (j.tenant_id, j.id) IN (
    SELECT f.tenant_id, f.id FROM job_statuses f
    WHERE f.status IN ('completed', 'failed', 'killed') AND f.finished_at < p_before
    LIMIT p_limit);
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END
$$;
REVOKE ALL ON FUNCTION vd_jobs_purge(timestamptz, integer) FROM PUBLIC;

-- Altered, not re-created: the policy keeps its role (vd_jobs_purge's owner, who ran 0010), even
-- when this migration runs as another (a superuser).
ALTER POLICY runner_purge ON job_statuses USING (status IN ('completed', 'failed', 'killed') AND finished_at IS NOT NULL);

DROP INDEX job_statuses_finished;
CREATE INDEX job_statuses_finished ON job_statuses (finished_at) WHERE status IN ('completed', 'failed', 'killed');
