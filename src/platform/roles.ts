/**
 * What a staff member may do, as a configuration: Zendesk's custom agent role `configuration`
 * object (with the keys Vaultdesk enforces). The built-in roles are presets of it; an agent may
 * instead carry a tenant's custom role. Policies read permissions through `permissionsOf`, never
 * from the role name alone, so a custom role is obeyed wherever the preset would be.
 *
 * Owners and admins always have every permission (their preset is not editable and a custom role
 * cannot be given to them); end users have none of these (they have rules of their own).
 */
import type { Role } from "./db/schema.ts";

export const TICKET_ACCESS = ["all", "within-groups", "assigned-only"] as const;
export type TicketAccess = (typeof TICKET_ACCESS)[number];

export type RoleConfiguration = {
  /** Which tickets: all, those of the agent's groups, or those assigned to them (plus, in both
   * narrower cases, tickets they requested or are CC'd on). */
  ticket_access: TicketAccess;
  /** Change ticket properties (status, assignee, group, fields, tags) and create tickets. */
  ticket_editing: boolean;
  /** `public`: public replies and internal notes; `internal`: internal notes only. */
  ticket_comment_access: "public" | "internal";
  ticket_deletion: boolean;
  /** Redact comment text and remove attachments. */
  ticket_redaction: boolean;
  /** `readonly`: see end users; `edit`: also create and edit them. */
  end_user_profile_access: "readonly" | "edit";
  /** Create, edit and delete groups and their memberships. */
  group_access: boolean;
  /** Create, edit and delete organizations and their members. */
  organization_editing: boolean;
  /** Read the audit log. */
  audit_log_access: boolean;
  /** Create and manage their own API tokens. */
  api_token_access: boolean;
  /** Export data (the staff-side exports; see docs/security-model.md). */
  data_export_access: boolean;
};

export const ROLE_CONFIGURATION_KEYS = [
  "ticket_access",
  "ticket_editing",
  "ticket_comment_access",
  "ticket_deletion",
  "ticket_redaction",
  "end_user_profile_access",
  "group_access",
  "organization_editing",
  "audit_log_access",
  "api_token_access",
  "data_export_access",
] as const satisfies ReadonlyArray<keyof RoleConfiguration>;

const FULL: RoleConfiguration = {
  ticket_access: "all",
  ticket_editing: true,
  ticket_comment_access: "public",
  ticket_deletion: true,
  ticket_redaction: true,
  end_user_profile_access: "edit",
  group_access: true,
  organization_editing: true,
  audit_log_access: true,
  api_token_access: true,
  data_export_access: true,
};

/** The built-in roles, listed by the custom roles API with these ids and not editable. */
export const PRESETS = {
  admin: { id: 1, name: "Administrator", role_type: 4, configuration: FULL },
  agent: {
    id: 2,
    name: "Agent",
    role_type: 0,
    configuration: { ...FULL, group_access: false, organization_editing: true, audit_log_access: false, data_export_access: false },
  },
  light_agent: {
    id: 3,
    name: "Light agent",
    role_type: 1,
    configuration: {
      ...FULL,
      ticket_editing: false,
      ticket_comment_access: "internal",
      ticket_deletion: false,
      ticket_redaction: false,
      end_user_profile_access: "readonly",
      group_access: false,
      organization_editing: false,
      audit_log_access: false,
      api_token_access: true,
      data_export_access: false,
    },
  },
} as const satisfies Record<string, { id: number; name: string; role_type: number; configuration: RoleConfiguration }>;

/** The presets' public ids. */
export const PRESET_IDS = { admin: PRESETS.admin.id, agent: PRESETS.agent.id, light_agent: PRESETS.light_agent.id } as const;

/** Public ids below this are the presets'; custom roles are numbered from it. */
export const FIRST_CUSTOM_ROLE_ID = 4;

const NONE: RoleConfiguration = {
  ticket_access: "assigned-only",
  ticket_editing: false,
  ticket_comment_access: "internal",
  ticket_deletion: false,
  ticket_redaction: false,
  end_user_profile_access: "readonly",
  group_access: false,
  organization_editing: false,
  audit_log_access: false,
  api_token_access: false,
  data_export_access: false,
};

/**
 * The permissions of a person: owners and admins everything; an agent their custom role, else the
 * agent preset; a light agent the light-agent preset; end users and anyone else nothing.
 */
export function permissionsOf(p: { role: Role; customRole?: RoleConfiguration | null | undefined }): RoleConfiguration {
  switch (p.role) {
    case "owner":
    case "admin":
      return FULL;
    case "agent":
      return p.customRole ?? PRESETS.agent.configuration;
    case "light_agent":
      return PRESETS.light_agent.configuration;
    default:
      return NONE;
  }
}

/**
 * A stored configuration as the policies read it. A key missing or not understood (a role saved
 * before a permission existed) reads as its most restrictive value, never as a grant.
 */
export function readRoleConfiguration(raw: unknown): RoleConfiguration {
  const o = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  const bool = (k: keyof RoleConfiguration) => (o[k] === true ? true : false);
  const access = TICKET_ACCESS.includes(o.ticket_access as TicketAccess) ? (o.ticket_access as TicketAccess) : NONE.ticket_access;
  return {
    ticket_access: access,
    ticket_editing: bool("ticket_editing"),
    ticket_comment_access: o.ticket_comment_access === "public" ? "public" : "internal",
    ticket_deletion: bool("ticket_deletion"),
    ticket_redaction: bool("ticket_redaction"),
    end_user_profile_access: o.end_user_profile_access === "edit" ? "edit" : "readonly",
    group_access: bool("group_access"),
    organization_editing: bool("organization_editing"),
    audit_log_access: bool("audit_log_access"),
    api_token_access: bool("api_token_access"),
    data_export_access: bool("data_export_access"),
  };
}

/**
 * A custom role as an actor carries it: its configuration and its public id (`roleId`, which the
 * field permissions name; absent only where a role is built in code, as in unit tests).
 */
export type CustomRole = RoleConfiguration & { roleId?: number };

/** A user row's custom role as an actor carries it (the column read by the credential lookups, with `role_id`). */
export function customRoleOf(raw: unknown, publicId?: number | string | null): CustomRole | null {
  if (raw === null || raw === undefined) return null;
  const id = publicId ?? (raw as { role_id?: unknown }).role_id;
  const roleId = typeof id === "number" ? id : typeof id === "string" && /^\d+$/.test(id) ? Number(id) : undefined;
  return roleId === undefined ? readRoleConfiguration(raw) : { ...readRoleConfiguration(raw), roleId };
}
