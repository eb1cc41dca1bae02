import { createBlobStore } from "../platform/blobs/index.ts";
import { z } from "zod";
import type { Runtime } from "../platform/runtime.ts";
import { email, name, subdomain } from "../platform/schemas.ts";
import { verifyChain } from "../modules/audit/audit-service.ts";
import { verifyArchives } from "../modules/audit/audit-archive.ts";
import { checkCheckpoints, checkpointSchema, makeCheckpoint, type Checkpoint } from "../modules/audit/audit-checkpoints.ts";
import { createTenant, findTenant, listTenants, reopenTenant, shredTenant } from "../modules/tenants/tenants-service.ts";
import { AppError } from "../platform/errors.ts";
import { rotateTenantKey } from "../modules/keys/keys-service.ts";
import { PublicUrls } from "../platform/urls.ts";
import { resetPasswordByOperator } from "../modules/identity/password-reset-service.ts";
import { resetTwoFactorByOperator } from "../modules/identity/two-factor-service.ts";
import { beginSupportRequest, supportStatusForOperator } from "../modules/support/support-service.ts";
import type { ServingApp } from "../platform/runtime.ts";
import { SUPPORT_PASS_SCHEME } from "../platform/http/support-passes.ts";
import { createLogger } from "../platform/logging.ts";
import { createMemoryRateLimiter } from "../platform/rate-limiter.ts";

/** An API path the operator's support requests may take: under /api/v2, one line, no dot segments. */
const supportPath = z
  .string()
  .max(2000)
  .regex(/^\/api\/v2\/[A-Za-z0-9_.~%\-/]*(\?[\x21-\x7e]*)?$/, "must be an API path such as /api/v2/tickets.json (query string allowed)")
  .refine((p) => !/(^|\/)\.\.?(\/|\?|$)/.test(p.split("?")[0]!), "must not contain . or .. segments");
/** A JSON body, as text (checked to parse). */
const supportBody = z
  .string()
  .max(48 * 1024)
  .refine((s) => {
    try {
      JSON.parse(s);
      return true;
    } catch {
      return false;
    }
  }, "must be JSON");

async function activeTenant(rt: Runtime, subdomainName: string) {
  const t = await findTenant(rt.db, { subdomain: subdomainName });
  if (!t || t.status !== "active") throw new AppError("RecordNotFound", { description: `no active tenant '${subdomainName}'` });
  return t;
}

/**
 * The app an operator's support request runs through: the running server's own (through the
 * operator socket), or, when this command opened the installation itself (no server, or
 * PostgreSQL), an app built in this process for the one request and closed after it.
 */
async function withServingApp<T>(rt: Runtime, fn: (app: ServingApp) => Promise<T>, opts: { jobs?: boolean } = {}): Promise<T> {
  if (rt.app) return fn(rt.app);
  const { buildApp } = await import("../server/app.ts");
  // Without `jobs`, the app built here runs no job runner: no other upkeep starts beside the one asked for.
  const config = opts.jobs === false ? { ...rt.config, jobWorkers: 0 } : rt.config;
  const app = await buildApp({ config, db: rt.db, keyring: rt.keyring, logger: createLogger("warn", undefined, rt.config.logFormat), rateLimiter: createMemoryRateLimiter(), now: rt.now ?? (() => new Date()) });
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}
import { liftIpRestrictionsByOperator } from "../modules/identity/ip-restrictions-service.ts";
import { reindexByOperator, reindexStatusForOperator, runReindexHere } from "../modules/search/search-reindex-service.ts";
import type { JobStatusView } from "../platform/jobs/jobs.ts";

/** What an operation run in this process may report while it works (a long job's progress). */
export type OperationProgress = (status: JobStatusView) => void;

/**
 * Operator commands. The CLI runs them in-process when it owns the data folder, or sends them
 * over the operator socket to the running server, which runs the very same functions.
 */
