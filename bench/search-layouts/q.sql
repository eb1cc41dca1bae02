\timing off
SET work_mem = '64MB';
DROP TABLE IF EXISTS exp_pick;
CREATE UNLOGGED TABLE exp_pick AS
  (SELECT 'top1' AS what, term, df FROM exp_df ORDER BY df DESC LIMIT 1)
  UNION ALL (SELECT 'rank100', term, df FROM exp_df ORDER BY df DESC OFFSET 99 LIMIT 1)
  UNION ALL (SELECT 'rank2000', term, df FROM exp_df ORDER BY df DESC OFFSET 1999 LIMIT 1)
  UNION ALL (SELECT 'df50', term, df FROM exp_df WHERE df = 50 LIMIT 1)
  UNION ALL (SELECT 'df3', term, df FROM exp_df WHERE df = 3 LIMIT 1);
SELECT what, df FROM exp_pick;
CREATE OR REPLACE FUNCTION exp_time(q text) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE t0 timestamptz; best float8 := 1e9; i int; r record;
BEGIN
  FOR i IN 1..5 LOOP
    t0 := clock_timestamp();
    EXECUTE q;
    best := least(best, extract(epoch FROM clock_timestamp() - t0) * 1000);
  END LOOP;
  RETURN round(best::numeric, 2);
END $$;
SELECT p.what, p.df,
  exp_time(format($q$SELECT count(*) FROM (SELECT p.ticket_id, sum(p.tf) FROM search_postings p WHERE p.tenant_id = %L AND p.term = %L GROUP BY p.ticket_id) x$q$, :'big', p.term)) AS postings_ms,
  exp_time(format($q$SELECT count(*) FROM (SELECT p.ticket_id, sum(p.tf), sum(d.length) FROM search_postings p JOIN search_documents d ON d.tenant_id = p.tenant_id AND d.ticket_id = p.ticket_id AND d.internal = p.internal WHERE p.tenant_id = %L AND p.term = %L GROUP BY p.ticket_id) x$q$, :'big', p.term)) AS postings_len_ms,
  exp_time(format($q$SELECT count(*) FROM (SELECT d.ticket_id, sum(d.tfs[array_position(d.terms, %s::bigint)]), sum(d.length) FROM exp_docs d WHERE d.terms @> ARRAY[%s::bigint] AND d.tenant_id = %L GROUP BY d.ticket_id) x$q$, h, h, :'big')) AS gin_ms
FROM exp_pick p CROSS JOIN LATERAL (SELECT ('x' || encode(substring(p.term FROM 1 FOR 8), 'hex'))::bit(64)::bigint AS h) hh ORDER BY p.df DESC;
