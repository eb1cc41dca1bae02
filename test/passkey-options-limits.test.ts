import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WEBAUTHN_OPTIONS_PER_CLIENT, WEBAUTHN_OPTIONS_PER_CLIENT_ALL_ACCOUNTS, WEBAUTHN_OPTIONS_PER_PERSON } from "../src/platform/http/rate-limit.ts";
import { createMemoryRateLimiter } from "../src/platform/rate-limiter.ts";
import { buildTenant, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, PASSWORD, registerPasskey, signIn, staffWithPassword } from "./support/people.ts";
import { SoftAuthenticator } from "./support/webauthn-authenticator.ts";

/**
 * The routes that hand out a WebAuthn challenge (passkey options; each stores a challenge row)
 * have a limit of their own, over real HTTP: per client network for the anonymous ones (per
 * account, and across all accounts an hourly cap), per person for the signed-in ones, answered
 * 429 with Retry-After. A burst limit per minute and a cap per hour.
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
const HOUR = 3_600_000;
/** The documented hourly caps (docs/api.md), which the tests below expect to be in force. */
const PER_CLIENT_HOUR = 200;
const PER_PERSON_HOUR = 60;
const [ALL_ACCOUNTS_HOUR] = WEBAUTHN_OPTIONS_PER_CLIENT_ALL_ACCOUNTS;
/** Moves the clock to a second past an hour's turn, two hours on: no hour window counted before weighs in, and minutes start there too. */
function toFreshHour() {
  clock = (Math.floor(clock / HOUR) + 2) * HOUR + 1000;
}
/**
 * Sends the minute limit's worth, then moves on two minutes (past the minute window and the one after
 * it, so none of it weighs), round after round (at most `rounds`), until a 429; answers how many
 * were let through, the 429 and the clock then. Every round stays within the hour.
 */
