-- Lists sorted by the next SLA breach (views, searches and the workspace's built-in lists): the
-- sort key is the breach time in integer microseconds, or a key past every breach for a ticket
-- without one (so that it sorts last going up and still has a cursor). As an immutable function,
-- the index below and the queries use the same expression, and a page reads one page of the index
-- instead of sorting every matching ticket (tickets-repo.ts SORT_KEYS). The epoch of a timestamptz
-- names one instant whatever the session's time zone, so the function is immutable in truth.

CREATE FUNCTION vd_breach_key(at timestamptz) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT coalesce((extract(epoch from at) * 1000000)::bigint, 9007199254740991)
$$;

CREATE INDEX tickets_breach_page ON tickets (tenant_id, vd_breach_key(sla_next_breach_at), nice_id) WHERE deleted_at IS NULL;
