import type { FastifyInstance } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { AppError } from "../../platform/errors.ts";
import { email, lineText, name, subdomain } from "../../platform/schemas.ts";
import type { AppDeps } from "../../server/deps.ts";
import { enforceRateLimit } from "../../server/rate-limit.ts";

/** First-run setup endpoints. They work on the bare host, before any tenant exists. */
export function register(app: FastifyInstance, deps: AppDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get("/api/v2/setup", {
    schema: { operationId: "showSetup", tags: ["setup"], response: { 200: z.object({ setup: z.object({ needed: z.boolean() }) }) } },
    handler: async () => ({ setup: { needed: deps.setup ? await deps.setup.needed(deps.db) : false } }),
  });
  r.post("/api/v2/setup", {
    schema: {
      operationId: "createFirstAccount",
      tags: ["setup"],
      body: z.strictObject({
        token: z.string().min(1).max(200),
        account: z.strictObject({ name: lineText(120).optional(), subdomain }),
        owner: z.strictObject({ name, email, password: z.string().min(1).max(256) }),
      }),
      response: { 201: z.object({ account: z.object({ subdomain: z.string() }) }) },
    },
    handler: async (req, reply) => {
      enforceRateLimit(deps, req, reply, "signin");
      if (!deps.setup) throw new AppError("InvalidEndpoint");
      const b = req.body;
      const created = await deps.setup.createFirstAccount(deps.db, deps.keyring, {
        token: b.token,
        subdomain: b.account.subdomain,
        ownerName: b.owner.name,
        ownerEmail: b.owner.email,
        password: b.owner.password,
        teamName: b.account.name?.trim() || undefined,
      });
      reply.code(201);
      return { account: created };
    },
  });
}
