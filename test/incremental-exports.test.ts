import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";

/**
 * Zendesk's incremental exports (cursor-based, time-based, ticket events) over real HTTP: a stream from `start_time` in pages,
 * followed by its cursors to the end, then asked again later for what changed since; owners and
 * admins only; bad input 4xx; links from configuration; another tenant sees nothing.
 */

type Json = Record<string, any>;
let t: TestApp;
// The app's clock runs ahead of the database's by more than the settling wait (60 s, the default,
// as Zendesk's): what a test has just changed is old enough to be given. One test turns it back.
let ahead = 61_000;
beforeAll(async () => {
  t = await startTestApp({ env: { VAULTDESK_INCREMENTAL_SETTLE_SECONDS: "60" }, now: () => new Date(Date.now() + ahead) });
});
afterAll(async () => t?.close());

/** Follows a stream from `first` to its end; answers every item's id in order and the last page. */
async function follow(a: TestTenant, first: string, key: "tickets" | "users" | "organizations"): Promise<{ ids: number[]; last: Json; pages: number }> {
  const ids: number[] = [];
  let r = await a.api("GET", first);
  let pages = 1;
  for (;;) {
    expect(r.status, r.text).toBe(200);
    ids.push(...(r.body[key] as Json[]).map((x) => x.id as number));
    if (r.body.end_of_stream) return { ids, last: r.body, pages };
    const next = new URL(r.body.after_url as string);
    r = await a.api("GET", next.pathname + next.search);
    pages++;
    if (pages > 50) throw new Error("the stream did not end");
  }
}

