import crypto from "node:crypto";
import { makeContext } from "../../src/platform/context.ts";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { inject } from "vitest";
import { loadConfig, type Config } from "../../src/platform/config.ts";
import { Keyring } from "../../src/platform/crypto/keyring.ts";
import { LocalMasterKey } from "../../src/platform/crypto/master-key.ts";
import { openDatabase, type Database } from "../../src/platform/db/database.ts";
import { createLogger } from "../../src/platform/logging.ts";
import { buildApp } from "../../src/server/app.ts";
import { createMemoryRateLimiter } from "../../src/platform/rate-limiter.ts";
import { createTenant } from "../../src/modules/tenants/tenants-service.ts";
import { copyOfRunDatabase } from "./postgres-database.ts";
import type { Writable } from "node:stream";

/**
 * Boots the real app in-process on a real HTTP port, over PGlite (from the migrated template) or
 * the run's PostgreSQL database. Each test builds its own tenant(s) with `buildTenant`.
 */
export interface TestApp {
  app: FastifyInstance;
  db: Database;
  keyring: Keyring;
  config: Config;
  port: number;
  /** Raw HTTP request with an explicit Host header. */
  /** `raw` is the response's bytes (file downloads). */
  /** `localAddress`: the loopback address the client connects from (127.0.0.2 …, or ::1 against a server listening on ::1). */
  request(opts: { method: string; path: string; host: string; headers?: Record<string, string>; body?: unknown; rawBody?: string | Buffer; localAddress?: string }): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: any; text: string; raw: Buffer }>;
  close(): Promise<void>;
}

export async function openTestDatabase(): Promise<Database> {
  const pgUrl = inject("postgresUrl");
  if (pgUrl) return copyOfRunDatabase(20);
  const template = inject("pgliteTemplate");
  return openDatabase({ kind: "pglite", loadDataDir: new Blob([fs.readFileSync(template)]) });
}

/** Tests never reach the network: a DNS lookup finds nothing unless a test gives its own resolver. */
const noDns = async (name: string): Promise<never> => {
  throw Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: "ENOTFOUND" });
};

