import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bulkUpdateHandler } from "../src/modules/tickets/tickets-jobs.ts";
import { JobRunner } from "../src/platform/jobs/job-runner.ts";
import { buildTenant, buildUser, type TestApp, type TestTenant, startTestApp, waitForJob } from "./support/harness.ts";
import { asSession, signIn } from "./support/people.ts";

/**
 * Custom agent roles (Zendesk's Custom Agent Roles API) and ticket access: an agent kept to their
 * groups' tickets or to those assigned to them finds every other ticket missing (404) on every
 * path a ticket takes — show, list, views' counts, search and its count, show_many, comments,
 * audits, updates, bulk jobs checked when they run, attachments — and the role's other
 * permissions hold on the API. End users of a shared organization see its requests.
 */

let t: TestApp;
let a: TestTenant;
let b: TestTenant;
beforeAll(async () => {
  t = await startTestApp();
  a = await buildTenant(t, "cr");
  b = await buildTenant(t, "crb");
});
afterAll(async () => t?.close());

type As = { email: string; token: string };
const as = (u: { email: string; token: string | undefined }): As => ({ email: u.email, token: u.token! });

async function role(tenant: TestTenant, name: string, configuration: Record<string, unknown>): Promise<number> {
  const r = await tenant.api("POST", "/api/v2/custom_roles.json", { custom_role: { name, configuration } });
  expect(r.status, r.text).toBe(201);
  return r.body.custom_role.id as number;
}
async function give(tenant: TestTenant, userId: number, customRoleId: number | null) {
  const r = await tenant.api("PUT", `/api/v2/users/${userId}.json`, { user: { custom_role_id: customRoleId } });
  expect(r.status, r.text).toBe(200);
  return r.body.user;
}
async function group(tenant: TestTenant, name: string, members: number[]): Promise<number> {
  const g = await tenant.api("POST", "/api/v2/groups.json", { group: { name } });
  expect(g.status, g.text).toBe(201);
  for (const m of members) expect((await tenant.api("POST", "/api/v2/group_memberships.json", { group_membership: { user_id: m, group_id: g.body.group.id } })).status).toBe(201);
  return g.body.group.id as number;
}
async function ticket(tenant: TestTenant, fields: Record<string, unknown>): Promise<number> {
  const r = await tenant.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Access test", comment: { body: "Body" }, ...fields } });
  expect(r.status, r.text).toBe(201);
  return r.body.ticket.id as number;
}

