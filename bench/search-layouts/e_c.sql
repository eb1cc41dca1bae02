\set k random(1, :n)
BEGIN;
INSERT INTO search_postings (tenant_id, term, ticket_id, internal, tf)
  SELECT :big, t.term, n.id, s.internal, t.tf FROM exp_split s CROSS JOIN (SELECT gen_random_uuid() AS id) n
  CROSS JOIN LATERAL unnest(s.common_terms, s.common_tfs) AS t(term, tf) WHERE s.k = :k;
INSERT INTO exp_docs (tenant_id, ticket_id, internal, length, terms, tfs)
  SELECT :big, gen_random_uuid(), s.internal, 10, s.rare_h, s.rare_tfs FROM exp_split s WHERE s.k = :k AND s.rare_h IS NOT NULL;
COMMIT;
