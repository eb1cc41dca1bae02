import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SUPPORT_PASS_SCHEME } from "../src/platform/http/support-passes.ts";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, signIn, type Session } from "./support/people.ts";

/**
 * Attacks on access control, each over real HTTP: people widening their own ticket access (groups,
 * shared organizations, their own role), tokens reaching past their scopes however the URL is
 * written, OAuth applications minting themselves accounts, redirect URI tricks, tokens on another
 * tenant's host, and forged forwarding headers against IP restrictions. Each refusal here is one
 * the security model names (docs/security-model.md); the support pass is in
 * test/support-access.test.ts.
 */

let t: TestApp;
let a: TestTenant;
let b: TestTenant;
beforeAll(async () => {
  t = await startTestApp();
  a = await buildTenant(t, "aca");
  b = await buildTenant(t, "acb");
});
afterAll(async () => t?.close());

type As = { email: string; token: string };
const as = (u: { email: string; token: string | undefined }): As => ({ email: u.email, token: u.token! });
const unique = () => crypto.randomBytes(4).toString("hex");

async function role(configuration: Record<string, unknown>): Promise<number> {
  const r = await a.api("POST", "/api/v2/custom_roles.json", { custom_role: { name: `Role ${unique()}`, configuration } });
  expect(r.status, r.text).toBe(201);
  return r.body.custom_role.id as number;
}
async function agentWith(customRoleId: number | null): Promise<As & { id: number }> {
  const u = await buildUser(t, a, "agent", "Agent Attacker");
  if (customRoleId !== null) expect((await a.api("PUT", `/api/v2/users/${u.id}.json`, { user: { custom_role_id: customRoleId } })).status).toBe(200);
  return { ...as(u), id: u.id };
}
async function group(members: number[]): Promise<number> {
  const g = await a.api("POST", "/api/v2/groups.json", { group: { name: `Group ${unique()}` } });
  expect(g.status, g.text).toBe(201);
  for (const m of members) expect((await a.api("POST", "/api/v2/group_memberships.json", { group_membership: { user_id: m, group_id: g.body.group.id } })).status).toBe(201);
  return g.body.group.id as number;
}
async function ticket(fields: Record<string, unknown>): Promise<number> {
  const r = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Secret elsewhere", comment: { body: "Body" }, ...fields } });
  expect(r.status, r.text).toBe(201);
  return r.body.ticket.id as number;
}
const join = (who: As, userId: number, groupId: number) => a.api("POST", "/api/v2/group_memberships.json", { group_membership: { user_id: userId, group_id: groupId } }, who);

