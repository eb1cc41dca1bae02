import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Secret, TOTP } from "otpauth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/platform/config.ts";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, signIn } from "./support/people.ts";

/**
 * The compliance center over real HTTP: the posture report's controls follow the settings they
 * read (each flipped through its own API) and the installation's configuration; healthcare mode
 * refuses to turn on while a healthcare control fails, naming it, turns on when all pass, and then
 * refuses every settings change that would break one; the operator's sub-processors and region
 * come from configuration; owners and admins only; one tenant's mode is not another's.
 */

const SUBPROCESSORS = [
  { name: "Example Cloud", purpose: "Hosting and backups", location: "EU (Frankfurt)", url: "https://cloud.example.com/dpa" },
  { name: "Example Mail", purpose: "Outgoing e-mail relay", location: "EU (Paris)" },
];

/** The installation a healthcare customer needs: HTTPS, mail to the relay over verified TLS, a malware scanner. */
const HARDENED = {
  VAULTDESK_PUBLIC_URL: "https://localhost",
  VAULTDESK_SMTP_URL: "smtp://127.0.0.1:1",
  VAULTDESK_SMTP_RELAY_TLS: "required",
  VAULTDESK_CLAMD: "tcp://127.0.0.1:1",
  VAULTDESK_REGION: "eu-central",
  VAULTDESK_SUBPROCESSORS: JSON.stringify(SUBPROCESSORS),
};

let t: TestApp;
let plain: TestApp;
beforeAll(async () => {
  t = await startTestApp({ env: HARDENED });
  plain = await startTestApp({ env: { VAULTDESK_SMTP_URL: "smtp://127.0.0.1:1" } });
});
afterAll(async () => {
  await t?.close();
  await plain?.close();
});

type Json = Record<string, any>;
type As = { email: string; token: string } | undefined;

const posture = async (a: TestTenant, as?: As): Promise<Json> => {
  const r = await a.api("GET", "/api/v2/compliance/posture.json", undefined, as);
  expect(r.status, r.text).toBe(200);
  return r.body.posture;
};
const control = async (a: TestTenant, key: string): Promise<Json> => {
  const c = ((await posture(a)).controls as Json[]).find((x) => x.key === key);
  expect(c, key).toBeDefined();
  return c!;
};
const stateOf = async (a: TestTenant, key: string) => (await control(a, key)).state as string;
const ok = async (p: Promise<{ status: number; text: string }>) => {
  const r = await p;
  expect(r.status, r.text).toBe(200);
};
const healthcare = (a: TestTenant, enabled: boolean, as?: As) => a.api("PUT", "/api/v2/compliance/healthcare_mode.json", { healthcare_mode: { enabled } }, as);
const auditActions = async (a: TestTenant) => ((await a.api("GET", "/api/v2/audit_logs.json?per_page=100")).body.audit_logs as Json[]).map((e) => e.action as string);

// The settings, each through its own API.
const passwords = (a: TestTenant, s: Json) => a.api("PUT", "/api/v2/password_settings.json", { password_settings: s });
const notifications = (a: TestTenant, s: Json) => a.api("PUT", "/api/v2/notification_settings.json", { settings: s });
const apiSettings = (a: TestTenant, password_access: boolean) => a.api("PUT", "/api/v2/api_settings.json", { api_settings: { password_access } });
const sessions = (a: TestTenant, idle_minutes: number | null) => a.api("PUT", "/api/v2/session_settings.json", { session_settings: { idle_minutes } });
const twoFactor = (a: TestTenant, require_staff_two_factor: boolean) => a.api("PUT", "/api/v2/two_factor_settings.json", { two_factor_settings: { require_staff_two_factor } });
const ipRestrictions = (a: TestTenant, enabled: boolean) => a.api("PUT", "/api/v2/ip_restrictions.json", { ip_restriction: { enabled, allowed_ips: "127.0.0.0/8 ::1/128" } });
const jwt = (a: TestTenant, enabled: boolean) =>
  a.api("PUT", "/api/v2/sso/jwt.json", { jwt: { enabled, remote_login_url: "https://app.customer.test/login", shared_secret: "s".repeat(20) + "ecret-of-32-chars!!" } });
