import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resetTwoFactorByOperator } from "../src/modules/identity/two-factor-service.ts";
import { createMemoryRateLimiter } from "../src/platform/rate-limiter.ts";
import { buildTenant, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { whileRowsHeld, withoutNewDeadlocks } from "./support/held-rows.ts";
import { PASSWORD, registerPasskey, staffWithPassword } from "./support/people.ts";
import { SoftAuthenticator } from "./support/webauthn-authenticator.ts";

/**
 * The operator's two-factor reset (vaultdesk user reset-two-factor) at once with the person's
 * passkey completing a password sign-in. On PostgreSQL the test holds the passkey's row until
 * both wait on it: the reset first (it deletes the passkeys, then the person's WebAuthn
 * challenges), the passkey step second (it has claimed its WebAuthn challenge and then records
 * the passkey's use).
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


describe("the operator's two-factor reset at once with a passkey second step", () => {
  it("the reset is done and the sign-in refused, with no deadlock", async () => {
    await withoutNewDeadlocks(t, "opreset", async () => {
      // PostgreSQL breaks a deadlock by rolling back either side: the sign-in (run again by the
      // route, unseen) or the operator's reset (which fails). A few rounds, then the count.
      for (let round = 0; round < 3; round++) {
        const a = await buildTenant(t, `opreset${round}`);
        const p = await staffWithPassword(t, a, "agent");
        const auth = new SoftAuthenticator();
        await registerPasskey(t, a, p.session, auth);
        const step = await post(a, "/api/v2/session.json", { email: p.email, password: PASSWORD });
        expect(step.status, step.text).toBe(202);
        const challenge = step.body.challenge as string;
        const options = await post(a, "/api/v2/session/two_factor/passkey/options.json", { challenge });
        expect(options.status, options.text).toBe(200);
        const credential = auth.assert(options.body.options as Json & { challenge: string }, { origin: a.origin, userVerified: false });

        const holdPasskey = sql`SELECT p.id FROM passkeys p JOIN users u ON u.tenant_id = p.tenant_id AND u.id = p.user_id WHERE u.nice_id = ${p.id} FOR UPDATE`;
        const reset = () =>
          resetTwoFactorByOperator({ db: t.db, keyring: t.keyring, config: t.config, now: () => new Date(clock) }, a.tenantId, p.email).then(
            (r) => ({ ok: true as const, r }),
            (e: unknown) => ({ ok: false as const, error: String((e as Error)?.message ?? e), code: (e as { code?: string })?.code }),
          );
        const signIn = () => post(a, "/api/v2/session/two_factor/passkey.json", { challenge, credential });
        const [op, second] = (await whileRowsHeld<any>(t, a.tenantId, holdPasskey, [[reset], [signIn]])) as [any, any];
        // Observed before the reset took the person's row first (PostgreSQL): "deadlock detected" (40P01).
        expect(op, JSON.stringify(op)).toMatchObject({ ok: true, r: { reset: true } });
        expect(second.status, second.text).toBe(401);
      }
    });
  }, 60_000);
});