describe("widening one's own ticket access", () => {
  it("refuses an agent who sees only some tickets adding themselves to a group; they may add others and leave; an all-tickets agent may join", async () => {
    const groupsRole = await role({ ticket_access: "within-groups", group_access: true });
    const assignedRole = await role({ ticket_access: "assigned-only", group_access: true });
    const allRole = await role({ ticket_access: "all", group_access: true });
    const g = await agentWith(groupsRole);
    const o = await agentWith(assignedRole);
    const w = await agentWith(allRole);
    const other = await agentWith(null);
    const mine = await group([g.id]);
    const theirs = await group([other.id]);
    const secret = await ticket({ group_id: theirs });
    expect((await a.api("GET", `/api/v2/tickets/${secret}.json`, undefined, g)).status).toBe(404);

    const refused = await join(g, g.id, theirs);
    expect(refused.status, refused.text).toBe(403);
    expect(refused.body.description).toMatch(/joining a group would widen it/);
    expect((await join(o, o.id, theirs)).status).toBe(403);
    expect((await a.api("GET", `/api/v2/tickets/${secret}.json`, undefined, g)).status).toBe(404);
    // A new group of their own, to then move tickets into: the same refusal.
    const created = await a.api("POST", "/api/v2/groups.json", { group: { name: `Mine ${unique()}` } }, g);
    expect(created.status).toBe(201);
    expect((await join(g, g.id, created.body.group.id)).status).toBe(403);

    // Managing groups for others stays theirs, and leaving a group narrows: allowed.
    expect((await join(g, other.id, mine)).status).toBe(201);
    const own = (await a.api("GET", `/api/v2/users/${g.id}/group_memberships.json`)).body.group_memberships.find((m: { group_id: number }) => m.group_id === mine);
    expect((await a.api("DELETE", `/api/v2/group_memberships/${own.id}.json`, undefined, g)).status).toBe(204);

    // Whoever sees every ticket already loses nothing by joining.
    expect((await join(w, w.id, theirs)).status).toBe(201);
    expect((await a.api("POST", "/api/v2/group_memberships.json", { group_membership: { user_id: g.id, group_id: theirs } })).status).toBe(201);
    expect((await a.api("GET", `/api/v2/tickets/${secret}.json`, undefined, g)).status).toBe(200);
  });

  it("refuses an agent changing their own role or custom role, and a ticket they cannot see stays missing on every road", async () => {
    const groupsRole = await role({ ticket_access: "within-groups" });
    const allRole = await role({ ticket_access: "all" });
    const g = await agentWith(groupsRole);
    const other = await agentWith(null);
    const requester = await buildUser(t, a, "end-user", "Rita Requester");
    const theirs = await group([other.id]);
    const up = await t.request({ method: "POST", path: "/api/v2/uploads.json?filename=note.txt", host: a.host, rawBody: Buffer.from("private"), headers: { "content-type": "application/binary", authorization: "Basic " + Buffer.from(`${a.ownerEmail}/token:${a.ownerToken}`).toString("base64") } });
    expect(up.status, up.text).toBe(201);
    const secret = await ticket({ group_id: theirs, requester_id: requester.id, comment: { body: "Body", uploads: [up.body.upload.token] } });
    const comment = (await a.api("GET", `/api/v2/tickets/${secret}/comments.json`)).body.comments[0];
    const file = comment.attachments[0];

    for (const body of [{ user: { custom_role_id: allRole } }, { user: { custom_role_id: null } }, { user: { role: "admin" } }]) {
      expect((await a.api("PUT", `/api/v2/users/${g.id}.json`, body, g)).status, JSON.stringify(body)).toBe(403);
    }
    expect((await a.api("PUT", `/api/v2/users/${g.id}/role.json`, { role: "admin" }, g)).status).toBe(403);
    expect((await a.api("GET", `/api/v2/users/${g.id}.json`)).body.user).toMatchObject({ role: "agent", custom_role_id: groupsRole });

    // Assigning it to themselves, or copying themselves on it, is a write to a missing ticket.
    expect((await a.api("PUT", `/api/v2/tickets/${secret}.json`, { ticket: { assignee_id: g.id } }, g)).status).toBe(404);
    expect((await a.api("PUT", `/api/v2/tickets/${secret}.json`, { ticket: { collaborator_ids: [g.id] } }, g)).status).toBe(404);
    // Its file, its redaction, its comments' originals, and the requester's tickets through search.
    expect((await a.api("GET", `/api/v2/attachments/${file.id}.json`, undefined, g)).status).toBe(404);
    expect((await a.api("PUT", `/api/v2/tickets/${secret}/comments/${comment.id}/attachments/${file.id}/redact.json`, undefined, g)).status).toBe(404);
    expect((await a.api("GET", `/api/v2/tickets/${secret}/comments/${comment.id}/original.json`, undefined, g)).status).toBe(404);
    const search = await a.api("GET", `/api/v2/search.json?query=${encodeURIComponent(`type:ticket requester:${requester.email}`)}`, undefined, g);
    expect(search.status, search.text).toBe(200);
    expect(search.body.results.map((r: { id: number }) => r.id)).not.toContain(secret);
    const many = await a.api("GET", `/api/v2/tickets/show_many.json?ids=${secret}&include=users,groups`, undefined, g);
    expect(many.status, many.text).toBe(200);
    expect(many.body.tickets).toEqual([]);
    expect((await a.api("GET", `/api/v2/tickets/${secret}.json`)).body.ticket).toMatchObject({ assignee_id: null, collaborator_ids: [] });
  });
});