describe("incremental ticket export", () => {
  it("pages through what changed since start_time, oldest change first, then gives what changed later", async () => {
    const a = await buildTenant(t, "incr");
    const start = Math.floor(Date.now() / 1000) - 2;
    const made: number[] = [];
    for (let i = 0; i < 5; i++) {
      const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: `Incremental ${i}`, comment: { body: "Hello" } } });
      expect(c.status, c.text).toBe(201);
      made.push(c.body.ticket.id);
    }
    const first = await a.api("GET", `/api/v2/incremental/tickets/cursor.json?start_time=${start}&per_page=2`);
    expect(first.status, first.text).toBe(200);
    expect(first.body).toMatchObject({ before_cursor: null, before_url: null, end_of_stream: false });
    expect(first.body.tickets.map((x: Json) => x.id)).toEqual(made.slice(0, 2));
    expect(first.body.tickets[0]).toMatchObject({ subject: "Incremental 0", status: "new" });
    // The next page's address comes from configuration, never from the request's headers.
    expect(first.body.after_url.startsWith(`${a.origin}/api/v2/incremental/tickets/cursor.json?cursor=`)).toBe(true);
    const forged = await t.request({ method: "GET", path: `/api/v2/incremental/tickets/cursor.json?start_time=${start}&per_page=2`, host: a.host, headers: { authorization: `Basic ${Buffer.from(`${a.ownerEmail}/token:${a.ownerToken}`).toString("base64")}`, "x-forwarded-host": "evil.test" } });
    expect(forged.status, forged.text).toBe(200);
    expect(forged.body.after_url).not.toContain("evil.test");

    const all = await follow(a, `/api/v2/incremental/tickets/cursor.json?start_time=${start}&per_page=2`, "tickets");
    expect(all.ids).toEqual(made);
    expect(all.pages).toBe(3);
    // Nothing changed since: the end's cursor answers an empty page, still at the end.
    const cursor = all.last.after_cursor as string;
    const idle = await a.api("GET", `/api/v2/incremental/tickets/cursor.json?cursor=${cursor}`);
    expect(idle.body).toMatchObject({ tickets: [], end_of_stream: true, after_cursor: cursor });

    // A change later: only that ticket comes, from the same cursor.
    expect((await a.api("PUT", `/api/v2/tickets/${made[1]}.json`, { ticket: { status: "pending" } })).status).toBe(200);
    const later = await a.api("GET", `/api/v2/incremental/tickets/cursor.json?cursor=${cursor}`);
    expect(later.body.tickets.map((x: Json) => [x.id, x.status])).toEqual([[made[1], "pending"]]);
    expect(later.body.end_of_stream).toBe(true);

    // A start_time after everything: an empty stream at its end.
    await new Promise((r) => setTimeout(r, 1100));
    const none = await a.api("GET", `/api/v2/incremental/tickets/cursor.json?start_time=${Math.floor(Date.now() / 1000)}`);
    expect(none.body).toMatchObject({ tickets: [], end_of_stream: true });

    // Starting a stream is audited; following its cursor is not.
    const log = ((await a.api("GET", "/api/v2/audit_logs.json?per_page=100")).body.audit_logs as Json[]).filter((l) => l.action === "export.incremental_started");
    expect(log.map((l) => l.source_id)).toEqual(Array(4).fill("tickets"));
  });

  it("is for owners and admins (every other actor: the permission matrix); bad input is a 4xx; another tenant's stream holds nothing of this one", async () => {
    const a = await buildTenant(t, "incrb");
    const b = await buildTenant(t, "incrc");
    expect((await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Only in A", comment: { body: "Secret of A" } } })).status).toBe(201);
    const admin = await buildUser(t, a, "admin");
    const agent = await buildUser(t, a, "agent");
    for (const path of ["/api/v2/incremental/tickets/cursor.json?start_time=0", "/api/v2/incremental/users/cursor.json?start_time=0"]) {
      expect((await a.api("GET", path, undefined, { email: admin.email, token: admin.token! })).status).toBe(200);
      expect((await a.api("GET", path, undefined, { email: agent.email, token: agent.token! })).status).toBe(403);
      const other = await b.api("GET", path);
      expect(other.status).toBe(200);
      expect(other.text).not.toContain("Only in A");
      expect(other.text).not.toContain(a.ownerEmail);
    }
    const future = Math.floor(Date.now() / 1000) + 3600;
    for (const q of ["", "?start_time=-1", `?start_time=${future}`, "?start_time=abc", "?start_time=0&per_page=1001", "?start_time=0&per_page=0", "?start_time=0&cursor=abc", "?start_time=0&unknown=1"]) {
      const r = await a.api("GET", `/api/v2/incremental/tickets/cursor.json${q}`);
      expect(r.status, `${q}: ${r.text}`).toBe(422);
    }
    for (const c of ["abc", Buffer.from(JSON.stringify({ o: 1 })).toString("base64url"), Buffer.from(JSON.stringify({ o: 1, k: "1; DROP TABLE tickets" })).toString("base64url"), "x".repeat(201)]) {
      const r = await a.api("GET", `/api/v2/incremental/tickets/cursor.json?cursor=${encodeURIComponent(c)}`);
      expect([400, 422], `${c}: ${r.text}`).toContain(r.status);
    }
    // A cursor is signed for its account and its resource: A's cursor is refused in B's account,
    // a tickets cursor in the people export, and a hand-made one (it would skip the audited beginning).
    const aEnd = (await follow(a, "/api/v2/incremental/tickets/cursor.json?start_time=0", "tickets")).last.after_cursor as string;
    const inB = await b.api("GET", `/api/v2/incremental/tickets/cursor.json?cursor=${aEnd}`);
    expect(inB.status, inB.text).toBe(400);
    expect(inB.text).not.toContain("Only in A");
    expect((await a.api("GET", `/api/v2/incremental/users/cursor.json?cursor=${aEnd}`)).status).toBe(400);
    const handMade = Buffer.from(JSON.stringify({ o: 0, k: "0" })).toString("base64url");
    for (const c of [handMade, `${handMade}.${aEnd.split(".")[1]}`, `${aEnd}.x`]) {
      const r = await a.api("GET", `/api/v2/incremental/tickets/cursor.json?cursor=${encodeURIComponent(c)}`);
      expect(r.status, `${c}: ${r.text}`).toBe(400);
    }
    expect((await a.api("GET", `/api/v2/incremental/tickets/cursor.json?cursor=${aEnd}`)).status).toBe(200);
  });
});

describe("incremental user export", () => {
  it("streams people by last change and gives a renamed person again", async () => {
    const a = await buildTenant(t, "incru");
    const start = Math.floor(Date.now() / 1000) - 2;
    const people: number[] = [];
    for (let i = 0; i < 3; i++) people.push((await buildUser(t, a, "end-user", `Person ${i}`)).id);
    const all = await follow(a, `/api/v2/incremental/users/cursor.json?start_time=${start}&per_page=2`, "users");
    // The owner was made with the account, within the same seconds.
    expect(all.ids.slice(-3)).toEqual(people);
    const cursor = all.last.after_cursor as string;
    expect((await a.api("PUT", `/api/v2/users/${people[0]}.json`, { user: { name: "Person Renamed" } })).status).toBe(200);
    const later = await a.api("GET", `/api/v2/incremental/users/cursor.json?cursor=${cursor}`);
    expect(later.status, later.text).toBe(200);
    expect(later.body.users.map((u: Json) => [u.id, u.name])).toEqual([[people[0], "Person Renamed"]]);
    expect(later.body.end_of_stream).toBe(true);
  });
});