describe("the custom roles API", () => {
  it("lists the built-in presets (not editable) and custom roles; owners and admins only; audited", async () => {
    const list = await a.api("GET", "/api/v2/custom_roles.json");
    expect(list.status).toBe(200);
    expect(list.body.custom_roles.map((r: { id: number; name: string; built_in: boolean }) => [r.id, r.name, r.built_in])).toEqual([
      [1, "Administrator", true],
      [2, "Agent", true],
      [3, "Light agent", true],
    ]);
    const id = await role(a, "Tier 1", { ticket_access: "within-groups", ticket_deletion: false });
    expect(id).toBeGreaterThanOrEqual(4);
    const shown = await a.api("GET", `/api/v2/custom_roles/${id}.json`);
    // Keys left out are as the agent preset has them.
    expect(shown.body.custom_role).toMatchObject({ id, name: "Tier 1", role_type: 0, built_in: false, team_member_count: 0 });
    expect(shown.body.custom_role.configuration).toMatchObject({ ticket_access: "within-groups", ticket_deletion: false, ticket_editing: true, ticket_comment_access: "public", group_access: false });

    expect((await a.api("PUT", "/api/v2/custom_roles/2.json", { custom_role: { name: "Mine" } })).status).toBe(403);
    expect((await a.api("DELETE", "/api/v2/custom_roles/1.json")).status).toBe(403);
    expect((await a.api("POST", "/api/v2/custom_roles.json", { custom_role: { name: "tier 1" } })).status).toBe(422);
    expect((await a.api("POST", "/api/v2/custom_roles.json", { custom_role: { name: "Agent" } })).status).toBe(422);
    expect((await a.api("POST", "/api/v2/custom_roles.json", { custom_role: { name: "X", configuration: { ticket_access: "everything" } } })).status).toBe(422);
    expect((await a.api("POST", "/api/v2/custom_roles.json", { custom_role: { name: "X", configuration: { can_fly: true } } })).status).toBe(422);

    const agent = as(await buildUser(t, a, "agent", "Agent Ann"));
    expect((await a.api("GET", "/api/v2/custom_roles.json", undefined, agent)).status).toBe(403);
    expect((await a.api("POST", "/api/v2/custom_roles.json", { custom_role: { name: "Mine" } }, agent)).status).toBe(403);
    // Another tenant's role id is missing, not forbidden.
    expect((await b.api("GET", `/api/v2/custom_roles/${id}.json`)).status).toBe(404);
    expect((await b.api("PUT", `/api/v2/custom_roles/${id}.json`, { custom_role: { name: "Stolen" } })).status).toBe(404);

    const log = await a.api("GET", "/api/v2/audit_logs.json?filter[action]=custom_role.created");
    expect(log.status).toBe(200);
    expect(JSON.stringify(log.body)).toContain("custom_role.created");
  });

  it("gives a role to agents only, shows it on the user, refuses deleting a role in use", async () => {
    const id = await role(a, "Given", { ticket_access: "assigned-only" });
    const agent = await buildUser(t, a, "agent", "Agent Given");
    const shown = await give(a, agent.id, id);
    expect(shown).toMatchObject({ custom_role_id: id, role_type: 0 });
    expect((await a.api("GET", `/api/v2/custom_roles/${id}.json`)).body.custom_role.team_member_count).toBe(1);
    expect((await a.api("DELETE", `/api/v2/custom_roles/${id}.json`)).status).toBe(422);

    const light = await buildUser(t, a, "light-agent", "Light Given");
    expect((await a.api("PUT", `/api/v2/users/${light.id}.json`, { user: { custom_role_id: id } })).status).toBe(422);
    expect((await a.api("PUT", `/api/v2/users/${agent.id}.json`, { user: { custom_role_id: 1 } })).status).toBe(422);
    expect((await a.api("PUT", `/api/v2/users/${agent.id}.json`, { user: { custom_role_id: 999999 } })).status).toBe(422);
    // An agent cannot give themselves (or anyone) a role.
    expect((await a.api("PUT", `/api/v2/users/${agent.id}.json`, { user: { custom_role_id: null } }, as(agent))).status).toBe(403);

    // Made a light agent, the person leaves the custom role behind; then the role can go.
    expect((await a.api("PUT", `/api/v2/users/${agent.id}/role.json`, { role: "light_agent" })).status).toBe(200);
    expect((await a.api("GET", `/api/v2/users/${agent.id}.json`)).body.user.custom_role_id).toBe(3);
    expect((await a.api("DELETE", `/api/v2/custom_roles/${id}.json`)).status).toBe(204);
    expect((await a.api("GET", `/api/v2/custom_roles/${id}.json`)).status).toBe(404);
  });
});

