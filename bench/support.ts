/**
 * What the benchmarks share: a database of their own on PostgreSQL, the CLI run with a
 * benchmark's environment, tickets seeded without the API.
 */
import crypto from "node:crypto";
import { sql } from "kysely";
import pg from "pg";
import { findTenant } from "../src/modules/tenants/tenants-service.ts";
import { loadConfig } from "../src/platform/config.ts";
import type { TicketStatus } from "../src/platform/db/schema.ts";
import { openRuntime } from "../src/platform/runtime.ts";
import { cli, type ServerProcess } from "../test/support/process.ts";

/** On PostgreSQL (an admin URL), a database of its own named `<prefix>_<time>`, dropped by `drop`; on PGlite (none), nothing (the data folder holds it). */
export async function freshDatabase(adminUrl: string | undefined, prefix = "vd_bench"): Promise<{ dbUrl: string | undefined; drop: () => Promise<void> }> {
  if (!adminUrl) return { dbUrl: undefined, drop: async () => {} };
  const name = `${prefix}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  admin.on("error", (e) => console.error("admin connection:", e.message));
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return {
    dbUrl: u.toString(),
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** Stops a benchmark's server (when there is one) and waits until it has exited. */
export async function stopServer(server: ServerProcess | undefined): Promise<void> {
  if (!server) return;
  server.child.kill("SIGTERM");
  await server.exited;
}

/** `vaultdesk <args>` on a data folder with the benchmark's environment added; its output, or an error with what it printed to stderr. */
export async function cliWith(env: Record<string, string>, dataDir: string, ...args: string[]): Promise<string> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const r = await cli(dataDir, ...args);
    if (r.code !== 0) throw new Error(`vaultdesk ${args.join(" ")} failed: ${r.stderr}`);
    return r.stdout;
  } finally {
    for (const k of Object.keys(env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

/** How seeded tickets look: the status of the k-th, and how long ago they were created and last updated. */
export type SeedShape = { status?: (k: number) => TicketStatus; hoursAgo?: number; tags?: string[] };

/**
 * Seeds tickets in-process through the keyring (the data folder or database named by `env`, with no
 * server holding it), so the sealed values are real: up to `target` in the account `subdomain`, in
 * batches of 1,000 straight into the tickets table (no comments, no index rows), then vacuumed.
 * By default new, open, pending and solved in turn, created now, tagged `seeded`.
 */
export async function seedTickets(env: Record<string, string>, dataDir: string, subdomain: string, target: number, shape: SeedShape = {}): Promise<void> {
  const cfg = loadConfig({ ...process.env, ...env, VAULTDESK_DATA_DIR: dataDir, LOG_LEVEL: "silent" });
  const rt = await openRuntime(cfg, { migrate: false });
  const statusOf = shape.status ?? ((k: number) => (["new", "open", "pending", "solved"] as const)[k % 4]!);
  const at = new Date(Date.now() - (shape.hoursAgo ?? 0) * 3600_000);
  try {
    const t = (await findTenant(rt.db, { subdomain }))!;
    const have = await rt.db.tenant(t.id, async (tx) => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM tickets`.execute(tx.db)).rows[0]!.n);
    const owner = await rt.db.tenant(t.id, (tx) => tx.db.selectFrom("users").select("id").where("role", "=", "owner").executeTakeFirstOrThrow());
    const BATCH = 1000;
    for (let done = have; done < target; done += BATCH) {
      await rt.db.tenant(t.id, async (tx) => {
        const sealer = await rt.keyring.sealerFor(tx);
        const n = Math.min(BATCH, target - done);
        // n numbers from the tenant's ticket sequence (consecutive: nothing else creates tickets now).
        const start = (await sql<{ v: number }>`SELECT min(vd_next_id('tickets'))::bigint AS v FROM generate_series(1, ${n})`.execute(tx.db)).rows[0]!.v - 1;
        const rows = Array.from({ length: n }, (_, k) => {
          const id = crypto.randomUUID();
          return {
            tenant_id: t.id,
            id,
            nice_id: start + k + 1,
            subject_sealed: sealer.seal(`Seeded ticket ${start + k + 1}: printer on floor 3 is jammed again`, { table: "tickets", column: "subject", row: id }),
            description_sealed: sealer.seal("The printer shows error 0x41 and will not print double-sided. ".repeat(4), { table: "tickets", column: "description", row: id }),
            status: statusOf(done + k),
            priority: "normal" as const,
            type: null,
            requester_id: owner.id,
            submitter_id: owner.id,
            assignee_id: null,
            group_id: null,
            organization_id: null,
            tags: shape.tags ?? ["seeded"],
            custom_fields_sealed: null,
            external_id_sealed: null,
            external_id_bidx: null,
            due_at: null,
            created_at: at,
            updated_at: at,
            status_updated_at: at,
            solved_at: null,
            deleted_at: null,
          };
        });
        await tx.db.insertInto("tickets").values(rows).execute();
      });
    }
    // A database that just took many rows is vacuumed and analysed by PostgreSQL's autovacuum a
    // little later; doing it now keeps that background work (all those indexes) out of the
    // measurement, which is meant to see a settled database.
    await sql`VACUUM (ANALYZE) tickets`.execute(rt.db.owner);
  } finally {
    await rt.close();
  }
}