const retention = (a: TestTenant, enabled: boolean) => a.api("PUT", "/api/v2/retention_policy.json", { retention_policy: { enabled } });
const WEAK_CUSTOM = { level: "custom", rules: { min_length: 12, mixed_case: true, digit: true, symbol: false, not_like_email: true, min_strength: 2, history: 0, expiry_days: null, lockout_attempts: 5, lockout_minutes: 10, max_sequence: null } };
const STRONG_CUSTOM = { ...WEAK_CUSTOM, rules: { ...WEAK_CUSTOM.rules, min_length: 14, min_strength: 3 } };

/** The owner turns two-factor sign-in on for themselves (needed before requiring it for staff). */
async function ownerEnrols(app: TestApp, a: TestTenant): Promise<void> {
  const s = await signIn(app, a, a.ownerEmail, a.ownerPassword);
  const start = await asSession(app, a, s, "POST", "/api/v2/users/me/two_factor/totp.json");
  expect(start.status, start.text).toBe(201);
  const code = new TOTP({ secret: Secret.fromBase32(start.body.totp.secret as string), algorithm: "SHA1", digits: 6, period: 30 }).generate();
  const confirm = await asSession(app, a, s, "POST", "/api/v2/users/me/two_factor/totp/confirm.json", { code });
  expect(confirm.status, confirm.text).toBe(200);
}

