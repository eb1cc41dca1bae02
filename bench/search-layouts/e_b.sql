\set k random(1, :n)
BEGIN;
INSERT INTO exp_docs (tenant_id, ticket_id, internal, length, terms, tfs)
  SELECT d.tenant_id, gen_random_uuid(), d.internal, d.length, d.terms, d.tfs FROM exp_ids e JOIN exp_docs d ON d.tenant_id = :big AND d.ticket_id = e.ticket_id AND d.internal = e.internal WHERE e.k = :k;
COMMIT;
