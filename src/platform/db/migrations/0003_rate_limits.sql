-- Shared rate-limit counters for several server processes on one PostgreSQL. Keys are digests
-- (tenant, credential digest or client address); no customer content. Not a tenant table: the
-- limiter reaches it through the owner connection outside request transactions.
CREATE TABLE rate_limit_counters (
  key text NOT NULL,
  window_start timestamptz NOT NULL,
  count integer NOT NULL,
  PRIMARY KEY (key, window_start)
);