describe("shared organizations and agents who see only some tickets", () => {
  it("refuses such an agent putting an end user into an organization that shares its requests, by id or by domain name", async () => {
    const restricted = await role({ ticket_access: "within-groups", end_user_profile_access: "edit", organization_editing: true });
    const g = await agentWith(restricted);
    const agent = await agentWith(null);
    const shared = (await a.api("POST", "/api/v2/organizations.json", { organization: { name: `Shared ${unique()}`, shared_tickets: true } })).body.organization.id as number;
    const plain = (await a.api("POST", "/api/v2/organizations.json", { organization: { name: `Plain ${unique()}` } })).body.organization.id as number;
    const member = await buildUser(t, a, "end-user", "Mia Member");
    expect((await a.api("PUT", `/api/v2/users/${member.id}.json`, { user: { organization_id: shared } })).status).toBe(200);
    await ticket({ requester_id: member.id });

    // A customer account of the agent's own, made in the shared organization: refused, nothing created.
    const mailbox = `me-${unique()}@personal.test`;
    const created = await a.api("POST", "/api/v2/users.json", { user: { name: "My Other Me", email: mailbox, organization_id: shared } }, g);
    expect(created.status, created.text).toBe(403);
    expect(created.body.description).toMatch(/shares its requests/);
    expect((await a.api("GET", `/api/v2/users/search.json?query=${encodeURIComponent(mailbox)}`)).body.users).toEqual([]);
    // …or made outside it and moved in.
    const mine = await a.api("POST", "/api/v2/users.json", { user: { name: "My Other Me", email: mailbox } }, g);
    expect(mine.status, mine.text).toBe(201);
    expect((await a.api("PUT", `/api/v2/users/${mine.body.user.id}.json`, { user: { organization_id: shared } }, g)).status).toBe(403);
    expect((await a.api("GET", `/api/v2/users/${mine.body.user.id}.json`)).body.user.organization_id).toBeNull();
    // …or a domain name of theirs given to the shared organization (new addresses there join it).
    expect((await a.api("PUT", `/api/v2/organizations/${shared}.json`, { organization: { domain_names: ["personal.test"] } }, g)).status).toBe(403);
    expect((await a.api("GET", `/api/v2/organizations/${shared}.json`)).body.organization.domain_names).toEqual([]);

    // Organizations that share nothing, and a member staying where they are: as before.
    expect((await a.api("PUT", `/api/v2/users/${mine.body.user.id}.json`, { user: { organization_id: plain } }, g)).status).toBe(200);
    expect((await a.api("PUT", `/api/v2/organizations/${plain}.json`, { organization: { domain_names: [`plain-${unique()}.test`] } }, g)).status).toBe(200);
    expect((await a.api("PUT", `/api/v2/users/${member.id}.json`, { user: { name: "Mia M.", organization_id: shared } }, g)).status).toBe(200);
    expect((await a.api("PUT", `/api/v2/users/${member.id}.json`, { user: { organization_id: null } }, g)).status).toBe(200);
    // An agent who sees every ticket, and admins, may.
    expect((await a.api("PUT", `/api/v2/users/${member.id}.json`, { user: { organization_id: shared } }, agent)).status).toBe(200);
    expect((await a.api("PUT", `/api/v2/users/${mine.body.user.id}.json`, { user: { organization_id: shared } })).status).toBe(200);
  });
});