export async function startTestApp(opts: { env?: Record<string, string>; logStream?: Writable; db?: Database; now?: () => Date; rateLimiter?: import("../../src/platform/rate-limiter.ts").RateLimiter; setup?: import("../../src/platform/setup-token.ts").SetupToken; mailer?: import("../../src/platform/mail.ts").Mailer; dnsResolver?: import("../../src/platform/smtp-in.ts").DnsResolver; keyring?: Keyring; listen?: "127.0.0.1" | "::1" } = {}): Promise<TestApp> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "vd-test-"));
  // Rate limits and the wrong-password budget off unless a test sets them: suites sign in many times a second
  // (each tenant's own sign-in limit stays; the one across all tenants is off, as suites use many tenants).
  const config = loadConfig({ VAULTDESK_DATA_DIR: dataDir, LOG_LEVEL: opts.logStream ? "info" : "silent", VAULTDESK_RATE_LIMIT_PER_MINUTE: "0", VAULTDESK_PASSWORD_FAILURES_PER_SECOND: "100000", VAULTDESK_SIGNIN_PER_CLIENT_PER_MINUTE: "0", VAULTDESK_INCREMENTAL_SETTLE_SECONDS: "0", ...opts.env });
  const db = opts.db ?? (await openTestDatabase());
  // A second app on the same database (another server process) is given the first one's keyring.
  const keyring = opts.keyring ?? new Keyring(new LocalMasterKey(crypto.randomBytes(32)));
  const logger = createLogger(config.logLevel, opts.logStream as never, config.logFormat);
  const app = await buildApp({ setup: opts.setup, mailer: opts.mailer, dnsResolver: opts.dnsResolver ?? noDns, config, db, keyring, logger, rateLimiter: opts.rateLimiter ?? createMemoryRateLimiter(), now: opts.now ?? (() => new Date()) });
  const listen = opts.listen ?? "127.0.0.1";
  await app.listen({ port: 0, host: listen });
  const port = (app.server.address() as { port: number }).port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  return {
    app,
    db,
    keyring,
    config,
    port,
    request: function request(r: Parameters<TestApp["request"]>[0], retried = false): ReturnType<TestApp["request"]> {
      const { method, path: p, host, headers, body, rawBody, localAddress } = r;
      return new Promise((resolve, reject) => {
        const payload = rawBody ?? (body === undefined ? undefined : JSON.stringify(body));
        const req = http.request(
          {
            host: listen,
            port,
            method,
            path: p,
            // A connection from another loopback address is its own (the shared agent's sockets come from the default one).
            ...(localAddress ? { localAddress, agent: false } : { agent }),
            headers: { host, ...(payload !== undefined ? { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)) } : {}), ...headers },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => {
              const raw = Buffer.concat(chunks);
              const text = raw.toString("utf8");
              let parsed: unknown = undefined;
              try {
                parsed = text ? JSON.parse(text) : undefined;
              } catch {
                parsed = undefined;
              }
              resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed, text, raw });
            });
          },
        );
        req.on("error", (err: NodeJS.ErrnoException) => {
          // A kept-alive connection the server closed for idleness (keepAliveTimeout) just as this
          // request was written on it: the server read nothing of it, so it is sent once more on a
          // new connection, as Node's documentation advises (http.ClientRequest.reusedSocket).
          if (!retried && req.reusedSocket && err.code === "ECONNRESET") resolve(request(r, true));
          else reject(err);
        });
        if (payload !== undefined) req.write(payload);
        req.end();
      });
    },
    async close() {
      agent.destroy();
      await app.close();
      if (!opts.db) await db.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface TestTenant {
  subdomain: string;
  tenantId: string;
  host: string;
  ownerEmail: string;
  ownerToken: string;
  ownerPassword: string;
  /** Where the server's links point for this tenant (from configuration: the bare host for the default tenant). */
  origin: string;
  /** Calls the API as the owner (or with the given token/email). */
  api(method: string, p: string, body?: unknown, as?: { email: string; token: string } | null): ReturnType<TestApp["request"]>;
}

let counter = 0;

/** A fresh tenant with an owner and an owner API token. */
export async function buildTenant(t: TestApp, prefix = "t"): Promise<TestTenant> {
  const subdomain = `${prefix}${process.pid}x${++counter}x${crypto.randomBytes(2).toString("hex")}`.toLowerCase();
  const ownerEmail = `owner@${subdomain}.test`;
  const password = `Pw-${crypto.randomBytes(9).toString("base64url")}`;
  const created = await createTenant(t.db, t.keyring, { subdomain, ownerEmail, ownerName: "Owner Person", password });
  const host = `${subdomain}.localhost`;
  const tenant: TestTenant = {
    subdomain,
    tenantId: created.tenantId,
    host,
    ownerEmail,
    ownerToken: created.apiToken!,
    ownerPassword: password,
    origin: `http://${created.isDefault ? "localhost" : host}:${t.port}`,
    api: (method, p, body, as) => {
      const cred = as === null ? undefined : as ?? { email: ownerEmail, token: created.apiToken! };
      const headers: Record<string, string> = cred ? { authorization: "Basic " + Buffer.from(`${cred.email}/token:${cred.token}`).toString("base64") } : {};
      return t.request({ method, path: p, host, headers, body });
    },
  };
  return tenant;
}

/** Creates a staff member or end user in a tenant and, for staff, an API token of their own. */
export async function buildUser(t: TestApp, tenant: TestTenant, role: "admin" | "agent" | "light-agent" | "end-user", name = "Someone"): Promise<{ id: number; email: string; token: string | undefined }> {
  const email = `${role.replace(/-/g, "")}-${crypto.randomBytes(3).toString("hex")}@${tenant.subdomain}.test`;
  const r = await tenant.api("POST", "/api/v2/users.json", { user: { name, email, role } });
  if (r.status !== 201) throw new Error(`buildUser: ${r.status} ${r.text}`);
  if (role === "end-user") return { id: r.body.user.id, email, token: undefined };
  const tok = await createTokenFor(t, tenant, r.body.user.id);
  return { id: r.body.user.id, email, token: tok };
}

/** A new API token for a user (e.g. after a role change ended their earlier ones). */
export async function createTokenFor(t: TestApp, tenant: TestTenant, userNiceId: number): Promise<string> {
  const { createApiToken } = await import("../../src/modules/identity/api-tokens-service.ts");
  const { resolveUser } = await import("../../src/modules/users/users-service.ts");
  return t.db.tenant(tenant.tenantId, async (tx) => {
    const sealer = await t.keyring.sealerFor(tx);
    const ctx = makeContext({ tx, sealer, actor: { kind: "operator" }, requestId: "test", now: () => new Date() });
    const u = await resolveUser(ctx, userNiceId);
    const r = await createApiToken({ keyring: t.keyring }, ctx, { name: "test token", userId: u.id });
    return r.secret;
  });
}

/** A database of its own with the schema and no tenants (PGlite, or a fresh PostgreSQL database dropped by `drop`). */
export async function openEmptyDatabase(): Promise<{ db: Database; drop(): Promise<void> }> {
  const pgUrl = inject("postgresUrl");
  if (!pgUrl) {
    const db = await openDatabase({ kind: "pglite", loadDataDir: new Blob([fs.readFileSync(inject("pgliteTemplate"))]) });
    return { db, drop: async () => db.close() };
  }
  const pg = (await import("pg")).default;
  const name = `vd_empty_${Date.now()}_${crypto.randomBytes(3).toString("hex")}`;
  const admin = new pg.Client({ connectionString: inject("postgresAdminUrl") });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(pgUrl);
  u.pathname = `/${name}`;
  const db = await openDatabase({ kind: "postgres", url: u.toString(), poolSize: 4 });
  await db.migrate();
  return {
    db,
    drop: async () => {
      await db.close();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** Polls a job status, as a Zendesk client does, until the job has completed or failed. */
export async function waitForJob(tenant: TestTenant, id: string, as?: { email: string; token: string }, timeoutMs = 30_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await tenant.api("GET", `/api/v2/job_statuses/${id}.json`, undefined, as);
    if (r.status !== 200) throw new Error(`job status ${id}: ${r.status} ${r.text}`);
    if (r.body.job_status.status === "completed" || r.body.job_status.status === "failed" || r.body.job_status.status === "killed") return r.body.job_status;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${r.body.job_status.status} after ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

/** Opens a ticket through the API as the tenant's owner (a subject, a description, more fields), and answers its public id. */
export async function openTicket(a: TestTenant, subject: string, body: string, extra: Record<string, unknown> = {}): Promise<number> {
  const r = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject, comment: { body }, ...extra } });
  if (r.status !== 201) throw new Error(`ticket create answered ${r.status}: ${r.text}`);
  return r.body.ticket.id as number;
}
