import type { FastifyInstance } from "fastify";
import type { AppDeps } from "../../platform/deps.ts";
import { registerRuleRoutes } from "./rules-routes.ts";
import { runTriggers } from "./triggers-engine.ts";
import { TRIGGERS } from "./triggers-service.ts";

export function register(app: FastifyInstance, deps: AppDeps): void {
  deps.hooks.on("conversation.written", runTriggers(deps));
  registerRuleRoutes(app, deps, TRIGGERS);
}