describe("token scopes against URL tricks", () => {
  it("keeps a tickets:read token from writes, people and credentials however the URL is written", async () => {
    const tok = await a.api("POST", "/api/v2/api_tokens.json", { api_token: { name: "narrow", scopes: ["tickets:read"] } });
    expect(tok.status, tok.text).toBe(201);
    const cred = { email: a.ownerEmail, token: tok.body.api_token.token as string };
    expect((await a.api("GET", "/api/v2/tickets.json", undefined, cred)).status).toBe(200);
    const owner = (await a.api("GET", "/api/v2/users/me.json")).body.user.id as number;
    const paths = [
      "/api/v2/users.json", "/api/v2/users", "/api/v2/users/", "/api/v2/users.json?x=1", "/api/v2//users.json", "/api/v2/USERS.json", "/api/v2/%75sers.json",
      "/api/v2/tickets/../users.json", "/api/v2/tickets.json/../users.json", "/api/v2/tickets%2F..%2Fusers.json", "/api/v2/organizations.json",
      "/api/v2/api_tokens.json", "/api/v2/api_tokens/", "/api/v2/api_tokens", "/api/v2//api_tokens.json", "/api/v2/Api_Tokens.json", "/api/v2/%61pi_tokens.json",
      "/api/v2/oauth/clients.json", "/api/v2/oauth/tokens.json", "/api/v2/ip_restrictions.json", "/api/v2/support_access.json", "/api/v2/invitations.json",
      `/api/v2/users/${owner}/sessions.json`, "/api/v2/users/me/sessions.json", "/api/v2/session.json", "/api/v2/audit_logs.json",
    ];
    for (const p of paths) {
      const r = await a.api("GET", p, undefined, cred);
      expect(r.status < 200 || r.status >= 300, `${p}: ${r.status}`).toBe(true);
    }
    const writes: Array<[string, string, unknown]> = [
      ["POST", "/api/v2/tickets.json", { ticket: { subject: "x", comment: { body: "y" } } }],
      ["POST", "/api/v2/tickets/", { ticket: { subject: "x", comment: { body: "y" } } }],
      ["POST", "/api/v2/api_tokens.json", { api_token: { name: "wider", scopes: ["read", "write"] } }],
      ["POST", "/api/v2/api_tokens.json", { api_token: { name: "same", scopes: ["tickets:read"] } }],
      ["PUT", "/api/v2/users/me/password.json", { previous_password: a.ownerPassword, password: "Another long passphrase 9" }],
      ["POST", `/api/v2/users/${owner}/password.json`, { password: "Another long passphrase 9" }],
      ["PUT", "/api/v2/ip_restrictions.json", { ip_restriction: { enabled: false } }],
      ["POST", "/api/v2/support_access.json", { support_access: { days: 1, level: "read_write" } }],
      ["DELETE", `/api/v2/users/${owner}/sessions.json`, undefined],
    ];
    for (const [m, p, body] of writes) {
      const r = await a.api(m, p, body, cred);
      expect(r.status === 403 || r.status === 404, `${m} ${p}: ${r.status}`).toBe(true);
    }
    expect((await a.api("GET", "/api/v2/support_access.json")).body.support_access_grants ?? []).toEqual([]);
    expect((await a.api("GET", "/api/v2/api_tokens.json")).body.api_tokens.map((x: { name: string }) => x.name)).not.toContain("same");
  });

  it("refuses a tenant's API token, Basic or Bearer, on another tenant's host", async () => {
    const basic = "Basic " + Buffer.from(`${a.ownerEmail}/token:${a.ownerToken}`).toString("base64");
    for (const authorization of [basic, `Bearer ${a.ownerToken}`]) {
      expect((await t.request({ method: "GET", path: "/api/v2/users/me.json", host: b.host, headers: { authorization } })).status).toBe(401);
    }
    // B's owner's address with A's token: the token is not B's.
    const mixed = "Basic " + Buffer.from(`${b.ownerEmail}/token:${a.ownerToken}`).toString("base64");
    expect((await t.request({ method: "GET", path: "/api/v2/users/me.json", host: b.host, headers: { authorization: mixed } })).status).toBe(401);
  });
});

