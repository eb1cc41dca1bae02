import crypto from "node:crypto";
import { createBlobStore } from "../platform/blobs/index.ts";
import { createClamdScanner } from "../platform/malware-scan.ts";
import cookie from "@fastify/cookie";
import swagger from "@fastify/swagger";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import qs from "qs";
import type { RequestContext } from "../platform/context.ts";
import type { AppDeps, AppInput } from "../platform/deps.ts";
import { AppError } from "../platform/errors.ts";
import { Hooks } from "../platform/hooks.ts";
import { registeringModule } from "../platform/http/route.ts";
import { SupportPasses } from "../platform/http/support-passes.ts";
import { trustedProxies } from "../platform/http/trusted-proxies.ts";
import { plannerStatistics } from "../platform/db/planner-statistics.ts";
import { JobRunner } from "../platform/jobs/job-runner.ts";
import { mailJobHandler } from "../platform/jobs/mail-job.ts";
import { dkimKeyFor } from "../modules/mail/dkim-service.ts";
import { recallNotification } from "../modules/tickets/notifications-service.ts";
import { createMailer } from "../platform/mail.ts";
import { systemDnsResolver } from "../platform/smtp-in.ts";
import { PublicUrls } from "../platform/urls.ts";
import { AuditChainer } from "../modules/audit/audit-chainer.ts";
import { createAuthenticator } from "../modules/identity/identity-auth.ts";
import { modules } from "../modules/index.ts";
import { registerErrorHandling, renderError, writeClientError } from "./errors.ts";
import { securityHeaders } from "./headers.ts";
import { accountClosedError, checkHost, closedAccountPage, createTenantResolver } from "./tenancy.ts";
import { registerWeb } from "./web.ts";

/**
 * Assembles the HTTP app: request ids, security headers, host checks and tenant resolution,
 * body limits and timeouts, error rendering, the OpenAPI document, outgoing mail and background
 * jobs, and every module's routes. Modules register themselves.
 */