describe("ticket access", () => {
  it("keeps a within-groups agent and an assigned-only agent to their tickets on every path, as 404", async () => {
    const groupsRole = await role(a, "Within groups", { ticket_access: "within-groups" });
    const assignedRole = await role(a, "Assigned only", { ticket_access: "assigned-only" });
    const g = await buildUser(t, a, "agent", "Gail Groups");
    const o = await buildUser(t, a, "agent", "Otto Own");
    const other = await buildUser(t, a, "agent", "Other Agent");
    await give(a, g.id, groupsRole);
    await give(a, o.id, assignedRole);
    const mine = await group(a, "Billing", [g.id, o.id, other.id]);
    const theirs = await group(a, "Shipping", [other.id]);

    const inMyGroup = await ticket(a, { group_id: mine, assignee_id: other.id });
    const assignedToO = await ticket(a, { group_id: theirs, assignee_id: o.id });
    const elsewhere = await ticket(a, { group_id: theirs, assignee_id: other.id, subject: "Secret elsewhere" });
    const ungrouped = await ticket(a, {});
    const ccd = await ticket(a, { group_id: theirs, collaborator_ids: [o.id] });

    const G = as(g);
    const O = as(o);
    const visible = async (who: As, id: number) => (await a.api("GET", `/api/v2/tickets/${id}.json`, undefined, who)).status;
    expect(await visible(G, inMyGroup)).toBe(200);
    expect(await visible(G, assignedToO)).toBe(404);
    expect(await visible(G, elsewhere)).toBe(404);
    expect(await visible(G, ungrouped)).toBe(404);
    expect(await visible(O, assignedToO)).toBe(200);
    expect(await visible(O, ccd)).toBe(200);
    expect(await visible(O, inMyGroup)).toBe(404);
    expect(await visible(O, elsewhere)).toBe(404);

    // Suspended mail belongs to no group or assignee yet (and a held reply names its ticket): only roles that see every ticket review it.
    for (const who of [G, O]) expect((await a.api("GET", "/api/v2/suspended_tickets.json", undefined, who)).status).toBe(403);

    for (const path of [`/api/v2/tickets/${elsewhere}/comments.json`, `/api/v2/tickets/${elsewhere}/audits.json`]) {
      expect((await a.api("GET", path, undefined, G)).status, path).toBe(404);
      expect((await a.api("GET", path, undefined, O)).status, path).toBe(404);
    }
    // Writes and deletes answer as for a missing ticket, and change nothing.
    expect((await a.api("PUT", `/api/v2/tickets/${elsewhere}.json`, { ticket: { priority: "urgent" } }, G)).status).toBe(404);
    expect((await a.api("PUT", `/api/v2/tickets/${elsewhere}.json`, { ticket: { comment: { body: "note", public: false } } }, O)).status).toBe(404);
    expect((await a.api("DELETE", `/api/v2/tickets/${elsewhere}.json`, undefined, G)).status).toBe(404);
    expect((await a.api("GET", `/api/v2/tickets/${elsewhere}.json`)).body.ticket.priority).toBeNull();

    // Lists, show_many, search and counts hold only what the role allows.
    const ids = (r: { body: { tickets?: Array<{ id: number }>; results?: Array<{ id: number }> } }) => (r.body.tickets ?? r.body.results ?? []).map((x) => x.id).sort((x, y) => x - y);
    const all = [inMyGroup, assignedToO, elsewhere, ungrouped, ccd];
    const list = await a.api("GET", "/api/v2/tickets.json?per_page=100", undefined, G);
    expect(ids(list).filter((i) => all.includes(i))).toEqual([inMyGroup]);
    const many = await a.api("GET", `/api/v2/tickets/show_many.json?ids=${all.join(",")}`, undefined, O);
    expect(ids(many)).toEqual([assignedToO, ccd].sort((x, y) => x - y));
    const search = await a.api("GET", `/api/v2/search.json?query=${encodeURIComponent("type:ticket")}&per_page=100`, undefined, O);
    expect(search.status, search.text).toBe(200);
    expect(ids(search).filter((i) => all.includes(i))).toEqual([assignedToO, ccd].sort((x, y) => x - y));
    const count = await a.api("GET", `/api/v2/search/count.json?query=${encodeURIComponent(`type:ticket group:${theirs}`)}`, undefined, G);
    expect(count.status, count.text).toBe(200);
    expect(count.body.count).toBe(0);
    const ownerCount = await a.api("GET", `/api/v2/search/count.json?query=${encodeURIComponent(`type:ticket group:${theirs}`)}`);
    expect(ownerCount.body.count).toBe(3);

    // A bulk update names tickets the agent cannot see: each fails, as missing, when the job runs.
    const job = await a.api("PUT", `/api/v2/tickets/update_many.json?ids=${inMyGroup},${elsewhere}`, { ticket: { priority: "low" } }, G);
    expect(job.status, job.text).toBe(200);
    const done = await waitForJob(a, job.body.job_status.id, G);
    const byId = new Map<number, { success: boolean }>(done.results.map((r: { id: number; success: boolean }) => [r.id, r]));
    expect(byId.get(inMyGroup)?.success).toBe(true);
    expect(byId.get(elsewhere)?.success).toBe(false);
    expect((await a.api("GET", `/api/v2/tickets/${elsewhere}.json`)).body.ticket.priority).toBeNull();

    // Another person's job names tickets outside the agent's access: it is missing to them, and not listed.
    const ownersJob = await a.api("PUT", `/api/v2/tickets/update_many.json?ids=${elsewhere}`, { ticket: { tags: ["bulk"] } });
    expect(ownersJob.status, ownersJob.text).toBe(200);
    await waitForJob(a, ownersJob.body.job_status.id);
    for (const who of [G, O]) {
      expect((await a.api("GET", `/api/v2/job_statuses/${ownersJob.body.job_status.id}.json`, undefined, who)).status).toBe(404);
      const listed = await a.api("GET", "/api/v2/job_statuses.json", undefined, who);
      expect(listed.status).toBe(200);
      expect(listed.body.job_statuses.map((j: { id: string }) => j.id)).not.toContain(ownersJob.body.job_status.id);
    }
    expect((await a.api("GET", "/api/v2/job_statuses.json", undefined, G)).body.job_statuses.map((j: { id: string }) => j.id)).toContain(job.body.job_status.id);

    // A role narrowed applies at the next request (and to queued jobs: below).
    await a.api("PUT", `/api/v2/custom_roles/${groupsRole}.json`, { custom_role: { configuration: { ticket_access: "assigned-only" } } });
    expect(await visible(G, inMyGroup)).toBe(404);
    // …and widening it applies at the next request, without signing in again.
    await a.api("PUT", `/api/v2/custom_roles/${groupsRole}.json`, { custom_role: { configuration: { ticket_access: "all" } } });
    expect(await visible(G, elsewhere)).toBe(200);
  });

  it("obeys a role narrowed after a bulk job was queued, when the job runs", async () => {
    // A process that queues jobs but runs none, and a runner started once the role has changed:
    // the job cannot run before the change (a commit that queues a job wakes the runner at once).
    const web = await startTestApp({ env: { VAULTDESK_JOB_WORKERS: "0" } });
    const runner = new JobRunner(web.db, web.keyring, { warn: () => undefined }, { workers: 1, pollMs: 100, leaseMs: 10_000 });
    try {
      const w = await buildTenant(web, "crjob");
      const narrowed = await role(w, "Narrowed later", { ticket_access: "within-groups" });
      const g = await buildUser(web, w, "agent", "Gus Groups");
      await give(w, g.id, narrowed);
      const id = await ticket(w, { group_id: await group(w, "Billing", [g.id]) });
      const queued = await w.api("PUT", `/api/v2/tickets/update_many.json?ids=${id}`, { ticket: { priority: "high" } }, as(g));
      expect(queued.status, queued.text).toBe(200);
      expect((await w.api("PUT", `/api/v2/custom_roles/${narrowed}.json`, { custom_role: { configuration: { ticket_access: "assigned-only" } } })).status).toBe(200);
      expect((await w.api("GET", `/api/v2/job_statuses/${queued.body.job_status.id}.json`)).body.job_status.status).toBe("queued");
      runner.define(bulkUpdateHandler);
      runner.start();
      const after = await waitForJob(w, queued.body.job_status.id);
      expect(after.results.map((r: { success: boolean }) => r.success)).toEqual([false]);
      expect((await w.api("GET", `/api/v2/tickets/${id}.json`)).body.ticket.priority).toBeNull();
    } finally {
      await runner.stop();
      await web.close();
    }
  });

  it("obeys a role's other permissions: editing, public replies, deletion, end users, groups, organizations, audit log, API tokens", async () => {
    const narrow = await role(a, "Narrow", {
      ticket_editing: false, ticket_comment_access: "internal", ticket_deletion: false, end_user_profile_access: "readonly",
      organization_editing: false, api_token_access: false,
    });
    const wide = await role(a, "Wide", { group_access: true, audit_log_access: true });
    const n = await buildUser(t, a, "agent", "Nora Narrow");
    const w = await buildUser(t, a, "agent", "Will Wide");
    await give(a, n.id, narrow);
    await give(a, w.id, wide);
    const N = as(n);
    const W = as(w);
    const id = await ticket(a, {});
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { status: "pending" } }, N)).status).toBe(403);
    const pub = await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "Hi", public: true } } }, N);
    expect(pub.status).toBe(403);
    expect(pub.body.description).toBe("Your role allows internal notes only.");
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body: "Note", public: false } } }, N)).status).toBe(200);
    expect((await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "x", comment: { body: "y" } } }, N)).status).toBe(403);
    expect((await a.api("DELETE", `/api/v2/tickets/${id}.json`, undefined, N)).status).toBe(403);
    expect((await a.api("POST", "/api/v2/users.json", { user: { name: "New Customer", email: "nc@example.com" } }, N)).status).toBe(403);
    const customer = await buildUser(t, a, "end-user", "Carl Customer");
    expect((await a.api("GET", `/api/v2/users/${customer.id}.json`, undefined, N)).status).toBe(200);
    expect((await a.api("PUT", `/api/v2/users/${customer.id}.json`, { user: { name: "Renamed" } }, N)).status).toBe(403);
    expect((await a.api("POST", "/api/v2/organizations.json", { organization: { name: "Narrow Org" } }, N)).status).toBe(403);
    expect((await a.api("POST", "/api/v2/api_tokens.json", { api_token: { name: "mine" } }, N)).status).toBe(403);
    // Nor revoke one, even their own: refused (403) as the list and create are, not answered as missing.
    const own = (await a.api("GET", "/api/v2/api_tokens.json")).body.api_tokens.find((x: { user_id: number }) => x.user_id === n.id);
    const revoke = await a.api("DELETE", `/api/v2/api_tokens/${own.id}.json`, undefined, N);
    expect(revoke.status, revoke.text).toBe(403);
    expect((await a.api("POST", "/api/v2/groups.json", { group: { name: "By narrow" } }, N)).status).toBe(403);
    expect((await a.api("GET", "/api/v2/audit_logs.json", undefined, N)).status).toBe(403);

    expect((await a.api("POST", "/api/v2/groups.json", { group: { name: "By wide" } }, W)).status).toBe(201);
    expect((await a.api("GET", "/api/v2/audit_logs.json", undefined, W)).status).toBe(200);
    // A custom role never makes an agent an admin: roles and settings stay the admins'.
    expect((await a.api("POST", "/api/v2/custom_roles.json", { custom_role: { name: "Escalate", configuration: { ticket_access: "all" } } }, W)).status).toBe(403);
    expect((await a.api("PUT", `/api/v2/users/${w.id}.json`, { user: { custom_role_id: null } }, W)).status).toBe(403);

    const s = await a.api("GET", "/api/v2/session.json", undefined, N);
    expect(s.body.session.abilities).toMatchObject({ can_create_tickets: false, can_reply_publicly: false, can_edit_properties: false, can_delete_tickets: false, can_create_end_users: false, can_edit_end_users: false, can_edit_organizations: false, can_manage_api_tokens: false, ticket_access: "all" });
    const sw = await a.api("GET", "/api/v2/session.json", undefined, W);
    expect(sw.body.session.abilities).toMatchObject({ can_manage_groups: true, can_view_audit_log: true, can_manage_admin: false });
  });
});

