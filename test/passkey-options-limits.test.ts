import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WEBAUTHN_OPTIONS_PER_CLIENT, WEBAUTHN_OPTIONS_PER_PERSON } from "../src/platform/http/rate-limit.ts";
import { createMemoryRateLimiter } from "../src/platform/rate-limiter.ts";
import { buildTenant, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, PASSWORD, registerPasskey, signIn, staffWithPassword } from "./support/people.ts";
import { SoftAuthenticator } from "./support/webauthn-authenticator.ts";

/**
 * The routes that hand out a WebAuthn challenge (passkey options; each stores a challenge row)
 * have a limit of their own, over real HTTP: per client network for the anonymous ones, per
 * person for the signed-in ones, answered 429 with Retry-After.
 */

let t: TestApp;
let clock = Date.now();
beforeAll(async () => {
  t = await startTestApp({ now: () => new Date(clock), rateLimiter: createMemoryRateLimiter(() => clock) });
});
afterAll(async () => {
  await t?.close();
});

const [PER_CLIENT_MINUTE] = WEBAUTHN_OPTIONS_PER_CLIENT[0]!;
const [PER_PERSON_MINUTE] = WEBAUTHN_OPTIONS_PER_PERSON[0]!;
const post = (a: TestTenant, path: string, body?: unknown, localAddress?: string) => t.request({ method: "POST", path, host: a.host, body, ...(localAddress ? { localAddress } : {}) });
/** Sends until the first 429 (at most `max` + 1); answers how many were let through and the 429. */
async function untilLimited(send: () => ReturnType<TestApp["request"]>, max: number, okStatus: number) {
  for (let i = 0; i <= max; i++) {
    const r = await send();
    if (r.status === 429) return { allowed: i, limited: r };
    expect(r.status, r.text).toBe(okStatus);
  }
  return { allowed: max + 1, limited: undefined };
}

describe("passkey options have a rate limit of their own", () => {
  it("passwordless options: per client network, 429 with Retry-After; another address and password sign-in go on", async () => {
    const a = await buildTenant(t, "pkoptip");
    const { allowed, limited } = await untilLimited(() => post(a, "/api/v2/session/passkey/options.json"), PER_CLIENT_MINUTE, 200);
    expect(allowed).toBe(PER_CLIENT_MINUTE);
    expect(limited?.status).toBe(429);
    expect(Number(limited!.headers["retry-after"])).toBeGreaterThan(0);
    expect(limited!.body.error).toBeDefined();
    // Another client network is not held back by this one.
    expect((await post(a, "/api/v2/session/passkey/options.json", undefined, "127.0.0.2")).status).toBe(200);
    // The options' own limit: the password sign-in of that address still has its budget.
    expect((await post(a, "/api/v2/session.json", { email: a.ownerEmail, password: a.ownerPassword })).status).toBe(201);
    // And it comes back once its time has passed.
    clock += Number(limited!.headers["retry-after"]) * 1000;
    expect((await post(a, "/api/v2/session/passkey/options.json")).status).toBe(200);
  });

  it("a sign-in's second-step options: per client network too", async () => {
    const a = await buildTenant(t, "pkopt2fa");
    const p = await staffWithPassword(t, a, "agent");
    await registerPasskey(t, a, p.session, new SoftAuthenticator());
    const first = await post(a, "/api/v2/session.json", { email: p.email, password: PASSWORD }, "127.0.0.3");
    expect(first.status, first.text).toBe(202);
    const challenge = first.body.challenge as string;
    const { allowed, limited } = await untilLimited(() => post(a, "/api/v2/session/two_factor/passkey/options.json", { challenge }, "127.0.0.3"), PER_CLIENT_MINUTE, 200);
    expect(allowed).toBe(PER_CLIENT_MINUTE);
    expect(Number(limited!.headers["retry-after"])).toBeGreaterThan(0);
  });

  it("adding a passkey's options: per person, whatever the address; another person goes on", async () => {
    const a = await buildTenant(t, "pkoptme");
    const p = await staffWithPassword(t, a, "agent");
    const { allowed, limited } = await untilLimited(() => asSession(t, a, p.session, "POST", "/api/v2/users/me/passkeys/options.json"), PER_PERSON_MINUTE, 200);
    expect(allowed).toBe(PER_PERSON_MINUTE);
    expect(limited?.status).toBe(429);
    expect(Number(limited!.headers["retry-after"])).toBeGreaterThan(0);
    // The same person from another address (a new session there) is still held back.
    const elsewhere = await t.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email: p.email, password: PASSWORD }, localAddress: "127.0.0.4" });
    expect(elsewhere.status, elsewhere.text).toBe(201);
    const cookie = (elsewhere.headers["set-cookie"] as string[]).find((c) => c.startsWith("vd_session="))!.split(";")[0]!;
    const again = await t.request({ method: "POST", path: "/api/v2/users/me/passkeys/options.json", host: a.host, headers: { cookie, "x-csrf-token": elsewhere.body.session.csrf_token }, localAddress: "127.0.0.4" });
    expect(again.status).toBe(429);
    // Another person at the first address is not.
    const owner = await signIn(t, a, a.ownerEmail, a.ownerPassword);
    expect((await asSession(t, a, owner, "POST", "/api/v2/users/me/passkeys/options.json")).status).toBe(200);
  });

  it("new recovery codes' passkey options: per person", async () => {
    const a = await buildTenant(t, "pkoptrc");
    const p = await staffWithPassword(t, a, "agent");
    await registerPasskey(t, a, p.session, new SoftAuthenticator());
    const { allowed, limited } = await untilLimited(() => asSession(t, a, p.session, "POST", "/api/v2/users/me/two_factor/recovery_codes/passkey/options.json"), PER_PERSON_MINUTE, 200);
    // Adding the passkey above took one of the person's options.
    expect(allowed).toBe(PER_PERSON_MINUTE - 1);
    expect(Number(limited!.headers["retry-after"])).toBeGreaterThan(0);
  });
});
