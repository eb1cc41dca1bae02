import type { FastifyInstance } from "fastify";
import type { AppDeps } from "../platform/deps.ts";
import * as admin from "./admin/admin-routes.ts";
import * as audit from "./audit/audit-routes.ts";
import * as compliance from "./compliance/compliance-routes.ts";
import * as dataExports from "./exports/exports-routes.ts";
import * as groups from "./groups/groups-routes.ts";
import * as helpCenter from "./help-center/help-center-routes.ts";
import * as identity from "./identity/identity-routes.ts";
import * as saml from "./identity/sso-saml-routes.ts";
import * as jobs from "./jobs/jobs-routes.ts";
import * as mail from "./mail/mail-routes.ts";
import * as organizations from "./organizations/organizations-routes.ts";
import * as dsr from "./privacy/dsr-routes.ts";
import * as privacy from "./privacy/privacy-routes.ts";
import * as erasure from "./privacy/erasure-routes.ts";
import * as search from "./search/search-routes.ts";
import * as setup from "./setup/setup-routes.ts";
import * as support from "./support/support-routes.ts";
import * as tickets from "./tickets/tickets-routes.ts";
import * as users from "./users/users-routes.ts";
import * as views from "./views/views-routes.ts";
import * as macros from "./macros/macros-routes.ts";
import * as triggers from "./triggers/triggers-routes.ts";
import * as automations from "./triggers/automations-routes.ts";
import * as sla from "./sla/sla-routes.ts";
import * as customRoles from "./users/custom-roles-routes.ts";
import * as schedules from "./sla/schedules-routes.ts";

/** Every business module, each registering its own routes (docs/architecture.md has the route table). */
export const modules: Array<{ name: string; register(app: FastifyInstance, deps: AppDeps): Promise<void> | void }> = [
  { name: "identity", register: identity.register },
  { name: "identity", register: saml.register },
  { name: "users", register: users.register },
  { name: "users", register: customRoles.register },
  { name: "organizations", register: organizations.register },
  { name: "groups", register: groups.register },
  { name: "tickets", register: tickets.register },
  { name: "search", register: search.register },
  { name: "views", register: views.register },
  { name: "macros", register: macros.register },
  { name: "triggers", register: triggers.register },
  { name: "triggers", register: automations.register },
  // After the triggers: a policy is applied to the ticket as the triggers left it (the same hook, in order).
  { name: "sla", register: sla.register },
  { name: "sla", register: schedules.register },
  { name: "audit", register: audit.register },
  { name: "setup", register: setup.register },
  { name: "admin", register: admin.register },
  { name: "help-center", register: helpCenter.register },
  { name: "jobs", register: jobs.register },
  { name: "mail", register: mail.register },
  { name: "support", register: support.register },
  { name: "privacy", register: privacy.register },
  { name: "privacy", register: erasure.register },
  { name: "compliance", register: compliance.register },
  { name: "exports", register: dataExports.register },
  { name: "privacy", register: dsr.register },
];
