import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, endUserWithPassword } from "./support/people.ts";

/**
 * An end user copied on a ticket (a CC, Zendesk's email CC) reads it in the help center while
 * they are copied: `GET /requests/ccd`, the request and its public conversation (never an internal
 * note), and replies to it; only its requester marks it solved. Taken off the CCs, it is gone for
 * them (404), and nobody else's requests are opened this way, in this tenant or another.
 */

let t: TestApp;
let a: TestTenant;
let b: TestTenant;
beforeAll(async () => {
  t = await startTestApp();
  a = await buildTenant(t, "ccreqa");
  b = await buildTenant(t, "ccreqb");
  for (const x of [a, b]) expect((await x.api("PUT", "/api/v2/password_settings.json", { password_settings: { admins_set_end_user_passwords: true } })).status).toBe(200);
});
afterAll(async () => t?.close());

type Json = Record<string, any>;

/** An end user of `x` signed in with a password of their own. */
const customer = (x: TestTenant, name: string) => endUserWithPassword(t, x, name);

const ids = (r: { body: Json }) => (r.body.requests as Json[]).map((q) => q.id as number).sort((p, q) => p - q);

describe("requests an end user is copied on", () => {
  it("are listed, read (public comments only) and replied to while copied; solved only by the requester; gone once taken off", async () => {
    const req = await customer(a, "Rita Requester");
    const cc = await customer(a, "Carl Copied");
    const other = await customer(a, "Olga Other");
    const make = async (subject: string, extra: Json) => (await a.api("POST", "/api/v2/tickets.json", { ticket: { subject, comment: { body: `${subject}: the first words` }, requester_id: req.id, ...extra } })).body.ticket.id as number;
    const copied = await make("Copied request", { collaborator_ids: [cc.id] });
    const notCopied = await make("Not copied", {});
    expect((await a.api("PUT", `/api/v2/tickets/${copied}.json`, { ticket: { comment: { body: "Only agents read this note", public: false } } })).status).toBe(200);
    expect((await a.api("PUT", `/api/v2/tickets/${copied}.json`, { ticket: { comment: { body: "A public answer" } } })).status).toBe(200);

    const list = await asSession(t, a, cc.session, "GET", "/api/v2/requests/ccd.json");
    expect(list.status, list.text).toBe(200);
    expect(ids(list)).toEqual([copied]);
    expect(list.body.count).toBe(1);
    // Their own requests stay their own: the copied one is not among them.
    expect(ids(await asSession(t, a, cc.session, "GET", "/api/v2/requests.json"))).toEqual([]);
    expect(ids(await asSession(t, a, req.session, "GET", "/api/v2/requests/ccd.json"))).toEqual([]);
    expect(ids(await asSession(t, a, req.session, "GET", "/api/v2/requests.json"))).toEqual([copied, notCopied]);

    const shown = await asSession(t, a, cc.session, "GET", `/api/v2/requests/${copied}.json`);
    expect(shown.status, shown.text).toBe(200);
    expect(shown.body.request).toMatchObject({ subject: "Copied request", can_be_solved_by_me: false });
    const comments = await asSession(t, a, cc.session, "GET", `/api/v2/requests/${copied}/comments.json`);
    expect((comments.body.comments as Json[]).map((c) => c.body)).toEqual(["Copied request: the first words", "A public answer"]);
    expect(comments.text).not.toContain("Only agents read this note");
    for (const path of [`/api/v2/requests/${notCopied}.json`, `/api/v2/requests/${notCopied}/comments.json`]) {
      expect((await asSession(t, a, cc.session, "GET", path)).status).toBe(404);
    }
    expect((await asSession(t, a, other.session, "GET", `/api/v2/requests/${copied}.json`)).status).toBe(404);
    expect(ids(await asSession(t, a, other.session, "GET", "/api/v2/requests/ccd.json"))).toEqual([]);

    // A reply from the CC goes into the conversation; marking it solved is the requester's.
    const reply = await asSession(t, a, cc.session, "PUT", `/api/v2/requests/${copied}.json`, { request: { comment: { body: "Copied and answering" } } });
    expect(reply.status, reply.text).toBe(200);
    const audits = await a.api("GET", `/api/v2/tickets/${copied}/comments.json`);
    expect((audits.body.comments as Json[]).at(-1)).toMatchObject({ body: "Copied and answering", author_id: cc.id, public: true });
    const solve = await asSession(t, a, cc.session, "PUT", `/api/v2/requests/${copied}.json`, { request: { solved: true } });
    expect(solve.status).toBeGreaterThanOrEqual(400);
    expect(solve.status).toBeLessThan(500);
    expect((await a.api("GET", `/api/v2/tickets/${copied}.json`)).body.ticket.status).not.toBe("solved");
    expect((await asSession(t, a, cc.session, "PUT", `/api/v2/requests/${notCopied}.json`, { request: { comment: { body: "Not mine to answer" } } })).status).toBe(404);

    // Taken off the CCs: the request is no longer theirs to read or answer.
    expect((await a.api("PUT", `/api/v2/tickets/${copied}.json`, { ticket: { collaborator_ids: [] } })).status).toBe(200);
    expect(ids(await asSession(t, a, cc.session, "GET", "/api/v2/requests/ccd.json"))).toEqual([]);
    for (const [method, path, body] of [
      ["GET", `/api/v2/requests/${copied}.json`, undefined],
      ["GET", `/api/v2/requests/${copied}/comments.json`, undefined],
      ["PUT", `/api/v2/requests/${copied}.json`, { request: { comment: { body: "Still here?" } } }],
    ] as const) {
      expect((await asSession(t, a, cc.session, method, path, body)).status, `${method} ${path}`).toBe(404);
    }
  });

  it("filters by status, and never opens another tenant's ticket of the same number", async () => {
    const req = await customer(a, "Rena Requester");
    const cc = await customer(a, "Cora Copied");
    const open = (await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Still open", comment: { body: "b" }, requester_id: req.id, collaborator_ids: [cc.id] } })).body.ticket.id as number;
    const solved = (await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Solved one", comment: { body: "b" }, requester_id: req.id, collaborator_ids: [cc.id] } })).body.ticket.id as number;
    const solving = await a.api("PUT", `/api/v2/tickets/${solved}.json`, { ticket: { status: "solved" } });
    expect(solving.body.ticket?.status, solving.text).toBe("solved");
    expect(ids(await asSession(t, a, cc.session, "GET", "/api/v2/requests/ccd.json?status=solved"))).toEqual([solved]);
    expect(ids(await asSession(t, a, cc.session, "GET", "/api/v2/requests/ccd.json?status=new,open"))).toEqual([open]);
    expect((await asSession(t, a, cc.session, "GET", "/api/v2/requests/ccd.json?status=nonsense")).status).toBe(422);

    // In tenant B, a CC of B's own ticket: A's tickets stay out of reach, whatever their number.
    const breq = await customer(b, "Bea Requester");
    const bcc = await customer(b, "Ben Copied");
    const bTicket = (await b.api("POST", "/api/v2/tickets.json", { ticket: { subject: "B's own", comment: { body: "b" }, requester_id: breq.id, collaborator_ids: [bcc.id] } })).body.ticket.id as number;
    expect(ids(await asSession(t, b, bcc.session, "GET", "/api/v2/requests/ccd.json"))).toEqual([bTicket]);
    for (const n of [open, solved]) {
      if (n === bTicket) continue;
      expect((await asSession(t, b, bcc.session, "GET", `/api/v2/requests/${n}.json`)).status).toBe(404);
    }
    // A's session on B's host is no session there.
    expect((await asSession(t, b, cc.session, "GET", "/api/v2/requests/ccd.json")).status).toBe(401);
  });
});