describe("a restricted person", () => {
  it("is left out of the incremental and tenant exports, with the tickets they requested, and comes back once lifted and changed", async () => {
    const a = await buildTenant(t, "incrr");
    const start = Math.floor(Date.now() / 1000) - 2;
    const ticketOf = async (name: string) => {
      const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: `Order of ${name}`, comment: { body: "Hello" }, requester: { name, email: `${name.toLowerCase()}@${a.subdomain}.test` } } });
      expect(c.status, c.text).toBe(201);
      return c.body.ticket as Json;
    };
    const kept = await ticketOf("Kim");
    const held = await ticketOf("Robin");
    // Robin is also copied on Kim's ticket.
    const cc = await a.api("PUT", `/api/v2/tickets/${kept.id}.json`, { ticket: { collaborator_ids: [held.requester_id] } });
    expect(cc.status, cc.text).toBe(200);
    expect(cc.body.ticket.collaborator_ids).toEqual([held.requester_id]);
    expect((await a.api("PUT", `/api/v2/users/${held.requester_id}/restriction.json`, { restriction: { restricted: true, reason: "Accuracy contested" } })).status).toBe(200);

    const tickets = await follow(a, `/api/v2/incremental/tickets/cursor.json?start_time=${start}`, "tickets");
    expect(tickets.ids).toContain(kept.id);
    expect(tickets.ids).not.toContain(held.id);
    // Kim's ticket comes without Robin among its CCs, not even by id; staff still see Robin there.
    const keptPage = await a.api("GET", `/api/v2/incremental/tickets.json?start_time=${start}`);
    const keptInStream = (keptPage.body.tickets as Json[]).find((x) => x.id === kept.id)!;
    expect([keptInStream.collaborator_ids, keptInStream.email_cc_ids]).toEqual([[], []]);
    expect((await a.api("GET", `/api/v2/tickets/${kept.id}.json`)).body.ticket.collaborator_ids).toEqual([held.requester_id]);
    const users = await follow(a, `/api/v2/incremental/users/cursor.json?start_time=${start}`, "users");
    expect(users.ids).toContain(kept.requester_id);
    expect(users.ids).not.toContain(held.requester_id);

    // The tenant export (a file for other systems) leaves them out the same way.
    for (const resource of ["tickets", "users"] as const) {
      const created = await a.api("POST", "/api/v2/exports.json", { export: { resource, format: "json", fields: ["id"] } });
      expect(created.status, created.text).toBe(202);
      let e: Json = created.body.export;
      for (let i = 0; i < 400 && (e.status === "queued" || e.status === "working"); i++) {
        await new Promise((r) => setTimeout(r, 50));
        e = (await a.api("GET", `/api/v2/exports/${e.id}.json`)).body.export;
      }
      expect(e.status).toBe("ready");
      const file = new URL(e.download_url as string);
      const got = await a.api("GET", file.pathname + file.search);
      expect(got.status).toBe(200);
      const ids = (JSON.parse(got.text)[resource] as Json[]).map((x) => x.id);
      expect(ids).toContain(resource === "tickets" ? kept.id : kept.requester_id);
      expect(ids).not.toContain(resource === "tickets" ? held.id : held.requester_id);
    }

    // Lifted, and the ticket changed: it is in the stream again.
    const cursor = tickets.last.after_cursor as string;
    expect((await a.api("PUT", `/api/v2/users/${held.requester_id}/restriction.json`, { restriction: { restricted: false } })).status).toBe(200);
    expect((await a.api("PUT", `/api/v2/tickets/${held.id}.json`, { ticket: { status: "open" } })).status).toBe(200);
    expect((await a.api("GET", `/api/v2/incremental/tickets/cursor.json?cursor=${cursor}`)).body.tickets.map((x: Json) => x.id)).toEqual([held.id]);
  });
});

