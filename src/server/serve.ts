import { createBlobStore } from "../platform/blobs/index.ts";
import type { FastifyInstance } from "fastify";
import type { Config } from "../platform/config.ts";
import { createLogger } from "../platform/logging.ts";
import { openRuntime, type Runtime } from "../platform/runtime.ts";
import { listTenants } from "../modules/tenants/tenants-service.ts";
import { resumeRotations } from "../modules/keys/keys-service.ts";
import { createMemoryRateLimiter, createSharedRateLimiter } from "../platform/rate-limiter.ts";
import { SetupToken } from "../platform/setup-token.ts";
import { PublicUrls } from "../platform/urls.ts";
import { buildApp } from "./app.ts";
import { startOperatorSocket } from "./operator-socket.ts";

/** Starts a Vaultdesk server process: migrations, HTTP, the operator socket, graceful shutdown. */
export async function serve(config: Config): Promise<{ app: FastifyInstance; runtime: Runtime; stop(): Promise<void> }> {
  const logger = createLogger(config.logLevel, undefined, config.logFormat);
  const runtime = await openRuntime(config, { migrate: true, create: true });
  if (runtime.permissionWarning) {
    process.stdout.write(runtime.permissionWarning + "\n");
    logger.warn({ dataDir: config.dataDir }, "data folder permissions fixed");
  }
  const setup = new SetupToken();
  const app = await buildApp({ setup, config, db: runtime.db, keyring: runtime.keyring, logger, rateLimiter: config.databaseUrl ? createSharedRateLimiter(runtime.db) : createMemoryRateLimiter(), now: () => new Date() });
  // Graceful shutdown: count requests in flight; once draining, new requests get 503 (and
  // /readyz says not ready) while those already accepted run to completion.
  let inflight = 0;
  let draining = false;
  app.addHook("onRequest", async (_req, reply) => {
    if (draining) {
      reply.code(503).header("Connection", "close").send({ error: "Unavailable", description: "The server is shutting down; try again shortly." });
      return reply;
    }
    inflight++;
    reply.raw.once("close", () => inflight--);
    return undefined;
  });
  runtime.app = app;
  await app.listen({ port: config.port, host: config.host });
  const operator = config.databaseUrl ? undefined : await startOperatorSocket(runtime, logger);

  const port = (app.server.address() as { port: number }).port;
  runtime.listenPort = port;
  const urls = new PublicUrls(config);
  urls.listening(port);
  const base = urls.origin;
  const say = (s: string) => process.stdout.write(s + "\n");
  say(`Vaultdesk is listening on ${base} (${config.databaseUrl ? "PostgreSQL" : `embedded database in ${config.dataDir}`})`);
  if (runtime.masterKeyCreated) say(`A new master key was written to ${config.dataDir}/master.key (mode 0600). Back it up: without it the data cannot be read.`);
  if ((await listTenants(runtime.db)).length === 0) {
    say("No account exists yet. Create the first one in a browser (the token proves you can read this console):");
    say(`  ${base}/setup?token=${setup.token}`);
    say("or on the command line:");
    say(`  npx vaultdesk tenant create --subdomain acme --owner-email you@example.com${config.dataDir.endsWith("/vaultdesk-data") ? "" : ` --data-dir ${config.dataDir}`}`);
  }

  // Finish key rotations an earlier process left running (crash or restart mid-rotation).
  void (async () => {
    for (const t of await listTenants(runtime.db)) {
      if (t.status !== "active") continue;
      const n = await resumeRotations(runtime.db, runtime.keyring, createBlobStore(config), t.id);
      if (n > 0) logger.info({ tenant: t.subdomain, resealed: n }, "resumed key rotation");
    }
  })().catch((err: unknown) => logger.error({ err }, "resuming key rotations failed"));

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      draining = true;
      const deadline = Date.now() + 20_000;
      while (inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await app.close();
      await operator?.close();
      await runtime.close();
    })());
  return { app, runtime, stop };
}
