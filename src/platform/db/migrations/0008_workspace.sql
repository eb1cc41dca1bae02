-- Agent workspace: indexes behind the views, their counts and their sort orders, so that a view
-- stays fast with 100k+ tickets in a tenant (EXPLAIN evidence: docs/workspace.md).
--
-- Every list is a keyset page ordered by (sort key, nice_id): an index starting with tenant_id,
-- then the sort key, then nice_id lets PostgreSQL walk the index from the cursor and stop after
-- one page, whatever the filter. Priority and status sort by rank (urgent above high, new before
-- open), not alphabetically: the ranks are immutable functions so that the expression indexes
-- and the queries use the same expression.

CREATE FUNCTION vd_priority_rank(p text) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE p WHEN 'low' THEN 1 WHEN 'normal' THEN 2 WHEN 'high' THEN 3 WHEN 'urgent' THEN 4 ELSE 0 END
$$;

CREATE FUNCTION vd_status_rank(s text) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE s WHEN 'new' THEN 0 WHEN 'open' THEN 1 WHEN 'pending' THEN 2 WHEN 'hold' THEN 3 WHEN 'solved' THEN 4 ELSE 5 END
$$;

CREATE INDEX tickets_updated_page ON tickets (tenant_id, updated_at, nice_id) WHERE deleted_at IS NULL;
CREATE INDEX tickets_created_page ON tickets (tenant_id, created_at, nice_id) WHERE deleted_at IS NULL;
CREATE INDEX tickets_priority_page ON tickets (tenant_id, vd_priority_rank(priority), nice_id) WHERE deleted_at IS NULL;
CREATE INDEX tickets_status_page ON tickets (tenant_id, vd_status_rank(status), nice_id) WHERE deleted_at IS NULL;
-- "My open tickets" and "unassigned" (assignee_id IS NULL) with their counts.
CREATE INDEX tickets_assignee_status ON tickets (tenant_id, assignee_id, status, nice_id) WHERE deleted_at IS NULL;
-- "My open tickets" by last update: one agent's tickets in update order, without walking others'.
CREATE INDEX tickets_assignee_updated ON tickets (tenant_id, assignee_id, updated_at, nice_id) WHERE deleted_at IS NULL;
CREATE INDEX tickets_group_status ON tickets (tenant_id, group_id, status, nice_id) WHERE deleted_at IS NULL;
CREATE INDEX tickets_requester_page ON tickets (tenant_id, requester_id, nice_id) WHERE deleted_at IS NULL;
-- "Recently solved": solved in the last days.
CREATE INDEX tickets_solved_at ON tickets (tenant_id, solved_at, nice_id) WHERE deleted_at IS NULL AND solved_at IS NOT NULL;