export const operations = {
  "tenant.create": {
    input: z.object({ subdomain, ownerEmail: email, ownerName: name.optional(), teamName: name.optional() }),
    run: async (rt: Runtime, a: { subdomain: string; ownerEmail: string; ownerName?: string | undefined; teamName?: string | undefined }) => {
      const t = await createTenant(rt.db, rt.keyring, a);
      const urls = new PublicUrls(rt.config);
      if (rt.listenPort !== undefined) urls.listening(rt.listenPort);
      const isDefault = rt.config.defaultTenant ? rt.config.defaultTenant === t.subdomain : t.isDefault;
      return { subdomain: t.subdomain, ownerEmail: t.ownerEmail, oneTimePassword: t.oneTimePassword, apiToken: t.apiToken, url: `${urls.tenantOrigin({ subdomain: t.subdomain, isDefault })}/` };
    },
  },
  "tenant.list": {
    input: z.object({}),
    run: async (rt: Runtime) => ({
      tenants: (await listTenants(rt.db)).map((t) => ({ subdomain: t.subdomain, status: t.status, region: t.region, default: t.isDefault, closedAt: t.closedAt?.toISOString() ?? null, deletesAt: t.deletesAt?.toISOString() ?? null })),
    }),
  },
  "tenant.reopen": {
    input: z.object({ tenant: subdomain }),
    run: async (rt: Runtime, a: { tenant: string }) => {
      const t = await reopenTenant(rt.db, a.tenant);
      return { reopened: t.subdomain, status: t.status };
    },
  },
  "tenant.shred": {
    input: z.object({ tenant: subdomain }),
    run: async (rt: Runtime, a: { tenant: string }) => {
      await shredTenant(rt.db, rt.keyring, createBlobStore(rt.config), a.tenant);
      return { shredded: a.tenant };
    },
  },
  "audit.verify": {
    input: z.object({ tenant: subdomain }),
    run: async (rt: Runtime, a: { tenant: string }) => {
      const t = await findTenant(rt.db, { subdomain: a.tenant });
      if (!t) throw new AppError("RecordNotFound", { description: `no tenant '${a.tenant}'` });
      // The database's part of the chain, then every archive file (docs/security-model.md, Audit trail).
      const chain = await verifyChain(rt.db, t.id);
      const files = await verifyArchives({ db: rt.db, keyring: rt.keyring, blobs: createBlobStore(rt.config) }, t.id);
      return files.failure ? { ...chain, ok: false, archives: files } : { ...chain, archives: files };
    },
  },
  "audit.checkpoint": {
    input: z.object({ tenant: subdomain }),
    run: async (rt: Runtime, a: { tenant: string }) => {
      const t = await findTenant(rt.db, { subdomain: a.tenant });
      if (!t) throw new AppError("RecordNotFound", { description: `no tenant '${a.tenant}'` });
      return makeCheckpoint(rt.db, rt.keyring, { id: t.id, subdomain: t.subdomain }, rt.now?.() ?? new Date());
    },
  },
  "audit.check_checkpoints": {
    // At most 100 a call (the operator socket takes 64 KB a request): the CLI sends a file's in parts.
    input: z.object({ tenant: subdomain, checkpoints: z.array(checkpointSchema).min(1).max(100) }),
    run: async (rt: Runtime, a: { tenant: string; checkpoints: Checkpoint[] }) => {
      const t = await findTenant(rt.db, { subdomain: a.tenant });
      if (!t) throw new AppError("RecordNotFound", { description: `no tenant '${a.tenant}'` });
      return { checks: await checkCheckpoints(rt.db, rt.keyring, t.id, a.checkpoints) };
    },
  },
  "keys.rotate": {
    input: z.object({ tenant: subdomain }),
    run: async (rt: Runtime, a: { tenant: string }) => {
      const t = await findTenant(rt.db, { subdomain: a.tenant });
      if (!t || t.status !== "active") throw new AppError("RecordNotFound", { description: `no active tenant '${a.tenant}'` });
      return rotateTenantKey(rt.db, rt.keyring, createBlobStore(rt.config), t.id);
    },
  },
  "user.reset_password": {
    input: z.object({ tenant: subdomain, email }),
    run: async (rt: Runtime, a: { tenant: string; email: string }) => {
      const t = await findTenant(rt.db, { subdomain: a.tenant });
      if (!t || t.status !== "active") throw new AppError("RecordNotFound", { description: `no active tenant '${a.tenant}'` });
      const r = await resetPasswordByOperator({ db: rt.db, keyring: rt.keyring }, t.id, a.email);
      const urls = new PublicUrls(rt.config);
      if (rt.listenPort !== undefined) urls.listening(rt.listenPort);
      const isDefault = rt.config.defaultTenant ? rt.config.defaultTenant === t.subdomain : t.isDefault;
      return { ...r, email: a.email, url: `${urls.tenantOrigin({ subdomain: t.subdomain, isDefault })}/` };
    },
  },
  "tenant.lift_ip_restrictions": {
    input: z.object({ tenant: subdomain }),
    run: async (rt: Runtime, a: { tenant: string }) => {
      const t = await findTenant(rt.db, { subdomain: a.tenant });
      if (!t || t.status !== "active") throw new AppError("RecordNotFound", { description: `no active tenant '${a.tenant}'` });
      return { lifted: await liftIpRestrictionsByOperator({ db: rt.db, keyring: rt.keyring }, t.id) };
    },
  },
  "user.reset_two_factor": {
    input: z.object({ tenant: subdomain, email }),
    run: async (rt: Runtime, a: { tenant: string; email: string }) => {
      const t = await findTenant(rt.db, { subdomain: a.tenant });
      if (!t || t.status !== "active") throw new AppError("RecordNotFound", { description: `no active tenant '${a.tenant}'` });
      return { ...(await resetTwoFactorByOperator({ db: rt.db, keyring: rt.keyring, config: rt.config }, t.id, a.email)), email: a.email };
    },
  },
  "support.status": {
    input: z.object({ tenant: subdomain }),
    run: async (rt: Runtime, a: { tenant: string }) => {
      const t = await activeTenant(rt, a.tenant);
      return supportStatusForOperator({ db: rt.db, now: rt.now ?? (() => new Date()) }, t.id);
    },
  },
  /**
   * One API request as the tenant's support user, under the owner's live grant: refused (and the
   * refusal audited) without one. The request runs through the server's own routing with a
   * one-request pass, so every route's policy, scope and audit apply as for any request.
   */
  "support.api": {
    input: z.object({ tenant: subdomain, method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE"]), path: supportPath, data: supportBody.optional() }),
    run: async (rt: Runtime, a: { tenant: string; method: string; path: string; data?: string | undefined }) => {
      const t = await activeTenant(rt, a.tenant);
      const resource = /^\/api\/v2\/([a-z_]{1,60})/.exec(a.path)?.[1] ?? "api";
      const now = rt.now ?? (() => new Date());
      const started = await beginSupportRequest({ db: rt.db, keyring: rt.keyring, now }, t.id, { method: a.method, resource });
      const urls = new PublicUrls(rt.config);
      if (rt.listenPort !== undefined) urls.listening(rt.listenPort);
      const isDefault = rt.config.defaultTenant ? rt.config.defaultTenant === t.subdomain : t.isDefault;
      const host = new URL(urls.tenantOrigin({ subdomain: t.subdomain, isDefault })).host;
      const res = await withServingApp(rt, (app) =>
        app.inject({
          method: a.method,
          url: a.path,
          headers: {
            host,
            authorization: `${SUPPORT_PASS_SCHEME} ${app.supportPasses.mint({ tenantId: t.id, grantId: started.grantId })}`,
            ...(a.data !== undefined ? { "content-type": "application/json" } : {}),
          },
          ...(a.data !== undefined ? { payload: a.data } : {}),
        }),
      );
      return { status: res.statusCode, body: res.body, grant: started.grantNiceId, level: started.level };
    },
  },
  /**
   * Queues (or joins) the tenant's search index rebuild. With `wait`, when this process opened the
   * installation itself (no server holds it), the job runs here until it has finished; with a
   * server, the server runs it and the command follows it with `search.reindex_status`.
   */
  "search.reindex": {
    input: z.object({ tenant: subdomain, wait: z.boolean() }),
    run: async (rt: Runtime, a: { tenant: string; wait: boolean }, progress?: OperationProgress) => {
      const t = await activeTenant(rt, a.tenant);
      const deps = { db: rt.db, keyring: rt.keyring, now: rt.now };
      const queued = await reindexByOperator(deps, t.id);
      if (!a.wait || rt.app) return { job: queued, ranHere: false };
      const log = createLogger("warn", undefined, rt.config.logFormat);
      const done = await runReindexHere({ ...deps, log }, t.id, queued.id, progress ?? (() => undefined));
      return { job: { ...done, joined: queued.joined }, ranHere: true };
    },
  },
  "search.reindex_status": {
    input: z.object({ tenant: subdomain, job: z.string().uuid() }),
    run: async (rt: Runtime, a: { tenant: string; job: string }) => {
      const t = await activeTenant(rt, a.tenant);
      const s = await reindexStatusForOperator({ db: rt.db, keyring: rt.keyring, now: rt.now }, t.id, a.job);
      if (!s) throw new AppError("RecordNotFound", { description: `no reindex job ${a.job} in tenant '${a.tenant}'` });
      return s;
    },
  },
  "upkeep.list": {
    input: z.object({}),
    run: async (rt: Runtime) => ({ tasks: await withServingApp(rt, async (app) => app.upkeep.names(), { jobs: false }) }),
  },
  /**
   * Runs one upkeep task now, across the tenants, in the server when one holds the installation
   * (after its own upkeep pass under way) or in this process: automations after downtime, say.
   */
  "upkeep.run": {
    input: z.object({ task: z.string().regex(/^[a-z][a-z0-9_.-]{0,59}$/) }),
    run: async (rt: Runtime, a: { task: string }) => {
      const started = Date.now();
      const ran = await withServingApp(rt, (app) => app.upkeep.run(a.task), { jobs: false });
      if (!ran) throw new AppError("RecordNotFound", { description: `no upkeep task '${a.task}' (vaultdesk upkeep list shows them)` });
      return { task: a.task, ms: Date.now() - started };
    },
  },
  migrate: {
    input: z.object({}),
    run: async (rt: Runtime) => ({ applied: await rt.db.migrate() }),
  },
} as const;

export type OperationName = keyof typeof operations;

export async function runOperation(rt: Runtime, name: string, args: unknown, progress?: OperationProgress): Promise<unknown> {
  const op = (operations as Record<string, { input: z.ZodType; run: (rt: Runtime, a: never, progress?: OperationProgress) => Promise<unknown> }>)[name];
  if (!op) throw new AppError("InvalidEndpoint", { description: `unknown operation ${name}` });
  const parsed = op.input.safeParse(args);
  if (!parsed.success) {
    throw new AppError("RecordInvalid", { description: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") });
  }
  return op.run(rt, parsed.data as never, progress);
}