async function spendHour(send: () => ReturnType<TestApp["request"]>, perMinute: number, rounds: number) {
  let total = 0;
  for (let round = 0; round < rounds; round++) {
    if (round > 0) clock += 120_000;
    for (let k = 0; k < perMinute; k++) {
      const r = await send();
      if (r.status === 429) return { total, limited: r, at: clock };
      expect(r.status, r.text).toBe(200);
      total++;
    }
  }
  return { total, limited: undefined, at: clock };
}
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

  it("passwordless options: an hourly cap per client network and account, past which the minute's turn does not help; another network, another account and the hour's passing do", async () => {
    toFreshHour();
    const a = await buildTenant(t, "pkopthr");
    const b = await buildTenant(t, "pkopthrb");
    const from = "127.0.0.5";
    const send = () => post(a, "/api/v2/session/passkey/options.json", undefined, from);
    // Rounds of the minute's limit, two minutes apart (at most 25: 50 minutes, within the hour).
    const { total, limited, at } = await spendHour(send, PER_CLIENT_MINUTE, 25);
    expect(limited?.status, "the hourly cap answers 429").toBe(429);
    expect(total).toBe(PER_CLIENT_HOUR);
    expect(limited!.body.error).toBeDefined();
    // Retry-After is the hour's: far more than a minute, at most an hour.
    const wait = Number(limited!.headers["retry-after"]);
    expect(wait).toBeGreaterThan(600);
    expect(wait).toBeLessThanOrEqual(3600);
    // Another minute (two) does not let it through, nor does a minute short of the wait.
    clock = at + 120_000;
    expect((await send()).status).toBe(429);
    clock = at + (wait - 60) * 1000;
    expect((await send()).status).toBe(429);
    // Another client network, and another account from the same network, go on.
    expect((await post(a, "/api/v2/session/passkey/options.json", undefined, "127.0.0.6")).status).toBe(200);
    expect((await post(b, "/api/v2/session/passkey/options.json", undefined, from)).status).toBe(200);
    // Once the wait has passed, it is let through again.
    clock = at + wait * 1000;
    expect((await send()).status).toBe(200);
  });

  it("adding a passkey's options: an hourly cap per person, whatever the session; another person and the hour's passing go on", async () => {
    toFreshHour();
    const a = await buildTenant(t, "pkopthrme");
    const p = await staffWithPassword(t, a, "agent");
    // A new session every round: the route asks for a recent sign-in, and the cap is the person's, not the session's.
    let session = p.session;
    let signedInAt = 0;
    const send = async () => asSession(t, a, session, "POST", "/api/v2/users/me/passkeys/options.json");
    const { total, limited, at } = await spendHour(
      async () => {
        if (clock !== signedInAt) {
          signedInAt = clock;
          session = await signIn(t, a, p.email, PASSWORD);
        }
        return send();
      },
      PER_PERSON_MINUTE,
      12,
    );
    expect(limited?.status, "the hourly cap answers 429").toBe(429);
    expect(total).toBe(PER_PERSON_HOUR);
    const wait = Number(limited!.headers["retry-after"]);
    expect(wait).toBeGreaterThan(600);
    expect(wait).toBeLessThanOrEqual(3600);
    clock = at + 120_000;
    session = await signIn(t, a, p.email, PASSWORD);
    expect((await send()).status).toBe(429);
    // Another person goes on.
    const owner = await signIn(t, a, a.ownerEmail, a.ownerPassword);
    expect((await asSession(t, a, owner, "POST", "/api/v2/users/me/passkeys/options.json")).status).toBe(200);
    // The hour's passing lets the person through again (signed in anew: the route asks for a recent sign-in).
    clock = at + wait * 1000;
    session = await signIn(t, a, p.email, PASSWORD);
    expect((await send()).status).toBe(200);
  });

  it("anonymous options: an hourly cap per client network across all accounts, so spreading over accounts does not get round the per-account cap", async () => {
    toFreshHour();
    // Enough accounts that their own hourly caps add up past the server-wide one.
    const n = Math.floor(ALL_ACCOUNTS_HOUR / PER_CLIENT_HOUR) + 1;
    const tenants: TestTenant[] = [];
    for (let i = 0; i < n; i++) tenants.push(await buildTenant(t, `pkoptall${i}`));
    const from = "127.0.0.7";
    const options = (a: TestTenant, address = from) => post(a, "/api/v2/session/passkey/options.json", undefined, address);
    // Each account's minute limit per round, two minutes apart; bounded by the accounts' caps together.
    let total = 0;
    let limited: Awaited<ReturnType<TestApp["request"]>> | undefined;
    const perTenant = tenants.map(() => 0);
    for (let round = 0; !limited && round < Math.ceil(PER_CLIENT_HOUR / PER_CLIENT_MINUTE); round++) {
      if (round > 0) clock += 120_000;
      for (let i = 0; !limited && i < n; i++) {
        for (let k = 0; k < PER_CLIENT_MINUTE; k++) {
          const r = await options(tenants[i]!);
          if (r.status === 429) {
            limited = r;
            break;
          }
          expect(r.status, r.text).toBe(200);
          total++;
          perTenant[i]!++;
        }
      }
    }
    expect(limited?.status, "the server-wide cap answers 429").toBe(429);
    expect(total).toBe(ALL_ACCOUNTS_HOUR);
    // No account had reached its own hourly cap.
    for (const c of perTenant) expect(c).toBeLessThan(PER_CLIENT_HOUR);
    const wait = Number(limited!.headers["retry-after"]);
    expect(wait).toBeGreaterThan(600);
    expect(wait).toBeLessThanOrEqual(3600);
    const at = clock;
    // An account this network has not asked at all is refused too, a round later as well.
    const fresh = await buildTenant(t, "pkoptallnew");
    expect((await options(fresh)).status).toBe(429);
    clock = at + 120_000;
    expect((await options(fresh)).status).toBe(429);
    expect((await options(tenants[0]!)).status).toBe(429);
    // Another client network is not.
    expect((await options(fresh, "127.0.0.8")).status).toBe(200);
    // The second step's options count toward the same cap.
    const p = await staffWithPassword(t, fresh, "agent");
    await registerPasskey(t, fresh, p.session, new SoftAuthenticator());
    const first = await post(fresh, "/api/v2/session.json", { email: p.email, password: PASSWORD }, from);
    expect(first.status, first.text).toBe(202);
    let challenge = first.body.challenge as string;
    const second = () => post(fresh, "/api/v2/session/two_factor/passkey/options.json", { challenge }, from);
    expect((await second()).status).toBe(429);
    // Once the wait has passed, the network is let through again: one more (the window slides),
    // here a second step's options (its sign-in anew: a challenge lasts 5 minutes), then a wait again.
    clock = at + wait * 1000;
    const again = await post(fresh, "/api/v2/session.json", { email: p.email, password: PASSWORD }, from);
    expect(again.status, again.text).toBe(202);
    challenge = again.body.challenge as string;
    expect((await second()).status).toBe(200);
    expect((await options(fresh)).status).toBe(429);
  }, 180_000);
});
