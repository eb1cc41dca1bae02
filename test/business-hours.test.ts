import crypto from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDefaultClock } from "../src/modules/sla/schedules-service.ts";
import { makeContext } from "../src/platform/context.ts";
import { buildTenant, buildUser, createTokenFor, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";

/**
 * Business hours (docs/api.md, "Business hours"), over real HTTP: schedules (created with
 * Zendesk's default Monday–Friday 09:00–17:00), their workweek and holidays; every refusal a 4xx
 * with details and nothing written (time zones, intervals, dates, junk bodies); the limits; who
 * may read and write; another account's ids; the audit entries; `url` from configuration; the
 * account's default clock for the SLA policies.
 */

type Res = Promise<{ status: number; text: string; body: any }>;
type Who = { email: string; token: string };

let t: TestApp;
let a: TestTenant;
let b: TestTenant;
let agent: Who;
let light: Who;
let admin: Who;
let endUser: Who;

async function ok<T = any>(r: Res, status = 200): Promise<T> {
  const x = await r;
  expect(x.status, x.text).toBe(status);
  return x.body as T;
}
const S = "/api/v2/business_hours/schedules";
const create = (x: TestTenant, schedule: unknown, as?: Who) => x.api("POST", `${S}.json`, { schedule }, as);
const made = async (x: TestTenant, name = "Support", time_zone = "Europe/Stockholm") => (await ok(create(x, { name, time_zone }), 201)).schedule as { id: number; [k: string]: any };
const holiday = (x: TestTenant, sid: number, h: unknown, as?: Who) => x.api("POST", `${S}/${sid}/holidays.json`, { holiday: h }, as);
/** Rows of a table of the account's, as stored (for "nothing written"). */
const rows = (x: TestTenant, table: "business_hours_schedules" | "business_hours_holidays") =>
  t.db.tenant(x.tenantId, async (tx) => (await sql<Record<string, unknown>>`SELECT * FROM ${sql.table(table)} ORDER BY nice_id`.execute(tx.db)).rows);
const auditActions = async (x: TestTenant, type: string) =>
  ((await ok(x.api("GET", `/api/v2/audit_logs.json?filter[source_type]=${type}&per_page=100`))).audit_logs as Array<{ action: string; source_id: string; changed_fields: string[] }>).map((e) => `${e.action} ${e.source_id}`);
const DEFAULT = [1, 2, 3, 4, 5].map((d) => ({ start_time: d * 1440 + 540, end_time: d * 1440 + 1020 }));

beforeAll(async () => {
  t = await startTestApp();
  a = await buildTenant(t, "hours");
  b = await buildTenant(t, "hoursb");
  const as = async (role: "agent" | "light-agent" | "admin") => {
    const u = await buildUser(t, a, role, `${role} person`);
    return { email: u.email, token: u.token! };
  };
  agent = await as("agent");
  light = await as("light-agent");
  admin = await as("admin");
  const e = await buildUser(t, a, "end-user", "Customer");
  endUser = { email: e.email, token: await createTokenFor(t, a, e.id) };
});
afterAll(async () => t?.close());

describe("schedules", () => {
  it("creates with Zendesk's default week, shows, lists, renames, moves zone and deletes, the name sealed, url from configuration", async () => {
    const s = await made(a, "  Stockholm desk  ", "Europe/Stockholm");
    expect(s).toMatchObject({ name: "Stockholm desk", time_zone: "Europe/Stockholm", intervals: DEFAULT });
    expect(s.url).toBe(`${a.origin}/api/v2/business_hours/schedules/${s.id}.json`);
    expect(Object.keys(s).sort()).toEqual(["created_at", "id", "intervals", "name", "time_zone", "updated_at", "url"]);
    expect((await ok(a.api("GET", `${S}/${s.id}.json`))).schedule).toEqual(s);
    expect((await ok(a.api("GET", `${S}.json`))).schedules.map((x: any) => x.id)).toContain(s.id);
    const raw = (await rows(a, "business_hours_schedules")).find((r) => Number(r.nice_id) === s.id)!;
    expect(Buffer.from(raw.name_sealed as Uint8Array).toString("latin1")).not.toContain("Stockholm desk");
    // A forged Host or X-Forwarded-Host does not move the url.
    const forged = await t.request({ method: "GET", path: `${S}/${s.id}.json`, host: a.host, headers: { authorization: "Basic " + Buffer.from(`${a.ownerEmail}/token:${a.ownerToken}`).toString("base64"), "x-forwarded-host": "evil.example", forwarded: "host=evil.example" } });
    expect(forged.body.schedule.url).toBe(s.url);
    const renamed = (await ok(a.api("PUT", `${S}/${s.id}.json`, { schedule: { name: "Nordic desk", time_zone: "America/New_York" } }))).schedule;
    expect(renamed).toMatchObject({ id: s.id, name: "Nordic desk", time_zone: "America/New_York", intervals: DEFAULT, created_at: s.created_at });
    expect((await ok(a.api("PUT", `${S}/${s.id}.json`, { schedule: {} }))).schedule.name).toBe("Nordic desk");
    await ok(holiday(a, s.id, { name: "Midsummer", start_date: "2027-06-25", end_date: "2027-06-25" }), 201);
    await ok(a.api("DELETE", `${S}/${s.id}.json`), 204);
    expect((await a.api("GET", `${S}/${s.id}.json`)).status).toBe(404);
    expect((await a.api("GET", `${S}/${s.id}/holidays.json`)).status).toBe(404);
    expect((await rows(a, "business_hours_holidays")).filter((h) => h.schedule_id === raw.id)).toEqual([]);
    expect((await a.api("DELETE", `${S}/${s.id}.json`)).status).toBe(404);
  });

  it("replaces the workweek: sorted, touching intervals joined, read back as stored", async () => {
    const s = await made(a, "Week");
    const body = { workweek: { intervals: [{ start_time: 2000, end_time: 2100 }, { start_time: 0, end_time: 60 }, { start_time: 60, end_time: 120 }, { start_time: 9000, end_time: 10080 }] } };
    const w = (await ok(a.api("PUT", `${S}/${s.id}/workweek.json`, body))).workweek;
    expect(w).toEqual({ intervals: [{ start_time: 0, end_time: 120 }, { start_time: 2000, end_time: 2100 }, { start_time: 9000, end_time: 10080 }] });
    expect((await ok(a.api("GET", `${S}/${s.id}.json`))).schedule.intervals).toEqual(w.intervals);
    // An empty week is allowed (no business time at all), as is the whole week.
    expect((await ok(a.api("PUT", `${S}/${s.id}/workweek.json`, { workweek: { intervals: [] } }))).workweek.intervals).toEqual([]);
    expect((await ok(a.api("PUT", `${S}/${s.id}/workweek.json`, { workweek: { intervals: [{ start_time: 0, end_time: 10080 }] } }))).workweek.intervals).toEqual([{ start_time: 0, end_time: 10080 }]);
    // 64 intervals are allowed.
    const many = Array.from({ length: 64 }, (_, i) => ({ start_time: i * 100, end_time: i * 100 + 50 }));
    expect((await ok(a.api("PUT", `${S}/${s.id}/workweek.json`, { workweek: { intervals: many } }))).workweek.intervals).toHaveLength(64);
  });

  it("refuses bad time zones, names, intervals and junk bodies with a 4xx and details, writing nothing", async () => {
    const s = await made(a, "Checked", "Asia/Tokyo");
    const before = { schedules: await rows(a, "business_hours_schedules"), holidays: await rows(a, "business_hours_holidays") };
    const refused = async (r: Res, key?: string) => {
      const x = await r;
      expect(x.status, x.text).toBeGreaterThanOrEqual(400);
      expect(x.status, x.text).toBeLessThan(500);
      expect(x.body?.details, x.text).toBeTruthy();
      if (key) expect(Object.keys(x.body.details), x.text).toContain(key);
    };
    // Zendesk's Rails names, offsets, wrong case, paths, empty: IANA names only.
    for (const tz of ["Eastern Time (US & Canada)", "Stockholm", "UTC+1", "GMT+01:00", "europe/stockholm", "Mars/Olympus_Mons", "../../etc/passwd", "", " Europe/Stockholm", "Europe/Stockholm\u0000", "x".repeat(65)]) {
      await refused(create(a, { name: "tz", time_zone: tz }), tz.length > 64 ? undefined : "time_zone");
      await refused(a.api("PUT", `${S}/${s.id}.json`, { schedule: { time_zone: tz } }), tz.length > 64 ? undefined : "time_zone");
    }
    await refused(create(a, { name: "no zone" }), "time_zone");
    await refused(create(a, { time_zone: "Europe/Paris" }), "name");
    await refused(create(a, { name: "   ", time_zone: "Europe/Paris" }), "name");
    await refused(create(a, { name: "x".repeat(256), time_zone: "Europe/Paris" }));
    await refused(create(a, { name: "two\nlines", time_zone: "Europe/Paris" }));
    await refused(a.api("PUT", `${S}/${s.id}.json`, { schedule: { name: "" } }), "name");
    // Intervals: out of range, empty or reversed, overlapping, not whole minutes, too many.
    const week = (intervals: unknown) => a.api("PUT", `${S}/${s.id}/workweek.json`, { workweek: { intervals } });
    for (const bad of [[{ start_time: -1, end_time: 60 }], [{ start_time: 0, end_time: 10081 }], [{ start_time: 600, end_time: 600 }], [{ start_time: 700, end_time: 600 }], [{ start_time: 0, end_time: 60 }, { start_time: 500, end_time: 700 }, { start_time: 600, end_time: 800 }], [{ start_time: 0, end_time: 100 }, { start_time: 0, end_time: 100 }], [{ start_time: 0, end_time: 10080 }, { start_time: 5, end_time: 6 }]]) {
      await refused(week(bad), "intervals[" + (bad.length === 1 ? 0 : bad.length - 1) + "]");
    }
    await refused(week(Array.from({ length: 65 }, (_, i) => ({ start_time: i * 100, end_time: i * 100 + 50 }))), "intervals");
    for (const bad of [[{ start_time: 1.5, end_time: 60 }], [{ start_time: "0", end_time: 60 }], [{ start_time: 0 }], [{ start_time: 0, end_time: 60, day: "monday" }], [null], "Mon-Fri", null, Array.from({ length: 1001 }, () => ({ start_time: 0, end_time: 1 })), [{ start_time: 1e300, end_time: 2e300 }]]) await refused(week(bad));
    // Junk bodies on every write.
    for (const junk of [null, [], "schedule", 42, {}, { schedule: null }, { schedule: [] }, { schedule: { name: "x", time_zone: "Europe/Paris", intervals: [] } }, { schedule: { name: 5, time_zone: "Europe/Paris" } }, { schedule: { name: "x", time_zone: ["Europe/Paris"] } }, { schedule: { name: "x", time_zone: "Europe/Paris" }, extra: 1 }]) {
      await refused(a.api("POST", `${S}.json`, junk));
      await refused(a.api("PUT", `${S}/${s.id}.json`, junk));
    }
    for (const junk of [null, [], {}, { workweek: null }, { workweek: {} }, { intervals: [] }, { workweek: { intervals: [] }, extra: 1 }]) await refused(a.api("PUT", `${S}/${s.id}/workweek.json`, junk));
    expect(await rows(a, "business_hours_schedules")).toEqual(before.schedules);
    expect(await rows(a, "business_hours_holidays")).toEqual(before.holidays);
  });

  it("answers 404 for ids that are not a schedule of the account, 4xx for ids that are not ids", async () => {
    for (const id of ["999999", "0", "-1", "abc", "1.5", "99999999999999999999"]) {
      const r = await a.api("GET", `${S}/${id}.json`);
      if (id === "999999") expect(r.status, r.text).toBe(404);
      else expect([400, 404, 422], `${id}: ${r.text}`).toContain(r.status);
    }
  });
});

describe("holidays", () => {
  it("adds, lists by date, shows, changes (checked whole) and deletes holidays, the name sealed", async () => {
    const s = await made(a, "Holidays");
    const xmas = (await ok(holiday(a, s.id, { name: "  Christmas  ", start_date: "2027-12-24", end_date: "2027-12-26" }), 201)).holiday;
    expect(xmas).toEqual({ id: xmas.id, url: `${a.origin}/api/v2/business_hours/schedules/${s.id}/holidays/${xmas.id}.json`, name: "Christmas", start_date: "2027-12-24", end_date: "2027-12-26" });
    const may = (await ok(holiday(a, s.id, { name: "May Day", start_date: "2027-05-01", end_date: "2027-05-01" }), 201)).holiday;
    expect((await ok(a.api("GET", `${S}/${s.id}/holidays.json`))).holidays.map((h: any) => h.id)).toEqual([may.id, xmas.id]);
    expect((await ok(a.api("GET", `${S}/${s.id}/holidays/${xmas.id}.json`))).holiday).toEqual(xmas);
    const raw = (await rows(a, "business_hours_holidays")).find((h) => Number(h.nice_id) === xmas.id)!;
    expect(Buffer.from(raw.name_sealed as Uint8Array).toString("latin1")).not.toContain("Christmas");
    // A new end is checked with the start it keeps.
    const r = await a.api("PUT", `${S}/${s.id}/holidays/${xmas.id}.json`, { holiday: { end_date: "2027-12-23" } });
    expect(r.status, r.text).toBe(422);
    expect(Object.keys(r.body.details)).toEqual(["end_date"]);
    const moved = (await ok(a.api("PUT", `${S}/${s.id}/holidays/${xmas.id}.json`, { holiday: { name: "Yule", end_date: "2027-12-31" } }))).holiday;
    expect(moved).toMatchObject({ name: "Yule", start_date: "2027-12-24", end_date: "2027-12-31" });
    // A holiday belongs to its schedule: under another schedule's id it is missing.
    const other = await made(a, "Other");
    for (const [m, body] of [["GET"], ["PUT", { holiday: { name: "hijack" } }], ["DELETE"]] as const) expect((await a.api(m, `${S}/${other.id}/holidays/${xmas.id}.json`, body)).status, m).toBe(404);
    await ok(a.api("DELETE", `${S}/${s.id}/holidays/${xmas.id}.json`), 204);
    expect((await a.api("GET", `${S}/${s.id}/holidays/${xmas.id}.json`)).status).toBe(404);
    expect((await a.api("DELETE", `${S}/${s.id}/holidays/${xmas.id}.json`)).status).toBe(404);
    // A year long (366 days in a leap year) is allowed; the first and the last allowed days.
    await ok(holiday(a, s.id, { name: "Sabbatical", start_date: "2028-01-01", end_date: "2028-12-31" }), 201);
    await ok(holiday(a, s.id, { name: "Edges", start_date: "1970-01-01", end_date: "1970-01-01" }), 201);
    await ok(holiday(a, s.id, { name: "Edges", start_date: "2200-12-31", end_date: "2200-12-31" }), 201);
  });

  it("refuses reversed, too long, impossible and out-of-range dates and junk, writing nothing", async () => {
    const s = await made(a, "Dates");
    const h = (await ok(holiday(a, s.id, { name: "Kept", start_date: "2027-01-01", end_date: "2027-01-02" }), 201)).holiday;
    const before = await rows(a, "business_hours_holidays");
    const refused = async (r: Res, key?: string) => {
      const x = await r;
      expect(x.status, x.text).toBeGreaterThanOrEqual(400);
      expect(x.status, x.text).toBeLessThan(500);
      expect(x.body?.details, x.text).toBeTruthy();
      if (key) expect(Object.keys(x.body.details), x.text).toContain(key);
    };
    const cases: Array<[Record<string, unknown>, string | undefined]> = [
      [{ name: "Reversed", start_date: "2027-05-02", end_date: "2027-05-01" }, "end_date"],
      [{ name: "Long", start_date: "2027-01-01", end_date: "2028-01-02" }, "end_date"],
      [{ name: "Long", start_date: "2028-01-01", end_date: "2029-01-01" }, "end_date"],
      [{ name: "Early", start_date: "1969-12-31", end_date: "1970-01-01" }, "start_date"],
      [{ name: "Late", start_date: "2200-12-31", end_date: "2201-01-01" }, "end_date"],
      [{ name: "Feb", start_date: "2027-02-29", end_date: "2027-03-01" }, "start_date"],
      [{ name: "Feb", start_date: "2027-02-28", end_date: "2027-02-30" }, "end_date"],
      [{ name: "Form", start_date: "2027-1-1", end_date: "2027-01-02" }, "start_date"],
      [{ name: "Form", start_date: "27-01-01", end_date: "2027-01-02" }, "start_date"],
      [{ name: "Time", start_date: "2027-01-01T00:00", end_date: "2027-01-02" }, undefined],
      [{ name: "Missing", start_date: "2027-01-01" }, "end_date"],
      [{ name: "Missing", end_date: "2027-01-01" }, "start_date"],
      [{ start_date: "2027-01-01", end_date: "2027-01-01" }, "name"],
      [{ name: "  ", start_date: "2027-01-01", end_date: "2027-01-01" }, "name"],
      [{ name: "x".repeat(256), start_date: "2027-01-01", end_date: "2027-01-01" }, undefined],
      [{ name: "Num", start_date: 20270101, end_date: "2027-01-01" }, undefined],
      [{ name: "Extra", start_date: "2027-01-01", end_date: "2027-01-01", id: 5 }, undefined],
    ];
    for (const [body, key] of cases) await refused(holiday(a, s.id, body), key);
    for (const [body, key] of cases.slice(0, 9)) await refused(a.api("PUT", `${S}/${s.id}/holidays/${h.id}.json`, { holiday: body }), key);
    for (const junk of [null, [], "holiday", {}, { holiday: null }, { holiday: [] }, { holiday: { name: "x", start_date: "2027-01-01", end_date: "2027-01-01" }, extra: true }]) {
      await refused(a.api("POST", `${S}/${s.id}/holidays.json`, junk));
      await refused(a.api("PUT", `${S}/${s.id}/holidays/${h.id}.json`, junk));
    }
    expect(await rows(a, "business_hours_holidays")).toEqual(before);
  });
});

describe("limits", () => {
  it("keeps at most 100 schedules an account and 400 holidays a schedule", async () => {
    const x = await buildTenant(t, "hourslim");
    for (let i = 0; i < 100; i++) await ok(create(x, { name: `S${i}`, time_zone: "UTC" }), 201);
    const r = await create(x, { name: "one too many", time_zone: "UTC" });
    expect(r.status, r.text).toBe(422);
    expect(r.body.details.schedule[0].error).toBe("TooMany");
    expect(await rows(x, "business_hours_schedules")).toHaveLength(100);
    // 399 holidays written as the service writes them, the 400th through the API, then one too many.
    const first = (await rows(x, "business_hours_schedules"))[0]!;
    await t.db.tenant(x.tenantId, async (tx) => {
      const sealer = await t.keyring.sealerFor(tx);
      for (let i = 0; i < 399; i++) {
        const id = crypto.randomUUID();
        await tx.db.insertInto("business_hours_holidays").values({ tenant_id: x.tenantId, id, nice_id: sql<number>`vd_next_id('business_hours_holidays')`, schedule_id: first.id as string, name_sealed: sealer.seal(`H${i}`, { table: "business_hours_holidays", column: "name", row: id }), start_date: "2030-01-01", end_date: "2030-01-01", updated_at: new Date() }).execute();
      }
    });
    await ok(holiday(x, Number(first.nice_id), { name: "400th", start_date: "2031-01-01", end_date: "2031-01-01" }), 201);
    const over = await holiday(x, Number(first.nice_id), { name: "401st", start_date: "2031-01-02", end_date: "2031-01-02" });
    expect(over.status, over.text).toBe(422);
    expect(over.body.details.holiday[0].error).toBe("TooMany");
    expect((await ok(x.api("GET", `${S}/${first.nice_id}/holidays.json`))).holidays).toHaveLength(400);
    // Another schedule has room of its own.
    await ok(holiday(x, Number(first.nice_id) + 1, { name: "Elsewhere", start_date: "2031-01-02", end_date: "2031-01-02" }), 201);
    // Created at once, they cannot pass the limits together: two places free, six asking.
    const last = (await rows(x, "business_hours_schedules")).slice(-2).map((r) => Number(r.nice_id));
    for (const id of last) await ok(x.api("DELETE", `${S}/${id}.json`), 204);
    const made6 = await Promise.all(Array.from({ length: 6 }, (_, i) => create(x, { name: `Race ${i}`, time_zone: "UTC" })));
    expect(made6.map((r) => r.status).sort()).toEqual([201, 201, 422, 422, 422, 422]);
    expect(await rows(x, "business_hours_schedules")).toHaveLength(100);
    const held = (await ok(x.api("GET", `${S}/${first.nice_id}/holidays.json`))).holidays.slice(0, 2) as Array<{ id: number }>;
    for (const h of held) await ok(x.api("DELETE", `${S}/${first.nice_id}/holidays/${h.id}.json`), 204);
    const added6 = await Promise.all(Array.from({ length: 6 }, (_, i) => holiday(x, Number(first.nice_id), { name: `Race ${i}`, start_date: "2032-01-01", end_date: "2032-01-01" })));
    expect(added6.map((r) => r.status).sort()).toEqual([201, 201, 422, 422, 422, 422]);
    expect((await ok(x.api("GET", `${S}/${first.nice_id}/holidays.json`))).holidays).toHaveLength(400);
  });

  it("serializes a schedule's deletion with writes under it: each answers 2xx or 404, never a 500 or an orphan", async () => {
    const x = await buildTenant(t, "hoursrace");
    for (let round = 0; round < 3; round++) {
      const s = await made(x, `Racing ${round}`);
      const h = (await ok(holiday(x, s.id, { name: "Day", start_date: "2027-01-01", end_date: "2027-01-01" }), 201)).holiday;
      const answers = await Promise.all([
        x.api("DELETE", `${S}/${s.id}.json`),
        holiday(x, s.id, { name: "Late", start_date: "2027-02-01", end_date: "2027-02-01" }),
        x.api("PUT", `${S}/${s.id}/holidays/${h.id}.json`, { holiday: { name: "Renamed" } }),
        x.api("PUT", `${S}/${s.id}/workweek.json`, { workweek: { intervals: [] } }),
        x.api("PUT", `${S}/${s.id}.json`, { schedule: { name: "Renamed" } }),
      ]);
      expect(answers[0]!.status, answers[0]!.text).toBe(204);
      for (const r of answers.slice(1)) expect([200, 201, 404], r.text).toContain(r.status);
    }
    expect(await rows(x, "business_hours_holidays")).toEqual([]);
  });
});

describe("who may", () => {
  it("lets every staff member read, owners and admins write; end users 403, nobody signed in 401", async () => {
    const s = await made(a, "Roles");
    const h = (await ok(holiday(a, s.id, { name: "Roles day", start_date: "2027-03-01", end_date: "2027-03-01" }), 201)).holiday;
    const reads = [`${S}.json`, `${S}/${s.id}.json`, `${S}/${s.id}/holidays.json`, `${S}/${s.id}/holidays/${h.id}.json`];
    const writes: Array<[string, string, unknown]> = [
      ["POST", `${S}.json`, { schedule: { name: "New", time_zone: "UTC" } }],
      ["PUT", `${S}/${s.id}.json`, { schedule: { name: "Renamed" } }],
      ["PUT", `${S}/${s.id}/workweek.json`, { workweek: { intervals: [{ start_time: 600, end_time: 700 }] } }],
      ["POST", `${S}/${s.id}/holidays.json`, { holiday: { name: "New day", start_date: "2027-04-01", end_date: "2027-04-01" } }],
      ["PUT", `${S}/${s.id}/holidays/${h.id}.json`, { holiday: { name: "Changed" } }],
      ["DELETE", `${S}/${s.id}/holidays/${h.id}.json`, undefined],
      ["DELETE", `${S}/${s.id}.json`, undefined],
    ];
    for (const who of [agent, light]) {
      for (const p of reads) expect((await a.api("GET", p, undefined, who)).status, `${who.email} GET ${p}`).toBe(200);
      const before = [await rows(a, "business_hours_schedules"), await rows(a, "business_hours_holidays")];
      for (const [m, p, body] of writes) expect((await a.api(m, p, body, who)).status, `${who.email} ${m} ${p}`).toBe(403);
      expect([await rows(a, "business_hours_schedules"), await rows(a, "business_hours_holidays")]).toEqual(before);
    }
    for (const [m, p, body] of [...reads.map((p) => ["GET", p, undefined] as [string, string, unknown]), ...writes]) {
      expect((await a.api(m, p, body, endUser)).status, `end user ${m} ${p}`).toBe(403);
      expect((await a.api(m, p, body, null)).status, `anonymous ${m} ${p}`).toBe(401);
    }
    // An admin does everything an owner does.
    for (const [m, p, body] of writes) expect((await a.api(m, p, body, admin)).status, `admin ${m} ${p}`).toBeLessThan(300);
  });

  it("answers another account's schedules and holidays as missing ones, and changes nothing of theirs", async () => {
    const s = await made(a, "Mine");
    const h = (await ok(holiday(a, s.id, { name: "Mine too", start_date: "2027-03-01", end_date: "2027-03-01" }), 201)).holiday;
    const theirs = await made(b, "Theirs");
    const before = [await rows(a, "business_hours_schedules"), await rows(a, "business_hours_holidays")];
    const calls: Array<[string, string, unknown]> = [
      ["GET", `${S}/${s.id}.json`, undefined],
      ["PUT", `${S}/${s.id}.json`, { schedule: { name: "hijack" } }],
      ["PUT", `${S}/${s.id}/workweek.json`, { workweek: { intervals: [] } }],
      ["DELETE", `${S}/${s.id}.json`, undefined],
      ["GET", `${S}/${s.id}/holidays.json`, undefined],
      ["POST", `${S}/${s.id}/holidays.json`, { holiday: { name: "hijack", start_date: "2027-01-01", end_date: "2027-01-01" } }],
      ["GET", `${S}/${s.id}/holidays/${h.id}.json`, undefined],
      ["PUT", `${S}/${s.id}/holidays/${h.id}.json`, { holiday: { name: "hijack" } }],
      ["DELETE", `${S}/${s.id}/holidays/${h.id}.json`, undefined],
      // B's own schedule with A's holiday id.
      ["GET", `${S}/${theirs.id}/holidays/${h.id}.json`, undefined],
      ["PUT", `${S}/${theirs.id}/holidays/${h.id}.json`, { holiday: { name: "hijack" } }],
      ["DELETE", `${S}/${theirs.id}/holidays/${h.id}.json`, undefined],
    ];
    for (const [m, p, body] of calls) {
      const r = await b.api(m, p, body);
      const missing = await b.api(m, p.replace(String(s.id), "999999").replace(`/holidays/${h.id}`, "/holidays/999999"), body);
      expect(r.status, `${m} ${p}`).toBe(404);
      expect(r.body, `${m} ${p}`).toEqual(missing.body);
      expect(r.text).not.toContain("Mine");
    }
    expect((await ok(b.api("GET", `${S}.json`))).schedules.map((x: any) => x.name)).toEqual(["Theirs"]);
    expect([await rows(a, "business_hours_schedules"), await rows(a, "business_hours_holidays")]).toEqual(before);
  });
});

describe("audit and the default clock", () => {
  it("audits every write by ids only", async () => {
    const x = await buildTenant(t, "hoursaud");
    const s = await made(x, "Audited");
    await ok(x.api("PUT", `${S}/${s.id}.json`, { schedule: { name: "Audited again" } }));
    await ok(x.api("PUT", `${S}/${s.id}/workweek.json`, { workweek: { intervals: [{ start_time: 600, end_time: 700 }] } }));
    const h = (await ok(holiday(x, s.id, { name: "Audited day", start_date: "2027-01-01", end_date: "2027-01-01" }), 201)).holiday;
    await ok(x.api("PUT", `${S}/${s.id}/holidays/${h.id}.json`, { holiday: { end_date: "2027-01-03" } }));
    await ok(x.api("DELETE", `${S}/${s.id}/holidays/${h.id}.json`), 204);
    await ok(x.api("DELETE", `${S}/${s.id}.json`), 204);
    expect((await auditActions(x, "schedule")).sort()).toEqual([`schedule.created ${s.id}`, `schedule.deleted ${s.id}`, `schedule.updated ${s.id}`, `schedule.workweek_updated ${s.id}`].sort());
    expect((await auditActions(x, "schedule_holiday")).sort()).toEqual([`schedule_holiday.created ${h.id}`, `schedule_holiday.deleted ${h.id}`, `schedule_holiday.updated ${h.id}`].sort());
    const log = await x.api("GET", "/api/v2/audit_logs.json?per_page=100");
    for (const word of ["Audited", "2027-01"]) expect(log.text).not.toContain(word);
  });

  it("gives the SLA policies the account's first schedule with its holidays, or the calendar", async () => {
    const x = await buildTenant(t, "hoursclk");
    const clock = () =>
      t.db.tenant(x.tenantId, async (tx) => loadDefaultClock(makeContext({ tx, sealer: await t.keyring.sealerFor(tx), actor: { kind: "system" }, requestId: "clock", now: () => new Date() })));
    expect(await clock()).toBe("calendar");
    const first = await made(x, "First", "Europe/Stockholm");
    const second = await made(x, "Second", "Asia/Tokyo");
    await ok(holiday(x, first.id, { name: "Day", start_date: "2027-06-25", end_date: "2027-06-26" }), 201);
    await ok(holiday(x, second.id, { name: "Other day", start_date: "2027-01-01", end_date: "2027-01-01" }), 201);
    await ok(x.api("PUT", `${S}/${first.id}/workweek.json`, { workweek: { intervals: [{ start_time: 1980, end_time: 2460 }] } }));
    expect(await clock()).toEqual({ time_zone: "Europe/Stockholm", intervals: [{ start_time: 1980, end_time: 2460 }], holidays: [{ start_date: "2027-06-25", end_date: "2027-06-26" }] });
    await ok(x.api("DELETE", `${S}/${first.id}.json`), 204);
    expect(await clock()).toEqual({ time_zone: "Asia/Tokyo", intervals: DEFAULT, holidays: [{ start_date: "2027-01-01", end_date: "2027-01-01" }] });
  });
});
