import type { Abilities } from "../api-schema.ts";
import type { MessageKey } from "../i18n/en.ts";

/**
 * The admin center's sections and the ability each one needs, read from the server's session
 * `abilities` (the same policies the API enforces). Owners and admins have every section; an agent
 * whose role grants groups, organizations, the audit log or API tokens has those sections only,
 * so no page they are shown answers 403. Everything else (people, roles, settings) is the admins'.
 */
export type AdminSection = { path: string; label: MessageKey; allowed: (a: Abilities) => boolean };

const admins = (a: Abilities) => a.can_manage_admin;

export const SECTIONS: readonly AdminSection[] = [
  { path: "/admin/people", label: "admin.nav.people", allowed: admins },
  { path: "/admin/invitations", label: "admin.nav.invitations", allowed: admins },
  { path: "/admin/roles", label: "admin.nav.roles", allowed: admins },
  { path: "/admin/ticket-fields", label: "admin.nav.ticketFields", allowed: admins },
  { path: "/admin/triggers", label: "triggers.nav", allowed: admins },
  { path: "/admin/automations", label: "automations.nav", allowed: admins },
  { path: "/admin/business-hours", label: "sla.hours.nav", allowed: admins },
  { path: "/admin/slas", label: "sla.policies.nav", allowed: admins },
  { path: "/admin/groups", label: "admin.nav.groups", allowed: (a) => a.can_manage_groups },
  { path: "/admin/organizations", label: "admin.nav.organizations", allowed: (a) => a.can_edit_organizations },
  { path: "/admin/tokens", label: "admin.nav.tokens", allowed: (a) => a.can_manage_api_tokens },
  { path: "/admin/oauth-clients", label: "admin.nav.oauthClients", allowed: admins },
  { path: "/admin/sessions", label: "admin.nav.sessions", allowed: admins },
  { path: "/admin/security", label: "tf.nav", allowed: admins },
  { path: "/admin/ip-restrictions", label: "ipr.nav", allowed: admins },
  { path: "/admin/sso", label: "admin.nav.sso", allowed: admins },
  { path: "/admin/audit", label: "admin.nav.audit", allowed: (a) => a.can_view_audit_log },
  { path: "/admin/jobs", label: "admin.nav.jobs", allowed: admins },
  { path: "/admin/account", label: "admin.nav.account", allowed: admins },
  { path: "/admin/help-center", label: "admin.nav.helpCenter", allowed: admins },
  { path: "/admin/satisfaction", label: "csat.nav", allowed: admins },
  { path: "/admin/passwords", label: "admin.nav.passwords", allowed: admins },
  { path: "/admin/attachments", label: "admin.nav.attachments", allowed: admins },
  { path: "/admin/retention", label: "retention.nav", allowed: admins },
  { path: "/admin/deleted-people", label: "erasure.nav", allowed: admins },
  { path: "/admin/compliance", label: "compliance.nav", allowed: admins },
  { path: "/admin/redaction", label: "redaction.nav", allowed: admins },
  { path: "/admin/data-requests", label: "dsr.nav", allowed: admins },
  { path: "/admin/notifications", label: "admin.nav.notifications", allowed: admins },
  { path: "/admin/support-addresses", label: "mail.nav.addresses", allowed: admins },
  { path: "/admin/suspended-tickets", label: "mail.nav.suspended", allowed: admins },
];

/** The sections `abilities` open, in the navigation's order (none: the admin center is not theirs). */
export const adminSections = (abilities: Abilities): AdminSection[] => SECTIONS.filter((s) => s.allowed(abilities));

/** The section a path belongs to (`/admin/groups/7` → groups), if any. */
export const sectionOf = (path: string): AdminSection | undefined => SECTIONS.find((s) => path === s.path || path.startsWith(`${s.path}/`));
