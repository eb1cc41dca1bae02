import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryRateLimiter } from "../src/platform/rate-limiter.ts";
import { buildTenant, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { onPostgres, whileRowsHeld } from "./support/held-rows.ts";
import { registerPasskey, staffWithPassword } from "./support/people.ts";
import { SoftAuthenticator } from "./support/webauthn-authenticator.ts";

/**
 * Two passwordless sign-ins with the same passkey at once, each over its own challenge. On
 * PostgreSQL the test holds the person's row until both wait on it, so both have read the passkey
 * (and its signature counter) before either records its use, and are judged one after the other.
 * On PGlite one transaction runs at a time: the two come one after the other.
 */

let t: TestApp;
let clock = Date.now();
beforeAll(async () => {
  t = await startTestApp({ now: () => new Date(clock), rateLimiter: createMemoryRateLimiter(() => clock) });
});
afterAll(async () => {
  await t?.close();
});

type Json = Record<string, any>;
const post = (a: TestTenant, path: string, body?: unknown) => t.request({ method: "POST", path, host: a.host, body });
const holdPerson = (niceId: number) => sql`SELECT id FROM users WHERE nice_id = ${niceId} FOR UPDATE`;
const cloneAlarms = async (a: TestTenant) => ((await a.api("GET", "/api/v2/audit_logs.json?filter[action]=user.passkey_counter_regressed")).body.audit_logs as Json[]).length;
const signCount = (a: TestTenant) => t.db.tenant(a.tenantId, async (tx) => Number((await sql<{ n: string }>`SELECT max(sign_count) AS n FROM passkeys`.execute(tx.db)).rows[0]!.n));

async function twoAssertions(prefix: string) {
  const a = await buildTenant(t, prefix);
  const p = await staffWithPassword(t, a, "agent");
  const auth = new SoftAuthenticator();
  await registerPasskey(t, a, p.session, auth);
  const o1 = await post(a, "/api/v2/session/passkey/options.json");
  const o2 = await post(a, "/api/v2/session/passkey/options.json");
  // Signed in this order: the first's counter is 1, the second's 2.
  const first = auth.assert(o1.body.options as Json & { challenge: string }, { origin: a.origin });
  const second = auth.assert(o2.body.options as Json & { challenge: string }, { origin: a.origin });
  return { a, p, first, second };
}

describe("two uses of one passkey at once", () => {
  it("judged in the order they were signed: both sign in, no clone alarm, the counter ends at the newer", async () => {
    const { a, p, first, second } = await twoAssertions("pkuse");
    const [r1, r2] = await whileRowsHeld(t, a.tenantId, holdPerson(p.id), [[() => post(a, "/api/v2/session/passkey.json", { credential: first })], [() => post(a, "/api/v2/session/passkey.json", { credential: second })]]);
    expect(r1!.status, r1!.text).toBe(201);
    expect(r2!.status, r2!.text).toBe(201);
    expect(await cloneAlarms(a)).toBe(0);
    expect(await signCount(a)).toBe(2);
  });

  it("judged in the other order: the newer signs in; the older is refused, as a clone only when it was not a use at once", async () => {
    const { a, p, first, second } = await twoAssertions("pkuserev");
    const [r2, r1] = await whileRowsHeld(t, a.tenantId, holdPerson(p.id), [[() => post(a, "/api/v2/session/passkey.json", { credential: second })], [() => post(a, "/api/v2/session/passkey.json", { credential: first })]]);
    expect(r2!.status, r2!.text).toBe(201);
    expect(r1!.status, r1!.text).toBe(401);
    expect(r1!.headers["set-cookie"]).toBeUndefined();
    // At once (PostgreSQL), the older was ahead of the counter it read when it came in: a plain
    // refusal. One after the other (PGlite), it came in behind the counter: a clone's signature.
    expect(await cloneAlarms(a)).toBe(onPostgres() ? 0 : 1);
    expect(await signCount(a)).toBe(2);
  });
});
