import { sql } from "kysely";
import { Secret, TOTP } from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryRateLimiter } from "../src/platform/rate-limiter.ts";
import { buildTenant, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { whileRowsHeld, withoutNewDeadlocks } from "./support/held-rows.ts";
import { asSession, PASSWORD, staffWithPassword, turnOnTotp } from "./support/people.ts";

/**
 * New recovery codes (proved with a code from the authenticator app) at once with the same
 * person's code step of a password sign-in. Both take the person's row and their authenticator:
 * the renewal in the order of the sign-in's second step (the row first), so neither waits on the
 * other in a cycle. On PostgreSQL the test holds the authenticator's row until the renewal and
 * then the sign-in wait on it.
 */

let t: TestApp;
let clock = Date.now();
beforeAll(async () => {
  t = await startTestApp({ now: () => new Date(clock), rateLimiter: createMemoryRateLimiter(() => clock) });
});
afterAll(async () => {
  await t?.close();
});

const post = (a: TestTenant, path: string, body?: unknown) => t.request({ method: "POST", path, host: a.host, body });
const codeAt = (secret: string, at = clock) => new TOTP({ secret: Secret.fromBase32(secret), algorithm: "SHA1", digits: 6, period: 30 }).generate({ timestamp: at });

describe("renewing recovery codes at once with a sign-in's code step", () => {
  it("both are served, one after the other, with no deadlock", async () => {
    // Observed before the renewal took the person's row first: deadlocks (each broken by
    // rolling one request back, which the route then ran again).
    await withoutNewDeadlocks(t, "renew", async () => {
      for (let round = 0; round < 3; round++) {
        const a = await buildTenant(t, `renewstep${round}`);
        const p = await staffWithPassword(t, a, "agent");
        const secret = await turnOnTotp(t, a, p.session, codeAt);
        clock += 30_000;
        const step = await post(a, "/api/v2/session.json", { email: p.email, password: PASSWORD });
        expect(step.status, step.text).toBe(202);
        const challenge = step.body.challenge as string;

        const holdAuthenticator = sql`SELECT x.id FROM two_factor_totp x JOIN users u ON u.tenant_id = x.tenant_id AND u.id = x.user_id WHERE u.nice_id = ${p.id} FOR UPDATE`;
        // The renewal with this step's code, the sign-in with the next step's (both accepted, in that order).
        const renew = () => asSession(t, a, p.session, "POST", "/api/v2/users/me/two_factor/recovery_codes.json", { code: codeAt(secret) });
        const signIn = () => post(a, "/api/v2/session/two_factor.json", { challenge, code: codeAt(secret, clock + 30_000) });
        const [renewed, signedIn] = await whileRowsHeld(t, a.tenantId, holdAuthenticator, [[renew], [signIn]]);
        expect(renewed!.status, renewed!.text).toBe(201);
        expect(signedIn!.status, signedIn!.text).toBe(201);
        clock += 60_000;
      }
    });
  }, 60_000);

  it("turning two-factor off at once with a renewal: both judged, one after the other, with no deadlock", async () => {
    await withoutNewDeadlocks(t, "off", async () => {
      for (let round = 0; round < 3; round++) {
        const a = await buildTenant(t, `offrenew${round}`);
        const p = await staffWithPassword(t, a, "agent");
        const secret = await turnOnTotp(t, a, p.session, codeAt);
        clock += 30_000;
        const holdAuthenticator = sql`SELECT x.id FROM two_factor_totp x JOIN users u ON u.tenant_id = x.tenant_id AND u.id = x.user_id WHERE u.nice_id = ${p.id} FOR UPDATE`;
        const off = () => asSession(t, a, p.session, "DELETE", "/api/v2/users/me/two_factor.json", { code: codeAt(secret) });
        const renew = () => asSession(t, a, p.session, "POST", "/api/v2/users/me/two_factor/recovery_codes.json", { code: codeAt(secret, clock + 30_000) });
        const [turnedOff, renewed] = await whileRowsHeld(t, a.tenantId, holdAuthenticator, [[off], [renew]]);
        expect(turnedOff!.status, turnedOff!.text).toBeLessThan(300);
        // Judged after two-factor was turned off: not on any more.
        expect(renewed!.status, renewed!.text).toBe(422);
        clock += 60_000;
      }
    });
  }, 60_000);
});
