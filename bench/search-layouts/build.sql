-- :big is the big tenant's id
\timing on
SET maintenance_work_mem = '1GB';
DROP TABLE IF EXISTS exp_docs, exp_ids;
CREATE UNLOGGED TABLE exp_ids AS SELECT row_number() OVER () AS k, ticket_id, internal FROM search_documents WHERE tenant_id = :'big';
CREATE INDEX ON exp_ids (k);
CREATE TABLE exp_docs AS
  SELECT s.tenant_id, s.ticket_id, s.internal, min(d.length) AS length, array_agg(h ORDER BY h) AS terms, array_agg(tf ORDER BY h) AS tfs
  FROM (SELECT tenant_id, ticket_id, internal, ('x' || encode(substring(term FROM 1 FOR 8), 'hex'))::bit(64)::bigint AS h, tf FROM search_postings WHERE tenant_id = :'big') s
  JOIN search_documents d ON d.tenant_id = s.tenant_id AND d.ticket_id = s.ticket_id AND d.internal = s.internal
  GROUP BY 1, 2, 3;
ALTER TABLE exp_docs ADD PRIMARY KEY (tenant_id, ticket_id, internal);
CREATE INDEX exp_docs_terms ON exp_docs USING gin (terms) WITH (fastupdate = on);
VACUUM ANALYZE exp_docs;
SELECT pg_size_pretty(pg_relation_size('exp_docs')) heap, pg_size_pretty(pg_total_relation_size('exp_docs')) total, pg_size_pretty(pg_relation_size('exp_docs_terms')) gin;
SELECT pg_size_pretty(pg_total_relation_size('search_postings')) postings_total;
