import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, PASSWORD, signIn } from "./support/people.ts";

/**
 * Merging tickets (Zendesk's Merge Tickets, POST /tickets/{id}/merge): the sources are closed with
 * a comment, the target gets one naming them and the sources' people as CCs, all through the
 * conversation writer; every refusal answers before anything is written.
 */

let t: TestApp;
let a: TestTenant;
let b: TestTenant;

beforeAll(async () => {
  t = await startTestApp();
  a = await buildTenant(t, "mrg");
  b = await buildTenant(t, "mrgb");
});
afterAll(async () => t?.close());

type As = { email: string; token: string };
const unique = () => crypto.randomBytes(4).toString("hex");

async function ticket(x: TestTenant, fields: Record<string, unknown> = {}): Promise<number> {
  const r = await x.api("POST", "/api/v2/tickets.json", { ticket: { subject: `Subject ${unique()}`, comment: { body: "First words" }, ...fields } });
  expect(r.status, r.text).toBe(201);
  return r.body.ticket.id as number;
}
async function endUser(x: TestTenant): Promise<number> {
  return (await buildUser(t, x, "end-user", "Customer Person")).id;
}
const merge = (target: number, body: Record<string, unknown>, as?: As) => a.api("POST", `/api/v2/tickets/${target}/merge.json`, body, as);
const comments = async (id: number) => (await a.api("GET", `/api/v2/tickets/${id}/comments.json`)).body.comments as Array<{ body: string; public: boolean }>;
const show = async (id: number) => (await a.api("GET", `/api/v2/tickets/${id}.json`)).body.ticket;
/** What a ticket is (status, comment count, CCs), to prove a refusal wrote nothing. */
const state = async (ids: number[]) => Promise.all(ids.map(async (id) => ({ s: (await show(id)).status, c: (await comments(id)).length, cc: (await show(id)).collaborator_ids })));