describe("OAuth applications", () => {
  const REDIRECT = "https://app.example.test/callback";
  let owner: Session;
  beforeAll(async () => {
    owner = await signIn(t, a, a.ownerEmail, a.ownerPassword);
  });
  async function client(kind: "public" | "confidential" = "public"): Promise<{ identifier: string; secret?: string }> {
    const id = `app_${unique()}`;
    const r = await a.api("POST", "/api/v2/oauth/clients.json", { client: { name: id, identifier: id, redirect_uri: [REDIRECT], kind } });
    expect(r.status, r.text).toBe(201);
    return { identifier: id, secret: r.body.client.secret };
  }
  const pkce = () => {
    const verifier = crypto.randomBytes(32).toString("base64url");
    return { verifier, challenge: crypto.createHash("sha256").update(verifier).digest("base64url") };
  };
  const params = (c: { identifier: string }, challenge: string, extra: Record<string, string> = {}) => ({ response_type: "code", client_id: c.identifier, redirect_uri: REDIRECT, scope: "read write", state: "st-1", code_challenge: challenge, code_challenge_method: "S256", ...extra });
  async function tokens(c: { identifier: string }) {
    const { verifier, challenge } = pkce();
    const d = await asSession(t, a, owner, "POST", "/api/v2/oauth/consent", { ...params(c, challenge), allowed: true });
    expect(d.status, d.text).toBe(200);
    const back = new URL(d.body.redirect_to);
    expect(back.origin + back.pathname).toBe(REDIRECT);
    expect(back.searchParams.get("state")).toBe("st-1");
    const r = await t.request({ method: "POST", path: "/oauth/tokens", host: a.host, body: { grant_type: "authorization_code", code: back.searchParams.get("code"), redirect_uri: REDIRECT, client_id: c.identifier, code_verifier: verifier } });
    expect(r.status, r.text).toBe(200);
    return r.body as { access_token: string; refresh_token: string };
  }
  const bearer = (token: string, method: string, path: string, body?: unknown, host = a.host) => t.request({ method, path, host, headers: { authorization: `Bearer ${token}` }, body });

  it("cannot mint a staff account: invitations are closed to its tokens, and so are role changes through the profile", async () => {
    const { access_token } = await tokens(await client());
    const customer = await buildUser(t, a, "end-user", "Controlled Customer");
    expect((await bearer(access_token, "GET", "/api/v2/users/me.json")).status).toBe(200);
    const invite = await bearer(access_token, "POST", "/api/v2/invitations.json", { invitation: { email: `new-${unique()}@evil.test`, role: "admin" } });
    expect(invite.status, invite.text).toBe(403);
    expect(invite.body.token).toBeUndefined();
    expect((await bearer(access_token, "GET", "/api/v2/invitations.json")).status).toBe(403);
    expect((await a.api("GET", "/api/v2/invitations.json")).body.invitations.filter((i: { email: string }) => i.email.endsWith("@evil.test"))).toEqual([]);
    const promote = await bearer(access_token, "PUT", `/api/v2/users/${customer.id}.json`, { user: { role: "admin" } });
    expect(promote.status, promote.text).toBe(403);
    expect(promote.body.description).toBe("OAuth access tokens cannot change roles.");
    expect((await bearer(access_token, "PUT", `/api/v2/users/${customer.id}/role.json`, { role: "admin" })).status).toBe(403);
    expect((await a.api("GET", `/api/v2/users/${customer.id}.json`)).body.user.role).toBe("end-user");
    // Within its scopes it still acts as the person.
    expect((await bearer(access_token, "PUT", `/api/v2/users/${customer.id}.json`, { user: { name: "Renamed Customer" } })).status).toBe(200);
    // Its token on another tenant's host is nobody.
    expect((await bearer(access_token, "GET", "/api/v2/users/me.json", undefined, b.host)).status).toBe(401);
  });

  it("cannot widen an agent's access through their custom role, nor create, change or delete custom roles; it may still read them", async () => {
    const { access_token } = await tokens(await client());
    const narrow = await role({ ticket_access: "within-groups" });
    const wide = await role({ ticket_access: "all", group_access: true });
    const g = await agentWith(narrow);
    for (const custom_role_id of [wide, null, 2]) {
      const r = await bearer(access_token, "PUT", `/api/v2/users/${g.id}.json`, { user: { custom_role_id } });
      expect(r.status, `${custom_role_id}: ${r.text}`).toBe(403);
      expect(r.body.description).toBe("OAuth access tokens cannot change roles.");
    }
    expect((await a.api("GET", `/api/v2/users/${g.id}.json`)).body.user.custom_role_id).toBe(narrow);
    // A form sending the role the agent already has back is no change.
    expect((await bearer(access_token, "PUT", `/api/v2/users/${g.id}.json`, { user: { name: "Agent A.", custom_role_id: narrow } })).status).toBe(200);

    // The role itself: every agent carrying it would gain what the application gave it.
    const before = (await a.api("GET", `/api/v2/custom_roles/${narrow}.json`)).body.custom_role;
    const writes: Array<[string, string, unknown]> = [
      ["POST", "/api/v2/custom_roles.json", { custom_role: { name: `App role ${unique()}`, configuration: { ticket_access: "all" } } }],
      ["PUT", `/api/v2/custom_roles/${narrow}.json`, { custom_role: { configuration: { ticket_access: "all", group_access: true } } }],
      ["PUT", `/api/v2/custom_roles/${narrow}`, { custom_role: { name: "Renamed" } }],
      ["DELETE", `/api/v2/custom_roles/${wide}.json`, undefined],
    ];
    for (const [m, p, body] of writes) {
      const r = await bearer(access_token, m, p, body);
      expect(r.status, `${m} ${p}: ${r.text}`).toBe(403);
      expect(r.body.description).toBe("OAuth access tokens cannot manage credentials or roles.");
    }
    expect((await a.api("GET", `/api/v2/custom_roles/${narrow}.json`)).body.custom_role).toEqual(before);
    expect((await a.api("GET", `/api/v2/custom_roles/${wide}.json`)).status).toBe(200);
    expect((await a.api("GET", "/api/v2/custom_roles.json")).body.custom_roles.map((r: { name: string }) => r.name).filter((n: string) => n.startsWith("App role"))).toEqual([]);
    // Reading them stays within its scopes and the person's role.
    expect((await bearer(access_token, "GET", "/api/v2/custom_roles.json")).status).toBe(200);
    expect((await bearer(access_token, "GET", `/api/v2/custom_roles/${narrow}.json`)).status).toBe(200);
  });

  it("cannot create staff through POST /users (agents, light agents, admins); end users it may", async () => {
    const { access_token } = await tokens(await client());
    for (const r of ["agent", "light-agent", "admin"]) {
      const mailbox = `staff-${unique()}@evil.test`;
      const created = await bearer(access_token, "POST", "/api/v2/users.json", { user: { name: "App Staff", email: mailbox, role: r } });
      expect(created.status, `${r}: ${created.text}`).toBe(403);
      expect(created.body.description).toMatch(/OAuth access tokens cannot create staff/);
      expect((await a.api("GET", `/api/v2/users/search.json?query=${encodeURIComponent(mailbox)}`)).body.users).toEqual([]);
    }
    const customer = await bearer(access_token, "POST", "/api/v2/users.json", { user: { name: "App Customer", email: `customer-${unique()}@example.test` } });
    expect(customer.status, customer.text).toBe(201);
    expect(customer.body.user.role).toBe("end-user");
    // …and does not make it staff afterwards by either road.
    expect((await bearer(access_token, "PUT", `/api/v2/users/${customer.body.user.id}.json`, { user: { role: "agent" } })).status).toBe(403);
    expect((await bearer(access_token, "PUT", `/api/v2/users/${customer.body.user.id}/role.json`, { role: "agent" })).status).toBe(403);
    expect((await a.api("GET", `/api/v2/users/${customer.body.user.id}.json`)).body.user.role).toBe("end-user");
  });

  it("never redirects to a look-alike of the registered URI, from the authorization endpoint or the consent answer", async () => {
    const c = await client();
    const { challenge } = pkce();
    const lookAlikes = [
      `${REDIRECT}/`, `${REDIRECT}.evil.test`, `${REDIRECT}?next=https://evil.test`, `${REDIRECT}#x`, `${REDIRECT}/../evil`, "https://app.example.test.evil.test/callback",
      "https://APP.example.test/callback", "http://app.example.test/callback", "https://app.example.test/callbackx", "https://evil.test/?https://app.example.test/callback", `${REDIRECT}%2F..%2Fevil`,
    ];
    for (const uri of lookAlikes) {
      const start = await t.request({ method: "GET", path: `/oauth/authorizations/new?${new URLSearchParams(params(c, challenge, { redirect_uri: uri }))}`, host: a.host });
      expect(start.status, uri).toBe(400);
      expect(start.headers.location, uri).toBeUndefined();
      const d = await asSession(t, a, owner, "POST", "/api/v2/oauth/consent", { ...params(c, challenge, { redirect_uri: uri }), allowed: true });
      expect(d.status, uri).toBe(400);
      expect(d.body.redirect_to, uri).toBeUndefined();
    }
    // A client of this tenant is unknown on another tenant's host.
    const elsewhere = await t.request({ method: "GET", path: `/oauth/authorizations/new?${new URLSearchParams(params(c, challenge))}`, host: b.host });
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.headers.location).toBeUndefined();
  });

  it("refuses one client's refresh token to another client, and keeps the family working for its own", async () => {
    const mine = await client();
    const theirs = await client();
    const tk = await tokens(mine);
    const stolen = await t.request({ method: "POST", path: "/oauth/tokens", host: a.host, body: { grant_type: "refresh_token", refresh_token: tk.refresh_token, client_id: theirs.identifier } });
    expect(stolen.status, stolen.text).toBe(400);
    expect(stolen.body.error).toBe("invalid_grant");
    // On another tenant's host it is unknown.
    const foreign = await t.request({ method: "POST", path: "/oauth/tokens", host: b.host, body: { grant_type: "refresh_token", refresh_token: tk.refresh_token, client_id: mine.identifier } });
    expect(foreign.status).toBe(400);
    const own = await t.request({ method: "POST", path: "/oauth/tokens", host: a.host, body: { grant_type: "refresh_token", refresh_token: tk.refresh_token, client_id: mine.identifier } });
    expect(own.status, own.text).toBe(200);
  });
});

