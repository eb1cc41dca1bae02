-- Custom agent roles (Zendesk's Custom Agent Roles): a tenant's own permission sets for agents
-- (src/modules/users/custom-roles-*.ts). The built-in roles (admin, agent, light agent) are
-- presets in code, listed with ids 1–3; a custom role's public id starts at 4.
-- A role's name, description and configuration are the tenant's policy, not personal data or
-- content, and stay in clear like group names. `configuration` is validated by the service
-- (platform/roles.ts) before it is written.
CREATE TABLE custom_roles (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  id uuid NOT NULL,
  nice_id bigint NOT NULL,
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  configuration jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, nice_id)
);
CREATE UNIQUE INDEX custom_roles_name ON custom_roles (tenant_id, lower(name));

-- Only agents carry a custom role: admins and owners have every permission, light agents and end
-- users their presets.
ALTER TABLE users ADD COLUMN custom_role_id uuid;
ALTER TABLE users ADD FOREIGN KEY (tenant_id, custom_role_id) REFERENCES custom_roles (tenant_id, id);
ALTER TABLE users ADD CHECK (custom_role_id IS NULL OR role = 'agent');
CREATE INDEX users_custom_role ON users (tenant_id, custom_role_id) WHERE custom_role_id IS NOT NULL;

-- Zendesk's shared organizations: members see each other's requests (off by default).
ALTER TABLE organizations ADD COLUMN shared_tickets boolean NOT NULL DEFAULT false;

-- "Within groups" ticket access reads an agent's groups for every ticket query.
CREATE INDEX group_memberships_user ON group_memberships (tenant_id, user_id, group_id);
-- "Assigned only" and "within groups" also let an agent see tickets they are CC'd on.
CREATE INDEX IF NOT EXISTS ticket_ccs_user ON ticket_ccs (tenant_id, user_id, ticket_id);

ALTER TABLE custom_roles ENABLE ROW LEVEL SECURITY;
ALTER TABLE custom_roles FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON custom_roles USING (tenant_id = vd_tenant()) WITH CHECK (tenant_id = vd_tenant());
GRANT SELECT, INSERT, UPDATE, DELETE ON custom_roles TO vaultdesk_app;
