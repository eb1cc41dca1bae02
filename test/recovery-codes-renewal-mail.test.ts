import { Secret, TOTP } from "otpauth";
import type { ParsedMail } from "mailparser";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, jobsSettled, registerPasskey, staffWithPassword, type Session } from "./support/people.ts";
import { startSmtpPeer, type SmtpPeer } from "./support/smtp-peer.ts";
import { SoftAuthenticator } from "./support/webauthn-authenticator.ts";

/**
 * New recovery codes tell their person by e-mail, whichever way they were renewed: with a code
 * (POST /users/me/two_factor/recovery_codes: a current code from the authenticator app, or an
 * unused recovery code) or with a passkey (…/recovery_codes/passkey). One notice, in the person's
 * language, to their address, through a real SMTP peer; it carries none of the new codes and no
 * link. A refused proof renews nothing and mails nothing. Turning two-factor sign-in with an
 * authenticator app on (which makes the first codes) or off tells the person too.
 */

let t: TestApp;
let smtp: SmtpPeer;
beforeAll(async () => {
  smtp = await startSmtpPeer();
  t = await startTestApp({ env: { VAULTDESK_SMTP_URL: smtp.url, VAULTDESK_JOB_POLL_SECONDS: "0.1" } });
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

const RENEW = "/api/v2/users/me/two_factor/recovery_codes.json";
const PASSKEY_OPTIONS = "/api/v2/users/me/two_factor/recovery_codes/passkey/options.json";
const PASSKEY_RENEW = "/api/v2/users/me/two_factor/recovery_codes/passkey.json";
const codeAt = (secret: string, at: number) => new TOTP({ secret: Secret.fromBase32(secret), algorithm: "SHA1", digits: 6, period: 30 }).generate({ timestamp: at });
const recipients = (m: ParsedMail) => (Array.isArray(m.to) ? m.to : m.to ? [m.to] : []).flatMap((a) => a.value.map((v) => (v.address ?? "").toLowerCase()));

/** A team member with a password, speaking `locale`, and their address. */
async function person(a: TestTenant, locale: string) {
  const p = await staffWithPassword(t, a, "agent");
  const r = await a.api("PUT", `/api/v2/users/${p.id}.json`, { user: { locale } });
  expect(r.status, r.text).toBe(200);
  return p;
}

/** Two-factor sign-in on with an authenticator app: its secret, and the time of the code it was confirmed with. */
async function withAuthenticator(a: TestTenant, s: Session) {
  const start = await asSession(t, a, s, "POST", "/api/v2/users/me/two_factor/totp.json");
  expect(start.status, start.text).toBe(201);
  const secret: string = start.body.totp.secret;
  const confirmedAt = Date.now();
  const confirm = await asSession(t, a, s, "POST", "/api/v2/users/me/two_factor/totp/confirm.json", { code: codeAt(secret, confirmedAt) });
  expect(confirm.status, confirm.text).toBe(200);
  return { secret, confirmedAt, recovery: confirm.body.recovery_codes as string[] };
}

/** A first passkey (a team member's comes with ten recovery codes). */
async function withPasskey(a: TestTenant, s: Session) {
  const auth = new SoftAuthenticator();
  const r = await registerPasskey(t, a, s, auth, "Key");
  return { auth, recovery: r.recovery_codes as string[] };
}

/**
 * The mail the person gets for `renew`: the jobs settled before (the passkey-added notice and the
 * like are not counted), then every message to the address after it, once its jobs are settled.
 */
async function mailsFor(a: TestTenant, email: string, renew: () => Promise<void>): Promise<ParsedMail[]> {
  await jobsSettled(t, a.tenantId);
  const since = smtp.messages.length;
  await renew();
  await jobsSettled(t, a.tenantId);
  return smtp.messages.slice(since).filter((m) => recipients(m).includes(email.toLowerCase()));
}

/** None of the codes, as shown or as typed without the hyphen, and no link. */
function expectNoSecrets(m: ParsedMail, codes: string[]) {
  const all = `${m.subject ?? ""}\n${m.text ?? ""}\n${typeof m.html === "string" ? m.html : ""}`;
  expect(codes).toHaveLength(10);
  for (const c of codes) {
    expect(all).not.toContain(c);
    expect(all).not.toContain(c.replace("-", ""));
  }
  expect(all).not.toMatch(/https?:\/\//);
}

describe("new recovery codes are mailed to their person", () => {
  it("renewed with a code from the authenticator app: one notice, in Japanese, with none of the new codes", async () => {
    const a = await buildTenant(t, "rcmailtotp");
    const p = await person(a, "ja");
    const tf = await withAuthenticator(a, p.session);
    let codes: string[] = [];
    const mails = await mailsFor(a, p.email, async () => {
      // The next time step's code (the confirming one is spent).
      const r = await asSession(t, a, p.session, "POST", RENEW, { code: codeAt(tf.secret, tf.confirmedAt + 30_000) });
      expect(r.status, r.text).toBe(201);
      codes = r.body.recovery_codes;
    });
    expect(mails).toHaveLength(1);
    const m = mails[0]!;
    expect(m.subject).toMatch(/新しいリカバリーコードが作成されました/);
    expect(m.text).toMatch(/以前のリカバリーコードはもう使えません/);
    expect(m.text).toMatch(/パスワードを変更/);
    expect(m.text).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expectNoSecrets(m, codes);
    // Nor the codes it replaced, nor the one that proved it.
    expectNoSecrets(m, tf.recovery);
  });

  it("renewed with an unused recovery code: one notice, in Swedish", async () => {
    const a = await buildTenant(t, "rcmailcode");
    const p = await person(a, "sv");
    const pk = await withPasskey(a, p.session);
    let codes: string[] = [];
    const mails = await mailsFor(a, p.email, async () => {
      const r = await asSession(t, a, p.session, "POST", RENEW, { code: pk.recovery[0] });
      expect(r.status, r.text).toBe(201);
      codes = r.body.recovery_codes;
    });
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toMatch(/^Nya återställningskoder har skapats för ditt konto hos /);
    expect(mails[0]!.text).toMatch(/Dina tidigare återställningskoder fungerar inte längre/);
    expectNoSecrets(mails[0]!, codes);
    expectNoSecrets(mails[0]!, pk.recovery);
  });

  it("renewed with a passkey: one notice, in Korean, with none of the new codes", async () => {
    const a = await buildTenant(t, "rcmailpasskey");
    const p = await person(a, "ko");
    const pk = await withPasskey(a, p.session);
    let codes: string[] = [];
    const mails = await mailsFor(a, p.email, async () => {
      const o = await asSession(t, a, p.session, "POST", PASSKEY_OPTIONS);
      expect(o.status, o.text).toBe(200);
      const r = await asSession(t, a, p.session, "POST", PASSKEY_RENEW, { credential: pk.auth.assert(o.body.options, { origin: a.origin }) });
      expect(r.status, r.text).toBe(201);
      codes = r.body.recovery_codes;
    });
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toMatch(/계정의 새 복구 코드가 생성되었습니다$/);
    expect(mails[0]!.text).toMatch(/이전 복구 코드는 더 이상 쓸 수 없습니다/);
    expectNoSecrets(mails[0]!, codes);
  });

  it("in English for a person with no language of their own (and in Simplified Chinese for zh)", async () => {
    const a = await buildTenant(t, "rcmailen");
    const en = await staffWithPassword(t, a, "agent");
    const enKey = await withPasskey(a, en.session);
    const enMails = await mailsFor(a, en.email, async () => {
      expect((await asSession(t, a, en.session, "POST", RENEW, { code: enKey.recovery[0] })).status).toBe(201);
    });
    expect(enMails.map((m) => m.subject)).toEqual([expect.stringMatching(/^New recovery codes were made for your account at /)]);
    expect(enMails[0]!.text).toMatch(/Your earlier recovery codes no longer work/);
    const zh = await person(a, "zh-CN");
    const zhKey = await withPasskey(a, zh.session);
    const zhMails = await mailsFor(a, zh.email, async () => {
      expect((await asSession(t, a, zh.session, "POST", RENEW, { code: zhKey.recovery[0] })).status).toBe(201);
    });
    expect(zhMails.map((m) => m.subject)).toEqual([expect.stringMatching(/的账户已生成新的恢复码$/)]);
  });

  it("a refused proof (a wrong code, a passkey assertion over a used challenge) renews nothing and mails nothing", async () => {
    const a = await buildTenant(t, "rcmailrefused");
    const p = await person(a, "ja");
    const pk = await withPasskey(a, p.session);
    const o = await asSession(t, a, p.session, "POST", PASSKEY_OPTIONS);
    const assertion = pk.auth.assert(o.body.options, { origin: a.origin });
    expect((await asSession(t, a, p.session, "POST", PASSKEY_RENEW, { credential: assertion })).status).toBe(201);
    const mails = await mailsFor(a, p.email, async () => {
      expect((await asSession(t, a, p.session, "POST", RENEW, { code: "aaaaa-bbbbb" })).status).toBe(422);
      expect((await asSession(t, a, p.session, "POST", RENEW, { code: pk.recovery[1] })).status).toBe(422);
      expect((await asSession(t, a, p.session, "POST", PASSKEY_RENEW, { credential: assertion })).status).toBe(422);
    });
    expect(mails).toEqual([]);
  });

  it("an admin's reset of the second factor mails its own notice only, not a renewal's", async () => {
    const a = await buildTenant(t, "rcmailreset");
    const p = await person(a, "en");
    await withAuthenticator(a, p.session);
    const mails = await mailsFor(a, p.email, async () => {
      const r = await a.api("DELETE", `/api/v2/users/${p.id}/two_factor.json`);
      expect(r.status, r.text).toBe(200);
    });
    expect(mails.map((m) => m.subject)).toEqual([expect.stringMatching(/^Two-factor authentication was reset on your /)]);
  });

  it("reaches a person whose processing is restricted, as the other notices about their own account's security do", async () => {
    const a = await buildTenant(t, "rcmailheld");
    const p = await person(a, "sv");
    const pk = await withPasskey(a, p.session);
    const restrict = await a.api("PUT", `/api/v2/users/${p.id}/restriction.json`, { restriction: { restricted: true, reason: "Accuracy contested" } });
    expect(restrict.status, restrict.text).toBe(200);
    const mails = await mailsFor(a, p.email, async () => {
      expect((await asSession(t, a, p.session, "POST", RENEW, { code: pk.recovery[0] })).status).toBe(201);
    });
    expect(mails.map((m) => m.subject)).toEqual([expect.stringMatching(/^Nya återställningskoder/)]);
    expect((await a.api("GET", "/api/v2/audit_logs.json?filter[action]=notification.withheld")).body.audit_logs).toEqual([]);
  });
});

describe("turning the authenticator app on and off is mailed to the person", () => {
  it("on (with its first recovery codes): one notice, in Japanese, with none of the codes and no link", async () => {
    const a = await buildTenant(t, "tfmailon");
    const p = await person(a, "ja");
    let tf: Awaited<ReturnType<typeof withAuthenticator>> | undefined;
    const mails = await mailsFor(a, p.email, async () => {
      tf = await withAuthenticator(a, p.session);
    });
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toMatch(/2 段階認証が有効になりました/);
    expect(mails[0]!.text).toMatch(/リカバリーコードを安全な場所に保管/);
    expect(mails[0]!.text).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expectNoSecrets(mails[0]!, tf!.recovery);
    expect(mails[0]!.text).not.toContain(tf!.secret);
  });

  it("off with a current code: one notice, in Swedish; a refused code and a cancelled set-up mail nothing", async () => {
    const a = await buildTenant(t, "tfmailoff");
    const p = await person(a, "sv");
    const tf = await withAuthenticator(a, p.session);
    const refused = await mailsFor(a, p.email, async () => {
      const r = await asSession(t, a, p.session, "DELETE", "/api/v2/users/me/two_factor.json", { code: "000000" });
      expect(r.status, r.text).toBe(422);
    });
    expect(refused).toHaveLength(0);
    const off = await mailsFor(a, p.email, async () => {
      const r = await asSession(t, a, p.session, "DELETE", "/api/v2/users/me/two_factor.json", { code: codeAt(tf.secret, tf.confirmedAt + 30_000) });
      expect(r.status, r.text).toBeLessThan(300);
    });
    expect(off).toHaveLength(1);
    expect(off[0]!.subject).toMatch(/^Tvåstegsinloggning stängdes av för ditt konto hos /);
    expect(off[0]!.text).toMatch(/återställningskoder kan inte längre användas/);
    expectNoSecrets(off[0]!, tf.recovery);
    // A set-up started and dropped before it was confirmed turned nothing on or off.
    const cancelled = await mailsFor(a, p.email, async () => {
      expect((await asSession(t, a, p.session, "POST", "/api/v2/users/me/two_factor/totp.json")).status).toBe(201);
      const r = await asSession(t, a, p.session, "DELETE", "/api/v2/users/me/two_factor.json", {});
      expect(r.status, r.text).toBeLessThan(300);
    });
    expect(cancelled).toHaveLength(0);
  });
});
