-- Lists sorted by the next SLA breach (views, searches and the workspace's built-in lists): the
-- sort key is the breach time in integer microseconds since the epoch, or a key past every breach
-- for a ticket without one (so that it sorts last going up and still has a cursor). As an immutable
-- function, the index below and the queries use the same expression, and a page reads one page of
-- the index instead of sorting every matching ticket (tickets-repo.ts SORT_KEYS). Its body is
-- immutable too (the time's distance from the epoch, an interval, rather than extract on a
-- timestamptz, which PostgreSQL counts as depending on the time zone), so PostgreSQL inlines it:
-- no function call per row written or sorted.

CREATE FUNCTION vd_breach_key(at timestamptz) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce((extract(epoch from (at - timestamptz '1970-01-01 00:00:00+00')) * 1000000)::bigint, 9007199254740991)
$$;

CREATE INDEX tickets_breach_page ON tickets (tenant_id, vd_breach_key(sla_next_breach_at), nice_id) WHERE deleted_at IS NULL;
