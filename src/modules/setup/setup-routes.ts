import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../../platform/deps.ts";
import { defineInstallationRoute } from "../../platform/http/route.ts";
import { email, lineText, name, subdomain } from "../../platform/schemas.ts";
import { createFirstAccount, setupNeeded } from "./setup-service.ts";

/** First-run setup endpoints. They work on the bare host, before any tenant exists. */
export function register(app: FastifyInstance, deps: AppDeps): void {
  defineInstallationRoute(app, deps, {
    method: "GET", url: "/api/v2/setup", operationId: "showSetup", tag: "setup",
    summary: "Whether the installation still needs its first account.",
    response: z.object({ setup: z.object({ needed: z.boolean() }) }),
    handler: async () => ({ setup: { needed: await setupNeeded(deps) } }),
  });
  defineInstallationRoute(app, deps, {
    method: "POST", url: "/api/v2/setup", operationId: "createFirstAccount", tag: "setup", rateLimit: "signin",
    summary: "Creates the first account and its owner; needs the one-time token the server printed on its console.",
    body: z.strictObject({
      token: z.string().min(1).max(200),
      account: z.strictObject({ name: lineText(120).optional(), subdomain }),
      owner: z.strictObject({ name, email, password: z.string().min(1).max(256) }),
    }),
    response: z.object({ account: z.object({ subdomain: z.string() }) }),
    handler: async ({ body: b, requestId, ip }) => ({
      account: await createFirstAccount(deps, {
        token: b.token,
        subdomain: b.account.subdomain,
        ownerName: b.owner.name,
        ownerEmail: b.owner.email,
        password: b.owner.password,
        teamName: b.account.name?.trim() || undefined,
        requestId,
        ip,
      }),
    }),
  });
}
