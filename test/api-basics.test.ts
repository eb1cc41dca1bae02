import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";

let t: TestApp;
let acme: TestTenant;

beforeAll(async () => {
  t = await startTestApp();
  acme = await buildTenant(t, "basic");
});
afterAll(async () => t?.close());

describe("tickets API", () => {
  it("creates, shows, updates with a comment and lists tickets with per-tenant ids", async () => {
    const c = await acme.api("POST", "/api/v2/tickets.json", {
      ticket: { subject: "Printer on fire", comment: { body: "It is on fire." }, requester: { email: "ada@example.test", name: "Ada" }, priority: "high", tags: ["vip"] },
    });
    expect(c.status).toBe(201);
    expect(c.body.ticket).toMatchObject({ id: 1, subject: "Printer on fire", description: "It is on fire.", priority: "high", status: "new", tags: ["vip"] });
    const other = await buildTenant(t, "basicother");
    const c2 = await other.api("POST", "/api/v2/tickets.json", { ticket: { subject: "x", comment: { body: "y" } } });
    expect(c2.body.ticket.id).toBe(1);

    const u = await acme.api("PUT", "/api/v2/tickets/1.json", { ticket: { status: "pending", comment: { body: "Any news?", public: true } } });
    expect(u.status).toBe(200);
    expect(u.body.ticket.status).toBe("pending");
    expect(u.body.audit.events.map((e: { type: string }) => e.type)).toEqual(["Comment", "Change"]);

    const comments = await acme.api("GET", "/api/v2/tickets/1/comments.json");
    expect(comments.body.comments.map((x: { body: string }) => x.body)).toEqual(["It is on fire.", "Any news?"]);
    const list = await acme.api("GET", "/api/v2/tickets.json");
    expect(list.body.count).toBe(1);
  });

  it("numbers tickets 1..N per tenant without gaps or duplicates under concurrency", async () => {
    const c = await buildTenant(t, "concurrent");
    const rs = await Promise.all(Array.from({ length: 40 }, (_, i) => c.api("POST", "/api/v2/tickets.json", { ticket: { subject: `c${i}`, comment: { body: "b" } } })));
    expect(rs.every((r) => r.status === 201)).toBe(true);
    const ids = rs.map((r) => r.body.ticket.id as number).sort((x, y) => x - y);
    expect(ids).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    // In order: a ticket created after others were answered gets a higher number.
    const next = await c.api("POST", "/api/v2/tickets.json", { ticket: { subject: "after", comment: { body: "b" } } });
    expect(next.body.ticket.id).toBe(41);
  });

  it("refuses going back to new and changing closed tickets", async () => {
    const c = await acme.api("POST", "/api/v2/tickets.json", { ticket: { subject: "s", comment: { body: "b" } } });
    const id = c.body.ticket.id;
    expect((await acme.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { status: "open" } })).status).toBe(200);
    const back = await acme.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { status: "new" } });
    expect(back.status).toBe(422);
    expect(back.body.details.status[0].description).toMatch(/new/);
    expect((await acme.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { status: "closed" } })).status).toBe(422);
    expect((await acme.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { status: "solved" } })).status).toBe(200);
    expect((await acme.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { status: "closed" } })).status).toBe(200);
    expect((await acme.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { priority: "low" } })).status).toBe(422);
  });

  it("sanitizes comment HTML", async () => {
    const c = await acme.api("POST", "/api/v2/tickets.json", { ticket: { subject: "html", comment: { html_body: '<p onclick="x()">hi<script>alert(1)</script><img src=x onerror=alert(1)></p>' } } });
    const comments = await acme.api("GET", `/api/v2/tickets/${c.body.ticket.id}/comments.json`);
    const html: string = comments.body.comments[0].html_body;
    expect(html).toBe("<p>hi</p>");
  });

  it("answers Zendesk-shaped errors", async () => {
    expect((await acme.api("GET", "/api/v2/tickets/999999.json")).body).toEqual({ error: "RecordNotFound", description: "Not found" });
    const bad = await acme.api("POST", "/api/v2/tickets.json", { ticket: { subject: 5 } });
    expect(bad.status).toBe(422);
    expect(bad.body.error).toBe("RecordInvalid");
    expect(bad.body.details).toBeTypeOf("object");
    const malformed = await t.request({ method: "POST", path: "/api/v2/tickets.json", host: acme.host, rawBody: '{"ticket":', headers: { authorization: "Bearer " + acme.ownerToken } });
    expect(malformed.status).toBe(400);
    const anon = await acme.api("GET", "/api/v2/tickets.json", undefined, null);
    expect(anon.status).toBe(401);
    const big = await t.request({ method: "POST", path: "/api/v2/tickets.json", host: acme.host, rawBody: JSON.stringify({ ticket: { subject: "x", comment: { body: "a".repeat(2_000_000) } } }), headers: { authorization: "Bearer " + acme.ownerToken } });
    expect(big.status).toBe(413);
    const unknownHost = await t.request({ method: "GET", path: "/api/v2/tickets.json", host: "nosuch.localhost" });
    expect(unknownHost.status).toBe(404);
  });

  it("paginates by offset and by cursor", async () => {
    const tenant = await buildTenant(t, "pages");
    for (let i = 0; i < 5; i++) await tenant.api("POST", "/api/v2/tickets.json", { ticket: { subject: `p${i}`, comment: { body: "b" } } });
    const p1 = await tenant.api("GET", "/api/v2/tickets.json?per_page=2");
    expect(p1.body.tickets.map((x: { id: number }) => x.id)).toEqual([1, 2]);
    expect(p1.body.count).toBe(5);
    expect(p1.body.next_page).toContain("page=2");
    expect(p1.body.previous_page).toBeNull();
    const c1 = await tenant.api("GET", "/api/v2/tickets.json?page[size]=2");
    expect(c1.body.meta.has_more).toBe(true);
    const next = new URL(c1.body.links.next);
    const c2 = await tenant.api("GET", next.pathname + next.search);
    expect(c2.body.tickets.map((x: { id: number }) => x.id)).toEqual([3, 4]);
    const c3url = new URL(c2.body.links.next);
    const c3 = await tenant.api("GET", c3url.pathname + c3url.search);
    expect(c3.body.tickets.map((x: { id: number }) => x.id)).toEqual([5]);
    expect(c3.body.meta.has_more).toBe(false);
  });

  it("keeps light agents to internal notes", async () => {
    const light = await buildUser(t, acme, "light-agent");
    const c = await acme.api("POST", "/api/v2/tickets.json", { ticket: { subject: "la", comment: { body: "b" } } });
    const as = { email: light.email, token: light.token! };
    const pub = await acme.api("PUT", `/api/v2/tickets/${c.body.ticket.id}.json`, { ticket: { comment: { body: "public?" } } }, as);
    expect(pub.status).toBe(403);
    const note = await acme.api("PUT", `/api/v2/tickets/${c.body.ticket.id}.json`, { ticket: { comment: { body: "note", public: false } } }, as);
    expect(note.status).toBe(200);
    const prop = await acme.api("PUT", `/api/v2/tickets/${c.body.ticket.id}.json`, { ticket: { status: "open" } }, as);
    expect(prop.status).toBe(403);
  });
});
