\set k random(1, :n)
BEGIN;
INSERT INTO search_postings (tenant_id, term, ticket_id, internal, tf)
  SELECT :big, t.term, n.id, s.internal, t.tf FROM exp_split s CROSS JOIN (SELECT ('ffff' || lpad(to_hex(nextval('exp_seq')), 28, '0'))::uuid AS id) n
  CROSS JOIN LATERAL unnest(coalesce(s.common_terms, '{}') || coalesce(s.rare_terms, '{}'), coalesce(s.common_tfs, '{}') || coalesce(s.rare_tfs, '{}')) AS t(term, tf) WHERE s.k = :k;
COMMIT;
