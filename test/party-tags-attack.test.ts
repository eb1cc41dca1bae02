import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, createTokenFor, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";

/**
 * Attacks on a person's and an organization's ticket lists and the Tags API: credentials scoped to
 * people or organizations, restricted roles, other tenants' ids, bad input, tags piling up, races.
 */

type Json = Record<string, any>;
type As = { email: string; token: string };

let t: TestApp;
let a: TestTenant;
let b: TestTenant;
let endUser: { id: number; email: string };
let org: number;
let inside: number;
let outside: number;
let assignedOnly: As & { id: number };
let noEdit: As & { id: number };
let light: As & { id: number };

async function ok<T = Json>(r: Promise<{ status: number; text: string; body: any }>, status = 200): Promise<T> {
  const x = await r;
  expect(x.status, x.text).toBe(status);
  return x.body as T;
}
const basic = (email: string, token: string) => "Basic " + Buffer.from(`${email}/token:${token}`).toString("base64");
async function scopedToken(scopes: string[]): Promise<As> {
  const r = await ok(a.api("POST", "/api/v2/api_tokens.json", { api_token: { name: "Integration", scopes } }), 201);
  return { email: a.ownerEmail, token: r.api_token.token };
}
async function withRole(name: string, configuration: Json): Promise<As & { id: number }> {
  const u = await buildUser(t, a, "agent", name);
  const role = await ok(a.api("POST", "/api/v2/custom_roles.json", { custom_role: { name, configuration } }), 201);
  await ok(a.api("PUT", `/api/v2/users/${u.id}.json`, { user: { custom_role_id: role.custom_role.id } }));
  return { email: u.email, token: await createTokenFor(t, a, u.id), id: u.id };
}

beforeAll(async () => {
  t = await startTestApp();
  a = await buildTenant(t, "ptka");
  b = await buildTenant(t, "ptkb");
  org = (await ok(a.api("POST", "/api/v2/organizations.json", { organization: { name: "Acme Attack" } }), 201)).organization.id;
  const eu = await buildUser(t, a, "end-user", "Erin End");
  endUser = { id: eu.id, email: eu.email };
  await ok(a.api("PUT", `/api/v2/users/${eu.id}.json`, { user: { organization_id: org } }));
  assignedOnly = await withRole("Assigned only", { ticket_access: "assigned-only" });
  noEdit = await withRole("No editing", { ticket_editing: false });
  const la = await buildUser(t, a, "light-agent", "Light");
  light = { email: la.email, token: la.token!, id: la.id };
  inside = (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "zqxinside", comment: { body: "zqxsecretbody inside" }, requester_id: eu.id, organization_id: org, assignee_id: assignedOnly.id, tags: ["keep"] } }), 201)).ticket.id;
  outside = (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "zqxoutside", comment: { body: "zqxsecretbody outside" }, requester_id: eu.id, organization_id: org, tags: ["keep"] } }), 201)).ticket.id;
});
afterAll(async () => t?.close());

describe("scopes", () => {
  it("a token scoped users:read (no tickets scope) cannot read tickets through /users/{id}/tickets/*", async () => {
    const tok = await scopedToken(["users:read"]);
    // The token may not read tickets directly…
    expect((await a.api("GET", "/api/v2/tickets.json", undefined, tok)).status).toBe(403);
    // …so it may not read them through a person either.
    for (const kind of ["requested", "ccd", "assigned"]) {
      const r = await a.api("GET", `/api/v2/users/${endUser.id}/tickets/${kind}.json`, undefined, tok);
      expect(r.status, `${kind}: ${r.text.slice(0, 300)}`).toBe(403);
    }
  });
  it("a token scoped organizations:read cannot read tickets through /organizations/{id}/tickets", async () => {
    const tok = await scopedToken(["organizations:read"]);
    const r = await a.api("GET", `/api/v2/organizations/${org}/tickets.json`, undefined, tok);
    expect(r.status, r.text.slice(0, 300)).toBe(403);
    expect(r.text).not.toContain("zqxsecretbody");
  });
  it("a tickets:read token cannot write tags", async () => {
    const tok = await scopedToken(["tickets:read"]);
    for (const m of ["POST", "PUT", "DELETE"]) expect((await a.api(m, `/api/v2/tickets/${inside}/tags.json`, { tags: ["x"] }, tok)).status).toBe(403);
    expect((await ok(a.api("GET", `/api/v2/tickets/${inside}/tags.json`))).tags).toEqual(["keep"]);
  });
});

