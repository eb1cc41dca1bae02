import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { wholeNumber } from "../src/platform/schemas.ts";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { makeMacro } from "./support/macros.ts";

/**
 * Ids and counts are read as numbers only when they are written as numbers: a JSON number, or a
 * string of decimal digits (paths and queries are strings; clients send ids in bodies either way).
 * `z.coerce.number()` used to read `true` as 1, `[7]` as 7, `"0x10"` as 16, `"1e3"` as 1000 and
 * `" 5 "` as 5, so a body naming the first ticket, group or macro by `true` was taken as naming
 * id 1. Each of these is now a 422 (RecordInvalid) naming the field, with nothing written.
 */

const BAD_IN_BODY: unknown[] = [true, false, [1], { id: 1 }, "0x1", "1e0", " 1", "1 ", "+1", "1.0", "", "١", 1.5, -1, 0, 2 ** 53, null];
const BAD_IN_QUERY = ["0x10", "1e1", "%201", "1%20", "%2B1", "1.0", "", "-1", "0b1", "Infinity", "10abc"];

describe("wholeNumber", () => {
  const n = wholeNumber(1, 1000);
  it("takes JSON numbers and strings of decimal digits within its bounds", () => {
    expect([5, "5", "0005", 1000, "1000"].map((v) => n.parse(v))).toEqual([5, 5, 5, 1000, 1000]);
  });
  it("refuses everything else that z.coerce.number() would have read as a number", () => {
    for (const v of [...BAD_IN_BODY, "1001", 1001, "99999999999999999"]) expect(n.safeParse(v).success, JSON.stringify(v)).toBe(false);
  });
});

describe("over HTTP", () => {
  let t: TestApp;
  let a: TestTenant;
  let ticket: number;
  let group: number;
  let macro: number;

  beforeAll(async () => {
    t = await startTestApp();
    a = await buildTenant(t, "wholenum");
    group = (await a.api("POST", "/api/v2/groups.json", { group: { name: "Tier 1" } })).body.group.id;
    macro = await makeMacro(a, "Close and thank", null);
    ticket = (await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Printer", comment: { body: "It jams." } } })).body.ticket.id;
  });
  afterAll(async () => {
    await t?.close();
  });

  const snapshot = async () => {
    const r = await a.api("GET", `/api/v2/tickets/${ticket}/audits.json`);
    const s = await a.api("GET", `/api/v2/tickets/${ticket}.json`);
    return { audits: r.body.audits.length, group: s.body.ticket.group_id, assignee: s.body.ticket.assignee_id };
  };

  it("a ticket update naming a group, an assignee or a macro by anything but a number or digits is refused whole", async () => {
    const before = await snapshot();
    for (const field of ["group_id", "assignee_id"] as const) {
      for (const v of BAD_IN_BODY.filter((x) => x !== null)) {
        const r = await a.api("PUT", `/api/v2/tickets/${ticket}.json`, { ticket: { [field]: v, comment: { body: "changed?" } } });
        expect(r.status, `${field}: ${JSON.stringify(v)}: ${r.text}`).toBe(422);
        expect(r.text).toContain(field);
      }
    }
    for (const v of BAD_IN_BODY) {
      const r = await a.api("PUT", `/api/v2/tickets/${ticket}.json`, { ticket: { macro_ids: [v], status: "solved" } });
      expect(r.status, `macro_ids: [${JSON.stringify(v)}]: ${r.text}`).toBe(422);
      expect(r.text).toContain("macro_ids");
    }
    expect(await snapshot()).toEqual(before);
  });

  it("digits in a string still name an id in a body, as Zendesk's clients send them", async () => {
    const r = await a.api("PUT", `/api/v2/tickets/${ticket}.json`, { ticket: { group_id: String(group), macro_ids: [String(macro)] } });
    expect(r.status, r.text).toBe(200);
    expect(r.body.ticket.group_id).toBe(group);
    expect(r.body.audit.events.filter((e: { type: string }) => e.type === "AgentMacroReference").map((e: { macro_id: number }) => e.macro_id)).toEqual([macro]);
  });

  it("an id in a path is digits only: 0x1, 1e0 and the like are refused rather than read as ticket 1", async () => {
    for (const p of ["0x1", "1e0", "%201", "1%20", "%2B1", "1.0", "0b1"]) {
      const r = await a.api("GET", `/api/v2/tickets/${p}.json`);
      expect(r.status, `${p}: ${r.text}`).toBe(422);
    }
    expect((await a.api("GET", `/api/v2/tickets/${ticket}.json`)).status).toBe(200);
    expect((await a.api("GET", `/api/v2/tickets/000${ticket}.json`)).status).toBe(200);
  });

  it("a page size or a page number in a query is digits only", async () => {
    for (const q of ["per_page", "page"]) {
      for (const v of BAD_IN_QUERY) {
        for (const path of ["/api/v2/tickets.json", "/api/v2/macros.json", "/api/v2/views.json", "/api/v2/triggers.json"]) {
          const r = await a.api("GET", `${path}?${q}=${v}`);
          expect(r.status, `${path}?${q}=${v}: ${r.text}`).toBe(422);
        }
      }
    }
    const r = await a.api("GET", "/api/v2/tickets.json?per_page=5&page=1");
    expect(r.status, r.text).toBe(200);
  });

  it("an audit log filter by actor is digits only", async () => {
    const me = await buildUser(t, a, "admin", "Ada Admin");
    for (const v of ["0x1", "1e0", "true"]) {
      const r = await a.api("GET", `/api/v2/audit_logs.json?filter[actor_id]=${v}`, undefined, { email: me.email, token: me.token! });
      expect(r.status, `${v}: ${r.text}`).toBe(422);
    }
  });
});
