import type { FastifyInstance } from "fastify";
import type { AppDeps } from "../../platform/deps.ts";
import { automationsUpkeep } from "./automations-run.ts";
import { AUTOMATIONS } from "./automations-service.ts";
import { registerRuleRoutes } from "./rules-routes.ts";

/** Automations: the admin API (the rules routes of this kind) and the hourly run. */
export function register(app: FastifyInstance, deps: AppDeps): void {
  registerRuleRoutes(app, deps, AUTOMATIONS, ", a time condition in `all` and an `all` condition its actions nullify");
  for (const task of automationsUpkeep(deps)) deps.jobs.maintain(task);
}