describe("deleted tickets and people in the streams", () => {
  it("gives a ticket moved to the trash with status deleted and without its content, and a restored one whole again", async () => {
    const a = await buildTenant(t, "incrd");
    const start = Math.floor(Date.now() / 1000) - 2;
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Wrong customer's address", comment: { body: "Street 12, flat 4" }, tags: ["moved"] } });
    expect(c.status, c.text).toBe(201);
    const id = c.body.ticket.id as number;
    const before = await follow(a, `/api/v2/incremental/tickets/cursor.json?start_time=${start}`, "tickets");
    expect(before.ids).toEqual([id]);
    expect((await a.api("DELETE", `/api/v2/tickets/${id}.json`)).status).toBe(204);
    const later = await a.api("GET", `/api/v2/incremental/tickets/cursor.json?cursor=${before.last.after_cursor}`);
    expect(later.status, later.text).toBe(200);
    expect(later.body.tickets).toHaveLength(1);
    expect(later.body.tickets[0]).toMatchObject({ id, status: "deleted", subject: "", description: "", tags: [], custom_fields: [] });
    expect(later.text).not.toContain("Street 12");
    expect(later.text).not.toContain("Wrong customer");
    // The time-based export says the same.
    const byTime = await a.api("GET", `/api/v2/incremental/tickets.json?start_time=${start}`);
    expect(byTime.body.tickets.map((x: Json) => [x.id, x.status])).toEqual([[id, "deleted"]]);
    // Restored: back, whole, as a new change.
    expect((await a.api("PUT", `/api/v2/deleted_tickets/${id}/restore.json`)).status).toBe(204);
    const back = await a.api("GET", `/api/v2/incremental/tickets/cursor.json?cursor=${later.body.after_cursor}`);
    expect(back.body.tickets.map((x: Json) => [x.id, x.status, x.subject])).toEqual([[id, "new", "Wrong customer's address"]]);
  });

  it("gives a deleted person as not active", async () => {
    const a = await buildTenant(t, "incrdu");
    const start = Math.floor(Date.now() / 1000) - 2;
    const p = await buildUser(t, a, "end-user", "Leaving Person");
    const before = await follow(a, `/api/v2/incremental/users/cursor.json?start_time=${start}`, "users");
    expect(before.ids).toContain(p.id);
    expect((await a.api("DELETE", `/api/v2/users/${p.id}.json`)).status).toBe(200);
    const later = await a.api("GET", `/api/v2/incremental/users/cursor.json?cursor=${before.last.after_cursor}`);
    expect(later.body.users.map((u: Json) => [u.id, u.active])).toEqual([[p.id, false]]);
    // Erased: the tombstone, nothing of the person.
    expect((await a.api("DELETE", `/api/v2/deleted_users/${p.id}.json`)).status).toBe(200);
    const erased = await a.api("GET", `/api/v2/incremental/users/cursor.json?cursor=${later.body.after_cursor}`);
    expect(erased.body.users.map((u: Json) => [u.id, u.active, u.email])).toEqual([[p.id, false, null]]);
    expect(erased.text).not.toContain("Leaving Person");
    expect(erased.text).not.toContain(p.email);
  });
});

