import { Writable } from "node:stream";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chainQueued } from "../src/modules/audit/audit-service.ts";
import { shredDueClosedTenants } from "../src/modules/admin/termination-service.ts";
import { findTenant, listTenants, reopenTenant } from "../src/modules/tenants/tenants-service.ts";
import { runOperation } from "../src/cli/operations.ts";
import type { Runtime } from "../src/platform/runtime.ts";
import { createBlobStore, listSealed } from "../src/platform/blobs/index.ts";
import type { MailMessage } from "../src/platform/mail.ts";
import { createLogger } from "../src/platform/logging.ts";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { message, send, supportOf } from "./support/mail-in.ts";
import { asSession, signIn, staffWithPassword, type Session } from "./support/people.ts";

/**
 * Account termination over real HTTP: the owner closes the account (sessions, tokens and grants
 * end, every request to its host and mail to its addresses is refused, owners and admins get a
 * mail, audited), who else is refused, the confirmations, legal holds, the upkeep shredding a
 * closed tenant once its grace period has passed on the app's clock (not before, not under hold),
 * the operator reopening one, and `shred_now`.
 */

const DAY = 86_400_000;
const sent: MailMessage[] = [];
const lines: string[] = [];
let t: TestApp;
beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString("utf8"));
      cb();
    },
  });
  t = await startTestApp({
    logStream: sink,
    mailer: { available: true, send: async (m) => void sent.push(m), close: () => undefined },
    env: { VAULTDESK_SMTP_LISTEN: "127.0.0.1:0", VAULTDESK_JOB_POLL_SECONDS: "0.1" },
  });
});
afterAll(async () => t?.close());

type Json = Record<string, any>;
const blobs = () => createBlobStore(t.config);
const upkeepDeps = () => ({ db: t.db, keyring: t.keyring, blobs: blobs(), logger: createLogger("silent", undefined, "json") });
const PATH = "/api/v2/account/termination.json";
const close = (a: TestTenant, s: Session, over: Json = {}) =>
  asSession(t, a, s, "POST", PATH, { termination: { mode: "delete_after_grace", confirm_subdomain: a.subdomain, password: a.ownerPassword, ...over } });
const ownerSession = (a: TestTenant) => signIn(t, a, a.ownerEmail, a.ownerPassword);

