import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { remindDueRequests } from "../src/modules/privacy/dsr-service.ts";
import type { Mailer, MailMessage } from "../src/platform/mail.ts";
import { PublicUrls } from "../src/platform/urls.ts";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, signIn, type Session } from "./support/people.ts";

/**
 * Data subject requests over real HTTP, with the app's clock moved on: created by admins (for a
 * person or an address) and by a signed-in person for themselves (verified by their session), due
 * dates per regime and per the account's settings, the workflow and its refusals, the verification
 * gate, the evidence download, the daily content-free reminder, isolation and permissions.
 */

let offsetMs = 0;
const now = () => new Date(Date.now() + offsetMs);
const sent: MailMessage[] = [];
const mailer: Mailer = { available: true, send: async (m) => void sent.push(m), close: () => undefined };
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ now, mailer });
});
afterAll(async () => t?.close());

type Json = Record<string, any>;
const DAY = 86_400_000;
const URL_ = "/api/v2/data_subject_requests";
const create = (a: TestTenant, r: Json, as?: { email: string; token: string }) => a.api("POST", `${URL_}.json`, { data_subject_request: r }, as);
const update = (a: TestTenant, id: number, r: Json) => a.api("PUT", `${URL_}/${id}.json`, { data_subject_request: r });
const verify = (a: TestTenant, id: number, method = "id_document") => a.api("POST", `${URL_}/${id}/verify.json`, { verification: { method } });
const days = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / DAY);
const actions = async (a: TestTenant) => ((await a.api("GET", "/api/v2/audit_logs.json?per_page=100")).body.audit_logs as Json[]).map((l) => l.action);

/** An end user who can sign in with a session (password set by staff, then changed by them). */
async function endUser(a: TestTenant, name: string): Promise<{ id: number; session: Session }> {
  const eu = await buildUser(t, a, "end-user", name);
  const first = "Customer first passphrase 7";
  expect((await a.api("PUT", "/api/v2/password_settings.json", { password_settings: { admins_set_end_user_passwords: true } })).status).toBe(200);
  expect((await a.api("POST", `/api/v2/users/${eu.id}/password.json`, { password: first })).status).toBe(204);
  const s1 = await signIn(t, a, eu.email, first);
  expect((await asSession(t, a, s1, "PUT", "/api/v2/users/me/password.json", { previous_password: first, password: `${first} mine` })).status).toBe(204);
  return { id: eu.id, session: await signIn(t, a, eu.email, `${first} mine`) };
}

