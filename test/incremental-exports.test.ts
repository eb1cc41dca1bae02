import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";

/**
 * Zendesk's cursor-based incremental exports over real HTTP: a stream from `start_time` in pages,
 * followed by its cursors to the end, then asked again later for what changed since; owners and
 * admins only; bad input 4xx; links from configuration; another tenant sees nothing.
 */

type Json = Record<string, any>;
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

/** Follows a stream from `first` to its end; answers every item's id in order and the last page. */
async function follow(a: TestTenant, first: string, key: "tickets" | "users"): Promise<{ ids: number[]; last: Json; pages: number }> {
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
    // A's cursor in B's account reads B's tickets (a cursor is a position, not a grant).
    const aEnd = (await follow(a, "/api/v2/incremental/tickets/cursor.json?start_time=0", "tickets")).last.after_cursor as string;
    const inB = await b.api("GET", `/api/v2/incremental/tickets/cursor.json?cursor=${aEnd}`);
    expect(inB.status).toBe(200);
    expect(inB.text).not.toContain("Only in A");
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
    expect((await a.api("PUT", `/api/v2/users/${held.requester_id}/restriction.json`, { restriction: { restricted: true, reason: "Accuracy contested" } })).status).toBe(200);

    const tickets = await follow(a, `/api/v2/incremental/tickets/cursor.json?start_time=${start}`, "tickets");
    expect(tickets.ids).toContain(kept.id);
    expect(tickets.ids).not.toContain(held.id);
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
