import crypto from "node:crypto";
import { sql } from "kysely";
import { Secret, TOTP } from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeOwn } from "../src/modules/identity/passkeys-service.ts";
import { disableOwn } from "../src/modules/identity/two-factor-service.ts";
import { updateSsoSettings } from "../src/modules/identity/sso-service.ts";
import { changeRole } from "../src/modules/users/users-service.ts";
import { findUserById } from "../src/modules/users/users-repo.ts";
import { makeContext, userActor, type RequestContext } from "../src/platform/context.ts";
import type { TenantTx } from "../src/platform/db/database.ts";
import type { Role } from "../src/platform/db/schema.ts";
import { AppError } from "../src/platform/errors.ts";
import { buildTenant, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, signIn, staffWithPassword, type Session } from "./support/people.ts";
import { SoftAuthenticator } from "./support/webauthn-authenticator.ts";

/**
 * With staff on single sign-on only, an owner keeps a second factor (their way in when the identity
 * provider fails). On PostgreSQL two transactions run at once under read committed: each step that
 * could take the owner's last factor away (removing a passkey, turning two-factor off) or turn the
 * rule on must not pass its check while another, uncommitted, takes the factor it counted on. The
 * first step is held open, mid-transaction, while the second comes in; the second must wait and
 * then refuse. (On the embedded database one transaction runs at a time, and the same test shows
 * the sequential answer.)
 */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

const codeAt = (secret: string, at = Date.now()) => new TOTP({ secret: Secret.fromBase32(secret), algorithm: "SHA1", digits: 6, period: 30 }).generate({ timestamp: at });

const ownerOf = (a: TestTenant) => t.db.tenant(a.tenantId, async (tx) => (await sql<{ id: string; nice_id: number }>`SELECT id, nice_id FROM users WHERE role = 'owner'`.execute(tx.db)).rows[0]!);

/** The owner acting on a session signed in just now, inside the given transaction. */
async function asOwner(a: TestTenant, tx: TenantTx, o: { id: string; nice_id: number }, role: Role = "owner"): Promise<RequestContext> {
  const actor = { ...userActor({ id: o.id, niceId: Number(o.nice_id), role, customRole: null }, "session"), signedInAt: new Date() };
  return makeContext({ tx, sealer: await t.keyring.sealerFor(tx), actor, now: () => new Date(), apiBase: `http://${a.host}/api/v2` });
}

/** A step that holds its transaction open until told: `reached` once its work is done. */
function held(a: TestTenant, work: (tx: TenantTx) => Promise<unknown>) {
  let release!: () => void;
  let reached!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const there = new Promise<void>((r) => (reached = r));
  const done = t.db.tenant(a.tenantId, async (tx) => {
    await work(tx);
    reached();
    await gate;
  });
  return { there, release, done };
}

async function staffOnSsoOnly(a: TestTenant): Promise<void> {
  const jwt = await a.api("PUT", "/api/v2/sso/jwt.json", { jwt: { enabled: true, remote_login_url: "https://app.customer.test/login", shared_secret: crypto.randomBytes(32).toString("base64url") } });
  expect(jwt.status, jwt.text).toBe(200);
  const on = await a.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { staff_provider: "jwt", staff_sso_only: true } });
  expect(on.status, on.text).toBe(200);
}

const factors = (a: TestTenant, userId: string) =>
  t.db.tenant(a.tenantId, async (tx) => ({
    passkeys: Number((await sql<{ n: string }>`SELECT count(*) AS n FROM passkeys WHERE user_id = ${userId}`.execute(tx.db)).rows[0]!.n),
    totp: (await sql<{ status: string }>`SELECT status FROM two_factor_totp WHERE user_id = ${userId}`.execute(tx.db)).rows.length,
  }));

async function addPasskey(a: TestTenant, s: Session): Promise<string> {
  const o = await asSession(t, a, s, "POST", "/api/v2/users/me/passkeys/options.json");
  expect(o.status, o.text).toBe(200);
  const r = await asSession(t, a, s, "POST", "/api/v2/users/me/passkeys.json", { passkey: { name: "Key", credential: new SoftAuthenticator().register(o.body.options, { origin: a.origin }) } });
  expect(r.status, r.text).toBe(201);
  return String(r.body.passkey.id);
}

/**
 * Gives the second step time to run to its end while the first is held (it would without a lock
 * to wait for), bounded: still unsettled after a second, it is waiting. (On the embedded database
 * it cannot start before the first ends, so this always waits the second.)
 */
async function doneOrWaiting(p: Promise<unknown>): Promise<void> {
  let settled = false;
  void p.finally(() => (settled = true));
  for (let i = 0; i < 20 && !settled; i++) await new Promise((r) => setTimeout(r, 50));
}

/** The owner with an authenticator app, and a JWT provider ready for "SSO only" (not yet on). */
async function ownerWithApp(a: TestTenant): Promise<{ o: { id: string; nice_id: number }; secret: string }> {
  const s = await signIn(t, a, a.ownerEmail, a.ownerPassword);
  const secret = (await asSession(t, a, s, "POST", "/api/v2/users/me/two_factor/totp.json")).body.totp.secret as string;
  expect((await asSession(t, a, s, "POST", "/api/v2/users/me/two_factor/totp/confirm.json", { code: codeAt(secret) })).status).toBe(200);
  const jwt = await a.api("PUT", "/api/v2/sso/jwt.json", { jwt: { enabled: true, remote_login_url: "https://app.customer.test/login", shared_secret: crypto.randomBytes(32).toString("base64url") } });
  expect(jwt.status, jwt.text).toBe(200);
  return { o: await ownerOf(a), secret };
}