describe("shared organizations", () => {
  it("lets members of an organization that shares its requests see each other's, and no one else's", async () => {
    await a.api("PUT", "/api/v2/password_settings.json", { password_settings: { admins_set_end_user_passwords: true } });
    const org = await a.api("POST", "/api/v2/organizations.json", { organization: { name: "Shared Co" } });
    expect(org.body.organization.shared_tickets).toBe(false);
    const orgId = org.body.organization.id as number;
    const password = "Shared organization passphrase 7";
    const member = async (name: string, organization: number | null) => {
      const u = await buildUser(t, a, "end-user", name);
      if (organization) expect((await a.api("PUT", `/api/v2/users/${u.id}.json`, { user: { organization_id: organization } })).status).toBe(200);
      expect((await a.api("POST", `/api/v2/users/${u.id}/password.json`, { password })).status).toBe(204);
      // A password an admin set is for one sign-in: the person chooses their own.
      const first = await signIn(t, a, u.email, password);
      expect((await asSession(t, a, first, "PUT", "/api/v2/users/me/password.json", { previous_password: password, password: `${password} mine` })).status).toBe(204);
      return { ...u, session: await signIn(t, a, u.email, `${password} mine`) };
    };
    const ann = await member("Ann Member", orgId);
    const bob = await member("Bob Member", orgId);
    const eve = await member("Eve Outsider", null);
    const annsTicket = await ticket(a, { requester_id: ann.id, organization_id: orgId, subject: "Ann's request" });

    const show = (who: typeof bob) => asSession(t, a, who.session, "GET", `/api/v2/requests/${annsTicket}.json`);
    expect((await show(bob)).status).toBe(404);
    expect((await asSession(t, a, bob.session, "GET", `/api/v2/organizations/${orgId}/requests.json`)).status).toBe(404);

    // Agents may not turn sharing on; admins may.
    const agent = as(await buildUser(t, a, "agent", "Agent Org"));
    expect((await a.api("PUT", `/api/v2/organizations/${orgId}.json`, { organization: { shared_tickets: true } }, agent)).status).toBe(403);
    expect((await a.api("PUT", `/api/v2/organizations/${orgId}.json`, { organization: { shared_tickets: true } })).status).toBe(200);

    expect((await show(bob)).status).toBe(200);
    expect((await asSession(t, a, bob.session, "GET", `/api/v2/requests/${annsTicket}/comments.json`)).status).toBe(200);
    const listed = await asSession(t, a, bob.session, "GET", `/api/v2/organizations/${orgId}/requests.json`);
    expect(listed.status, listed.text).toBe(200);
    expect(listed.body.requests.map((r: { id: number }) => r.id)).toEqual([annsTicket]);
    // Bob's own list is still his own.
    expect((await asSession(t, a, bob.session, "GET", "/api/v2/requests.json")).body.requests).toEqual([]);
    // Outsiders see nothing, and never the organization's list.
    expect((await show(eve)).status).toBe(404);
    expect((await asSession(t, a, eve.session, "GET", `/api/v2/organizations/${orgId}/requests.json`)).status).toBe(404);

    // Turned off again, it is gone at once.
    await a.api("PUT", `/api/v2/organizations/${orgId}.json`, { organization: { shared_tickets: false } });
    expect((await show(bob)).status).toBe(404);
  });
});
