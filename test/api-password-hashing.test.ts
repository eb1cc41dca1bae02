import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Database } from "../src/platform/db/database.ts";

/**
 * Password access to the API verifies the password with no tenant transaction open (on the
 * embedded database one transaction at a time serves every tenant, so argon2 inside one would
 * stall them all): argon2 is watched, and so is every tenant transaction the app opens, over real
 * HTTP — with the right password, a wrong one, and an unknown address.
 */
const state = vi.hoisted(() => ({ open: 0, opened: 0, verifiedWhileOpen: [] as boolean[] }));
vi.mock("@node-rs/argon2", async (importOriginal) => {
  const real = await importOriginal<typeof import("@node-rs/argon2")>();
  return {
    ...real,
    verify: async (...args: Parameters<typeof real.verify>) => {
      state.verifiedWhileOpen.push(state.open > 0);
      return real.verify(...args);
    },
  };
});

// Test files share a worker's modules (vitest.config.ts: isolate false): an earlier file may have
// loaded the app with the real argon2 already, so the registry is emptied for this file's imports.
vi.resetModules();
const { buildTenant, openTestDatabase, startTestApp } = await import("./support/harness.ts");
const { PASSWORD, staffWithPassword } = await import("./support/people.ts");

let t: Awaited<ReturnType<typeof startTestApp>>;
let db: Database;
beforeAll(async () => {
  db = await openTestDatabase();
  // The audit chainer links a request's audit entries in a transaction of its own a few
  // milliseconds after the request commits (on PostgreSQL): not the request's, so not watched.
  const fromChainer = () => new Error().stack?.includes("AuditChainer.") ?? false;
  const watched: Database = {
    ...db,
    tenant: (id, fn, opts) =>
      fromChainer()
        ? db.tenant(id, fn, opts)
        : db.tenant(
            id,
            async (tx) => {
              state.open++;
              state.opened++;
              try {
                return await fn(tx);
              } finally {
                state.open--;
              }
            },
            opts,
          ),
  };
  // No job runner: its maintenance tasks (upkeep of uploads, OAuth codes …) open tenant
  // transactions of their own at start, which the watch would count as the request's.
  t = await startTestApp({ db: watched, env: { VAULTDESK_JOB_WORKERS: "0" } });
});
afterAll(async () => {
  await t?.close();
  await db?.close();
});

describe("password access to the API", () => {
  it("verifies the password outside every tenant transaction", async () => {
    const a = await buildTenant(t);
    expect((await a.api("PUT", "/api/v2/api_settings.json", { api_settings: { password_access: true } })).status).toBe(200);
    const p = await staffWithPassword(t, a, "agent");
    const basic = (email: string, password: string) => ({ authorization: "Basic " + Buffer.from(`${email}:${password}`).toString("base64") });
    state.verifiedWhileOpen.length = 0;
    state.opened = 0;
    expect((await t.request({ method: "GET", path: "/api/v2/users/me.json", host: a.host, headers: basic(p.email, PASSWORD) })).status).toBe(200);
    expect((await t.request({ method: "GET", path: "/api/v2/users/me.json", host: a.host, headers: basic(p.email, "wrong") })).status).toBe(401);
    expect((await t.request({ method: "GET", path: "/api/v2/users/me.json", host: a.host, headers: basic(`nobody@${a.subdomain}.test`, "wrong") })).status).toBe(401);
    expect(state.verifiedWhileOpen).toEqual([false, false, false]);
    // Positive control: the requests' transactions were watched (three short ones and the request's, each).
    expect(state.opened).toBeGreaterThanOrEqual(9);
  });
});
