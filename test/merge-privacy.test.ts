import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, endUserWithPassword } from "./support/people.ts";

/**
 * Merging and what customers then see. Since end users copied on a ticket read it in the help
 * center, a merge copies the sources' people on the target only when its comment is public (the
 * requesters can see it): merging Bob's duplicate into Alice's ticket by default lets Bob read
 * nothing of hers. A private ticket (no public comment) keeps every merge comment private, so a
 * merge neither opens it to its requester nor quotes it to another.
 */

let t: TestApp;
let a: TestTenant;
beforeAll(async () => {
  t = await startTestApp();
  a = await buildTenant(t, "atkmrg");
  expect((await a.api("PUT", "/api/v2/password_settings.json", { password_settings: { admins_set_end_user_passwords: true } })).status).toBe(200);
});
afterAll(async () => t?.close());

const customer = (x: TestTenant, name: string) => endUserWithPassword(t, x, name);

describe("merge + CC'd end users read requests", () => {
  it("a source's requester does not get to read the target requester's private conversation", async () => {
    const alice = await customer(a, "Alice Target");
    const bob = await customer(a, "Bob Source");
    const target = (await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Alice medical invoice", requester_id: alice.id, comment: { body: "ALICE-SECRET: my diagnosis is X" } } })).body.ticket.id as number;
    const source = (await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Bob invoice", requester_id: bob.id, comment: { body: "Bob words" } } })).body.ticket.id as number;
    const before = await asSession(t, a, bob.session, "GET", `/api/v2/requests/${target}.json`);
    expect(before.status).toBe(404);

    const r = await a.api("POST", `/api/v2/tickets/${target}/merge.json`, { ids: [source] });
    expect(r.status, r.text).toBe(200);
    // The merge's own comment is internal by default (different requesters)...
    const note = (await a.api("GET", `/api/v2/tickets/${target}/comments.json`)).body.comments.at(-1);
    expect(note.public).toBe(false);

    // ...yet Bob now reads Alice's request and her words.
    const ccd = await asSession(t, a, bob.session, "GET", "/api/v2/requests/ccd.json");
    const shown = await asSession(t, a, bob.session, "GET", `/api/v2/requests/${target}/comments.json`);
    expect({ ccd: (ccd.body.requests ?? []).map((q: any) => q.id), status: shown.status, leaked: shown.text.includes("ALICE-SECRET") }).toEqual({ ccd: [], status: 404, leaked: false });
  });

  it("merging an agent's private ticket (no public comment) keeps it private: no public comment on either side", async () => {
    const alice = await customer(a, "Alice Private");
    const target = (await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Alice question", requester_id: alice.id, comment: { body: "hello" } } })).body.ticket.id as number;
    // An internal ticket about Alice: requester Alice, only internal notes (is_public false).
    const priv = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "PRIVATE-SUBJECT fraud review of Alice", requester_id: alice.id, comment: { body: "internal only", public: false } } });
    expect(priv.status, priv.text).toBe(201);
    const source = priv.body.ticket.id as number;
    expect((await asSession(t, a, alice.session, "GET", `/api/v2/requests/${source}.json`)).status).toBe(404);
    const r = await a.api("POST", `/api/v2/tickets/${target}/merge.json`, { ids: [source] });
    expect(r.status, r.text).toBe(200);
    const srcNow = await asSession(t, a, alice.session, "GET", `/api/v2/requests/${source}.json`);
    const tgtComments = await asSession(t, a, alice.session, "GET", `/api/v2/requests/${target}/comments.json`);
    // Zendesk: comments are private and cannot be made public when a source or the target is private.
    expect({ sourceVisible: srcNow.status, subjectInTarget: tgtComments.text.includes("PRIVATE-SUBJECT") }).toEqual({ sourceVisible: 404, subjectInTarget: false });
  });
});