describe("the operator's support user and who a ticket's mail reaches", () => {
  it("refuses it choosing requesters and CCs, creating people or moving them to another address, under a read-and-write grant", async () => {
    const g = await a.api("POST", "/api/v2/support_access.json", { support_access: { days: 1, level: "read_write" } });
    expect(g.status, g.text).toBe(201);
    const grant = g.body.support_access_grant as { id: number; support_user_id: number };
    const grantId = (await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("support_access_grants").select("id").where("nice_id", "=", grant.id).executeTakeFirstOrThrow())).id;
    // As the operator's command sends it: a one-request pass through the server's own routing.
    const support = async (method: "GET" | "POST" | "PUT" | "DELETE", url: string, body?: unknown) => {
      const pass = t.app.supportPasses.mint({ tenantId: a.tenantId, grantId });
      const r = await t.app.inject({ method, url, headers: { host: a.host, authorization: `${SUPPORT_PASS_SCHEME} ${pass}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) }, ...(body !== undefined ? { payload: JSON.stringify(body) } : {}) });
      return { status: r.statusCode, text: r.body, body: r.body ? JSON.parse(r.body) : undefined };
    };
    try {
      const customer = await buildUser(t, a, "end-user", "Cora Customer");
      const other = await buildUser(t, a, "end-user", "Otto Other");
      const id = await ticket({ requester_id: customer.id });
      const mailbox = `operator-${unique()}@operator.test`;
      const noOne = async () => expect((await a.api("GET", `/api/v2/users/search.json?query=${encodeURIComponent(mailbox)}`)).body.users).toEqual([]);

      // An existing ticket's requester and CCs.
      for (const change of [{ requester_id: other.id }, { collaborator_ids: [other.id] }, { collaborator_ids: [grant.support_user_id] }]) {
        const r = await support("PUT", `/api/v2/tickets/${id}.json`, { ticket: change });
        expect(r.status, `${JSON.stringify(change)}: ${r.text}`).toBe(403);
        expect(r.body.description).toMatch(/cannot change who a ticket's mail reaches/);
      }
      expect((await a.api("GET", `/api/v2/tickets/${id}.json`)).body.ticket).toMatchObject({ requester_id: customer.id, collaborator_ids: [] });
      // A new ticket for someone else, for a new address, or with CCs.
      for (const fields of [{ requester: { name: "Op", email: mailbox } }, { requester_id: customer.id }, { collaborator_ids: [other.id] }]) {
        const r = await support("POST", "/api/v2/tickets.json", { ticket: { subject: "For someone", comment: { body: "x" }, ...fields } });
        expect(r.status, `${JSON.stringify(fields)}: ${r.text}`).toBe(403);
      }
      await noOne();
      // A person of its own making, or a customer moved to its mailbox.
      const created = await support("POST", "/api/v2/users.json", { user: { name: "Op", email: mailbox } });
      expect(created.status, created.text).toBe(403);
      expect(created.body.description).toMatch(/support user cannot create people/);
      await noOne();
      const moved = await support("PUT", `/api/v2/users/${customer.id}.json`, { user: { email: mailbox } });
      expect(moved.status, moved.text).toBe(403);
      expect((await a.api("GET", `/api/v2/users/${customer.id}.json`)).body.user.email).toBe(customer.email);

      // What support work needs stays: the ticket's other properties, a reply, the same requester sent back, a ticket in its own name.
      const work = await support("PUT", `/api/v2/tickets/${id}.json`, { ticket: { status: "open", requester_id: customer.id, collaborator_ids: [], comment: { body: "Looking into it", public: false } } });
      expect(work.status, work.text).toBe(200);
      expect((await support("POST", "/api/v2/tickets.json", { ticket: { subject: "Repro", comment: { body: "steps" } } })).status).toBe(201);
      expect((await support("PUT", `/api/v2/users/${customer.id}.json`, { user: { name: "Cora C." } })).status).toBe(200);
      // Staff choose recipients as before.
      expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { collaborator_ids: [other.id] } })).status).toBe(200);
    } finally {
      expect((await a.api("DELETE", `/api/v2/support_access/${grant.id}.json`)).status).toBe(204);
    }
  });
});

describe("IP restrictions against forged forwarding headers", () => {
  it("judges a client no proxy vouches for by its socket, whatever X-Forwarded-For says", async () => {
    const c = await buildTenant(t, "acip");
    const owner = "Basic " + Buffer.from(`${c.ownerEmail}/token:${c.ownerToken}`).toString("base64");
    const get = (localAddress: string, xff?: string) => t.request({ method: "GET", path: "/api/v2/users/me.json", host: c.host, localAddress, headers: { authorization: owner, ...(xff !== undefined ? { "x-forwarded-for": xff } : {}) } });
    const on = await t.request({ method: "PUT", path: "/api/v2/ip_restrictions.json", host: c.host, localAddress: "127.0.0.2", headers: { authorization: owner }, body: { ip_restriction: { enabled: true, allowed_ips: "127.0.0.2" } } });
    expect(on.status, on.text).toBe(200);
    expect((await get("127.0.0.2")).status).toBe(200);
    for (const xff of ["127.0.0.2", "127.0.0.2, 127.0.0.2", " 127.0.0.2 ", "::ffff:127.0.0.2", "127.0.0.3, 127.0.0.2", "127.0.0.2,127.0.0.3", "unknown, 127.0.0.2"]) {
      const r = await get("127.0.0.3", xff);
      expect(r.status, xff).toBe(403);
    }
  });
});