describe("the posture report", () => {
  let a: TestTenant;
  beforeAll(async () => {
    a = await buildTenant(t, "posture");
  });

  it("lists every control with its state, owner, requirement, detail and fix; owners and admins only", async () => {
    const p = await posture(a);
    const keys = (p.controls as Json[]).map((c) => c.key);
    expect(keys).toEqual([
      "staff_two_factor", "staff_password_policy", "admin_set_passwords_off", "https", "private_attachments", "content_free_notifications", "jwt_token_expiry",
      "api_password_access_off", "ip_restrictions_or_mfa", "session_idle_timeout", "encryption_at_rest", "mail_relay_tls", "malware_scanning", "audit_chain", "retention_policy",
    ]);
    for (const c of p.controls as Json[]) {
      expect(["pass", "fail", "not_applicable"]).toContain(c.state);
      expect(["operator", "customer"]).toContain(c.owner);
      expect(c.detail.length).toBeGreaterThan(10);
      expect(c.requirement).toMatch(/^§\d/);
      expect(c.fix).toMatch(/^(\/admin\/[a-z-]+|docs\/[a-z-]+\.md(#[a-z-]+)?)$/);
    }
    expect(p.healthcare_mode).toBe(false);
    expect(p.counts.pass + p.counts.fail + p.counts.not_applicable).toBe(keys.length);
    // A fresh account: the secure defaults pass, the choices left to the customer fail.
    expect(await stateOf(a, "staff_password_policy")).toBe("pass");
    expect(await stateOf(a, "admin_set_passwords_off")).toBe("pass");
    expect(await stateOf(a, "api_password_access_off")).toBe("pass");
    expect(await stateOf(a, "staff_two_factor")).toBe("fail");
    expect(await stateOf(a, "content_free_notifications")).toBe("fail");
    expect(await stateOf(a, "session_idle_timeout")).toBe("fail");
    expect(await stateOf(a, "jwt_token_expiry")).toBe("not_applicable");

    const admin = await buildUser(t, a, "admin", "Admin");
    expect((await a.api("GET", "/api/v2/compliance/posture.json", undefined, { email: admin.email, token: admin.token! })).status).toBe(200);
    const agent = await buildUser(t, a, "agent", "Agent");
    const agentAs = { email: agent.email, token: agent.token! };
    for (const [m, p2, body] of [
      ["GET", "/api/v2/compliance/posture.json"],
      ["GET", "/api/v2/compliance/healthcare_mode.json"],
      ["PUT", "/api/v2/compliance/healthcare_mode.json", { healthcare_mode: { enabled: false } }],
      ["GET", "/api/v2/compliance/subprocessors.json"],
    ] as const) {
      expect((await a.api(m, p2, body, agentAs)).status, `${m} ${p2}`).toBe(403);
    }
  });

  it("each customer control flips when its setting changes", async () => {
    const flips: Array<[string, () => Promise<unknown>, string, () => Promise<unknown>, string]> = [
      ["staff_password_policy", () => ok(passwords(a, { staff: WEAK_CUSTOM })), "fail", () => ok(passwords(a, { staff: STRONG_CUSTOM })), "pass"],
      ["admin_set_passwords_off", () => ok(passwords(a, { admins_set_end_user_passwords: true })), "fail", () => ok(passwords(a, { admins_set_end_user_passwords: false })), "pass"],
      ["content_free_notifications", () => ok(notifications(a, { content_free: true })), "pass", () => ok(notifications(a, { content_free: false })), "fail"],
      ["api_password_access_off", () => ok(apiSettings(a, true)), "fail", () => ok(apiSettings(a, false)), "pass"],
      ["session_idle_timeout", () => ok(sessions(a, 15)), "pass", () => ok(sessions(a, 16)), "fail"],
      ["ip_restrictions_or_mfa", () => ok(ipRestrictions(a, true)), "pass", () => ok(ipRestrictions(a, false)), "fail"],
      ["jwt_token_expiry", () => ok(jwt(a, true)), "pass", () => ok(jwt(a, false)), "not_applicable"],
      ["retention_policy", () => ok(retention(a, true)), "pass", () => ok(retention(a, false)), "fail"],
    ];
    for (const [key, first, after, second, back] of flips) {
      await first();
      expect(await stateOf(a, key), `${key} after the first change`).toBe(after);
      await second();
      expect(await stateOf(a, key), `${key} after the second change`).toBe(back);
    }
    // Staff two-factor: required → both controls pass; not required → both fail.
    await ownerEnrols(t, a);
    await ok(twoFactor(a, true));
    expect(await stateOf(a, "staff_two_factor")).toBe("pass");
    expect(await stateOf(a, "ip_restrictions_or_mfa")).toBe("pass");
    await ok(twoFactor(a, false));
    expect(await stateOf(a, "staff_two_factor")).toBe("fail");
    expect(await stateOf(a, "ip_restrictions_or_mfa")).toBe("fail");
  });

  it("the operator's controls follow the installation's configuration", async () => {
    const b = await buildTenant(plain, "plainposture");
    const onPlain = async (key: string) => ((await posture(b)).controls as Json[]).find((c) => c.key === key)!;
    expect(await control(a, "https")).toMatchObject({ state: "pass", owner: "operator" });
    expect(await onPlain("https")).toMatchObject({ state: "fail", owner: "operator" });
    expect(await stateOf(a, "mail_relay_tls")).toBe("pass");
    expect((await onPlain("mail_relay_tls")).state).toBe("fail");
    expect(await stateOf(a, "malware_scanning")).toBe("pass");
    expect((await onPlain("malware_scanning")).state).toBe("fail");
    // Guaranteed by construction, and said so.
    for (const key of ["encryption_at_rest", "private_attachments"]) {
      expect(await control(a, key)).toMatchObject({ state: "pass", owner: "operator" });
      expect((await control(a, key)).detail).toMatch(/^By construction/);
    }
    expect((await control(a, "audit_chain")).state).toBe("pass");
    expect((await control(a, "audit_chain")).detail).toMatch(/unbroken/);
  });

  it("answers the mail relay control not_applicable when no mail is sent", async () => {
    const none = await startTestApp();
    try {
      const c = await buildTenant(none, "nomail");
      const r = await c.api("GET", "/api/v2/compliance/posture.json");
      expect((r.body.posture.controls as Json[]).find((x) => x.key === "mail_relay_tls")!.state).toBe("not_applicable");
    } finally {
      await none.close();
    }
  });
});

describe("healthcare mode", () => {
  let a: TestTenant;
  beforeAll(async () => {
    a = await buildTenant(t, "hipaa");
  });

  it("refuses to turn on while a healthcare control fails, naming each with its fix, and changes nothing", async () => {
    expect((await a.api("GET", "/api/v2/compliance/healthcare_mode.json")).body.healthcare_mode).toEqual({ enabled: false });
    const refused = await healthcare(a, true);
    expect(refused.status, refused.text).toBe(422);
    expect(Object.keys(refused.body.details).sort()).toEqual(["content_free_notifications", "ip_restrictions_or_mfa", "session_idle_timeout", "staff_two_factor"]);
    expect(refused.body.details.session_idle_timeout[0]).toMatchObject({ error: "HealthcareControlFails", fix: "/admin/sessions" });
    expect(refused.body.details.session_idle_timeout[0].description).toMatch(/30 idle minutes/);
    expect(refused.body.description).toMatch(/staff_two_factor/);
    expect((await a.api("GET", "/api/v2/compliance/healthcare_mode.json")).body.healthcare_mode.enabled).toBe(false);
    expect(await auditActions(a)).not.toContain("healthcare_mode.enabled");

    // One left failing: named alone.
    await ownerEnrols(t, a);
    await ok(twoFactor(a, true));
    await ok(notifications(a, { content_free: true }));
    const one = await healthcare(a, true);
    expect(one.status).toBe(422);
    expect(Object.keys(one.body.details)).toEqual(["session_idle_timeout"]);
  });

  it("an http installation cannot turn it on whatever the account does (the operator's part)", async () => {
    const b = await buildTenant(plain, "plainhipaa");
    const r = await healthcare(b, true);
    expect(r.status).toBe(422);
    expect(r.body.details.https[0].fix).toBe("docs/operating.md#addresses-and-a-reverse-proxy");
    expect(r.body.details.mail_relay_tls).toBeDefined();
  });

  it("turns on when every healthcare control passes (audited), and is shown in the report", async () => {
    await ok(sessions(a, 15));
    const on = await healthcare(a, true);
    expect(on.status, on.text).toBe(200);
    expect(on.body.healthcare_mode).toEqual({ enabled: true });
    expect((await posture(a)).healthcare_mode).toBe(true);
    expect(await auditActions(a)).toContain("healthcare_mode.enabled");
    // Saying on again changes nothing and records nothing new.
    const before = (await auditActions(a)).filter((x) => x === "healthcare_mode.enabled").length;
    expect((await healthcare(a, true)).status).toBe(200);
    expect((await auditActions(a)).filter((x) => x === "healthcare_mode.enabled").length).toBe(before);
  });

  it("then refuses every settings change that would break a healthcare control, naming it, and keeps the setting", async () => {
    const refusals: Array<[string, () => Promise<{ status: number; body: any; text: string }>, string[]]> = [
      ["weak staff passwords", () => passwords(a, { staff: WEAK_CUSTOM }), ["staff_password_policy"]],
      ["admins set end users' passwords", () => passwords(a, { admins_set_end_user_passwords: true }), ["admin_set_passwords_off"]],
      ["two-factor not required", () => twoFactor(a, false), ["ip_restrictions_or_mfa", "staff_two_factor"]],
      ["longer idle sessions", () => sessions(a, 60), ["session_idle_timeout"]],
      ["idle sessions back to the default (30)", () => sessions(a, null), ["session_idle_timeout"]],
      ["notifications with content", () => notifications(a, { content_free: false }), ["content_free_notifications"]],
      ["passwords on the API", () => apiSettings(a, true), ["api_password_access_off"]],
    ];
    for (const [what, change, keys] of refusals) {
      const r = await change();
      expect(r.status, `${what}: ${r.text}`).toBe(422);
      expect(Object.keys(r.body.details).sort(), what).toEqual(keys);
      expect(r.body.description, what).toMatch(/Healthcare mode is on/);
    }
    // Nothing of it was kept, and nothing of it audited.
    const p = await posture(a);
    expect((p.controls as Json[]).filter((c) => c.healthcare && c.state === "fail").map((c) => c.key)).toEqual([]);
    expect((await a.api("GET", "/api/v2/password_settings.json")).body.password_settings).toMatchObject({ staff: { level: "recommended" }, admins_set_end_user_passwords: false });
    expect((await a.api("GET", "/api/v2/session_settings.json")).body.session_settings.idle_minutes).toBe(15);
    expect(await auditActions(a)).not.toContain("api_settings.updated");

    // Changes that keep every control passing go through, guarded writers included.
    await ok(passwords(a, { staff: STRONG_CUSTOM }));
    await ok(sessions(a, 10));
    await ok(ipRestrictions(a, true));
    await ok(ipRestrictions(a, false));
    await ok(jwt(a, true));
    await ok(jwt(a, false));
    await ok(notifications(a, { solved: false }));
  });

  it("guards single sign-on too: staff kept to SSO only cannot be let back to passwords alone", async () => {
    const b = await buildTenant(t, "hipaasso");
    await ownerEnrols(t, b);
    await ok(jwt(b, true));
    await ok(b.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { staff_provider: "jwt", staff_sso_only: true } }));
    await ok(notifications(b, { content_free: true }));
    await ok(sessions(b, 15));
    expect(await stateOf(b, "staff_two_factor")).toBe("pass");
    expect((await healthcare(b, true)).status).toBe(200);
    const loosened = await b.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { staff_sso_only: false } });
    expect(loosened.status, loosened.text).toBe(422);
    expect(Object.keys(loosened.body.details).sort()).toEqual(["ip_restrictions_or_mfa", "staff_two_factor"]);
    // Switching the provider off would drop staff SSO only as well: refused.
    expect((await jwt(b, false)).status).toBe(422);
    expect(await stateOf(b, "staff_two_factor")).toBe("pass");
  });

  it("is the account's own: another tenant stays off and unguarded", async () => {
    const other = await buildTenant(t, "hipaaother");
    expect((await other.api("GET", "/api/v2/compliance/healthcare_mode.json")).body.healthcare_mode.enabled).toBe(false);
    await ok(sessions(other, 60));
    await ok(apiSettings(other, true));
  });

  it("turns off (audited), after which the settings are free again", async () => {
    const off = await healthcare(a, false);
    expect(off.status, off.text).toBe(200);
    expect(off.body.healthcare_mode.enabled).toBe(false);
    expect(await auditActions(a)).toContain("healthcare_mode.disabled");
    await ok(sessions(a, 60));
    expect(await stateOf(a, "session_idle_timeout")).toBe("fail");
  });

  it("refuses a body that is not {healthcare_mode: {enabled: boolean}}", async () => {
    for (const body of [{}, { healthcare_mode: {} }, { healthcare_mode: { enabled: "yes" } }, { healthcare_mode: { enabled: true, extra: 1 } }, { enabled: true }]) {
      expect((await a.api("PUT", "/api/v2/compliance/healthcare_mode.json", body)).status, JSON.stringify(body)).toBe(422);
    }
  });
});