describe("data subject requests", () => {
  let a: TestTenant;
  beforeAll(async () => {
    a = await buildTenant(t, "dsr");
  });

  it("are recorded by admins for a person or an address, due after the regime's days and the account's settings", async () => {
    const person = await buildUser(t, a, "end-user", "Known Person");
    const r1 = await create(a, { type: "access", user_id: person.id, note: "Asked by phone" });
    expect(r1.status, r1.text).toBe(201);
    const d1 = r1.body.data_subject_request;
    const owner = (await a.api("GET", "/api/v2/users/me.json")).body.user;
    expect(d1).toMatchObject({ type: "access", regime: "gdpr", status: "new", source: "staff", user_id: person.id, email: null, note: "Asked by phone", verified: false, created_by_id: owner.id, overdue: false });
    expect(days(d1.created_at, d1.due_at)).toBe(30);

    const r2 = await create(a, { type: "erasure", regime: "ccpa", email: "Stranger@Example.com" });
    expect(r2.status, r2.text).toBe(201);
    expect(r2.body.data_subject_request).toMatchObject({ regime: "ccpa", user_id: null, email: "stranger@example.com" });
    expect(days(r2.body.data_subject_request.created_at, r2.body.data_subject_request.due_at)).toBe(45);
    // An address of a person the account knows is linked to them.
    expect((await create(a, { type: "objection", email: person.email })).body.data_subject_request).toMatchObject({ user_id: person.id, email: null });

    // Refusals: neither or both of user_id and email, an unknown person, an unknown type.
    for (const bad of [{ type: "access" }, { type: "access", user_id: person.id, email: "x@example.com" }, { type: "access", user_id: 999_999 }, { type: "deletion", user_id: person.id }, { type: "access", email: "not an address" }]) {
      expect((await create(a, bad)).status, JSON.stringify(bad)).toBe(422);
    }

    // The account's settings: defaults, validation, a change applies to new requests only.
    expect((await a.api("GET", "/api/v2/data_subject_request_settings.json")).body.data_subject_request_settings).toMatchObject({ gdpr_days: 30, ccpa_days: 45, default_regime: "gdpr", updated_at: null });
    for (const bad of [{ gdpr_days: 0 }, { ccpa_days: 366 }, { default_regime: "lgpd" }, { other: 1 }]) {
      expect((await a.api("PUT", "/api/v2/data_subject_request_settings.json", { data_subject_request_settings: bad })).status, JSON.stringify(bad)).toBe(422);
    }
    const saved = await a.api("PUT", "/api/v2/data_subject_request_settings.json", { data_subject_request_settings: { gdpr_days: 20, ccpa_days: 40, default_regime: "ccpa" } });
    expect(saved.status, saved.text).toBe(200);
    expect(saved.body.data_subject_request_settings).toMatchObject({ gdpr_days: 20, ccpa_days: 40, default_regime: "ccpa" });
    const r3 = (await create(a, { type: "rectification", user_id: person.id })).body.data_subject_request;
    expect(r3.regime).toBe("ccpa");
    expect(days(r3.created_at, r3.due_at)).toBe(40);
    const r4 = (await create(a, { type: "restriction", regime: "gdpr", user_id: person.id })).body.data_subject_request;
    expect(days(r4.created_at, r4.due_at)).toBe(20);
    expect((await a.api("GET", `${URL_}/${d1.id}.json`)).body.data_subject_request.due_at).toBe(d1.due_at);
    expect(await actions(a)).toEqual(expect.arrayContaining(["data_subject_request.created", "data_subject_request_settings.updated"]));
    await a.api("PUT", "/api/v2/data_subject_request_settings.json", { data_subject_request_settings: { gdpr_days: 30, ccpa_days: 45, default_regime: "gdpr" } });
  });

  it("follow the workflow: illegal moves and unverified work answer 422; completion and rejection need a note", async () => {
    const person = await buildUser(t, a, "end-user", "Workflow Person");
    const id = (await create(a, { type: "erasure", user_id: person.id })).body.data_subject_request.id as number;
    expect((await update(a, id, { status: "completed", note: "done" })).status).toBe(422);
    const gate = await update(a, id, { status: "in_progress" });
    expect(gate.status).toBe(422);
    expect(gate.text).toMatch(/verified/);
    expect((await update(a, id, { status: "verifying" })).body.data_subject_request.status).toBe("verifying");
    expect((await update(a, id, { status: "new" })).status).toBe(422);
    expect((await update(a, id, { status: "in_progress" })).status).toBe(422);

    const agent = await buildUser(t, a, "agent", "An Agent");
    const admin = await buildUser(t, a, "admin", "An Admin");
    expect((await verify(a, id, "passport")).status).toBe(422);
    const v = await verify(a, id, "id_document");
    expect(v.status, v.text).toBe(200);
    const owner = (await a.api("GET", "/api/v2/users/me.json")).body.user;
    expect(v.body.data_subject_request).toMatchObject({ verified: true, verification_method: "id_document", verified_by_id: owner.id });
    expect(v.body.data_subject_request.verified_at).not.toBeNull();
    expect((await verify(a, id)).status).toBe(422); // once

    expect((await update(a, id, { assignee_id: agent.id })).status).toBe(422); // admins only
    expect((await update(a, id, { assignee_id: admin.id, status: "in_progress" })).body.data_subject_request).toMatchObject({ status: "in_progress", assignee_id: admin.id });
    expect((await update(a, id, { status: "completed" })).status).toBe(422);
    expect((await update(a, id, { status: "completed", note: "   " })).status).toBe(422);
    const done = await update(a, id, { status: "completed", note: "Erased tickets 4 and 7" });
    expect(done.status, done.text).toBe(200);
    expect(done.body.data_subject_request).toMatchObject({ status: "completed", resolution_note: "Erased tickets 4 and 7" });
    expect(done.body.data_subject_request.closed_at).not.toBeNull();
    for (const s of ["rejected", "in_progress", "new"]) expect((await update(a, id, { status: s, note: "again" })).status, s).toBe(422);
    expect((await update(a, id, { assignee_id: null })).status).toBe(422);

    // Rejected straight from new, with its reason; a request of someone unverified can be rejected.
    const other = (await create(a, { type: "access", email: "who@example.com" })).body.data_subject_request.id as number;
    expect((await update(a, other, { status: "rejected" })).status).toBe(422);
    expect((await update(a, other, { status: "rejected", note: "Could not verify identity" })).body.data_subject_request.status).toBe("rejected");
    expect((await verify(a, other)).status).toBe(422);
    expect(await actions(a)).toEqual(expect.arrayContaining(["data_subject_request.updated", "data_subject_request.verified"]));

    // The evidence: a download with every step, who took it and when, the regime and due date.
    const ev = await a.api("GET", `${URL_}/${id}/evidence.json`);
    expect(ev.status, ev.text).toBe(200);
    expect(ev.headers["content-disposition"]).toMatch(/^attachment; filename="data-subject-request-\d+-evidence\.json"$/);
    const e = ev.body.data_subject_request_evidence;
    expect(e).toMatchObject({ regime: "gdpr", request: { id, status: "completed" } });
    expect(e.due_at).toBe(e.request.due_at);
    expect(e.steps.map((s: Json) => [s.what, s.from_status, s.to_status, s.detail])).toEqual([
      ["created", null, "new", "staff"],
      ["status_changed", "new", "verifying", null],
      ["verified", null, null, "id_document"],
      ["assigned", null, null, `user_${admin.id}`],
      ["status_changed", "verifying", "in_progress", null],
      ["status_changed", "in_progress", "completed", null],
    ]);
    expect(e.steps.every((s: Json) => s.who_id === owner.id && typeof s.when === "string")).toBe(true);
    expect(e.steps.at(-1).note).toBe("Erased tickets 4 and 7");
  });

  it("are asked for by a signed-in person for themselves, verified by their session; they see only their own", async () => {
    const me = await endUser(a, "Self Person");
    const someone = await endUser(a, "Other Person");
    const r = await asSession(t, a, me.session, "POST", `/api/v2/users/me/data_subject_requests.json`, { data_subject_request: { type: "portability", note: "All my tickets please" } });
    expect(r.status, r.text).toBe(201);
    const own = r.body.data_subject_request;
    expect(own).toMatchObject({ type: "portability", regime: "gdpr", status: "new", note: "All my tickets please" });
    expect(Object.keys(own).sort()).toEqual(["closed_at", "created_at", "due_at", "id", "note", "regime", "status", "type"]);
    expect((await asSession(t, a, me.session, "POST", `/api/v2/users/me/data_subject_requests.json`, { data_subject_request: { type: "erasure", user_id: someone.id } })).status).toBe(422);

    const staffView = (await a.api("GET", `${URL_}/${own.id}.json`)).body.data_subject_request;
    expect(staffView).toMatchObject({ source: "self", user_id: me.id, verified: true, verification_method: "signed_in_session", verified_by_id: me.id, created_by_id: me.id });
    // Verified already: it may go straight to work.
    expect((await update(a, own.id, { status: "in_progress" })).status).toBe(200);

    const mine = await asSession(t, a, me.session, "GET", `/api/v2/users/me/data_subject_requests.json`);
    expect(mine.status).toBe(200);
    expect((mine.body.data_subject_requests as Json[]).map((x) => x.id)).toEqual([own.id]);
    expect(mine.body.data_subject_requests[0].status).toBe("in_progress");
    expect((await asSession(t, a, someone.session, "GET", `/api/v2/users/me/data_subject_requests.json`)).body.data_subject_requests).toEqual([]);
    // A session that signed in more than 15 minutes ago (an old or stolen cookie) files the request
    // unverified: staff verify the person another way before acting on it.
    await t.db.tenant(a.tenantId, (tx) => sql`UPDATE sessions SET created_at = ${new Date(now().getTime() - 20 * 60_000)} WHERE user_id = (SELECT id FROM users WHERE nice_id = ${me.id})`.execute(tx.db));
    const late = await asSession(t, a, me.session, "POST", `/api/v2/users/me/data_subject_requests.json`, { data_subject_request: { type: "erasure" } });
    expect(late.status, late.text).toBe(201);
    expect((await a.api("GET", `${URL_}/${late.body.data_subject_request.id}.json`)).body.data_subject_request).toMatchObject({ source: "self", user_id: me.id, verified: false, verification_method: null });
    // An end user reaches no admin route.
    expect((await asSession(t, a, me.session, "GET", `${URL_}.json`)).status).toBe(403);
    expect((await asSession(t, a, me.session, "GET", `${URL_}/${own.id}.json`)).status).toBe(403);
    expect((await asSession(t, a, me.session, "GET", `${URL_}/${own.id}/evidence.json`)).status).toBe(403);
    expect((await asSession(t, a, me.session, "PUT", `${URL_}/${own.id}.json`, { data_subject_request: { status: "completed", note: "x" } })).status).toBe(403);
  });

  it("are refused to agents, and another account's are 404", async () => {
    const agent = await buildUser(t, a, "agent", "Agent");
    const as = { email: agent.email, token: agent.token! };
    const id = (await create(a, { type: "access", email: "iso@example.com" })).body.data_subject_request.id as number;
    expect((await a.api("GET", `${URL_}.json`, undefined, as)).status).toBe(403);
    expect((await create(a, { type: "access", email: "x@example.com" }, as)).status).toBe(403);
    expect((await a.api("GET", `${URL_}/${id}.json`, undefined, as)).status).toBe(403);
    expect((await a.api("GET", "/api/v2/data_subject_request_settings.json", undefined, as)).status).toBe(403);
    const b = await buildTenant(t, "dsrb");
    expect((await b.api("GET", `${URL_}/${id}.json`)).status).toBe(404);
    expect((await b.api("PUT", `${URL_}/${id}.json`, { data_subject_request: { status: "verifying" } })).status).toBe(404);
    expect((await b.api("POST", `${URL_}/${id}/verify.json`, { verification: { method: "other" } })).status).toBe(404);
    expect((await b.api("GET", `${URL_}/${id}/evidence.json`)).status).toBe(404);
    expect((await b.api("GET", `${URL_}.json`)).body.data_subject_requests).toEqual([]);
    const person = await buildUser(t, a, "end-user", "A's person");
    expect((await create(b, { type: "access", user_id: person.id })).status).toBe(422);
  });
});