describe("what is deleted for good", () => {
  it("comes in the streams as deleted, its id and time only, in order among the other changes: a purged ticket, an erased person's tickets, a deleted organization", async () => {
    const a = await buildTenant(t, "incrp");
    const start = Math.floor(Date.now() / 1000) - 2;
    const ticket = async (subject: string, requester?: { name: string; email: string }) => {
      const r = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject, comment: { body: `${subject}: the body` }, ...(requester ? { requester } : {}) } });
      expect(r.status, r.text).toBe(201);
      return r.body.ticket.id as number;
    };
    const purged = await ticket("Purged for good");
    const kept = await ticket("Kept");
    const email = `leaving-${Date.now()}@incrp.test`;
    const theirs = await ticket("Only theirs", { name: "Leaving Requester", email });
    const before = await follow(a, `/api/v2/incremental/tickets/cursor.json?start_time=${start}`, "tickets");
    expect(before.ids).toEqual([purged, kept, theirs]);

    // Deleted, then purged from the trash; the kept one changes after; the requester is erased.
    expect((await a.api("DELETE", `/api/v2/tickets/${purged}.json`)).status).toBe(204);
    expect((await a.api("DELETE", `/api/v2/deleted_tickets/${purged}.json`)).status).toBe(204);
    expect((await a.api("PUT", `/api/v2/tickets/${kept}.json`, { ticket: { status: "open" } })).status).toBe(200);
    const person = (await a.api("GET", `/api/v2/tickets/${theirs}.json`)).body.ticket.requester_id as number;
    expect((await a.api("DELETE", `/api/v2/users/${person}.json`)).status).toBe(200);
    expect((await a.api("DELETE", `/api/v2/deleted_users/${person}.json`)).status).toBe(200);
    expect((await a.api("GET", `/api/v2/tickets/${theirs}.json`)).status).toBe(404);

    const later = await follow(a, `/api/v2/incremental/tickets/cursor.json?cursor=${before.last.after_cursor}`, "tickets");
    expect(later.ids).toEqual([purged, kept, theirs]);
    const items = (await a.api("GET", `/api/v2/incremental/tickets/cursor.json?cursor=${before.last.after_cursor}`)).body.tickets as Json[];
    expect(items[0]).toEqual({ id: purged, url: expect.stringMatching(new RegExp(`/api/v2/tickets/${purged}\\.json$`)), status: "deleted", deleted: true, deleted_at: expect.any(String), updated_at: items[0]!.deleted_at });
    expect(items[2]).toMatchObject({ id: theirs, status: "deleted", deleted: true });
    expect(Date.parse(items[0]!.updated_at) <= Date.parse(items[1]!.updated_at) && Date.parse(items[1]!.updated_at) <= Date.parse(items[2]!.updated_at)).toBe(true);
    const text = JSON.stringify(items);
    for (const gone of ["Purged for good", "Only theirs", "Leaving Requester", email]) expect(text).not.toContain(gone);
    // The time-based form says the same, and a stream begun later still learns of them.
    const byTime = await a.api("GET", `/api/v2/incremental/tickets.json?start_time=${start}`);
    expect(byTime.status, byTime.text).toBe(200);
    expect(byTime.body.tickets.map((x: Json) => [x.id, x.status, x.deleted ?? false])).toEqual([
      [purged, "deleted", true],
      [kept, "open", false],
      [theirs, "deleted", true],
    ]);

    // An organization deleted.
    const org = await a.api("POST", "/api/v2/organizations.json", { organization: { name: "Closing Ltd" } });
    const orgs = await follow(a, `/api/v2/incremental/organizations/cursor.json?start_time=${start}`, "organizations");
    expect(orgs.ids).toEqual([org.body.organization.id]);
    expect((await a.api("DELETE", `/api/v2/organizations/${org.body.organization.id}.json`)).status).toBe(204);
    const orgLater = await a.api("GET", `/api/v2/incremental/organizations/cursor.json?cursor=${orgs.last.after_cursor}`);
    expect(orgLater.status, orgLater.text).toBe(200);
    expect(orgLater.body.organizations).toEqual([{ id: org.body.organization.id, url: expect.any(String), deleted: true, deleted_at: expect.any(String), updated_at: expect.any(String) }]);
    expect(orgLater.text).not.toContain("Closing Ltd");

    // Another account's streams hold none of it.
    const b = await buildTenant(t, "incrpb");
    const other = await b.api("GET", `/api/v2/incremental/tickets/cursor.json?start_time=${start}`);
    expect(other.body.tickets.map((x: Json) => x.id)).toEqual([]);
    expect((await b.api("GET", `/api/v2/incremental/organizations/cursor.json?start_time=${start}`)).body.organizations).toEqual([]);
  });
});

describe("incremental organization export", () => {
  it("streams organizations by last change, cursor-based and time-based", async () => {
    const a = await buildTenant(t, "incro");
    const start = Math.floor(Date.now() / 1000) - 2;
    const orgs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await a.api("POST", "/api/v2/organizations.json", { organization: { name: `Org ${i} of incro` } });
      expect(r.status, r.text).toBe(201);
      orgs.push(r.body.organization.id);
    }
    const all = await follow(a, `/api/v2/incremental/organizations/cursor.json?start_time=${start}&per_page=2`, "organizations");
    expect(all.ids).toEqual(orgs);
    expect((await a.api("PUT", `/api/v2/organizations/${orgs[0]}.json`, { organization: { notes: "Renewed" } })).status).toBe(200);
    const later = await a.api("GET", `/api/v2/incremental/organizations/cursor.json?cursor=${all.last.after_cursor}`);
    expect(later.body.organizations.map((o: Json) => [o.id, o.notes])).toEqual([[orgs[0], "Renewed"]]);
    const byTime = await a.api("GET", `/api/v2/incremental/organizations.json?start_time=${start}`);
    expect(byTime.status, byTime.text).toBe(200);
    expect(byTime.body.organizations.map((o: Json) => o.id)).toEqual([orgs[1], orgs[2], orgs[0]]);
    expect(byTime.body).toMatchObject({ count: 3, end_of_stream: true });
  });
});