describe("merging", () => {
  it("closes the sources with a comment, gives the target a comment quoting them and their people as CCs", async () => {
    const alice = await endUser(a);
    const bob = await endUser(a);
    const carol = await endUser(a);
    const target = await ticket(a, { subject: "Printer on fire", requester_id: alice });
    const s1 = await ticket(a, { subject: "Printer smoking", requester_id: bob, collaborator_ids: [carol], comment: { body: "It smells of burnt toner" } });
    expect((await a.api("PUT", `/api/v2/tickets/${s1}.json`, { ticket: { comment: { body: "INTERNAL note: bob is a VIP", public: false } } })).status).toBe(200);
    const s2 = await ticket(a, { subject: "Same printer", requester_id: alice, comment: { body: "zyxwmergedword here" } });

    const r = await merge(target, { ids: [s1, s2] });
    expect(r.status, r.text).toBe(200);
    expect(r.body.ticket.id).toBe(target);
    // The target's comment is internal (bob's request is not alice's): nobody is copied on it, so
    // bob does not come to read alice's request in the help center.
    expect(r.body.ticket.collaborator_ids).toEqual([]);

    for (const s of [s1, s2]) {
      expect((await show(s)).status).toBe("closed");
      const last = (await comments(s)).at(-1)!;
      expect(last.body).toBe(`This request was closed and merged into request #${target}: Printer on fire.`);
    }
    // Default visibility: public only where the requesters are the same.
    expect((await comments(s1)).at(-1)!.public).toBe(false);
    expect((await comments(s2)).at(-1)!.public).toBe(true);

    const note = (await comments(target)).at(-1)!;
    // bob's request is not alice's: the target's comment is internal, and (internal) quotes s1's latest comment, the note.
    expect(note.public).toBe(false);
    expect(note.body).toContain(`Request #${s1} "Printer smoking" was closed and merged into this request.`);
    expect(note.body).toContain("> INTERNAL note: bob is a VIP");
    expect(note.body).toContain(`Request #${s2} "Same printer" was closed and merged into this request.`);
    expect(note.body).toContain("> zyxwmergedword here");

    // Audited by fields, no values.
    const logs = (await a.api("GET", "/api/v2/audit_logs.json?per_page=100")).body.audit_logs as Array<Record<string, unknown>>;
    const merged = logs.filter((l) => l.action === "ticket.merged");
    expect(merged.length).toBe(3);
    expect(JSON.stringify(merged)).not.toContain("Printer");

    // Search finds the quoted text in the target.
    const found = await a.api("GET", `/api/v2/search.json?query=${encodeURIComponent("zyxwmergedword type:ticket")}`);
    expect(found.status, found.text).toBe(200);
    expect((found.body.results as Array<{ id: number }>).map((x) => x.id)).toContain(target);
 
    // With a public target comment (the caller's choice: the requesters can see it), the sources'
    // requesters and CCs are copied on the target, as in Zendesk.
    const target2 = await ticket(a, { subject: "Scanner jammed", requester_id: alice });
    const s3 = await ticket(a, { subject: "Scanner again", requester_id: bob, collaborator_ids: [carol] });
    const r2 = await merge(target2, { ids: [s3], target_comment_is_public: true });
    expect(r2.status, r2.text).toBe(200);
    expect(r2.body.ticket.collaborator_ids.sort()).toEqual([bob, carol].sort());
    expect((await comments(target2)).at(-1)!.public).toBe(true);
  });

  it("never quotes an internal note into a public target comment; custom comments and visibility are honoured", async () => {
    const alice = await endUser(a);
    const target = await ticket(a, { requester_id: alice });
    const src = await ticket(a, { requester_id: alice, comment: { body: "Public words of the source" } });
    expect((await a.api("PUT", `/api/v2/tickets/${src}.json`, { ticket: { comment: { body: "SECRET internal remark", public: false } } })).status).toBe(200);
    const r = await merge(target, { ids: [src], target_comment_is_public: true });
    expect(r.status, r.text).toBe(200);
    const note = (await comments(target)).at(-1)!;
    expect(note.public).toBe(true);
    expect(note.body).toContain("> Public words of the source");
    expect(note.body).not.toContain("SECRET");

    const t2 = await ticket(a);
    const s2 = await ticket(a);
    const r2 = await merge(t2, { ids: [s2], target_comment: "Merged the duplicate.", source_comment: "Moved to the other one.", target_comment_is_public: false, source_comment_is_public: false });
    expect(r2.status, r2.text).toBe(200);
    expect((await comments(t2)).at(-1)).toMatchObject({ body: "Merged the duplicate.", public: false });
    expect((await comments(s2)).at(-1)).toMatchObject({ body: "Moved to the other one.", public: false });
  });

  it("leaves a merged source closed: a reply is refused, by an agent and by its requester; end users cannot merge", async () => {
    const eu = await buildUser(t, a, "end-user", "Requester Person");
    await a.api("PUT", "/api/v2/password_settings.json", { password_settings: { admins_set_end_user_passwords: true } });
    expect((await a.api("POST", `/api/v2/users/${eu.id}/password.json`, { password: PASSWORD })).status).toBe(204);
    const first = await signIn(t, a, eu.email, PASSWORD);
    expect((await asSession(t, a, first, "PUT", "/api/v2/users/me/password.json", { previous_password: PASSWORD, password: `${PASSWORD} mine` })).status).toBe(204);
    const session = await signIn(t, a, eu.email, `${PASSWORD} mine`);
    const target = await ticket(a, { requester_id: eu.id });
    const src = await ticket(a, { requester_id: eu.id });
    const other = await ticket(a, { requester_id: eu.id });
    expect((await asSession(t, a, session, "POST", `/api/v2/tickets/${target}/merge.json`, { ids: [other] })).status).toBe(403);
    expect((await show(other)).status).not.toBe("closed");
    expect((await merge(target, { ids: [src] })).status).toBe(200);
    const reply = await a.api("PUT", `/api/v2/tickets/${src}.json`, { ticket: { comment: { body: "Back again" } } });
    expect(reply.status, reply.text).toBe(422);
    const theirs = await asSession(t, a, session, "PUT", `/api/v2/requests/${src}.json`, { request: { comment: { body: "Hello again" } } });
    expect(theirs.status, theirs.text).toBe(422);
    expect((await show(src)).status).toBe("closed");
    // Closed as solved now: retention (which counts from solved_at) reaches it like any closed ticket.
    const asRequester = await asSession(t, a, session, "GET", `/api/v2/requests/${src}.json`);
    expect(asRequester.status, asRequester.text).toBe(200);
    expect(asRequester.body.request.solved_at).not.toBeNull();
    expect((await merge(target, { ids: [src] })).status).toBe(422);
  });
});

describe("merges at the same time", () => {
  it("merging two tickets into each other at once: one merge wins, the other is refused, no deadlock", async () => {
    for (let i = 0; i < 3; i++) {
      const x = await ticket(a);
      const y = await ticket(a);
      const [r1, r2] = await Promise.all([merge(x, { ids: [y] }), merge(y, { ids: [x] })]);
      expect([r1.status, r2.status].sort(), `${r1.text} ${r2.text}`).toEqual([200, 422]);
      const statuses = [(await show(x)).status, (await show(y)).status];
      expect(statuses.filter((s) => s === "closed").length).toBe(1);
    }
  });
});