describe("the overdue reminder", () => {
  afterAll(() => {
    offsetMs = 0;
  });

  it("lists overdue requests and mails owners and admins counts and a link only, once a day by the clock", async () => {
    const a = await buildTenant(t, "remind");
    const quiet = await buildTenant(t, "quiet");
    const admin = await buildUser(t, a, "admin", "Second Admin");
    const person = await buildUser(t, a, "end-user", "Private Name");
    const old = (await create(a, { type: "erasure", user_id: person.id, note: "SECRET-NOTE about Private Name" })).body.data_subject_request;
    const later = (await create(a, { type: "access", regime: "ccpa", email: "secret-person@example.com" })).body.data_subject_request;
    const closed = (await create(a, { type: "access", email: "closed@example.com" })).body.data_subject_request;
    await update(a, closed.id, { status: "rejected", note: "Duplicate" });
    // Another account's request, due only on day 45: no mail to its owner below.
    await create(quiet, { type: "access", regime: "ccpa", email: "q@example.com" });
    const urls = new PublicUrls(t.config);
    urls.listening(t.port);

    // Day 28: nothing overdue; the GDPR one (30 days) is due within 3 days.
    offsetMs = 28 * DAY;
    expect((await a.api("GET", `${URL_}.json?overdue=true`)).body.data_subject_requests).toEqual([]);
    sent.length = 0;
    // Other tests' accounts in this database have requests too: only a's and quiet's mail count here.
    const ours = new Set([a.ownerEmail, admin.email, quiet.ownerEmail]);
    const runAt = (d: number) => remindDueRequests({ db: t.db, keyring: t.keyring, hooks: t.app.hooks, mailer, config: t.config, urls }, new Date(Date.now() + d * DAY));
    const reminders = async (n: number) => {
      const mine = () => sent.filter((m) => m.subject.startsWith("Data subject requests") && ours.has(m.to));
      for (let i = 0; i < 500 && mine().length < n; i++) await new Promise((r) => setTimeout(r, 20));
      return mine();
    };
    expect(await runAt(28)).toBeGreaterThanOrEqual(2);
    let got = await reminders(2);
    expect(got.map((m) => m.to).sort()).toEqual([a.ownerEmail, admin.email].sort());
    expect(got[0]!.subject).toBe("Data subject requests are due soon");
    expect(got[0]!.text).toContain("Due within 3 days: 1");
    expect(got[0]!.text).toMatch(/https?:\/\/[^\s]+\/admin\/data-requests/);
    for (const m of got) for (const secret of ["SECRET", "Private Name", "secret-person", person.email]) expect(m.text + m.subject).not.toContain(secret);

    // Day 31: the GDPR one is overdue (listed, highlighted), the CCPA one (45 days) not yet due soon.
    offsetMs = 31 * DAY;
    const overdue = await a.api("GET", `${URL_}.json?overdue=true`);
    expect((overdue.body.data_subject_requests as Json[]).map((x) => x.id)).toEqual([old.id]);
    expect(overdue.body.data_subject_requests[0].overdue).toBe(true);
    expect(((await a.api("GET", `${URL_}.json?status=rejected`)).body.data_subject_requests as Json[]).map((x) => x.id)).toEqual([closed.id]);
    sent.length = 0;
    expect(await runAt(31)).toBeGreaterThanOrEqual(2);
    got = await reminders(2);
    expect(got.map((m) => m.to).sort()).toEqual([a.ownerEmail, admin.email].sort());
    expect(got[0]!.subject).toBe("Data subject requests are overdue");
    expect(got[0]!.text).toContain("Overdue: 1");
    expect(got[0]!.text).not.toContain("Due within");

    // Completed: no reminder at all.
    await verify(a, old.id);
    await update(a, old.id, { status: "in_progress" });
    await update(a, old.id, { status: "completed", note: "Done" });
    await update(a, later.id, { status: "rejected", note: "Withdrawn" });
    sent.length = 0;
    await runAt(32);
    await new Promise((r) => setTimeout(r, 300));
    expect(await reminders(0)).toEqual([]);
  });
});