export async function buildApp(input: AppInput): Promise<FastifyInstance> {
  const { config } = input;
  const trustedProxy = trustedProxies(config.trustProxy);
  const app = Fastify({
    loggerInstance: input.logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    // X-Forwarded-* only from the listed proxies; the client is the rightmost entry not one of them.
    trustProxy: trustedProxy,
    // The server's own id for every request: a client-chosen one would reach the audit trail.
    genReqId: () => crypto.randomUUID(),
    requestIdHeader: false,
    // A client that sends its request slowly (headers or body) is cut off, not waited for forever.
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: config.requestTimeoutMs + 5_000,
    keepAliveTimeout: 10_000,
    // Node checks those timeouts every connectionsCheckingInterval (30 s by default, which would
    // let a slow client hold a connection half a minute past them): check often enough that a
    // client is cut off within a quarter of the timeout after it ran out.
    http: { connectionsCheckingInterval: Math.max(250, Math.min(5_000, Math.floor(config.requestTimeoutMs / 4))) },
    // What Node's HTTP parser refuses (malformed request line or header, headers too large, a
    // request not received in time) is answered with the same body and headers as everything else.
    clientErrorHandler: (err, socket) => {
      writeClientError(input.logger, err, socket);
    },
    // Zendesk paths end in `.json`; route on the path without it.
    rewriteUrl: (req) => (req.url ?? "/").replace(/\.json(?=$|\?)/, ""),
    routerOptions: {
      querystringParser: (s: string) => qs.parse(s, { depth: 2, parameterLimit: 100, arrayLimit: 100 }) as Record<string, unknown>,
      ignoreTrailingSlash: true,
    },
    // Errors Fastify raises before routing (a malformed URL) go through the same renderer and headers.
    frameworkErrors: (err, req, reply) => {
      securityHeaders(reply, req.id, req.protocol === "https");
      renderError(err, req, reply);
    },
    // One line per request (RequestLog, below).
    logController: new RequestLog(config.logFormat === "pretty" ? "debug" : "info"),
    return503OnClosing: true,
    forceCloseConnections: false,
  });
  app.server.headersTimeout = Math.min(20_000, config.requestTimeoutMs);

  const urls = new PublicUrls(config);
  app.addHook("onListen", async () => {
    const addr = app.server.address();
    if (addr && typeof addr === "object") urls.listening(addr.port);
  });
  const mailer = input.mailer ?? createMailer(config);
  // Background jobs; started once every module has defined its kinds. Stopped first on close, so
  // no job is left half-way through an item (the job goes back to the queue), then mail closes.
  const hooks = new Hooks<RequestContext>();
  const jobs = new JobRunner(input.db, input.keyring, app.log, {
    hooks,
    workers: config.jobWorkers,
    pollMs: config.jobPollMs,
    leaseMs: config.jobLeaseMs,
    retentionMs: config.jobRetentionMs,
    now: input.now,
  });
  for (const task of plannerStatistics(input.db)) jobs.maintain(task);
  // The mail job signs with a tenant's DKIM key for the From domain, looked up when it sends, and
  // does not send a notification whose person's processing was restricted after it was queued.
  jobs.define(mailJobHandler(mailer, config.mailRetryMs, (tenantId, from) => dkimKeyFor(deps, tenantId, from), recallNotification));
  app.decorate("hooks", hooks);
  const supportPasses = new SupportPasses();
  app.decorate("supportPasses", supportPasses);
  app.decorate("upkeep", { names: () => jobs.upkeepNames(), run: (name: string) => jobs.runUpkeepNow(name) });
  const deps: AppDeps = {
    ...input,
    urls,
    mailer,
    jobs,
    hooks,
    supportPasses,
    authenticator: createAuthenticator({ ...input, mailer, supportPasses }),
    blobs: input.blobs ?? createBlobStore(config),
    scanner: input.scanner ?? (config.clamd ? createClamdScanner(config.clamd, { maxBytes: config.clamdMaxBytes }) : undefined),
    dnsResolver: input.dnsResolver ?? systemDnsResolver(config.dnsServers),
  };

  // Links the audit entries requests queue into each tenant's hash chain, right after they commit.
  const chainer = new AuditChainer(deps.db, app.log).start();
  // A client that hangs up before the answer is sent gets no "request completed" line; it gets this one.
  app.addHook("onRequestAbort", async (req) => {
    req.log.info({ req }, "request aborted by the client");
  });
  app.addHook("onClose", async () => {
    await jobs.stop();
    mailer.close();
    await chainer.stop();
  });

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest("tenant", undefined);
  app.decorateRequest("passwordChangeRequired", false);
  app.decorateRequest("twoFactorEnrolmentRequired", false);
  app.decorateRequest("credentialSecondFactor", false);
  // Widely used Zendesk clients send `Content-Type: application/json` with an empty body on
  // DELETE (and sometimes PUT): an empty body is no body, on every method.
  const defaultJson = app.getDefaultJsonParser("error", "error");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (req, body, done) => {
    if (typeof body === "string" && body.trim() === "") {
      done(null, undefined);
      return;
    }
    defaultJson(req, body as string, done);
  });
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
    securityHeaders(reply, req.id, req.protocol === "https");
    // A Host header that is not a plain host name (URL userinfo, spaces, a second host) is refused
    // before anything reads it.
    checkHost(req, trustedProxy);
  });

  const resolveTenant = createTenantResolver(deps);
  app.addHook("onRequest", async (req, reply) => {
    const path = req.url.split("?")[0]!;
    // Only the API, the sign-in flows under /access and OAuth's endpoints under /oauth are per
    // tenant; pages (the OAuth consent page among them) and assets are the same static files for every host.
    const perTenant = path.startsWith("/api/") || path.startsWith("/access/") || path === "/access" || (path.startsWith("/oauth/") && path !== "/oauth/consent");
    if (!perTenant) {
      // A closed account's pages (the agent workspace, the admin center, the help center, sign-in)
      // answer a plain page saying so; assets and health checks are the same for every host.
      if (path.startsWith("/assets/") || path === "/healthz" || path === "/readyz" || path === "/favicon.svg" || path === "/favicon.ico" || path === "/robots.txt") return;
      const t = await resolveTenant(req.hostname);
      if (t.kind === "closed") return reply.code(403).type("text/html; charset=utf-8").header("cache-control", "no-store").send(closedAccountPage(t.deletesAt));
      return;
    }
    if (path === "/api/v2/setup") return;
    const t = await resolveTenant(req.hostname);
    if (t.kind === "none") {
      if (path === "/api/v2/openapi") return;
      throw new AppError("RecordNotFound", { description: "No account is served at this address." });
    }
    if (t.kind === "gone") throw new AppError("TenantGone");
    if (t.kind === "closed") throw accountClosedError(t.deletesAt);
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

  for (const m of modules) {
    registeringModule(m.name);
    await m.register(app, deps);
  }
  jobs.start();

  app.get("/api/v2/openapi", { schema: { hide: true } }, async () => app.swagger());

  await registerWeb(app, config.webDist === undefined ? {} : { dist: config.webDist });
  return app;
}

/**
 * One log line per request, when it completes (Fastify writes two: "incoming" and "completed").
 * On a terminal (LOG_FORMAT=pretty) a line per successful request would push the startup lines
 * (the setup link) out of view, so successes go at `successLevel` (debug there) and failures at
 * info; JSON logs, read by collectors, have every request at info.
 */
class RequestLog extends LogController {
  constructor(private readonly successLevel: "info" | "debug") {
    super();
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) {
      reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, "request errored");
      return;
    }
    const level = reply.statusCode < 400 ? this.successLevel : "info";
    reply.log[level]({ req: request, res: reply, responseTime: reply.elapsedTime }, "request completed");
  }
}