describe("refusals write nothing", () => {
  it("answers 422 for the target among the sources, duplicates, more than 5, a closed or deleted ticket", async () => {
    const target = await ticket(a);
    const srcs = await Promise.all([1, 2, 3, 4, 5, 6].map(() => ticket(a)));
    const before = await state([target, ...srcs]);
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ids: [target] }, /into itself/],
      [{ ids: [srcs[0], srcs[0]] }, /more than once/],
      [{ ids: srcs }, /at most 5/],
      [{ ids: [] }, /./],
      [{ ids: [srcs[0]], unknown: 1 }, /./],
    ];
    for (const [body, msg] of cases) {
      const r = await merge(target, body);
      expect(r.status, r.text).toBe(422);
      expect(r.text).toMatch(msg);
    }
    // A closed source, after a valid one: the valid one is not closed either.
    const closed = await ticket(a, { status: "solved" });
    expect((await a.api("PUT", `/api/v2/tickets/${closed}.json`, { ticket: { status: "closed" } })).status).toBe(200);
    const r = await merge(target, { ids: [srcs[0], closed] });
    expect(r.status, r.text).toBe(422);
    expect(r.text).toContain(`#${closed} is closed`);
    expect((await merge(closed, { ids: [srcs[0]] })).status).toBe(422);
    const deleted = await ticket(a);
    expect((await a.api("DELETE", `/api/v2/tickets/${deleted}.json`)).status).toBe(204);
    const d = await merge(target, { ids: [srcs[0], deleted] });
    expect(d.status, d.text).toBe(422);
    expect(d.text).toContain("deleted");
    expect(await state([target, ...srcs])).toEqual(before);
  });

  it("answers 404 for another tenant's ticket or a missing one, as source or target", async () => {
    const target = await ticket(a);
    const src = await ticket(a);
    // A ticket of b's whose number a has not reached (ticket numbers are per tenant).
    let foreign = await ticket(b);
    while (foreign <= src + 1) foreign = await ticket(b);
    const before = await state([target, src]);
    expect((await merge(target, { ids: [src, foreign] })).status).toBe(404);
    expect((await merge(foreign, { ids: [src] })).status).toBe(404);
    expect((await b.api("GET", `/api/v2/tickets/${foreign}.json`)).body.ticket.status).not.toBe("closed");
    expect((await merge(target, { ids: [src, 999_999] })).status).toBe(404);
    expect((await merge(999_998, { ids: [src] })).status).toBe(404);
    // As b's owner, a's ticket numbers are b's own or missing: a's tickets are never touched.
    const r = await b.api("POST", `/api/v2/tickets/${foreign}/merge.json`, { ids: [999_997] });
    expect(r.status).toBe(404);
    expect(await state([target, src])).toEqual(before);
  });

  it("allows an agent restricted to their groups only tickets they see; light agents and end users are refused", async () => {
    const role = await a.api("POST", "/api/v2/custom_roles.json", { custom_role: { name: `Groups ${unique()}`, configuration: { ticket_access: "within-groups", ticket_editing: true } } });
    expect(role.status, role.text).toBe(201);
    const agent = await buildUser(t, a, "agent", "Group Agent");
    expect((await a.api("PUT", `/api/v2/users/${agent.id}.json`, { user: { custom_role_id: role.body.custom_role.id } })).status).toBe(200);
    const g = await a.api("POST", "/api/v2/groups.json", { group: { name: `G ${unique()}` } });
    expect((await a.api("POST", "/api/v2/group_memberships.json", { group_membership: { user_id: agent.id, group_id: g.body.group.id } })).status).toBe(201);
    const as: As = { email: agent.email, token: agent.token! };
    const mine1 = await ticket(a, { group_id: g.body.group.id });
    const mine2 = await ticket(a, { group_id: g.body.group.id });
    const other = await ticket(a);
    const before = await state([mine1, mine2, other]);
    expect((await merge(mine1, { ids: [other] }, as)).status).toBe(404);
    expect((await merge(other, { ids: [mine2] }, as)).status).toBe(404);
    expect(await state([mine1, mine2, other])).toEqual(before);
    expect((await merge(mine1, { ids: [mine2] }, as)).status).toBe(200);

    const light = await buildUser(t, a, "light-agent");
    const x = await ticket(a);
    const y = await ticket(a);
    expect((await merge(x, { ids: [y] }, { email: light.email, token: light.token! })).status).toBe(403);
    // Without credentials: refused (end users' sessions: test/permission-matrix.test.ts).
    const anon = await a.api("POST", `/api/v2/tickets/${x}/merge.json`, { ids: [y] }, null);
    expect(anon.status).toBe(401);
    expect((await show(y)).status).not.toBe("closed");
  });
});
