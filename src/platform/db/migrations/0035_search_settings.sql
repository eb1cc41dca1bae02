-- Search settings per tenant (src/modules/search/search-settings-service.ts): the Snowball
-- algorithms that stem the tenant's text. Language names are configuration, not content: stored
-- in clear. One row per tenant, made for every tenant here and by tenant creation after, so that
-- the conversation writer's index hook can read it FOR SHARE: a change of languages waits for
-- the writes in flight, and every write after it indexes with the new languages (the reindex the
-- change starts then covers everything written before).
CREATE TABLE search_settings (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  languages text[] NOT NULL CHECK (cardinality(languages) BETWEEN 1 AND 32),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id)
);

INSERT INTO search_settings (tenant_id, languages) SELECT id, ARRAY['english', 'swedish', 'russian'] FROM tenants;

ALTER TABLE search_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE search_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON search_settings USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT, UPDATE ON search_settings TO vaultdesk_app;

-- At most one unfinished reindex per tenant (the service joins or restarts the running one; this
-- is the backstop against two requests racing).
CREATE UNIQUE INDEX job_statuses_one_search_reindex ON job_statuses (tenant_id) WHERE job_type = 'search.reindex' AND status IN ('queued', 'working');