describe("time-based incremental exports", () => {
  it("pages with end_time and next_page, never splitting a second, each change once; next_page is not audited again, a forged stream is refused", async () => {
    const a = await buildTenant(t, "incrt");
    const made: number[] = [];
    for (let i = 0; i < 7; i++) {
      const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: `Timed ${i}`, comment: { body: "Hello" } } });
      expect(c.status, c.text).toBe(201);
      made.push(c.body.ticket.id);
    }
    // Tickets 2–5 changed in one second (as a bulk change would), the others in seconds of their own.
    const base = Math.floor(Date.now() / 1000) - 3600;
    const seconds = [base, base + 1, base + 2, base + 2, base + 2, base + 2, base + 3];
    await t.db.tenant(a.tenantId, async (tx) => {
      for (const [i, id] of made.entries()) {
        await sql`UPDATE tickets SET updated_at = to_timestamp(${seconds[i]! + i / 100}) WHERE tenant_id = ${a.tenantId} AND nice_id = ${id}`.execute(tx.db);
      }
    });
    const auditedStarts = async () => ((await a.api("GET", "/api/v2/audit_logs.json?per_page=100")).body.audit_logs as Json[]).filter((l) => l.action === "export.incremental_started").length;
    const startsBefore = await auditedStarts();

    const pages: Json[] = [];
    let r = await a.api("GET", `/api/v2/incremental/tickets.json?start_time=${base}&per_page=3`);
    for (let n = 0; ; n++) {
      expect(r.status, r.text).toBe(200);
      pages.push(r.body);
      if (r.body.end_of_stream || n > 10) break;
      expect(r.body.next_page.startsWith(`${a.origin}/api/v2/incremental/tickets.json?start_time=${r.body.end_time}&stream=`)).toBe(true);
      const next = new URL(r.body.next_page as string);
      r = await a.api("GET", next.pathname + next.search);
    }
    // Page 1: tickets 0, 1 and 2 — and the rest of ticket 2's second (3, 4, 5): 6 items, ending after it.
    expect(pages[0]!.tickets.map((x: Json) => x.id)).toEqual(made.slice(0, 6));
    expect(pages[0]).toMatchObject({ count: 6, end_time: base + 3, end_of_stream: false });
    expect(pages.flatMap((p) => p.tickets.map((x: Json) => x.id))).toEqual(made);
    expect(pages.at(-1)!.end_of_stream).toBe(true);
    // Only the first request began a stream.
    expect((await auditedStarts()) - startsBefore).toBe(1);

    // A stream value made for another start time, or by hand, is refused; without one, a request begins (audited).
    const p1 = new URL(pages[0]!.next_page as string);
    const stream = p1.searchParams.get("stream")!;
    expect((await a.api("GET", `/api/v2/incremental/tickets.json?start_time=${base}&stream=${stream}`)).status).toBe(422);
    expect((await a.api("GET", `/api/v2/incremental/users.json?start_time=${base + 3}&stream=${stream}`)).status).toBe(422);
    expect((await a.api("GET", `/api/v2/incremental/tickets.json?start_time=${base + 3}&stream=forged`)).status).toBe(422);
    const users = await a.api("GET", `/api/v2/incremental/users.json?start_time=${base}`);
    expect(users.status, users.text).toBe(200);
    expect(users.body.users.map((u: Json) => u.email)).toContain(a.ownerEmail);
    expect((await auditedStarts()) - startsBefore).toBe(2);
    for (const q of ["", "?start_time=-1", "?start_time=abc", `?start_time=${Math.floor(Date.now() / 1000) + 7200}`, "?start_time=0&per_page=0", "?start_time=0&cursor=x", "?start_time=0&stream=a%20b"]) {
      const bad = await a.api("GET", `/api/v2/incremental/organizations.json${q}`);
      expect(bad.status, `${q}: ${bad.text}`).toBe(422);
    }
  });
});

describe("the settling wait", () => {
  it("leaves changes of the last minute for a later page, and gives them once settled", async () => {
    const a = await buildTenant(t, "incrs");
    const start = Math.floor(Date.now() / 1000) - 2;
    ahead = 0;
    try {
      const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Just made", comment: { body: "Hello" } } });
      expect(c.status, c.text).toBe(201);
      const now = await a.api("GET", `/api/v2/incremental/tickets/cursor.json?start_time=${start}`);
      expect(now.body).toMatchObject({ tickets: [], end_of_stream: true });
      const byTime = await a.api("GET", `/api/v2/incremental/tickets.json?start_time=${start}`);
      expect(byTime.body).toMatchObject({ tickets: [], end_of_stream: true });
      ahead = 61_000;
      const settled = await a.api("GET", `/api/v2/incremental/tickets/cursor.json?cursor=${now.body.after_cursor}`);
      expect(settled.body.tickets.map((x: Json) => x.id)).toEqual([c.body.ticket.id]);
    } finally {
      ahead = 61_000;
    }
  });
});

