import crypto from "node:crypto";
import cookie from "@fastify/cookie";
import swagger from "@fastify/swagger";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import qs from "qs";
import { AppError } from "../platform/errors.ts";
import type { AppDeps } from "./deps.ts";
import { registerErrorHandling } from "./errors.ts";
import { createTenantResolver } from "./tenancy.ts";
import { modules } from "../modules/index.ts";
import { registerWeb } from "./web.ts";
import { AuditChainer } from "../modules/audit/audit-chainer.ts";
import { JobRunner } from "../modules/jobs/job-runner.ts";

declare module "fastify" {
  interface FastifyInstance {
    /** Durable background jobs; modules define their kinds of job on it while they register. */
    jobs: JobRunner;
  }
}

/**
 * Assembles the HTTP app: request ids, security headers, tenant resolution by host, body limits,
 * error rendering, the OpenAPI document, and every module's routes. Modules register themselves.
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.config.bodyLimitBytes,
    trustProxy: deps.config.trustProxy,
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && /^[A-Za-z0-9_.-]{8,64}$/.test(given) ? given : crypto.randomUUID();
    },
    requestIdHeader: false,
    // Zendesk paths end in `.json`; route on the path without it.
    rewriteUrl: (req) => (req.url ?? "/").replace(/\.json(?=$|\?)/, ""),
    routerOptions: {
      querystringParser: (s: string) => qs.parse(s, { depth: 2, parameterLimit: 100, arrayLimit: 100 }) as Record<string, unknown>,
      ignoreTrailingSlash: true,
    },
    return503OnClosing: true,
    forceCloseConnections: false,
  });

  // Links the audit entries requests queue into each tenant's hash chain, right after they commit.
  const chainer = new AuditChainer(deps.db, app.log).start();
  app.addHook("onClose", async () => {
    await chainer.stop();
  });
  // Background jobs; started once every module has defined its kinds. Stopped first on close, so
  // no job is left half-way through an item (the job goes back to the queue).
  const jobs = new JobRunner(deps.db, deps.keyring, app.log, { workers: deps.config.jobWorkers, pollMs: deps.config.jobPollMs, leaseMs: deps.config.jobLeaseMs, retentionMs: deps.config.jobRetentionMs });
  app.decorate("jobs", jobs);
  app.addHook("onClose", async () => {
    await jobs.stop();
  });

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest("tenant", undefined);
  app.decorateRequest("passwordChangeRequired", false);
  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: { title: "Vaultdesk API", version: "2", description: "Zendesk Support API v2 compatible. Paths accept an optional `.json` suffix." },
      components: {
        securitySchemes: {
          basicToken: { type: "http", scheme: "basic", description: "`email/token:API_TOKEN`" },
          bearer: { type: "http", scheme: "bearer" },
        },
      },
      security: [{ basicToken: [] }, { bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  registerErrorHandling(app);

  app.addHook("onRequest", async (req, reply) => {
    reply.header("X-Request-Id", req.id);
    reply.header("X-Content-Type-Options", "nosniff");
    reply.header("X-Frame-Options", "DENY");
    reply.header("Referrer-Policy", "no-referrer");
    reply.header("Cross-Origin-Opener-Policy", "same-origin");
    reply.header("Cross-Origin-Resource-Policy", "same-origin");
    reply.header("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()");
    reply.header(
      "Content-Security-Policy",
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    );
    if (req.protocol === "https") reply.header("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    reply.header("Cache-Control", "no-store");
  });

  const resolveTenant = createTenantResolver(deps);
  app.addHook("onRequest", async (req) => {
    const path = req.url.split("?")[0]!;
    // Only the API is per tenant; pages and assets are the same static files for every host.
    if (!path.startsWith("/api/") || path === "/api/v2/setup") return;
    const t = await resolveTenant(req.hostname);
    if (t.kind === "none") {
      if (path === "/api/v2/openapi") return;
      throw new AppError("RecordNotFound", { description: "No account is served at this address." });
    }
    if (t.kind === "gone") throw new AppError("TenantGone");
    req.tenant = t.tenant;
  });

  app.get("/healthz", { schema: { hide: true } }, async () => ({ status: "ok" }));
  app.get("/readyz", { schema: { hide: true } }, async (_req, reply) => {
    try {
      await deps.db.owner.selectFrom("vd_migrations" as never).select((eb) => eb.lit(1).as("one")).limit(1).execute();
      return { status: "ready" };
    } catch {
      reply.code(503);
      return { status: "not ready" };
    }
  });

  for (const m of modules) await m.register(app, deps);
  jobs.start();

  app.get("/api/v2/openapi", { schema: { hide: true } }, async () => app.swagger());

  await registerWeb(app, deps.config.webDist === undefined ? {} : { dist: deps.config.webDist });
  app.setNotFoundHandler(async () => {
    throw new AppError("InvalidEndpoint", { description: "The requested path does not exist." });
  });
  return app;
}
