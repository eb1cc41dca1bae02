-- EXPLAIN of the workspace's view, paging and count queries (docs/workspace.md), as the app role.
-- psql -v tid=TENANT_UUID -v agent=AGENT_UUID -f bench/workspace-explain.sql
SET ROLE vaultdesk_app;
SELECT set_config('app.tenant_id', :'tid', false);
\echo === all open, sorted by updated desc, first page
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON) SELECT t.id, t.nice_id, t.status, t.updated_at, r.nice_id, a.nice_id, (extract(epoch from t.updated_at) * 1000000)::bigint::text AS sort_key
FROM tickets t JOIN users r ON r.tenant_id = t.tenant_id AND r.id = t.requester_id JOIN users s ON s.tenant_id = t.tenant_id AND s.id = t.submitter_id
LEFT JOIN users a ON a.tenant_id = t.tenant_id AND a.id = t.assignee_id LEFT JOIN groups g ON g.tenant_id = t.tenant_id AND g.id = t.group_id LEFT JOIN organizations o ON o.tenant_id = t.tenant_id AND o.id = t.organization_id
WHERE t.tenant_id = :'tid' AND t.deleted_at IS NULL AND t.status IN ('new','open','pending','hold')
ORDER BY t.updated_at DESC, t.nice_id DESC LIMIT 26;
\echo === all open, updated desc, page after a cursor deep in the list
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON) SELECT t.id, t.nice_id FROM tickets t JOIN users r ON r.tenant_id = t.tenant_id AND r.id = t.requester_id JOIN users s ON s.tenant_id = t.tenant_id AND s.id = t.submitter_id
LEFT JOIN users a ON a.tenant_id = t.tenant_id AND a.id = t.assignee_id
WHERE t.tenant_id = :'tid' AND t.deleted_at IS NULL AND t.status IN ('new','open','pending','hold')
AND (t.updated_at, t.nice_id) < ((timestamptz 'epoch' + (extract(epoch from now() - interval '300 days') * 1000000)::bigint * interval '1 microsecond'), 50000)
ORDER BY t.updated_at DESC, t.nice_id DESC LIMIT 26;
\echo === page before (previous page)
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON) SELECT t.id, t.nice_id FROM tickets t
WHERE t.tenant_id = :'tid' AND t.deleted_at IS NULL AND t.status IN ('new','open','pending','hold')
AND (t.updated_at, t.nice_id) > ((timestamptz 'epoch' + (extract(epoch from now() - interval '300 days') * 1000000)::bigint * interval '1 microsecond'), 50000)
ORDER BY t.updated_at ASC, t.nice_id ASC LIMIT 26;
\echo === my open, updated desc
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON) SELECT t.id, t.nice_id FROM tickets t
WHERE t.tenant_id = :'tid' AND t.deleted_at IS NULL AND t.status IN ('new','open','pending','hold') AND t.assignee_id = :'agent'
ORDER BY t.updated_at DESC, t.nice_id DESC LIMIT 26;
\echo === unassigned, updated desc
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON) SELECT t.id, t.nice_id FROM tickets t
WHERE t.tenant_id = :'tid' AND t.deleted_at IS NULL AND t.status IN ('new','open','pending','hold') AND t.assignee_id IS NULL
ORDER BY t.updated_at DESC, t.nice_id DESC LIMIT 26;
\echo === pending by priority desc
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON) SELECT t.id, t.nice_id FROM tickets t
WHERE t.tenant_id = :'tid' AND t.deleted_at IS NULL AND t.status IN ('pending')
ORDER BY vd_priority_rank(t.priority) DESC, t.nice_id DESC LIMIT 26;
\echo === all open by status asc
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON) SELECT t.id, t.nice_id FROM tickets t
WHERE t.tenant_id = :'tid' AND t.deleted_at IS NULL AND t.status IN ('new','open','pending','hold')
ORDER BY vd_status_rank(t.status) ASC, t.nice_id ASC LIMIT 26;
\echo === recently solved
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON) SELECT t.id, t.nice_id FROM tickets t
WHERE t.tenant_id = :'tid' AND t.deleted_at IS NULL AND t.status IN ('solved','closed') AND t.solved_at >= now() - interval '7 days'
ORDER BY t.updated_at DESC, t.nice_id DESC LIMIT 26;
\echo === tag filter vip, created asc
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON) SELECT t.id, t.nice_id FROM tickets t
WHERE t.tenant_id = :'tid' AND t.deleted_at IS NULL AND t.tags @> ARRAY['vip']::text[]
ORDER BY t.created_at ASC, t.nice_id ASC LIMIT 26;
\echo === count: all open (capped at 10000)
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON) SELECT count(*) FROM (SELECT 1 FROM tickets t WHERE t.tenant_id = :'tid' AND t.deleted_at IS NULL AND t.status IN ('new','open','pending','hold') LIMIT 10001) s;
\echo === count: my open
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON) SELECT count(*) FROM (SELECT 1 FROM tickets t WHERE t.tenant_id = :'tid' AND t.deleted_at IS NULL AND t.status IN ('new','open','pending','hold') AND t.assignee_id = :'agent' LIMIT 10001) s;
\echo === count: unassigned
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON) SELECT count(*) FROM (SELECT 1 FROM tickets t WHERE t.tenant_id = :'tid' AND t.deleted_at IS NULL AND t.status IN ('new','open','pending','hold') AND t.assignee_id IS NULL LIMIT 10001) s;
\echo === count: pending
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON) SELECT count(*) FROM (SELECT 1 FROM tickets t WHERE t.tenant_id = :'tid' AND t.deleted_at IS NULL AND t.status IN ('pending') LIMIT 10001) s;
\echo === count: recently solved
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, SUMMARY ON) SELECT count(*) FROM (SELECT 1 FROM tickets t WHERE t.tenant_id = :'tid' AND t.deleted_at IS NULL AND t.status IN ('solved','closed') AND t.solved_at >= now() - interval '7 days' LIMIT 10001) s;
