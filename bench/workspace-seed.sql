-- Seeds one tenant with :n tickets for EXPLAIN of the workspace's queries (docs/workspace.md).
-- psql -v sub=SUBDOMAIN -v n=100000 -f bench/workspace-seed.sql (as a superuser, on a throwaway database
-- migrated by `vaultdesk migrate`, with the tenant created by `vaultdesk tenant create`).
\set ON_ERROR_STOP on
SELECT id AS tid FROM tenants WHERE subdomain = :'sub' \gset
BEGIN;
INSERT INTO users (tenant_id, id, nice_id, role, name_sealed, email_bidx)
SELECT :'tid', gen_random_uuid(), 1000 + g, CASE WHEN g <= 20 THEN 'agent' ELSE 'end_user' END, '\x00'::bytea, decode(md5(:'sub' || g::text), 'hex')
FROM generate_series(1, 5000) g;
INSERT INTO groups (tenant_id, id, nice_id, name) SELECT :'tid', gen_random_uuid(), g, 'G' || g FROM generate_series(1, 5) g;
CREATE TEMP TABLE ag AS SELECT row_number() OVER () AS n, id FROM users WHERE tenant_id = :'tid' AND role = 'agent';
CREATE TEMP TABLE eu AS SELECT row_number() OVER () AS n, id FROM users WHERE tenant_id = :'tid' AND role = 'end_user';
CREATE TEMP TABLE gr AS SELECT row_number() OVER () AS n, id FROM groups WHERE tenant_id = :'tid';
CREATE TEMP TABLE raw AS
SELECT g, random() AS rs, random() AS rp, 1 + floor(random() * 20)::int AS a, 1 + floor(random() * 4980)::int AS r, 1 + floor(random() * 5)::int AS gg,
  now() - random() * interval '365 days' AS upd, random() AS rt
FROM generate_series(1, :n) g;
INSERT INTO tickets (tenant_id, id, nice_id, subject_sealed, description_sealed, status, priority, type, requester_id, submitter_id, assignee_id, group_id, tags, created_at, updated_at, solved_at)
SELECT :'tid', gen_random_uuid(), raw.g, '\x00'::bytea, '\x00'::bytea,
  s.status,
  CASE WHEN rp < 0.2 THEN NULL WHEN rp < 0.5 THEN 'normal' WHEN rp < 0.75 THEN 'low' WHEN rp < 0.93 THEN 'high' ELSE 'urgent' END,
  CASE WHEN rt < 0.5 THEN 'question' WHEN rt < 0.8 THEN 'incident' ELSE NULL END,
  eu.id, eu.id,
  CASE WHEN s.status = 'new' OR rt > 0.95 THEN NULL ELSE ag.id END,
  CASE WHEN rt < 0.9 THEN gr.id END,
  CASE WHEN rt < 0.05 THEN ARRAY['vip', 'billing'] WHEN rt < 0.3 THEN ARRAY['billing'] ELSE ARRAY['seeded'] END,
  upd - random() * interval '30 days', upd,
  CASE WHEN s.status IN ('solved', 'closed') THEN upd END
FROM raw
CROSS JOIN LATERAL (SELECT CASE WHEN rs < 0.5 THEN 'closed' WHEN rs < 0.7 THEN 'solved' WHEN rs < 0.85 THEN 'open' WHEN rs < 0.93 THEN 'pending' WHEN rs < 0.97 THEN 'new' ELSE 'hold' END AS status) s
JOIN ag ON ag.n = raw.a JOIN eu ON eu.n = raw.r JOIN gr ON gr.n = raw.gg;
INSERT INTO tenant_counters (tenant_id, name, value) VALUES (:'tid', 'tickets', :n), (:'tid', 'users', 7000), (:'tid', 'groups', 10)
ON CONFLICT (tenant_id, name) DO UPDATE SET value = excluded.value;
COMMIT;
