import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, cookieOf, type Session } from "./support/people.ts";

/**
 * Rectification by the person (GDPR art. 16) over real HTTP: an end user corrects their own name,
 * phone, time zone and language (audited, with them as actor, and shown in their right-of-access
 * answer); every value the server cannot take answers 422 and changes nothing (never a 500); they
 * edit nobody else (404: another person's id tells nothing) and nothing else of themselves (role,
 * organization, tags: 403; a field the API does not have, such as notes: 422).
 */

let t: TestApp;
let a: TestTenant;
beforeAll(async () => {
  t = await startTestApp();
  a = await buildTenant(t, "rectify");
});
afterAll(async () => t?.close());

async function endUser(name: string): Promise<number> {
  const r = await a.api("POST", "/api/v2/users.json", { user: { name, email: `${name.toLowerCase().replace(/\W/g, "")}@customer.test`, role: "end-user" } });
  expect(r.status, r.text).toBe(201);
  return r.body.user.id;
}

/** A sign-in link handed over by the owner, redeemed: the person's session. */
async function sessionOf(id: number): Promise<Session> {
  const link = await a.api("POST", `/api/v2/users/${id}/sign_in_links.json`);
  expect(link.status, link.text).toBe(201);
  const s = await t.request({ method: "POST", path: "/api/v2/help_center/sign_in_links/redeem.json", host: a.host, body: { token: link.body.sign_in_link.token } });
  expect(s.status, s.text).toBe(201);
  return { cookie: cookieOf(s.headers), csrf: s.body.session.csrf_token };
}

describe("rectification by the person", () => {
  it("takes their own name, phone, time zone and language, audits it, and shows it in their personal data", async () => {
    const id = await endUser("Pat Persson");
    const me = await sessionOf(id);
    const r = await asSession(t, a, me, "PUT", `/api/v2/users/${id}.json`, { user: { name: "Pat Rättad", phone: "+46 70 123 45 67 x12", time_zone: "Europe/Stockholm", locale: "sv" } });
    expect(r.status, r.text).toBe(200);
    expect(r.body.user).toMatchObject({ name: "Pat Rättad", phone: "+46 70 123 45 67 x12", time_zone: "Europe/Stockholm", locale: "sv" });
    const mine = await asSession(t, a, me, "GET", "/api/v2/help_center/me/personal_data.json");
    expect(mine.body.personal_data.profile).toMatchObject({ name: "Pat Rättad", phone: "+46 70 123 45 67 x12", time_zone: "Europe/Stockholm", locale: "sv" });
    const log = (await a.api("GET", `/api/v2/audit_logs.json?filter[action]=user.updated&filter[source_id]=${id}`)).body.audit_logs;
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ actor_id: id, source_type: "user" });
    expect([...log[0].changed_fields].sort()).toEqual(["locale", "name", "phone", "time_zone"]);
    // Emptied: the phone, time zone and language are removed.
    const cleared = await asSession(t, a, me, "PUT", `/api/v2/users/${id}.json`, { user: { phone: null, time_zone: null, locale: null } });
    expect(cleared.status, cleared.text).toBe(200);
    expect(cleared.body.user).toMatchObject({ phone: null, time_zone: null, locale: null });
  });

  it("answers 422 for every value it cannot take, and changes nothing", async () => {
    const id = await endUser("Val Idation");
    const me = await sessionOf(id);
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ name: "x".repeat(10_000) }, "user.name"],
      [{ name: "" }, "user.name"],
      [{ name: "   " }, "user.name"],
      [{ name: "two\nlines" }, "user.name"],
      [{ name: null }, "user.name"],
      [{ phone: "call me maybe" }, "user.phone"],
      [{ phone: "1".repeat(41) }, "user.phone"],
      [{ phone: "+46 70 123 45 67", name: "ok\u0000" }, "user.name"],
      [{ time_zone: "Mars/Olympus" }, "user.time_zone"],
      [{ time_zone: "x".repeat(10_000) }, "user.time_zone"],
      [{ locale: "not a language" }, "user.locale"],
      [{ locale: "x".repeat(10_000) }, "user.locale"],
    ];
    for (const [user, field] of bad) {
      const r = await asSession(t, a, me, "PUT", `/api/v2/users/${id}.json`, { user });
      expect(r.status, `${JSON.stringify(user).slice(0, 60)}: ${r.text.slice(0, 200)}`).toBe(422);
      expect(Object.keys(r.body.details ?? {}), JSON.stringify(user).slice(0, 60)).toContain(field);
    }
    const stored = (await a.api("GET", `/api/v2/users/${id}.json`)).body.user;
    expect(stored).toMatchObject({ name: "Val Idation", phone: null, time_zone: null, locale: null });
    expect((await a.api("GET", `/api/v2/audit_logs.json?filter[action]=user.updated&filter[source_id]=${id}`)).body.audit_logs).toEqual([]);
  });

  it("edits nobody else, and nothing else of the person", async () => {
    const id = await endUser("Eve Enduser");
    const other = await endUser("Olive Other");
    const me = await sessionOf(id);
    const put = (target: number, user: Record<string, unknown>) => asSession(t, a, me, "PUT", `/api/v2/users/${target}.json`, { user });
    expect((await put(other, { name: "Hijacked", phone: "123" })).status).toBe(404);
    const org = await a.api("POST", "/api/v2/organizations.json", { organization: { name: "Big Bank" } });
    expect(org.status, org.text).toBe(201);
    expect((await put(id, { role: "admin" })).status).toBe(403);
    expect((await put(id, { organization_id: org.body.organization.id })).status).toBe(403);
    expect((await put(id, { name: "Eve", tags: ["vip"] })).status).toBe(403);
    expect((await put(id, { external_id: "E-1" })).status).toBe(403);
    expect((await put(id, { notes: "VIP" })).status).toBe(422);
    expect((await a.api("GET", `/api/v2/users/${other}.json`)).body.user).toMatchObject({ name: "Olive Other", phone: null });
    expect((await a.api("GET", `/api/v2/users/${id}.json`)).body.user).toMatchObject({ name: "Eve Enduser", role: "end-user", organization_id: null, tags: [] });
  });
});