describe("party lists", () => {
  it("an assigned-only agent sees only their tickets (and counts) in every list", async () => {
    for (const path of [`/api/v2/users/${endUser.id}/tickets/requested.json`, `/api/v2/organizations/${org}/tickets.json`]) {
      const r = await ok(a.api("GET", path, undefined, assignedOnly));
      expect(r.tickets.map((x: Json) => x.id), path).toEqual([inside]);
      if (r.count !== undefined) expect(r.count).toBe(1);
      expect(JSON.stringify(r)).not.toContain("zqxoutside");
    }
    const withInclude = await a.api("GET", `/api/v2/users/${endUser.id}/tickets/requested.json?include=users,organizations,groups`, undefined, assignedOnly);
    expect(withInclude.status, withInclude.text).toBeLessThan(500);
  });
  it("another tenant's user and organization ids are 404 and garbage ids / pages are 4xx", async () => {
    for (const p of [`/api/v2/users/${endUser.id}/tickets/requested.json`, `/api/v2/users/${endUser.id}/tickets/ccd.json`, `/api/v2/users/${endUser.id}/tickets/assigned.json`, `/api/v2/organizations/${org}/tickets.json`]) {
      const r = await b.api("GET", p);
      expect(r.status, p).toBe(404);
    }
    for (const q of ["/api/v2/users/99999999999999999999/tickets/requested.json", "/api/v2/users/-1/tickets/ccd.json", "/api/v2/organizations/abc/tickets.json", `/api/v2/users/${endUser.id}/tickets/requested.json?page[after]=zzz`, `/api/v2/users/${endUser.id}/tickets/requested.json?page=99999999999&per_page=100`, `/api/v2/users/${endUser.id}/tickets/requested.json?sort_by=subject`, `/api/v2/users/${endUser.id}/tickets/requested.json?include[]=users`]) {
      const r = await a.api("GET", q);
      expect(r.status, `${q} ${r.text.slice(0, 200)}`).toBeLessThan(500);
    }
  });
  it("a light agent's lists are within their access, never a 500", async () => {
    const r = await a.api("GET", `/api/v2/users/${endUser.id}/tickets/requested.json`, undefined, light);
    expect(r.status, r.text).toBeLessThan(500);
  });
  it("an end user cannot list a person's or organization's tickets", async () => {
    const tok = await createTokenFor(t, a, endUser.id);
    for (const p of [`/api/v2/users/${endUser.id}/tickets/requested.json`, `/api/v2/organizations/${org}/tickets.json`]) {
      const r = await a.api("GET", p, undefined, { email: endUser.email, token: tok });
      expect(r.status, p).toBe(403);
    }
  });
});