const refusal = (p: Promise<unknown>) => p.then(() => "committed", (e: unknown) => (e instanceof AppError ? `${e.code} ${Object.keys(e.details ?? {}).join(",")}` : String(e)));

describe("an owner's last second factor under single sign-on only", () => {
  it("two removals of the owner's two passkeys at once: the second waits, then is refused", async () => {
    const a = await buildTenant(t, "raceway");
    const o = await ownerOf(a);
    const s = await signIn(t, a, a.ownerEmail, a.ownerPassword);
    const [first, second] = [await addPasskey(a, s), await addPasskey(a, s)];
    await staffOnSsoOnly(a);
    const one = held(a, async (tx) => removeOwn({ config: t.config }, await asOwner(a, tx, o), first));
    await one.there;
    const two = refusal(t.db.tenant(a.tenantId, async (tx) => removeOwn({ config: t.config }, await asOwner(a, tx, o), second)));
    await doneOrWaiting(two);
    one.release();
    await one.done;
    expect(await two).toBe("RecordInvalid two_factor");
    expect(await factors(a, o.id)).toEqual({ passkeys: 1, totp: 0 });
  });

  it("turning two-factor off while an admin turns single sign-on only on: one of the two is refused", async () => {
    const a = await buildTenant(t, "racetf");
    const { o, secret } = await ownerWithApp(a);
    // The switch first, held; the owner's "off" comes in meanwhile.
    const on = held(a, async (tx) => updateSsoSettings(await asOwner(a, tx, o), { staff_provider: "jwt", staff_sso_only: true }));
    await on.there;
    const off = refusal(t.db.tenant(a.tenantId, async (tx) => disableOwn({ keyring: t.keyring, config: t.config }, await asOwner(a, tx, o), codeAt(secret, Date.now() + 30_000))));
    await doneOrWaiting(off);
    on.release();
    await on.done;
    expect(await off).toBe("RecordInvalid two_factor");
    expect(await factors(a, o.id)).toEqual({ passkeys: 0, totp: 1 });
    // And the other way round: "off" first, held; the switch then finds the owner without one.
    const b = await buildTenant(t, "racetf2");
    const { o: ob, secret: secretB } = await ownerWithApp(b);
    const offFirst = held(b, async (tx) => disableOwn({ keyring: t.keyring, config: t.config }, await asOwner(b, tx, ob), codeAt(secretB, Date.now() + 30_000)));
    await offFirst.there;
    const switched = refusal(t.db.tenant(b.tenantId, async (tx) => updateSsoSettings(await asOwner(b, tx, ob), { staff_provider: "jwt", staff_sso_only: true })));
    await doneOrWaiting(switched);
    offFirst.release();
    await offFirst.done;
    expect(await switched).toBe("RecordInvalid staff_sso_only");
    expect(await factors(b, ob.id)).toEqual({ passkeys: 0, totp: 0 });
  });

  it("an admin turning their two-factor off while the owner makes them owner: one of the two is refused", async () => {
    // The admin with an authenticator app, the owner with one, then "SSO only" on.
    async function adminWithApp(a: TestTenant) {
      const p = await staffWithPassword(t, a, "admin");
      const secret = (await asSession(t, a, p.session, "POST", "/api/v2/users/me/two_factor/totp.json")).body.totp.secret as string;
      expect((await asSession(t, a, p.session, "POST", "/api/v2/users/me/two_factor/totp/confirm.json", { code: codeAt(secret) })).status).toBe(200);
      const row = await t.db.tenant(a.tenantId, async (tx) => (await sql<{ id: string; nice_id: number }>`SELECT id, nice_id FROM users WHERE nice_id = ${p.id}`.execute(tx.db)).rows[0]!);
      return { row, secret };
    }
    const promote = (a: TestTenant, o: { id: string; nice_id: number }, adminId: string) => async (tx: TenantTx) => changeRole(await asOwner(a, tx, o), (await findUserById(tx, adminId))!, "owner");

    // The promotion first, held; the admin's "off" comes in meanwhile and finds an owner.
    const a = await buildTenant(t, "racepromo");
    const { o } = await ownerWithApp(a);
    const admin = await adminWithApp(a);
    await staffOnSsoOnly(a);
    const promotion = held(a, promote(a, o, admin.row.id));
    await promotion.there;
    const off = refusal(t.db.tenant(a.tenantId, async (tx) => disableOwn({ keyring: t.keyring, config: t.config }, await asOwner(a, tx, admin.row, "admin"), codeAt(admin.secret, Date.now() + 30_000))));
    await doneOrWaiting(off);
    promotion.release();
    await promotion.done;
    expect(await off).toBe("RecordInvalid two_factor");
    expect(await factors(a, admin.row.id)).toEqual({ passkeys: 0, totp: 1 });

    // And the other way round: "off" first, held; the promotion then finds them without one.
    const b = await buildTenant(t, "racepromo2");
    const { o: ob } = await ownerWithApp(b);
    const adminB = await adminWithApp(b);
    await staffOnSsoOnly(b);
    const offFirst = held(b, async (tx) => disableOwn({ keyring: t.keyring, config: t.config }, await asOwner(b, tx, adminB.row, "admin"), codeAt(adminB.secret, Date.now() + 30_000)));
    await offFirst.there;
    const promoted = refusal(t.db.tenant(b.tenantId, promote(b, ob, adminB.row.id)));
    await doneOrWaiting(promoted);
    offFirst.release();
    await offFirst.done;
    expect(await promoted).toBe("RecordInvalid role");
    expect(await factors(b, adminB.row.id)).toEqual({ passkeys: 0, totp: 0 });
    expect((await t.db.tenant(b.tenantId, (tx) => findUserById(tx, adminB.row.id)))!.role).toBe("admin");
  });
});