async function upload(a: TestTenant): Promise<void> {
  const r = await t.request({ method: "POST", path: "/api/v2/uploads.json?filename=kept.txt", host: a.host, rawBody: Buffer.from("a file of the account\n"), headers: { "content-type": "text/plain", authorization: "Basic " + Buffer.from(`${a.ownerEmail}/token:${a.ownerToken}`).toString("base64") } });
  expect(r.status, r.text).toBe(201);
}
async function blobCount(tenantId: string): Promise<number> {
  let n = 0;
  for await (const _ of listSealed(blobs(), tenantId)) n++;
  return n;
}
const keyCount = async (tenantId: string) => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM tenant_keys WHERE tenant_id = ${tenantId}::uuid`.execute(t.db.owner)).rows[0]!.n);
async function auditActions(tenantId: string): Promise<string[]> {
  return t.db.tenant(tenantId, async (tx) => {
    await chainQueued(tx);
    return (await sql<{ action: string }>`SELECT action FROM audit_log ORDER BY seq`.execute(tx.db)).rows.map((r) => r.action);
  });
}
/** The operator commands' runtime, over the test app's database (as `vaultdesk` beside a running server). */
const runtime = (): Runtime => ({ config: t.config, db: t.db, keyring: t.keyring, masterKeyCreated: false, databaseCreated: false, permissionWarning: undefined, listenPort: undefined, close: async () => undefined });
async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("closing the account", () => {
  it("shows the state to the owner; refuses admins, agents, end users, tokens and other tenants' owners", async () => {
    const a = await buildTenant(t, "termw");
    const s = await ownerSession(a);
    const shown = await asSession(t, a, s, "GET", PATH);
    expect(shown.status, shown.text).toBe(200);
    expect(shown.body.termination).toEqual({ status: "active", closed_at: null, deletes_at: null, mode: null });

    // The owner's own API token: refused (a session and the password are required).
    expect((await a.api("GET", PATH)).status).toBe(403);
    expect((await a.api("POST", PATH, { termination: { mode: "delete_after_grace", confirm_subdomain: a.subdomain, password: a.ownerPassword } })).status).toBe(403);
    // An admin and an agent signed in, an end user's token-less request, and staff tokens.
    const admin = await staffWithPassword(t, a, "admin");
    const agent = await staffWithPassword(t, a, "agent");
    for (const p of [admin, agent]) {
      expect((await asSession(t, a, p.session, "GET", PATH)).status).toBe(403);
      const r = await asSession(t, a, p.session, "POST", PATH, { termination: { mode: "shred_now", confirm_subdomain: a.subdomain, password: "A long enough passphrase 7" } });
      expect(r.status, r.text).toBe(403);
    }
    const adminToken = await buildUser(t, a, "admin");
    expect((await a.api("GET", PATH, undefined, { email: adminToken.email, token: adminToken.token! })).status).toBe(403);
    expect((await t.request({ method: "GET", path: PATH, host: a.host })).status).toBe(401);
    // Another tenant's owner, signed in there, on this host: no session here.
    const b = await buildTenant(t, "termwb");
    const sb = await ownerSession(b);
    expect((await asSession(t, a, sb, "POST", PATH, { termination: { mode: "shred_now", confirm_subdomain: a.subdomain, password: b.ownerPassword } })).status).toBe(401);
    expect((await asSession(t, b, sb, "GET", PATH)).body.termination.status).toBe("active");
    expect((await findTenant(t.db, { id: a.tenantId }))!.status).toBe("active");
  });

  it("validates: wrong subdomain and unknown mode 422, wrong password refused, a legal hold 409 naming the count", async () => {
    const a = await buildTenant(t, "termv");
    const s = await ownerSession(a);
    const wrongSub = await close(a, s, { confirm_subdomain: `${a.subdomain}x` });
    expect(wrongSub.status).toBe(422);
    expect(wrongSub.body.details.confirm_subdomain).toBeDefined();
    expect((await close(a, s, { mode: "later" })).status).toBe(422);
    const wrongPw = await close(a, s, { password: "not the password at all" });
    expect(wrongPw.status).toBe(422);
    expect(wrongPw.body.details.password).toBeDefined();
    for (let i = 0; i < 2; i++) {
      const ticket = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Held", comment: { body: "b" } } });
      expect((await a.api("POST", "/api/v2/legal_holds.json", { legal_hold: { target_type: "ticket", target_id: ticket.body.ticket.id, reason: "Claim" } })).status).toBe(201);
    }
    const held = await close(a, s);
    expect(held.status).toBe(409);
    expect(held.body.description).toMatch(/^2 legal holds/);
    expect((await findTenant(t.db, { id: a.tenantId }))!.status).toBe("active");
    expect((await a.api("GET", "/api/v2/users/me.json")).status).toBe(200);
  });

  it("counts a wrong password toward the owner's lockout and audits it; once locked, even the right one is refused and nothing closes", async () => {
    const a = await buildTenant(t, "termlock");
    const s = await ownerSession(a);
    const counted = async () => (await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("users").select(["failed_signins", "locked_until"]).where("role", "=", "owner").executeTakeFirstOrThrow()));
    const refusals = async () => ((await a.api("GET", "/api/v2/audit_logs.json?per_page=100")).body.audit_logs as Json[]).filter((l) => l.action === "account.close_refused");
    const first = await close(a, s, { password: "Not the owner's password 1" });
    expect([first.status, first.body.details?.password?.[0]?.error]).toEqual([422, "InvalidValue"]);
    expect((await counted()).failed_signins).toBe(1);
    expect((await refusals()).map((l) => [l.source_type, l.source_id, l.changed_fields])).toEqual([["user", String((await a.api("GET", "/api/v2/users/me.json")).body.user.id), ["password"]]]);
    // The policy's attempts in a row (five for staff by default): then the account is locked,
    // the owner is mailed, and the right password waits like a wrong one.
    const errors: string[] = [];
    for (let i = 0; i < 12 && !errors.includes("Locked"); i++) {
      const r = await close(a, s, { password: `Guess number ${i} Wrong!` });
      expect(r.status, r.text).toBe(422);
      errors.push(r.body.details.password[0].error as string);
    }
    expect(errors.at(-1)).toBe("Locked");
    expect(errors.length).toBeLessThanOrEqual(10);
    expect((await counted()).locked_until).not.toBeNull();
    const right = await close(a, s);
    expect([right.status, right.body.details?.password?.[0]?.error]).toEqual([422, "Locked"]);
    expect((await findTenant(t.db, { id: a.tenantId }))!.status).toBe("active");
    const actions = ((await a.api("GET", "/api/v2/audit_logs.json?per_page=100")).body.audit_logs as Json[]).map((l) => l.action);
    expect(actions).toContain("user.locked");
    expect(actions).not.toContain("account.closed");
    await waitFor(() => sent.some((m) => m.to === a.ownerEmail && /is locked for now/.test(m.subject)));
  });

  it("closes at once: sessions and tokens end, API, pages, help center, sign-in and mail refused; owners and admins mailed; audited", async () => {
    const a = await buildTenant(t, "termc");
    const admin = await staffWithPassword(t, a, "admin");
    const agent = await buildUser(t, a, "agent");
    const s = await ownerSession(a);
    const before = sent.length;
    const r = await close(a, s);
    expect(r.status, r.text).toBe(200);
    const deletesAt = new Date(r.body.termination.deletes_at as string);
    expect(r.body.termination).toMatchObject({ status: "closed", mode: "delete_after_grace" });
    expect(Math.round((deletesAt.getTime() - new Date(r.body.termination.closed_at as string).getTime()) / DAY)).toBe(90);
    const day = deletesAt.toISOString().slice(0, 10);

    // The API: 403 AccountClosed with the date, for every credential and none.
    for (const call of [a.api("GET", "/api/v2/tickets.json"), a.api("GET", "/api/v2/tickets.json", undefined, { email: agent.email, token: agent.token! }), asSession(t, a, s, "GET", PATH), asSession(t, a, admin.session, "GET", "/api/v2/users/me.json"), t.request({ method: "GET", path: "/api/v2/help_center.json", host: a.host })]) {
      const x = await call;
      expect(x.status).toBe(403);
      expect(x.body).toMatchObject({ error: "AccountClosed" });
      expect(x.body.description).toContain(day);
    }
    const signin = await t.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email: a.ownerEmail, password: a.ownerPassword } });
    expect([signin.status, signin.body.error]).toEqual([403, "AccountClosed"]);
    // Pages: a plain page, no app.
    for (const page of ["/", "/signin", "/admin/account", "/requests"]) {
      const p = await t.request({ method: "GET", path: page, host: a.host, headers: { accept: "text/html" } });
      expect(p.status, page).toBe(403);
      expect(p.text).toContain("This account is closed");
      expect(p.text).not.toContain("<script");
    }
    // Sessions and tokens are dead in the database too (reopening does not revive them).
    const live = await t.db.tenant(a.tenantId, async (tx) => ({
      sessions: Number((await sql<{ n: string }>`SELECT count(*) AS n FROM sessions WHERE revoked_at IS NULL`.execute(tx.db)).rows[0]!.n),
      tokens: Number((await sql<{ n: string }>`SELECT count(*) AS n FROM api_tokens WHERE revoked_at IS NULL`.execute(tx.db)).rows[0]!.n),
    }));
    expect(live).toEqual({ sessions: 0, tokens: 0 });
    // Mail to its support address is refused.
    const mail = await send(t.app.smtpIn!.port, { from: "someone@example.test", to: [supportOf(a)] }, message({ from: "someone@example.test", to: supportOf(a), subject: "Hello", text: "Are you there?" }));
    expect(mail.rejected).toEqual([supportOf(a)]);
    // The owner and the admin are mailed, without the account's content.
    await waitFor(() => sent.length >= before + 2);
    const mails = sent.slice(before).filter((m) => m.to === a.ownerEmail || m.to === admin.email);
    expect(mails.map((m) => m.to).sort()).toEqual([a.ownerEmail, admin.email].sort());
    for (const m of mails) {
      expect(m.subject).toMatch(/was closed/);
      expect(m.text).toContain(day);
    }
    expect(await auditActions(a.tenantId)).toContain("account.closed");
    // The operator's list shows it closed, with the date.
    const listed = (await runOperation(runtime(), "tenant.list", {})) as { tenants: Json[] };
    expect(listed.tenants.find((x) => x.subdomain === a.subdomain)).toMatchObject({ status: "closed", deletesAt: deletesAt.toISOString() });
    // A second close changes nothing (the host answers AccountClosed).
    expect((await close(a, s)).status).toBe(403);
    // The password never reaches the log.
    expect(lines.join("")).not.toContain(a.ownerPassword);
  });

  it("shreds a closed tenant once its grace period has passed on the app's clock, not before; a held one waits", async () => {
    const a = await buildTenant(t, "termx");
    const held = await buildTenant(t, "termh");
    await upload(a);
    expect(await blobCount(a.tenantId)).toBeGreaterThan(0);
    for (const x of [a, held]) expect((await close(x, await ownerSession(x))).status).toBe(200);
    // A hold placed on the closed tenant (by an operator, directly) keeps it.
    await t.db.tenant(held.tenantId, async (tx) => {
      const owner = (await sql<{ id: string }>`SELECT id FROM users WHERE role = 'owner' LIMIT 1`.execute(tx.db)).rows[0]!.id;
      const user = (await sql<{ id: string }>`SELECT id FROM users LIMIT 1`.execute(tx.db)).rows[0]!.id;
      await sql`INSERT INTO legal_holds (tenant_id, id, nice_id, target_kind, target_id, reason_sealed, created_by) VALUES (${held.tenantId}::uuid, gen_random_uuid(), vd_next_id('legal_holds'), 'user', ${user}::uuid, '\\x00'::bytea, ${owner}::uuid)`.execute(tx.db);
    });

    // 89 days on: nothing happens.
    let r = await shredDueClosedTenants(upkeepDeps(), new Date(Date.now() + 89 * DAY));
    expect(r.shredded).not.toContain(a.tenantId);
    expect((await findTenant(t.db, { id: a.tenantId }))!.status).toBe("closed");
    expect(await keyCount(a.tenantId)).toBeGreaterThan(0);

    // 91 days on: shredded (keys deleted, files purged, 410), audited as an operator action; the held one skipped.
    // The time is handed to the upkeep, not set on the app's clock: the app's own upkeep, running
    // meanwhile, would otherwise shred the next test's closed tenant with it.
    r = await shredDueClosedTenants(upkeepDeps(), new Date(Date.now() + 91 * DAY));
    expect(r.shredded).toContain(a.tenantId);
    expect(r.held).toContain(held.tenantId);
    expect((await findTenant(t.db, { id: a.tenantId }))!.status).toBe("shredded");
    expect((await findTenant(t.db, { id: held.tenantId }))!.status).toBe("closed");
    expect(await keyCount(a.tenantId)).toBe(0);
    expect(await blobCount(a.tenantId)).toBe(0);
    expect((await a.api("GET", "/api/v2/tickets.json")).status).toBe(410);
    const op = await t.db.tenant(a.tenantId, async (tx) => {
      await chainQueued(tx);
      return (await sql<{ action: string; actor_kind: string }>`SELECT action, actor_kind FROM audit_log`.execute(tx.db)).rows;
    });
    expect(op).toEqual(expect.arrayContaining([{ action: "tenant.shredded", actor_kind: "operator" }]));
  });

  it("is reopened by the operator before shredding: access restored through new sign-ins; only a closed tenant", async () => {
    const a = await buildTenant(t, "termr");
    expect((await close(a, await ownerSession(a))).status).toBe(200);
    const reopened = (await runOperation(runtime(), "tenant.reopen", { tenant: a.subdomain })) as Json;
    expect(reopened).toEqual({ reopened: a.subdomain, status: "active" });
    const s = await ownerSession(a);
    expect((await asSession(t, a, s, "GET", PATH)).body.termination).toEqual({ status: "active", closed_at: null, deletes_at: null, mode: null });
    expect((await t.request({ method: "GET", path: "/api/v2/help_center.json", host: a.host })).status).toBe(200);
    // The old token stays revoked.
    expect((await a.api("GET", "/api/v2/tickets.json")).status).toBe(401);
    await expect(reopenTenant(t.db, a.subdomain)).rejects.toMatchObject({ code: "Conflict" });
    expect(await auditActions(a.tenantId)).toEqual(expect.arrayContaining(["account.closed", "tenant.reopened"]));
    // Not shredded by a later upkeep run.
    await shredDueClosedTenants(upkeepDeps(), new Date(Date.now() + 200 * DAY));
    expect((await listTenants(t.db)).find((x) => x.id === a.tenantId)!.status).toBe("active");
  });

  it("shred_now destroys the tenant at once, audited first", async () => {
    const a = await buildTenant(t, "terms");
    await upload(a);
    const s = await ownerSession(a);
    const r = await close(a, s, { mode: "shred_now" });
    expect(r.status, r.text).toBe(200);
    expect(r.body.termination).toMatchObject({ status: "shredded", mode: "shred_now" });
    expect((await findTenant(t.db, { id: a.tenantId }))!.status).toBe("shredded");
    expect(await keyCount(a.tenantId)).toBe(0);
    expect(await blobCount(a.tenantId)).toBe(0);
    expect((await a.api("GET", "/api/v2/tickets.json")).status).toBe(410);
    expect((await t.request({ method: "GET", path: "/api/v2/help_center.json", host: a.host })).status).toBe(410);
    expect(await auditActions(a.tenantId)).toEqual(expect.arrayContaining(["account.shred_requested", "tenant.shredded"]));
  });
});