describe("sub-processors and hosting region", () => {
  it("are shown to admins as the operator configured them", async () => {
    const a = await buildTenant(t, "subproc");
    const r = await a.api("GET", "/api/v2/compliance/subprocessors.json");
    expect(r.status, r.text).toBe(200);
    expect(r.body).toEqual({
      hosting_region: "eu-central",
      subprocessors: [
        { ...SUBPROCESSORS[0] },
        { ...SUBPROCESSORS[1], url: null },
      ],
    });
    const b = await buildTenant(plain, "subprocnone");
    expect((await b.api("GET", "/api/v2/compliance/subprocessors.json")).body).toEqual({ hosting_region: "self-hosted", subprocessors: [] });
  });

  it("are read from a JSON file or JSON text, and a bad list stops the start with a message", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vd-subproc-"));
    try {
      const file = path.join(dir, "subprocessors.json");
      fs.writeFileSync(file, JSON.stringify(SUBPROCESSORS));
      expect(loadConfig({ VAULTDESK_SUBPROCESSORS: file }).subprocessors).toEqual(SUBPROCESSORS);
      expect(loadConfig({ VAULTDESK_SUBPROCESSORS: ` ${JSON.stringify(SUBPROCESSORS)}` }).subprocessors).toEqual(SUBPROCESSORS);
      expect(loadConfig({}).subprocessors).toEqual([]);
      const bad: Array<[string, RegExp]> = [
        [path.join(dir, "missing.json"), /VAULTDESK_SUBPROCESSORS: cannot read .*ENOENT/],
        ["[{\"name\": \"x\"", /VAULTDESK_SUBPROCESSORS: is not valid JSON/],
        [JSON.stringify([{ name: "x", purpose: "y" }]), /VAULTDESK_SUBPROCESSORS\[0\]\.location/],
        [JSON.stringify([{ name: "x", purpose: "y", location: "z", url: "http://plain.example" }]), /VAULTDESK_SUBPROCESSORS\[0\]\.url: must be an https:\/\/ address/],
        [JSON.stringify([{ name: "x", purpose: "y", location: "z", extra: 1 }]), /VAULTDESK_SUBPROCESSORS\[0\]/],
        [JSON.stringify({ name: "x" }), /VAULTDESK_SUBPROCESSORS/],
      ];
      for (const [value, message] of bad) {
        expect(() => loadConfig({ VAULTDESK_SUBPROCESSORS: value }), value).toThrow(ConfigError);
        expect(() => loadConfig({ VAULTDESK_SUBPROCESSORS: value }), value).toThrow(message);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