describe("tags", () => {
  it("a ticket outside an assigned-only agent's access is 404 for every verb, nothing changes", async () => {
    for (const m of ["GET", "POST", "PUT", "DELETE"]) {
      const r = await a.api(m, `/api/v2/tickets/${outside}/tags.json`, m === "GET" ? undefined : { tags: ["pwned"] }, assignedOnly);
      expect(r.status, `${m} ${r.text}`).toBe(404);
    }
    expect((await ok(a.api("GET", `/api/v2/tickets/${outside}/tags.json`))).tags).toEqual(["keep"]);
  });
  it("a light agent and an agent without ticket editing cannot change tags", async () => {
    for (const who of [light, noEdit]) for (const m of ["POST", "PUT", "DELETE"]) {
      const r = await a.api(m, `/api/v2/tickets/${inside}/tags.json`, { tags: ["pwned"] }, who);
      expect(r.status, `${m} ${r.text}`).toBe(403);
    }
    expect((await ok(a.api("GET", `/api/v2/tickets/${inside}/tags.json`))).tags).toEqual(["keep"]);
  });
  it("DELETE with no body, huge bodies, normalising duplicates: 4xx or sane, never 500", async () => {
    const del = await t.request({ method: "DELETE", path: `/api/v2/tickets/${inside}/tags.json`, host: a.host, headers: { authorization: basic(a.ownerEmail, a.ownerToken) } });
    expect(del.status, del.text).toBeGreaterThanOrEqual(400);
    expect(del.status).toBeLessThan(500);
    for (const body of [{ tags: Array.from({ length: 101 }, (_, i) => `t${i}`) }, { tags: ["x".repeat(100_000)] }, { tags: "single" }, { tags: [null] }, { tags: [""] }, { tags: ["a\u0000b"] }, {}]) {
      const r = await a.api("PUT", `/api/v2/tickets/${inside}/tags.json`, body);
      expect(r.status, `${JSON.stringify(body).slice(0, 60)} ${r.text.slice(0, 200)}`).toBeLessThan(500);
    }
    const dupR = await a.api("POST", `/api/v2/tickets/${inside}/tags.json`, { tags: ["Dup", "dup", "DUP ", " dup"] });
    expect([200, 201, 422]).toContain(dupR.status);
    const dup = dupR.status === 422 ? { tags: [] as string[] } : dupR.body;
    expect(new Set(dup.tags).size).toBe(dup.tags.length);
  });
  it("PUT (add) keeps a ticket's tags within the 100 a set allows (no unbounded growth)", async () => {
    // 100 distinct set, then add 100 more: the tag limit holds on the total.
    expect((await a.api("POST", `/api/v2/tickets/${inside}/tags.json`, { tags: Array.from({ length: 100 }, (_, i) => `a${i}`) })).status).toBeLessThan(300);
    const more = await a.api("PUT", `/api/v2/tickets/${inside}/tags.json`, { tags: Array.from({ length: 100 }, (_, i) => `b${i}`) });
    expect(more.status, more.text.slice(0, 200)).toBe(422);
    expect(more.body.details.tags[0].error).toBe("TooMany");
    expect((await a.api("GET", `/api/v2/tickets/${inside}/tags.json`)).body.tags).toHaveLength(100);
    // The same through a ticket update's additional_tags; removing one and adding one still fits.
    expect((await a.api("PUT", `/api/v2/tickets/${inside}.json`, { ticket: { additional_tags: ["one_more"] } })).status).toBe(422);
    expect((await a.api("PUT", `/api/v2/tickets/${inside}.json`, { ticket: { remove_tags: ["a0"], additional_tags: ["one_more"] } })).status).toBe(200);
  });
  it("a closed ticket's tags cannot change (as an update of it); a ticket in the trash is 404", async () => {
    const closed = (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Closed", comment: { body: "b" }, tags: ["keep"] } }), 201)).ticket.id;
    await ok(a.api("PUT", `/api/v2/tickets/${closed}.json`, { ticket: { status: "solved" } }));
    await ok(a.api("PUT", `/api/v2/tickets/${closed}.json`, { ticket: { status: "closed" } }));
    const upd = await a.api("PUT", `/api/v2/tickets/${closed}.json`, { ticket: { additional_tags: ["late"] } });
    for (const m of ["POST", "PUT", "DELETE"]) {
      const r = await a.api(m, `/api/v2/tickets/${closed}/tags.json`, { tags: ["keep2"] });
      expect(r.status, `${m} ${r.text}`).toBe(upd.status);
    }
    const trashed = (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Trashed", comment: { body: "b" }, tags: ["keep"] } }), 201)).ticket.id;
    await ok(a.api("DELETE", `/api/v2/tickets/${trashed}.json`), 204);
    for (const m of ["GET", "POST", "PUT", "DELETE"]) expect((await a.api(m, `/api/v2/tickets/${trashed}/tags.json`, m === "GET" ? undefined : { tags: ["x"] })).status, m).toBe(404);
  });
  it("another tenant's ticket id is 404 and nothing changes", async () => {
    for (const m of ["GET", "POST", "PUT", "DELETE"]) expect((await b.api(m, `/api/v2/tickets/${outside}/tags.json`, m === "GET" ? undefined : { tags: ["pwned"] })).status).toBe(404);
    expect((await ok(a.api("GET", `/api/v2/tickets/${outside}/tags.json`))).tags).toEqual(["keep"]);
  });
});

describe("at once (run on PostgreSQL)", () => {
  it("ten tag adds and removes at once lose none", async () => {
    const id = (await ok(a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Race", comment: { body: "b" }, tags: ["r0", "r1", "r2", "r3", "r4"] } }), 201)).ticket.id;
    const rs = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => a.api("PUT", `/api/v2/tickets/${id}/tags.json`, { tags: [`add${i}`] })),
      ...Array.from({ length: 5 }, (_, i) => a.api("DELETE", `/api/v2/tickets/${id}/tags.json`, { tags: [`r${i}`] })),
    ]);
    for (const r of rs) expect(r.status, r.text).toBeLessThan(500);
    const okCount = rs.slice(0, 10).filter((r) => r.status === 200).length;
    const tagsNow = (await ok(a.api("GET", `/api/v2/tickets/${id}/tags.json`))).tags as string[];
    expect(tagsNow.filter((x) => x.startsWith("add")).length).toBe(okCount);
    expect(tagsNow.filter((x) => /^r\d$/.test(x)).length).toBe(5 - rs.slice(10).filter((r) => r.status === 200).length);
  });
});