describe("incremental ticket events", () => {
  /** Follows a time-based ticket events stream to its end; every event in order. */
  async function events(a: TestTenant, first: string): Promise<Json[]> {
    const out: Json[] = [];
    let r = await a.api("GET", first);
    for (let n = 0; ; n++) {
      expect(r.status, r.text).toBe(200);
      out.push(...(r.body.ticket_events as Json[]));
      if (r.body.end_of_stream) return out;
      if (n > 50) throw new Error("the stream did not end");
      const next = new URL(r.body.next_page as string);
      expect(next.origin).toBe(a.origin);
      r = await a.api("GET", next.pathname + next.search);
    }
  }

  it("gives each ticket audit in order with its changes, comments only with include=comment_events; leaves out the trash and restricted people; owners and admins only", async () => {
    const a = await buildTenant(t, "incrte");
    const start = Math.floor(Date.now() / 1000) - 2;
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Printer on fire", comment: { body: "Smoke from tray 2" }, priority: "high" } });
    expect(c.status, c.text).toBe(201);
    const id = c.body.ticket.id as number;
    const u = await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { status: "open", comment: { body: "Fire brigade called", public: false } } });
    expect(u.status, u.text).toBe(200);
    // A ticket in the trash, and one a restricted person requested: neither comes.
    const trashed = (await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Trashed", comment: { body: "Gone soon" } } })).body.ticket.id as number;
    expect((await a.api("DELETE", `/api/v2/tickets/${trashed}.json`)).status).toBe(204);
    const held = (await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Held", comment: { body: "Contested" }, requester: { name: "Robin", email: `robin@${a.subdomain}.test` } } })).body.ticket;
    expect((await a.api("PUT", `/api/v2/users/${held.requester_id}/restriction.json`, { restriction: { restricted: true, reason: "Accuracy contested" } })).status).toBe(200);

    const plain = await events(a, `/api/v2/incremental/ticket_events.json?start_time=${start}&per_page=1`);
    expect(plain.map((e) => e.ticket_id)).toEqual([id, id]);
    const audits = (await a.api("GET", `/api/v2/tickets/${id}/audits.json`)).body.audits as Json[];
    expect(plain.map((e) => e.id)).toEqual(audits.map((x) => x.id));
    const [created, updated] = plain as [Json, Json];
    expect(created).toMatchObject({ event_type: "Audit", updater_id: expect.any(Number), via: "api", created_at: audits[0]!.created_at });
    expect(created.timestamp).toBe(Math.floor(Date.parse(audits[0]!.created_at) / 1000));
    expect(created.child_events.map((e: Json) => e.event_type)).not.toContain("Comment");
    expect(created.child_events).toContainEqual(expect.objectContaining({ event_type: "Create", field_name: "priority", value: "high" }));
    expect(updated.child_events).toContainEqual(expect.objectContaining({ event_type: "Change", field_name: "status", value: "open", previous_value: "new" }));
    expect(JSON.stringify(plain)).not.toContain("Fire brigade");

    const full = await events(a, `/api/v2/incremental/ticket_events.json?start_time=${start}&include=comment_events&per_page=1`);
    expect(full.map((e) => e.id)).toEqual(plain.map((e) => e.id));
    expect(full[1]!.child_events).toContainEqual(expect.objectContaining({ event_type: "Comment", body: "Fire brigade called", public: false }));
    expect(full[0]!.child_events).toContainEqual(expect.objectContaining({ event_type: "Comment", body: "Smoke from tray 2", public: true }));
    expect(JSON.stringify(full)).not.toMatch(/Gone soon|Contested/);

    // Owners and admins only (every actor: the permission matrix); bad input 4xx, never 500.
    const agent = await buildUser(t, a, "agent", "Agent Ada");
    const admin = await buildUser(t, a, "admin", "Admin Ash");
    expect((await a.api("GET", `/api/v2/incremental/ticket_events.json?start_time=${start}`, undefined, { email: agent.email, token: agent.token! })).status).toBe(403);
    expect((await a.api("GET", `/api/v2/incremental/ticket_events.json?start_time=${start}`, undefined, { email: admin.email, token: admin.token! })).status).toBe(200);
    for (const q of ["", "?start_time=abc", `?start_time=${start}&include=users`, `?start_time=${start}&stream=forged`, `?start_time=${Math.floor(Date.now() / 1000) + 7200}`]) {
      const bad = await a.api("GET", `/api/v2/incremental/ticket_events.json${q}`);
      expect(bad.status, `${q}: ${bad.text}`).toBeGreaterThanOrEqual(400);
      expect(bad.status).toBeLessThan(500);
    }
    // A stream begun without comments cannot go on with them (its value covers `include`).
    const noComments = await a.api("GET", `/api/v2/incremental/ticket_events.json?start_time=${start}`);
    const plainNext = new URL(noComments.body.next_page as string);
    expect(plainNext.searchParams.get("include")).toBeNull();
    plainNext.searchParams.set("include", "comment_events");
    expect((await a.api("GET", plainNext.pathname + plainNext.search)).status).toBe(422);
    // A stream value of another export is refused here.
    const tk = await a.api("GET", `/api/v2/incremental/tickets.json?start_time=${start}`);
    const stream = new URL(tk.body.next_page as string).searchParams.get("stream")!;
    expect((await a.api("GET", `/api/v2/incremental/ticket_events.json?start_time=${tk.body.end_time}&stream=${stream}`)).status).toBe(422);
    // Another tenant's stream holds nothing of this one.
    const b = await buildTenant(t, "incrte2");
    expect((await events(b, `/api/v2/incremental/ticket_events.json?start_time=${start}&include=comment_events`)).filter((e) => JSON.stringify(e).includes("Printer"))).toEqual([]);
  });

  it("names no restricted person: their comments (also written for them by staff) and their place in CC lists are left out", async () => {
    const a = await buildTenant(t, "incrtr");
    const start = Math.floor(Date.now() / 1000) - 2;
    const bob = await buildUser(t, a, "end-user", "Bob");
    const c = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Shared printer", comment: { body: "Alice writes" }, collaborator_ids: [bob.id] } });
    expect(c.status, c.text).toBe(201);
    const id = c.body.ticket.id as number;
    // Staff write a comment in Bob's name, then Bob's processing is restricted.
    const onBehalf = await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "BOB-PRIVATE-TEXT", author_id: bob.id } } });
    expect(onBehalf.status, onBehalf.text).toBe(200);
    expect((await a.api("PUT", `/api/v2/users/${bob.id}/restriction.json`, { restriction: { restricted: true, reason: "Objection" } })).status).toBe(200);
    const got = await events(a, `/api/v2/incremental/ticket_events.json?start_time=${start}&include=comment_events`);
    expect(got.map((e) => e.ticket_id)).toEqual([id, id]);
    expect(JSON.stringify(got)).not.toContain("BOB-PRIVATE-TEXT");
    expect(got[0]!.child_events).toContainEqual(expect.objectContaining({ event_type: "Comment", body: "Alice writes" }));
    const ccs = got.flatMap((e) => (e.child_events as Json[]).filter((x) => x.field_name === "collaborator_ids"));
    expect(ccs.length).toBeGreaterThan(0);
    for (const x of ccs) expect(x.value).toEqual([]);
    // Lifted: the comment comes again (the stream read from the start).
    expect((await a.api("PUT", `/api/v2/users/${bob.id}/restriction.json`, { restriction: { restricted: false } })).status).toBe(200);
    expect(JSON.stringify(await events(a, `/api/v2/incremental/ticket_events.json?start_time=${start}&include=comment_events`))).toContain("BOB-PRIVATE-TEXT");
  });

  it("passes a long run of audits left out (a big ticket in the trash) a page at a time, and gives what follows it", async () => {
    const a = await buildTenant(t, "incrtt");
    const start = Math.floor(Date.now() / 1000) - 3600;
    const before = (await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Before", comment: { body: "First" } } })).body.ticket.id as number;
    const trashed = (await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Spam", comment: { body: "Spam" } } })).body.ticket.id as number;
    const after = (await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "After", comment: { body: "Last" } } })).body.ticket.id as number;
    // The trashed ticket gets 2,500 audits between the other two's, a second apart.
    await t.db.tenant(a.tenantId, async (tx) => {
      await sql`UPDATE ticket_audits SET created_at = to_timestamp(${start + 10}) WHERE tenant_id = ${a.tenantId} AND ticket_id = (SELECT id FROM tickets WHERE nice_id = ${before})`.execute(tx.db);
      await sql`UPDATE ticket_audits SET created_at = to_timestamp(${start + 3000}) WHERE tenant_id = ${a.tenantId} AND ticket_id = (SELECT id FROM tickets WHERE nice_id = ${after})`.execute(tx.db);
      await sql`INSERT INTO ticket_audits (tenant_id, id, nice_id, ticket_id, author_id, events_sealed, via, created_at)
        SELECT x.tenant_id, gen_random_uuid(), vd_next_id('ticket_audits'), x.ticket_id, x.author_id, x.events_sealed, x.via, to_timestamp(${start + 20} + g)
        FROM ticket_audits x, generate_series(1, 2500) g WHERE x.tenant_id = ${a.tenantId} AND x.ticket_id = (SELECT id FROM tickets WHERE nice_id = ${trashed})`.execute(tx.db);
    });
    expect((await a.api("DELETE", `/api/v2/tickets/${trashed}.json`)).status).toBe(204);
    const got = await events(a, `/api/v2/incremental/ticket_events.json?start_time=${start}&per_page=1`);
    expect(got.map((e) => e.ticket_id)).toEqual([before, after]);
  });
});
