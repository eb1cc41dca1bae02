import type { FastifyInstance } from "fastify";
import type { AppDeps } from "../platform/deps.ts";
import * as admin from "./admin/admin-routes.ts";
import * as audit from "./audit/audit-routes.ts";
import * as groups from "./groups/groups-routes.ts";
import * as helpCenter from "./help-center/help-center-routes.ts";
import * as identity from "./identity/identity-routes.ts";
import * as organizations from "./organizations/organizations-routes.ts";
import * as search from "./search/search-routes.ts";
import * as setup from "./setup/setup-routes.ts";
import * as tickets from "./tickets/tickets-routes.ts";
import * as users from "./users/users-routes.ts";

/** Every business module, each registering its own routes. */
export const modules: Array<{ register(app: FastifyInstance, deps: AppDeps): Promise<void> | void }> = [
  identity,
  users,
  organizations,
  groups,
  tickets,
  search,
  audit,
  setup,
  admin,
  helpCenter,
];
