\timing on
SET maintenance_work_mem = '1GB';
SET work_mem = '256MB';
DROP TABLE IF EXISTS exp_df, exp_split;
CREATE UNLOGGED TABLE exp_df AS SELECT term, count(*)::int AS df FROM search_postings WHERE tenant_id = :'big' GROUP BY term;
CREATE INDEX ON exp_df (term);
SELECT count(*) AS terms, count(*) FILTER (WHERE df = 1) AS df1, count(*) FILTER (WHERE df <= 10) AS df10, count(*) FILTER (WHERE df >= 1000) AS df1000, sum(df) AS postings FROM exp_df;
CREATE UNLOGGED TABLE exp_split AS
WITH t AS (
  SELECT e.k, p.ticket_id, p.internal, p.term, p.tf, f.df, percent_rank() OVER (PARTITION BY e.k ORDER BY f.df, p.term) AS rk
  FROM exp_ids e JOIN search_postings p ON p.tenant_id = :'big' AND p.ticket_id = e.ticket_id AND p.internal = e.internal
  JOIN exp_df f ON f.term = p.term
  WHERE e.k <= 20000)
SELECT k, ticket_id, internal,
  array_agg(term) FILTER (WHERE rk > 0.55) AS common_terms, array_agg(tf) FILTER (WHERE rk > 0.55) AS common_tfs,
  array_agg(term) FILTER (WHERE rk <= 0.55) AS rare_terms,
  array_agg(('x' || encode(substring(term FROM 1 FOR 8), 'hex'))::bit(64)::bigint) FILTER (WHERE rk <= 0.55) AS rare_h, array_agg(tf) FILTER (WHERE rk <= 0.55) AS rare_tfs,
  avg(df) FILTER (WHERE rk <= 0.55) AS rare_avg_df, avg(df) FILTER (WHERE rk > 0.55) AS common_avg_df
FROM t GROUP BY 1, 2, 3;
CREATE INDEX ON exp_split (k);
SELECT avg(cardinality(common_terms)) common_n, avg(cardinality(rare_terms)) rare_n, avg(rare_avg_df) rare_df, avg(common_avg_df) common_df FROM exp_split;
