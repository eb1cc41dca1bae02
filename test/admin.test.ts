import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SetupToken } from "../src/platform/setup-token.ts";
import { buildTenant, buildUser, createTokenFor, openEmptyDatabase, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";

/**
 * The admin center's server side over real HTTP: invitations (single use, expiry, revocation,
 * hashed at rest), suspension and deletion ending sessions and tokens at once, the role rules,
 * audit log filters, the chain verification endpoint (detecting tampering), and the team name.
 */

let t: TestApp;
/** The server's clock; tests move it forward to expire things, and put it back. */
let clockOffsetMs = 0;
const PASSWORD = "A long enough passphrase 7";

beforeAll(async () => {
  t = await startTestApp({ env: { VAULTDESK_REGION: "eu-test-1" }, now: () => new Date(Date.now() + clockOffsetMs) });
});
afterAll(async () => t?.close());

function cookieOf(headers: Record<string, unknown>): string {
  const c = (headers["set-cookie"] as string[] | undefined)?.find((x) => x.startsWith("vd_session="));
  if (!c) throw new Error("no session cookie");
  return c.split(";")[0]!;
}

type Session = { cookie: string; csrf: string };
async function signIn(tenant: TestTenant, email: string, password: string): Promise<Session> {
  const r = await t.request({ method: "POST", path: "/api/v2/session.json", host: tenant.host, body: { email, password } });
  expect(r.status, r.text).toBe(201);
  return { cookie: cookieOf(r.headers), csrf: r.body.session.csrf_token };
}
const asSession = (tenant: TestTenant, s: Session, method: string, path: string, body?: unknown) =>
  t.request({ method, path, host: tenant.host, headers: { cookie: s.cookie, ...(method === "GET" ? {} : { "x-csrf-token": s.csrf }) }, body });

async function invite(tenant: TestTenant, email: string, role = "agent", as?: { email: string; token: string }) {
  return tenant.api("POST", "/api/v2/invitations.json", { invitation: { email, role } }, as);
}
const accept = (tenant: TestTenant, token: string, name = "Invited Person", password = PASSWORD) =>
  t.request({ method: "POST", path: "/api/v2/invitations/accept.json", host: tenant.host, body: { token, name, password } });

/** An agent who can sign in with a password (invited, then accepted). */
async function agentWithPassword(tenant: TestTenant, role = "agent") {
  const email = `${role}-${Math.random().toString(36).slice(2, 8)}@${tenant.subdomain}.test`;
  const inv = await invite(tenant, email, role);
  expect(inv.status, inv.text).toBe(201);
  const a = await accept(tenant, inv.body.invitation.token, `The ${role}`);
  expect(a.status, a.text).toBe(201);
  return { email, id: a.body.session.user_id as number };
}

describe("invitations", () => {
  it("shows the link once, stores only its keyed hash, and signs the invitee in with the role", async () => {
    const a = await buildTenant(t, "inv");
    const r = await invite(a, "New.Agent@Example.test", "agent");
    expect(r.status, r.text).toBe(201);
    const { token, url, id, email, status, role } = r.body.invitation;
    expect({ email, status, role }).toEqual({ email: "new.agent@example.test", status: "pending", role: "agent" });
    expect(token).toMatch(/^vdi_[A-Za-z0-9_-]{43}$/);
    expect(url).toBe(`${a.origin}/invite?token=${token}`);

    // The list never shows the secret again.
    const list = await a.api("GET", "/api/v2/invitations.json");
    expect(list.status).toBe(200);
    expect(list.body.invitations).toHaveLength(1);
    expect(list.text).not.toContain(token);
    expect(list.text).not.toContain(token.slice(4, 20));

    // At rest: the keyed hash, not the secret; the e-mail sealed.
    const row = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("invitations").selectAll().where("nice_id", "=", id).executeTakeFirstOrThrow());
    expect(Buffer.from(row.token_hash).equals(t.keyring.hashSecret("invitation", token))).toBe(true);
    const rowText = Buffer.concat(Object.values(row).filter((v): v is Uint8Array => v instanceof Uint8Array).map((v) => Buffer.from(v))).toString("latin1");
    expect(rowText).not.toContain(token);
    expect(rowText).not.toContain("new.agent@example.test");

    const preview = await t.request({ method: "POST", path: "/api/v2/invitations/preview.json", host: a.host, body: { token } });
    expect(preview.status, preview.text).toBe(200);
    expect(preview.body.invitation).toMatchObject({ email: "new.agent@example.test", role: "agent" });

    // A weak password is refused, and the link stays usable (nothing was written).
    const weak = await accept(a, token, "Nia", "short");
    expect(weak.status).toBe(422);
    expect(weak.body.details.password[0].description).toMatch(/at least 12 characters/);
    const containsEmail = await accept(a, token, "Nia", "new.agent-is-me-2024");
    expect(containsEmail.status).toBe(422);
    expect((await a.api("GET", "/api/v2/invitations.json")).body.invitations[0].status).toBe("pending");
    expect((await a.api("GET", "/api/v2/users/search.json?query=new.agent@example.test")).body.users).toEqual([]);

    const ok = await accept(a, token, "Nia Newcomer");
    expect(ok.status, ok.text).toBe(201);
    const cookie = cookieOf(ok.headers);
    const me = await t.request({ method: "GET", path: "/api/v2/users/me.json", host: a.host, headers: { cookie } });
    expect(me.body.user).toMatchObject({ name: "Nia Newcomer", email: "new.agent@example.test", vaultdesk_role: "agent" });
    // The chosen password works for a normal sign-in too.
    await signIn(a, "new.agent@example.test", PASSWORD);

    const after = (await a.api("GET", "/api/v2/invitations.json")).body.invitations[0];
    expect(after).toMatchObject({ status: "used", user_id: me.body.user.id });
    const actions = (await a.api("GET", "/api/v2/audit_logs.json?filter[source_type]=invitation")).body.audit_logs.map((e: { action: string }) => e.action);
    expect(actions.sort()).toEqual(["invitation.accepted", "invitation.created"]);
  });

  it("works once: a used, revoked, expired or unknown link answers a clear refusal", async () => {
    const a = await buildTenant(t, "inv1");
    const first = (await invite(a, "once@x.test")).body.invitation;
    expect((await accept(a, first.token)).status).toBe(201);
    const again = await accept(a, first.token, "Someone Else");
    expect(again.status).toBe(422);
    expect(again.body.details.token[0]).toMatchObject({ error: "AlreadyUsed", description: expect.stringMatching(/already been used/) });
    const usedPreview = await t.request({ method: "POST", path: "/api/v2/invitations/preview.json", host: a.host, body: { token: first.token } });
    expect(usedPreview.status).toBe(422);

    const revoked = (await invite(a, "revoked@x.test")).body.invitation;
    expect((await a.api("DELETE", `/api/v2/invitations/${revoked.id}.json`)).status).toBe(204);
    const r = await accept(a, revoked.token);
    expect(r.status).toBe(422);
    expect(r.body.details.token[0].error).toBe("Revoked");

    const expiring = (await invite(a, "late@x.test")).body.invitation;
    clockOffsetMs = 73 * 3600_000;
    try {
      const late = await accept(a, expiring.token);
      expect(late.status).toBe(422);
      expect(late.body.details.token[0]).toMatchObject({ error: "Expired", description: expect.stringMatching(/expired/) });
    } finally {
      clockOffsetMs = 0;
    }
    expect((await a.api("GET", `/api/v2/invitations.json`)).body.invitations.find((i: { id: number }) => i.id === expiring.id).status).toBe("pending");

    const unknown = await accept(a, `vdi_${"A".repeat(43)}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.description).toMatch(/not valid/);
    expect((await accept(a, "<script>")).status).toBe(422);
    // No user was created by any refused attempt.
    for (const e of ["revoked@x.test", "late@x.test"]) expect((await a.api("GET", `/api/v2/users/search.json?query=${e}`)).body.users).toEqual([]);
  });

  it("lets exactly one of two racing requests use a link", async () => {
    const a = await buildTenant(t, "inv2");
    const { token } = (await invite(a, "race@x.test")).body.invitation;
    const results = await Promise.all([accept(a, token, "One"), accept(a, token, "Two")]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 422]);
  });

  it("is bound to its tenant: a link of tenant A is unknown on tenant B's host", async () => {
    const a = await buildTenant(t, "inv3a");
    const b = await buildTenant(t, "inv3b");
    const { token } = (await invite(a, "cross@x.test")).body.invitation;
    const preview = await t.request({ method: "POST", path: "/api/v2/invitations/preview.json", host: b.host, body: { token } });
    expect(preview.status).toBe(404);
    expect((await accept(b, token)).status).toBe(404);
    expect((await a.api("GET", "/api/v2/invitations.json")).body.invitations[0].status).toBe("pending");
  });

  it("keeps invitations to owners and admins, admins to owners, and refuses a taken e-mail", async () => {
    const a = await buildTenant(t, "inv4");
    const admin = await buildUser(t, a, "admin");
    const agent = await buildUser(t, a, "agent");
    const asAdmin = { email: admin.email, token: admin.token! };
    const asAgent = { email: agent.email, token: agent.token! };
    expect((await invite(a, "x1@x.test", "agent", asAgent)).status).toBe(403);
    expect((await a.api("GET", "/api/v2/invitations.json", undefined, asAgent)).status).toBe(403);
    const adminInvitesAdmin = await invite(a, "x2@x.test", "admin", asAdmin);
    expect(adminInvitesAdmin.status).toBe(403);
    expect(adminInvitesAdmin.body.description).toMatch(/Only an owner/);
    expect((await invite(a, "x3@x.test", "light-agent", asAdmin)).status).toBe(201);
    expect((await invite(a, "x4@x.test", "admin")).status).toBe(201);
    const taken = await invite(a, a.ownerEmail, "agent");
    expect(taken.status).toBe(422);
    expect(taken.body.details.email[0].error).toBe("DuplicateValue");
    expect((await a.api("POST", "/api/v2/invitations.json", { invitation: { email: "x5@x.test", role: "owner" } })).status).toBe(422);
  });
});

describe("suspension and deletion", () => {
  it("refuses a suspended user's open session and token at the next request, and restores them when unsuspended", async () => {
    const a = await buildTenant(t, "susp");
    const agent = await agentWithPassword(a);
    const session = await signIn(a, agent.email, PASSWORD);
    const token = (await asSession(a, session, "POST", "/api/v2/api_tokens.json", { api_token: { name: "agent's script" } })).body.api_token.token as string;
    const viaToken = () => a.api("GET", "/api/v2/users/me.json", undefined, { email: agent.email, token });
    expect((await asSession(a, session, "GET", "/api/v2/users/me.json")).status).toBe(200);
    expect((await viaToken()).status).toBe(200);

    const s = await a.api("PUT", `/api/v2/users/${agent.id}.json`, { user: { suspended: true } });
    expect(s.status).toBe(200);
    expect(s.body.user.suspended).toBe(true);
    expect((await asSession(a, session, "GET", "/api/v2/users/me.json")).status).toBe(401);
    expect((await asSession(a, session, "GET", "/api/v2/tickets.json")).status).toBe(401);
    expect((await viaToken()).status).toBe(401);
    const signInAgain = await t.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email: agent.email, password: PASSWORD } });
    expect(signInAgain.status).toBe(401);

    expect((await a.api("PUT", `/api/v2/users/${agent.id}.json`, { user: { suspended: false } })).status).toBe(200);
    expect((await viaToken()).status).toBe(200);
  });

  it("lets only an owner suspend an admin", async () => {
    const a = await buildTenant(t, "susp2");
    const admin1 = await buildUser(t, a, "admin");
    const admin2 = await buildUser(t, a, "admin");
    const r = await a.api("PUT", `/api/v2/users/${admin2.id}.json`, { user: { suspended: true } }, { email: admin1.email, token: admin1.token! });
    expect(r.status).toBe(403);
    expect((await a.api("PUT", `/api/v2/users/${admin2.id}.json`, { user: { suspended: true } })).status).toBe(200);
  });

  it("soft-deletes a user: active false, sessions and tokens revoked at once, sign-in refused", async () => {
    const a = await buildTenant(t, "del");
    const agent = await agentWithPassword(a);
    const session = await signIn(a, agent.email, PASSWORD);
    const token = (await asSession(a, session, "POST", "/api/v2/api_tokens.json", { api_token: { name: "x" } })).body.api_token;
    const d = await a.api("DELETE", `/api/v2/users/${agent.id}.json`);
    expect(d.status, d.text).toBe(200);
    expect(d.body.user).toMatchObject({ id: agent.id, active: false });
    expect((await asSession(a, session, "GET", "/api/v2/users/me.json")).status).toBe(401);
    expect((await a.api("GET", "/api/v2/users/me.json", undefined, { email: agent.email, token: token.token })).status).toBe(401);
    expect((await t.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email: agent.email, password: PASSWORD } })).status).toBe(401);
    const tokens = (await a.api("GET", "/api/v2/api_tokens.json")).body.api_tokens;
    expect(tokens.find((x: { id: number }) => x.id === token.id).active).toBe(false);
    // Deleting again is harmless; a missing id is 404.
    expect((await a.api("DELETE", `/api/v2/users/${agent.id}.json`)).status).toBe(200);
    expect((await a.api("DELETE", "/api/v2/users/999999.json")).status).toBe(404);
    const log = (await a.api("GET", `/api/v2/audit_logs.json?filter[action]=user.deleted`)).body.audit_logs;
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ source_type: "user", source_id: String(agent.id) });
  });

  it("keeps deletion of owners and admins to owners, and nobody deletes themselves", async () => {
    const a = await buildTenant(t, "del2");
    const admin = await buildUser(t, a, "admin");
    const other = await buildUser(t, a, "admin");
    const asAdmin = { email: admin.email, token: admin.token! };
    expect((await a.api("DELETE", "/api/v2/users/1.json", undefined, asAdmin)).status).toBe(403);
    expect((await a.api("DELETE", `/api/v2/users/${other.id}.json`, undefined, asAdmin)).status).toBe(403);
    expect((await a.api("DELETE", `/api/v2/users/${admin.id}.json`, undefined, asAdmin)).status).toBe(403);
    const self = await a.api("DELETE", "/api/v2/users/1.json");
    expect(self.status).toBe(403);
    expect(self.body.description).toMatch(/your own account/);
    expect((await a.api("DELETE", `/api/v2/users/${other.id}.json`)).status).toBe(200);
  });
});

describe("role rules", () => {
  it("lets only an owner grant or take away admin and owner, and never demotes the last owner", async () => {
    const a = await buildTenant(t, "roles");
    const admin = await buildUser(t, a, "admin");
    const agent = await buildUser(t, a, "agent");
    const asAdmin = { email: admin.email, token: admin.token! };
    const role = (id: number, r: string, as?: { email: string; token: string }) => a.api("PUT", `/api/v2/users/${id}/role.json`, { role: r }, as);

    // Admins move people among agent, light agent and end user, not to admin or owner.
    expect((await role(agent.id, "light_agent", asAdmin)).body.user.vaultdesk_role).toBe("light_agent");
    // A role change ends what was granted under the old role: the agent's token no longer works.
    expect((await a.api("GET", "/api/v2/users/me.json", undefined, { email: agent.email, token: agent.token! })).status).toBe(401);
    agent.token = await createTokenFor(t, a, agent.id);
    expect((await role(agent.id, "admin", asAdmin)).status).toBe(403);
    expect((await role(agent.id, "owner", asAdmin)).status).toBe(403);
    expect((await role(admin.id, "agent", asAdmin)).status).toBe(403);
    // The same rule through Zendesk's user API.
    expect((await a.api("PUT", `/api/v2/users/${agent.id}.json`, { user: { role: "admin" } }, asAdmin)).status).toBe(403);
    expect((await a.api("POST", "/api/v2/users.json", { user: { name: "N", email: "n@x.test", role: "admin" } }, asAdmin)).status).toBe(403);
    expect((await a.api("POST", "/api/v2/users.json", { user: { name: "N", email: "n@x.test", role: "admin" } })).status).toBe(201);
    // Agents cannot change roles at all.
    expect((await role(agent.id, "agent", { email: agent.email, token: agent.token! })).status).toBe(403);

    // The last owner cannot step down; with a second owner, they can.
    const last = await role(1, "admin");
    expect(last.status).toBe(403);
    expect(last.body.description).toMatch(/last owner/);
    expect((await role(agent.id, "owner")).body.user.vaultdesk_role).toBe("owner");
    agent.token = await createTokenFor(t, a, agent.id);
    const stepDown = await role(1, "admin");
    expect(stepDown.status, stepDown.text).toBe(200);
    expect(stepDown.body.user).toMatchObject({ vaultdesk_role: "admin", role: "admin" });
    // Now the former agent is the only owner, and stays one.
    expect((await role(agent.id, "agent", { email: agent.email, token: agent.token! })).status).toBe(403);
    // Stepping down ended the former owner's token as well.
    expect((await a.api("GET", "/api/v2/users/me.json")).status).toBe(401);
    expect((await a.api("GET", "/api/v2/users.json?role=admin", undefined, { email: agent.email, token: agent.token! })).body.users.filter((u: { vaultdesk_role: string }) => u.vaultdesk_role === "owner")).toHaveLength(1);
    const changes = (await a.api("GET", "/api/v2/audit_logs.json?filter[action]=user.role_changed", undefined, { email: agent.email, token: agent.token! })).body.audit_logs;
    expect(changes.length).toBe(3);
  });

  it("never leaves the account without an owner when two owners demote each other at once", async () => {
    const a = await buildTenant(t, "roles2");
    const second = await buildUser(t, a, "agent");
    await a.api("PUT", `/api/v2/users/${second.id}/role.json`, { role: "owner" });
    second.token = await createTokenFor(t, a, second.id);
    const results = await Promise.all([
      a.api("PUT", `/api/v2/users/${second.id}/role.json`, { role: "admin" }),
      a.api("PUT", "/api/v2/users/1/role.json", { role: "admin" }, { email: second.email, token: second.token! }),
    ]);
    // One demotion goes through; the other is refused: as the last owner's (403), or because the
    // first one ended the demoted owner's token (401).
    const statuses = results.map((r) => r.status).sort();
    expect(statuses[0]).toBe(200);
    expect([401, 403]).toContain(statuses[1]);
    const owners = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("users").select("id").where("role", "=", "owner").execute());
    expect(owners).toHaveLength(1);
  });

  it("takes API tokens away from someone made an end user", async () => {
    const a = await buildTenant(t, "roles3");
    const agent = await buildUser(t, a, "agent");
    expect((await a.api("PUT", `/api/v2/users/${agent.id}/role.json`, { role: "end_user" })).status).toBe(200);
    expect((await a.api("GET", "/api/v2/users/me.json", undefined, { email: agent.email, token: agent.token! })).status).toBe(401);
  });
});

describe("audit log", () => {
  it("filters by actor, action, resource and date range", async () => {
    const a = await buildTenant(t, "auditf");
    const agent = await buildUser(t, a, "agent");
    const asAgent = { email: agent.email, token: agent.token! };
    await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "by owner", comment: { body: "b" } } });
    const t2 = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "by agent", comment: { body: "b" } } }, asAgent);
    await a.api("PUT", `/api/v2/tickets/${t2.body.ticket.id}.json`, { ticket: { status: "open" } }, asAgent);
    const get = async (q: string) => {
      const r = await a.api("GET", `/api/v2/audit_logs.json?${q}`);
      expect(r.status, `${q}: ${r.text}`).toBe(200);
      return r.body.audit_logs as Array<{ actor_id: number | null; action: string; source_type: string; source_id: string }>;
    };
    const byAgent = await get(`filter[actor_id]=${agent.id}`);
    expect(byAgent.map((e) => e.action).sort()).toEqual(["ticket.created", "ticket.updated"]);
    expect(byAgent.every((e) => e.actor_id === agent.id)).toBe(true);
    const onTicket = await get(`filter[source_type]=ticket&filter[source_id]=${t2.body.ticket.id}`);
    expect(onTicket.map((e) => e.action).sort()).toEqual(["ticket.created", "ticket.updated"]);
    expect((await get("filter[action]=ticket.created")).length).toBe(2);
    const now = Date.now();
    const within = `filter[created_at][]=${new Date(now - 600_000).toISOString()}&filter[created_at][]=${new Date(now + 600_000).toISOString()}`;
    expect((await get(within)).length).toBeGreaterThan(4);
    const future = `filter[created_at][]=${new Date(now + 3600_000).toISOString()}&filter[created_at][]=${new Date(now + 7200_000).toISOString()}`;
    expect(await get(future)).toEqual([]);
    expect((await a.api("GET", "/api/v2/audit_logs.json?filter[source_id]=<x>")).status).toBe(422);
    expect((await a.api("GET", "/api/v2/audit_logs.json", undefined, asAgent)).status).toBe(403);
  });

  it("verifies the chain, and names the first altered entry after tampering", async () => {
    const a = await buildTenant(t, "auditv");
    const agent = await buildUser(t, a, "agent");
    for (let i = 0; i < 3; i++) await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: `t${i}`, comment: { body: "b" } } });
    const ok = await a.api("GET", "/api/v2/audit_logs/verification.json");
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.verification).toMatchObject({ verified: true, first_broken_id: null });
    const n = ok.body.verification.entries_checked as number;
    expect(n).toBeGreaterThanOrEqual(6);
    expect((await a.api("GET", "/api/v2/audit_logs/verification.json", undefined, { email: agent.email, token: agent.token! })).status).toBe(403);

    await t.db.system(async (conn) => {
      await sql`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`.execute(conn);
      await sql`UPDATE audit_log SET action = 'ticket.deleted' WHERE tenant_id = ${a.tenantId} AND seq = 4`.execute(conn);
      await sql`ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`.execute(conn);
    });
    const broken = await a.api("GET", "/api/v2/audit_logs/verification.json");
    expect(broken.body.verification).toMatchObject({ verified: false, first_broken_id: 4, entries_checked: 3 });
  });
});

describe("account", () => {
  it("shows the team name, subdomain and region; owners and admins rename it; it is sealed at rest", async () => {
    const a = await buildTenant(t, "acct");
    const agent = await buildUser(t, a, "agent");
    const shown = await a.api("GET", "/api/v2/account.json");
    expect(shown.body.account).toMatchObject({ name: null, subdomain: a.subdomain, region: "eu-test-1" });
    const renamed = await a.api("PUT", "/api/v2/account.json", { account: { name: "ZQTEAM Helpers" } });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.body.account.name).toBe("ZQTEAM Helpers");
    expect((await a.api("GET", "/api/v2/account.json", undefined, { email: agent.email, token: agent.token! })).body.account.name).toBe("ZQTEAM Helpers");
    expect((await a.api("PUT", "/api/v2/account.json", { account: { name: "Hijack" } }, { email: agent.email, token: agent.token! })).status).toBe(403);
    expect((await a.api("PUT", "/api/v2/account.json", { account: { name: "  " } })).status).toBe(422);
    expect((await a.api("PUT", "/api/v2/account.json", { account: { subdomain: "other" } })).status).toBe(422);
    const row = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("tenant_settings").selectAll().executeTakeFirstOrThrow());
    expect(Buffer.from(row.name_sealed!).toString("latin1")).not.toContain("ZQTEAM");
  });

  it("stores the team name given at first-run setup", async () => {
    const empty = await openEmptyDatabase();
    const gate = new SetupToken();
    const s = await startTestApp({ db: empty.db, setup: gate });
    try {
      const created = await s.request({
        method: "POST", path: "/api/v2/setup.json", host: "localhost",
        body: { token: gate.token, account: { name: "Acme Support", subdomain: "acme" }, owner: { name: "Ann", email: "ann@acme.test", password: PASSWORD } },
      });
      expect(created.status, created.text).toBe(201);
      const signIn = await s.request({ method: "POST", path: "/api/v2/session.json", host: "acme.localhost", body: { email: "ann@acme.test", password: PASSWORD } });
      const account = await s.request({ method: "GET", path: "/api/v2/account.json", host: "acme.localhost", headers: { cookie: cookieOf(signIn.headers) } });
      expect(account.body.account).toMatchObject({ name: "Acme Support", subdomain: "acme", region: "self-hosted" });
    } finally {
      await s.close();
      await empty.drop();
    }
  });
});
