import crypto from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registeredRoutes } from "../src/platform/http/route.ts";
import { RECENT_SIGN_IN_MS } from "../src/platform/recent-sign-in.ts";
import type { RateLimiter } from "../src/platform/rate-limiter.ts";
import { scopeName, scopeNeed, scopesGrant } from "../src/platform/http/scopes.ts";
import { buildTenant, buildUser, createTokenFor, startTestApp, waitForJob, type TestApp, type TestTenant } from "./support/harness.ts";
import { consentRecordFor } from "./support/consent.ts";
import { asSession, PASSWORD, signIn, staffWithPassword, type Session } from "./support/people.ts";
import { message, send, settled, supportOf } from "./support/mail-in.ts";
import { makeKeyPair } from "./support/simplesamlphp.ts";
import { startSmtpPeer, type SmtpPeer } from "./support/smtp-peer.ts";
import { SoftAuthenticator } from "./support/webauthn-authenticator.ts";

/**
 * The permission matrix: every route the server registers × every kind of actor, each answer
 * asserted exactly. The expected status comes from a short declarative rule per route (`RULES`:
 * who may call it, as the policies and docs/api.md say) with per-actor exceptions that give their
 * reason. Allowed: the route's own success status (from the OpenAPI document the routes generate);
 * refused: 403; a ticket outside the actor's access: 404, byte for byte as a missing one. A route
 * without a row fails the suite, so a new route cannot be added without deciding who may call it.
 * Routes anonymous by design (sign-in, setup, links in mail…) are `public`, with the reason, and
 * checked for never answering 500.
 *
 * Actors (`ACTORS`; add one by describing its role, its permissions and its scopes):
 * the owner, an admin, an agent, a light agent, an agent with a custom `assigned-only` role, an
 * agent with a custom role withholding most permissions, an end user signed in with a session, and
 * the owner's token with the `read` scope only (every write answers 403 naming the missing scope).
 */

let t: TestApp;
let a: TestTenant;
let smtp: SmtpPeer;
const samlKeys = makeKeyPair("matrix IdP");

// ---------------------------------------------------------------------------------------------
// Actors

/** The permissions of a role configuration the rules below ask about (src/platform/roles.ts). */
type Permission = "ticket_editing" | "public_replies" | "ticket_deletion" | "ticket_redaction" | "end_user_editing" | "group_access" | "organization_editing" | "audit_log_access" | "api_token_access";
type ActorName = "owner" | "admin" | "agent" | "light" | "assigned" | "narrow" | "endUser" | "readToken" | "ticketsReadToken";
type ActorSpec = {
  role: "owner" | "admin" | "agent" | "light_agent" | "end_user";
  /** What the actor's role grants, written out here (not read from the code under test). */
  grants: readonly Permission[];
  /** Which tickets they see. */
  access: "all" | "assigned-only";
  /** How they call: an API token (Basic `email/token:…`), or a browser session (cookie and CSRF header). */
  via: "token" | "session";
  /**
   * A token that carries only these scopes (src/platform/http/scopes.ts's vocabulary): a route
   * beyond them answers 403 naming the scope it needs, whatever the role would allow.
   */
  scopes?: readonly string[];
};
const ALL: readonly Permission[] = ["ticket_editing", "public_replies", "ticket_deletion", "ticket_redaction", "end_user_editing", "group_access", "organization_editing", "audit_log_access", "api_token_access"];
/** The agent preset: everything but groups and the audit log. */
const AGENT: readonly Permission[] = ALL.filter((p) => p !== "group_access" && p !== "audit_log_access");
const ACTORS: Record<ActorName, ActorSpec> = {
  owner: { role: "owner", grants: ALL, access: "all", via: "token" },
  admin: { role: "admin", grants: ALL, access: "all", via: "token" },
  agent: { role: "agent", grants: AGENT, access: "all", via: "token" },
  light: { role: "light_agent", grants: ["api_token_access"], access: "all", via: "token" },
  /** Custom role: `ticket_access: assigned-only`, the rest as the agent preset. */
  assigned: { role: "agent", grants: AGENT, access: "assigned-only", via: "token" },
  /** Custom role: no editing, internal notes only, no deletion, end users read-only, no organizations, no API tokens. */
  narrow: { role: "agent", grants: ["ticket_redaction"], access: "all", via: "token" },
  /** The requester of the tickets below and a member of their organization, which shares its requests. */
  endUser: { role: "end_user", grants: [], access: "all", via: "session" },
  readToken: { role: "owner", grants: ALL, access: "all", via: "token", scopes: ["read"] },
  /** The owner's token with `tickets:read` only: it reads ticket routes and nothing else. */
  ticketsReadToken: { role: "owner", grants: ALL, access: "all", via: "token", scopes: ["tickets:read"] },
};
const NAMES = Object.keys(ACTORS) as ActorName[];
const isStaff = (x: ActorSpec) => x.role !== "end_user";
const isAdmin = (x: ActorSpec) => x.role === "owner" || x.role === "admin";

// ---------------------------------------------------------------------------------------------
// Rules

/**
 * Who may call a route: `anyone` signed in; `staff` (every staff role); `admins` (owners and
 * admins); `agents` (owners, admins, and agents whose role sees every ticket: never light agents);
 * `requester` (the ticket's requester only: anyone else finds it missing, 404); `session`: anyone
 * signed in with a session, never with an API token (credentials one adds for oneself);
 * `staff-session`: staff signed in with a session (two-factor enrolment; no actor here is one, so
 * the matrix proves the refusals and test/two-factor.test.ts the rest); a permission (staff
 * whose role grants it; owners and admins have every one); `public`: anonymous by design;
 * `owner-session`: an owner signed in with a session (closing the account; no actor here is one,
 * so the matrix proves the refusals and test/account-termination.test.ts the owner's success).
 */
type Who = "anyone" | "staff" | "admins" | "agents" | "requester" | "session" | "staff-session" | "owner-session" | Permission | { public: string };
type Call = { method: string; path: string; body?: unknown; rawBody?: Buffer; headers?: Record<string, string> };
type Row = {
  who: Who;
  /** Statuses that differ from the rule for one actor, each with its reason in a comment. */
  except?: Partial<Record<ActorName, number>>;
  /** The request, built for this actor; `allowed` says whether it should succeed (make a fresh fixture then). */
  call: (as: ActorName, allowed: boolean) => Call | Promise<Call>;
  /** A ticket route: the same call on a ticket outside the assigned-only agent's access, and on a missing ticket. */
  outside?: () => { outside: Call; missing: Call } | Promise<{ outside: Call; missing: Call }>;
  /** A list of tickets: the ids it holds, which must not include the ticket outside the assigned-only agent's access. */
  lists?: (body: any) => number[];
  /** A further check of an allowed answer's body: a problem, or undefined. */
  check?: (as: ActorName, body: any) => string | undefined;
};

/** The status `as` should get from `row`, before the token's scopes are considered. */
function expectedFor(row: Row, as: ActorName, success: number[]): number[] | "public" {
  const over = row.except?.[as];
  if (over !== undefined) return [over];
  const who = row.who;
  if (typeof who === "object") return "public";
  const x = ACTORS[as];
  const ok =
    who === "anyone" ? true
    : who === "staff" ? isStaff(x)
    : who === "admins" ? isAdmin(x)
    : who === "agents" ? isAdmin(x) || (x.role === "agent" && x.access === "all")
    : who === "requester" ? x.role === "end_user"
    : who === "session" ? x.via === "session"
    : who === "staff-session" ? isStaff(x) && x.via === "session"
    : who === "owner-session" ? x.role === "owner" && x.via === "session"
    : isStaff(x) && (isAdmin(x) || x.grants.includes(who));
  if (ok) return success;
  return who === "requester" ? [404] : [403];
}

// ---------------------------------------------------------------------------------------------
// Fixtures (one tenant, made once)

const ids: Record<string, number> = {};
/** Each actor's user id and credentials (the end user's session is `endUserSession`). */
const cred: Record<ActorName, { id: number; email: string; token: string }> = {} as never;
let endUserSession: Session;
let endUserPassword = "";
let n = 0;
const unique = () => `pm${++n}x${crypto.randomBytes(3).toString("hex")}`;
let shared: Record<string, string | number> = {};

const basic = (email: string, token: string) => ({ authorization: "Basic " + Buffer.from(`${email}/token:${token}`).toString("base64") });
const ownerAuth = () => basic(a.ownerEmail, a.ownerToken);

/** Sends `call` as `as`. */
function send$(as: ActorName, c: Call, session = endUserSession) {
  if (ACTORS[as].via === "session") {
    const headers = { cookie: session.cookie, ...(c.method === "GET" ? {} : { "x-csrf-token": session.csrf }), ...c.headers };
    return t.request({ method: c.method, path: c.path, host: a.host, headers, body: c.body, ...(c.rawBody ? { rawBody: c.rawBody } : {}) });
  }
  const w = cred[as];
  return t.request({ method: c.method, path: c.path, host: a.host, headers: { ...basic(w.email, w.token), ...c.headers }, body: c.body, ...(c.rawBody ? { rawBody: c.rawBody } : {}) });
}

async function owner<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const r = await a.api(method, path, body);
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.text}`);
  return r.body as T;
}
const ticket = async (fields: Record<string, unknown> = {}): Promise<number> =>
  (await owner("POST", "/api/v2/tickets.json", { ticket: { subject: `Matrix ${unique()}`, comment: { body: "Body" }, requester_id: cred.endUser.id, assignee_id: cred.assigned.id, ...fields } })).ticket.id;
/** A ticket in the trash; OUTSIDE: outside the assigned-only agent's access (like `outside` below). */
const OUTSIDE = { assignee_id: "agent" } as const;
async function deletedTicket(where?: typeof OUTSIDE): Promise<number> {
  const id = await ticket(where ? { assignee_id: cred.agent.id, requester_id: await endUser() } : {});
  await owner("DELETE", `/api/v2/tickets/${id}.json`);
  return id;
}
const upload = async (): Promise<{ token: string; id: number }> => {
  const r = await t.request({ method: "POST", path: "/api/v2/uploads.json?filename=m.txt", host: a.host, rawBody: Buffer.from("matrix file"), headers: { ...ownerAuth(), "content-type": "text/plain" } });
  if (r.status !== 201) throw new Error(`upload: ${r.status} ${r.text}`);
  return { token: r.body.upload.token, id: r.body.upload.attachment.id };
};
/** A ticket with a file on its first (public) comment: the path of the file under the ticket. */
async function ticketWithFile(fields: Record<string, unknown> = {}): Promise<{ ticket: number; comment: number; attachment: number }> {
  const up = await upload();
  const id = await ticket({ ...fields, comment: { body: "With a file", uploads: [up.token] } });
  const comment = (await owner("GET", `/api/v2/tickets/${id}/comments.json`)).comments[0].id as number;
  return { ticket: id, comment, attachment: up.id };
}
let mails = 0;
const pathAndQuery = (url: string) => {
  const u = new URL(url);
  return u.pathname + u.search;
};
/**
 * An export `as` asked for, once ready, as `as` sees it; when `as` may not ask (a non-admin for the
 * account's, a read-only token), the owner's, seen by the owner (what `as` then gets is the rule's).
 */
async function readyExport(as: ActorName, kind: "person" | "tenant"): Promise<any> {
  const create = kind === "person" ? { method: "POST", path: "/api/v2/users/me/data_exports.json" } : { method: "POST", path: "/api/v2/exports.json", body: { export: { resource: "organizations", format: "json", fields: ["id"] } } };
  const key = kind === "person" ? "data_export" : "export";
  let r = await send$(as, create);
  let mine = true;
  if (r.status !== 202) {
    r = await a.api(create.method, create.path, create.body);
    mine = false;
  }
  if (r.status !== 202) throw new Error(`export: ${r.status} ${r.text}`);
  const url = `/api/v2/${kind === "person" ? "data_exports" : "exports"}/${r.body[key].id}.json`;
  for (let i = 0; ; i++) {
    const s = mine ? await send$(as, get(url)) : await a.api("GET", url);
    if (s.body?.[key]?.status === "ready") return s.body[key];
    if (i > 1500) throw new Error(`export ${url} not ready: ${s.status} ${s.text}`);
    await new Promise((res) => setTimeout(res, 20));
  }
}
async function mailIn(subject: string, headers: string[] = []): Promise<void> {
  const from = `${unique()}@sender.test`;
  await send(t.app.smtpIn!.port, { from, to: [supportOf(a)] }, message({ from, to: supportOf(a), subject, headers }));
  await settled(t, a, ++mails);
}
async function suspended(): Promise<number> {
  await mailIn("Spam", ["X-Spam-Flag: YES"]);
  return (await owner("GET", "/api/v2/suspended_tickets.json?sort_order=desc")).suspended_tickets[0].id as number;
}
/** A view for every staff member, of the owner's, over the matrix's tickets inside and outside the assigned-only agent's access. */
const sharedView = async () =>
  (await owner("POST", "/api/v2/views.json", { view: { title: "Matrix view", restriction: null, all: [{ field: "current_tags", operator: "includes", value: "matrix_inside matrix_outside" }] } })).view.id as number;
/** A macro for every staff member, of the owner's. */
const sharedMacro = async () => (await owner("POST", "/api/v2/macros.json", { macro: { title: "Matrix macro", restriction: null, actions: [{ field: "status", value: "open" }, { field: "comment_value", value: "Hi {{ticket.requester.first_name}}" }] } })).macro.id as number;
/** Business rules of each kind: one of the account's (on a tag no matrix ticket carries), and what a create sends. */
const NEVER = { field: "current_tags", operator: "includes", value: "never_in_matrix" };
const RULE_BODIES = {
  trigger: {
    kept: { title: "Matrix trigger", conditions: { all: [NEVER] }, actions: [{ field: "priority", value: "high" }] },
    created: { title: "Mine", conditions: { any: [{ field: "update_type", operator: "is", value: "Create" }, NEVER] }, actions: [{ field: "current_tags", value: "matrix_created" }] },
  },
  automation: {
    kept: { title: "Matrix automation", conditions: { all: [NEVER, { field: "created_at", operator: "greater_than", value: 1 }] }, actions: [{ field: "remove_tags", value: "never_in_matrix" }] },
    created: { title: "Mine", conditions: { all: [NEVER, { field: "PENDING", operator: "greater_than", value: 24 }] }, actions: [{ field: "status", value: "open" }] },
  },
};
type RuleKind = keyof typeof RULE_BODIES;
const rule = async (kind: RuleKind) => (await owner("POST", `/api/v2/${kind}s.json`, { [kind]: RULE_BODIES[kind].kept }))[kind].id as number;
const ruleIds = async (kind: RuleKind) => ((await owner("GET", `/api/v2/${kind}s.json`))[`${kind}s`] as Array<{ id: number }>).map((x) => x.id);
/** The matrix's rows for one kind of rule (listTriggers, createAutomation...): owners and admins only. */
function ruleRows(kind: RuleKind, One: string): Record<string, Row> {
  const base = `/api/v2/${kind}s`;
  return {
    [`list${One}s`]: { who: "admins", call: () => get(`${base}.json`) },
    [`listActive${One}s`]: { who: "admins", call: () => get(`${base}/active.json`) },
    [`show${One}Definitions`]: { who: "admins", call: () => get(`${base}/definitions.json`) },
    [`show${One}`]: { who: "admins", call: () => get(`${base}/${ids[kind]}.json`) },
    [`create${One}`]: { who: "admins", call: () => ({ method: "POST", path: `${base}.json`, body: { [kind]: RULE_BODIES[kind].created } }) },
    [`update${One}`]: { who: "admins", call: () => ({ method: "PUT", path: `${base}/${ids[kind]}.json`, body: { [kind]: { position: 3 } } }) },
    [`reorder${One}s`]: { who: "admins", call: async () => ({ method: "PUT", path: `${base}/reorder.json`, body: { [`${kind}_ids`]: (await ruleIds(kind)).reverse() } }) },
    [`delete${One}`]: { who: "admins", call: async (_as, ok) => ({ method: "DELETE", path: `${base}/${ok ? await rule(kind) : ids[kind]}.json` }) },
  };
}
const group = async () => (await owner("POST", "/api/v2/groups.json", { group: { name: unique() } })).group.id as number;
/** An SLA policy of the owner's (on a tag no ticket carries), and the account's policies' ids. */
const SLA_BODY = { title: "Urgent first", filter: { all: [{ field: "current_tags", operator: "includes", value: "never_set_sla" }] }, policy_metrics: [{ priority: "urgent", metric: "first_reply_time", target: 30, business_hours: false }] };
const slaPolicy = async () => (await owner("POST", "/api/v2/slas/policies.json", { sla_policy: SLA_BODY })).sla_policy.id as number;
let keptSla: Promise<number> | undefined;
const theSla = () => (keptSla ??= slaPolicy());
const slaIds = async () => ((await owner("GET", "/api/v2/slas/policies.json")).sla_policies as Array<{ id: number }>).map((x) => x.id);
/** A business hours schedule, and a holiday of the shared one (fresh fixtures for the deletes). */
const BH = "/api/v2/business_hours/schedules";
const schedule = async () => (await owner("POST", `${BH}.json`, { schedule: { name: unique(), time_zone: "Europe/Stockholm" } })).schedule.id as number;
const scheduleHoliday = async () => (await owner("POST", `${BH}/${ids.schedule}/holidays.json`, { holiday: { name: unique(), start_date: "2027-12-24", end_date: "2027-12-26" } })).holiday.id as number;
const endUser = async () => (await buildUser(t, a, "end-user", "Someone Else")).id;
/** The tenant's first audit archive (made once: everything up to now, as if 400 days had passed). */
let archived: Promise<number> | undefined;
const auditArchive = () =>
  (archived ??= (async () => {
    const { archiveTenant } = await import("../src/modules/audit/audit-archive.ts");
    const { createBlobStore } = await import("../src/platform/blobs/index.ts");
    await archiveTenant({ db: t.db, keyring: t.keyring, blobs: createBlobStore(t.config) }, a.tenantId, new Date(Date.now() + 400 * 86_400_000));
    return 1;
  })());
/** A person deleted (restorable, not erased) by the owner. */
const deletedUser = async () => {
  const id = await endUser();
  await owner("DELETE", `/api/v2/users/${id}.json`);
  return id;
};
const agentUser = async () => (await buildUser(t, a, "agent", "Another Agent")).id;
async function deadLetter(): Promise<string> {
  const id = crypto.randomUUID();
  await t.db.tenant(a.tenantId, async (tx) => {
    const sealer = await t.keyring.sealerFor(tx);
    await tx.db.insertInto("undelivered_mail").values({ tenant_id: a.tenantId, id, message_sealed: sealer.sealJson({ to: "late@customer.test", subject: "s", text: "t", language: "en" }, { table: "undelivered_mail", column: "message", row: id }), attempts: 3, failed_at: new Date() }).execute();
  });
  return id;
}
/** A passkey of user `niceId`, stored as the registration route stores one. */
async function passkeyOf(niceId: number): Promise<string> {
  const id = crypto.randomUUID();
  await t.db.tenant(a.tenantId, async (tx) => {
    const sealer = await t.keyring.sealerFor(tx);
    const user = await tx.db.selectFrom("users").select("id").where("nice_id", "=", niceId).executeTakeFirstOrThrow();
    const ref = (column: "credential_id" | "public_key" | "name") => ({ table: "passkeys" as const, column, row: id });
    await tx.db.insertInto("passkeys").values({ tenant_id: a.tenantId, id, user_id: user.id, credential_bidx: sealer.blindIndex("passkey-credential", `cred-${id}`), credential_id_sealed: sealer.seal(`cred-${id}`, ref("credential_id")), public_key_sealed: sealer.seal("AAAA", ref("public_key")), name_sealed: sealer.seal("Matrix key", ref("name")), sign_count: 0, device_type: "multiDevice", last_used_at: null }).execute();
  });
  return id;
}
/** A fresh session of the end user (for routes that end it). */
const freshEndUserSession = () => signIn(t, a, cred.endUser.email, endUserPassword);

beforeAll(async () => {
  // Rate limits are not what this suite asks about: every actor calls every sign-in route.
  const unlimited: RateLimiter = { hit: () => ({ allowed: true, remaining: 1, resetSeconds: 60 }), peek: () => ({ allowed: true, remaining: 1, resetSeconds: 60 }) };
  smtp = await startSmtpPeer();
  t = await startTestApp({ rateLimiter: unlimited, env: { VAULTDESK_SMTP_URL: smtp.url, VAULTDESK_SMTP_LISTEN: "127.0.0.1:0", VAULTDESK_JOB_POLL_SECONDS: "0.1" } });
  a = await buildTenant(t, "pm");
  const role = async (configuration: Record<string, unknown>) => (await owner("POST", "/api/v2/custom_roles.json", { custom_role: { name: unique(), configuration } })).custom_role.id as number;
  const assignedRole = await role({ ticket_access: "assigned-only" });
  const narrowRole = await role({ ticket_editing: false, ticket_comment_access: "internal", ticket_deletion: false, end_user_profile_access: "readonly", organization_editing: false, api_token_access: false });
  ids.customRole = await role({ ticket_access: "within-groups" });
  cred.owner = { id: 1, email: a.ownerEmail, token: a.ownerToken };
  const staff = async (r: "admin" | "agent" | "light-agent", customRole?: number) => {
    const u = await buildUser(t, a, r, `Matrix ${r}`);
    if (customRole) await owner("PUT", `/api/v2/users/${u.id}.json`, { user: { custom_role_id: customRole } });
    return { id: u.id, email: u.email, token: u.token! };
  };
  cred.admin = await staff("admin");
  cred.agent = await staff("agent");
  cred.light = await staff("light-agent");
  cred.assigned = await staff("agent", assignedRole);
  cred.narrow = await staff("agent", narrowRole);
  const read = await owner("POST", "/api/v2/api_tokens.json", { api_token: { name: "read only", scopes: ["read"] } });
  cred.readToken = { id: 1, email: a.ownerEmail, token: read.api_token.token };
  const ticketsRead = await owner("POST", "/api/v2/api_tokens.json", { api_token: { name: "tickets read", scopes: ["tickets:read"] } });
  cred.ticketsReadToken = { id: 1, email: a.ownerEmail, token: ticketsRead.api_token.token };
  ids.oauthClient = (await owner("POST", "/api/v2/oauth/clients.json", { client: { name: "Matrix app", identifier: "matrix_app", redirect_uri: [OAUTH_REDIRECT], kind: "public" } })).client.id;
  // The end user: a member of a shared organization, signed in with a password of their own.
  await owner("PUT", "/api/v2/password_settings.json", { password_settings: { admins_set_end_user_passwords: true } });
  ids.organization = (await owner("POST", "/api/v2/organizations.json", { organization: { name: `Org ${unique()}` } })).organization.id;
  await owner("PUT", `/api/v2/organizations/${ids.organization}.json`, { organization: { shared_tickets: true } });
  const eu = await buildUser(t, a, "end-user", "Matrix Customer");
  await owner("PUT", `/api/v2/users/${eu.id}.json`, { user: { organization_id: ids.organization } });
  const first = "Matrix first passphrase 7";
  await owner("POST", `/api/v2/users/${eu.id}/password.json`, { password: first });
  endUserPassword = `${first} mine`;
  const s1 = await signIn(t, a, eu.email, first);
  expect((await asSession(t, a, s1, "PUT", "/api/v2/users/me/password.json", { previous_password: first, password: endUserPassword })).status).toBe(204);
  cred.endUser = { id: eu.id, email: eu.email, token: "" };
  endUserSession = await freshEndUserSession();

  // Tickets: `inside` is assigned to the assigned-only agent (and requested by the end user);
  // `outside` is neither; both carry a file on a public comment.
  const inside = await ticketWithFile({ tags: ["matrix_inside"], organization_id: ids.organization });
  const outside = await ticketWithFile({ assignee_id: cred.agent.id, requester_id: await endUser(), tags: ["matrix_outside"] });
  Object.assign(ids, { ticket: inside.ticket, comment: inside.comment, attachment: inside.attachment, outTicket: outside.ticket, outComment: outside.comment, outAttachment: outside.attachment });
  ids.otherEndUser = await endUser();
  ids.otherAgent = await agentUser();
  ids.group = await group();
  ids.membership = (await owner("POST", "/api/v2/group_memberships.json", { group_membership: { user_id: ids.otherAgent, group_id: ids.group } })).group_membership.id;
  ids.ticketField = (await owner("POST", "/api/v2/ticket_fields.json", { ticket_field: { type: "text", title: "Matrix field" } })).ticket_field.id;
  // A shared view holding the ticket inside the assigned-only agent's access and the one outside it.
  ids.view = await sharedView();
  ids.macro = await sharedMacro();
  ids.trigger = await rule("trigger");
  ids.automation = await rule("automation");
  ids.schedule = await schedule();
  ids.scheduleHoliday = await scheduleHoliday();
  const job = await owner("POST", "/api/v2/tickets/create_many.json", { tickets: [{ subject: "bulk", comment: { body: "b" } }] });
  shared.job = job.job_status.id;
  await waitForJob(a, shared.job as string);
  ids.recipientAddress = (await owner("POST", "/api/v2/recipient_addresses.json", { recipient_address: { email: `${unique()}@own.test`, name: "Desk" } })).recipient_address.id;
  shared.dkim = (await owner("POST", "/api/v2/dkim_keys.json", { dkim_key: { domain: `${unique()}.example` } })).dkim_key.id;
  shared.deadLetter = await deadLetter();
  ids.suspended = await suspended();
  // Two tickets from e-mail (their originals are stored): one for the assigned-only agent, one not.
  await mailIn("Mailed inside");
  await mailIn("Mailed outside");
  const mailed = (await owner("GET", "/api/v2/tickets.json?per_page=100")).tickets.filter((x: { via: { channel: string } }) => x.via.channel === "email").map((x: { id: number }) => x.id).sort((x: number, y: number) => x - y);
  ids.mailedIn = mailed[0];
  ids.mailedOut = mailed[1];
  await owner("PUT", `/api/v2/tickets/${ids.mailedIn}.json`, { ticket: { assignee_id: cred.assigned.id } });
  ids.mailedInComment = (await owner("GET", `/api/v2/tickets/${ids.mailedIn}/comments.json`)).comments[0].id;
  ids.mailedOutComment = (await owner("GET", `/api/v2/tickets/${ids.mailedOut}/comments.json`)).comments[0].id;
  shared.invitationToken = "vdi_" + "x".repeat(43);
  ids.invitation = (await owner("POST", "/api/v2/invitations.json", { invitation: { email: `${unique()}@a.test`, role: "agent" } })).invitation.id;
}, 120_000);
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

// ---------------------------------------------------------------------------------------------
// The rows

const get = (path: string): Call => ({ method: "GET", path });

/** OAuth: a public client's registered address, an authorization request for it, and the owner's authorizations. */
const OAUTH_REDIRECT = "http://127.0.0.1:9/callback";
async function oauthRequest(): Promise<{ authorize: Record<string, string>; consent: string }> {
  const challenge = crypto.createHash("sha256").update(crypto.randomBytes(32).toString("base64url")).digest("base64url");
  const authorize = { response_type: "code", client_id: "matrix_app", redirect_uri: OAUTH_REDIRECT, scope: "read", state: "st", code_challenge: challenge, code_challenge_method: "S256" };
  const r = await t.request({ method: "GET", path: `/oauth/authorizations/new?${new URLSearchParams(authorize)}`, host: a.host });
  expect(r.status, r.text).toBe(302);
  return { authorize, consent: new URL(r.headers.location as string, a.origin).searchParams.toString() };
}
/** A fresh authorization of the owner's (consent in an owner session, the code exchanged): its id in /oauth/tokens. */
async function ownerOAuthGrant(): Promise<number> {
  const verifier = crypto.randomBytes(32).toString("base64url");
  const authorize = { response_type: "code", client_id: "matrix_app", redirect_uri: OAUTH_REDIRECT, scope: "read", state: "st", code_challenge: crypto.createHash("sha256").update(verifier).digest("base64url"), code_challenge_method: "S256" };
  const r = await t.request({ method: "GET", path: `/oauth/authorizations/new?${new URLSearchParams(authorize)}`, host: a.host });
  const params = Object.fromEntries(new URL(r.headers.location as string, a.origin).searchParams);
  ownerSession ??= await signIn(t, a, a.ownerEmail, a.ownerPassword);
  const d = await asSession(t, a, ownerSession, "POST", "/api/v2/oauth/consent", { ...params, allowed: true });
  expect(d.status, d.text).toBe(200);
  const code = new URL(d.body.redirect_to as string).searchParams.get("code")!;
  const tk = await t.request({ method: "POST", path: "/oauth/tokens", host: a.host, body: { grant_type: "authorization_code", code, redirect_uri: OAUTH_REDIRECT, client_id: "matrix_app", code_verifier: verifier } });
  expect(tk.status, tk.text).toBe(200);
  return Math.max(...((await owner("GET", "/api/v2/oauth/tokens.json")).tokens as Array<{ id: number }>).map((x) => x.id));
}
let ownerSession: Session | undefined;
/** Ends any live support access grant (one may be live at a time). */
async function endSupportGrants(): Promise<void> {
  const list = await owner("GET", "/api/v2/support_access.json");
  for (const g of list.support_access_grants as Array<{ id: number; status: string }>) {
    if (g.status === "live") await t.request({ method: "DELETE", path: `/api/v2/support_access/${g.id}.json`, host: a.host, headers: ownerAuth() });
  }
}
const tk = () => ids.ticket;
/** Satisfaction ratings on (the account's setting), for the routes that rate. */
const ratingsOn = () => owner("PUT", "/api/v2/satisfaction_settings.json", { satisfaction_settings: { enabled: true } });
/** A solved ticket of the end user's; `outside`: outside the assigned-only agent's access. */
const solvedTicket = (outside = false) => ticket({ status: "solved", ...(outside ? { assignee_id: cred.agent.id } : {}) });
/** The end user's ratings of a solved ticket inside the assigned-only agent's access and of one outside it (made once). */
let ratings: Promise<{ inTicket: number; outTicket: number; inRating: number; outRating: number }> | undefined;
const rated = () =>
  (ratings ??= (async () => {
    await ratingsOn();
    const rate = async (id: number) => {
      const r = await asSession(t, a, endUserSession, "POST", `/api/v2/tickets/${id}/satisfaction_rating.json`, { satisfaction_rating: { score: "good" } });
      if (r.status !== 200) throw new Error(`rating: ${r.status} ${r.text}`);
      return r.body.satisfaction_rating.id as number;
    };
    const inTicket = await solvedTicket();
    const outTicket = await solvedTicket(true);
    Object.assign(ids, { ratedIn: inTicket, ratedOut: outTicket });
    return { inTicket, outTicket, inRating: await rate(inTicket), outRating: await rate(outTicket) };
  })());
/** A call on the ticket inside the assigned-only agent's access, and the same on the one outside and a missing one. */
const onTicket = (build: (ticket: number, comment: number, attachment: number) => Call) => ({
  outside: () => ({ outside: build(ids.outTicket!, ids.outComment!, ids.outAttachment!), missing: build(999_999, 999_999, 999_999) }),
});
const ticketIds = (b: any): number[] => (b?.tickets ?? b?.results ?? []).map((x: { id: number }) => x.id);

const RULES: Record<string, Row> = {
  // --- tickets (the workspace's API: staff; end users use the requests API)
  listTickets: { who: "staff", call: () => get("/api/v2/tickets.json?per_page=100"), lists: ticketIds },
  listRequestedTickets: { who: "staff", call: () => get(`/api/v2/users/${cred.endUser.id}/tickets/requested.json`) },
  listCcdTickets: { who: "staff", call: () => get(`/api/v2/users/${cred.endUser.id}/tickets/ccd.json`) },
  listAssignedTickets: { who: "staff", call: () => get(`/api/v2/users/${cred.agent.id}/tickets/assigned.json`) },
  listOrganizationTickets: { who: "staff", call: () => get(`/api/v2/organizations/${ids.organization}/tickets.json`) },
  showManyTickets: { who: "staff", call: () => get(`/api/v2/tickets/show_many.json?ids=${ids.ticket},${ids.outTicket}`), lists: ticketIds },
  showTicket: { who: "staff", call: () => get(`/api/v2/tickets/${tk()}.json`), ...onTicket((id) => get(`/api/v2/tickets/${id}.json`)) },
  createTicket: { who: "ticket_editing", call: () => ({ method: "POST", path: "/api/v2/tickets.json", body: { ticket: { subject: "New", comment: { body: "b" } } } }) },
  updateTicket: { who: "ticket_editing", call: () => ({ method: "PUT", path: `/api/v2/tickets/${tk()}.json`, body: { ticket: { priority: "high" } } }), ...onTicket((id) => ({ method: "PUT", path: `/api/v2/tickets/${id}.json`, body: { ticket: { priority: "low" } } })) },
  listTicketTags: { who: "staff", call: () => get(`/api/v2/tickets/${tk()}/tags.json`), ...onTicket((id) => get(`/api/v2/tickets/${id}/tags.json`)) },
  setTicketTags: { who: "ticket_editing", call: () => ({ method: "POST", path: `/api/v2/tickets/${tk()}/tags.json`, body: { tags: ["matrix_inside", "set"] } }), ...onTicket((id) => ({ method: "POST", path: `/api/v2/tickets/${id}/tags.json`, body: { tags: ["matrix_outside", "set"] } })) },
  addTicketTags: { who: "ticket_editing", call: () => ({ method: "PUT", path: `/api/v2/tickets/${tk()}/tags.json`, body: { tags: ["added"] } }), ...onTicket((id) => ({ method: "PUT", path: `/api/v2/tickets/${id}/tags.json`, body: { tags: ["added"] } })) },
  removeTicketTags: { who: "ticket_editing", call: () => ({ method: "DELETE", path: `/api/v2/tickets/${tk()}/tags.json`, body: { tags: ["added"] } }), ...onTicket((id) => ({ method: "DELETE", path: `/api/v2/tickets/${id}/tags.json`, body: { tags: ["added"] } })) },
  deleteTicket: { who: "ticket_deletion", call: async (_as, ok) => ({ method: "DELETE", path: `/api/v2/tickets/${ok ? await ticket() : tk()}.json` }), ...onTicket((id) => ({ method: "DELETE", path: `/api/v2/tickets/${id}.json` })) },
  // The trash: staff whose role may delete tickets, within their ticket access (a fresh deleted ticket each time).
  listDeletedTickets: { who: "ticket_deletion", call: () => get("/api/v2/deleted_tickets.json?per_page=100") },
  restoreDeletedTicket: { who: "ticket_deletion", call: async () => ({ method: "PUT", path: `/api/v2/deleted_tickets/${await deletedTicket()}/restore.json` }), outside: async () => ({ outside: { method: "PUT", path: `/api/v2/deleted_tickets/${await deletedTicket(OUTSIDE)}/restore.json` }, missing: { method: "PUT", path: "/api/v2/deleted_tickets/999999/restore.json" } }) },
  restoreManyDeletedTickets: { who: "ticket_deletion", call: async () => ({ method: "PUT", path: `/api/v2/deleted_tickets/restore_many.json?ids=${await deletedTicket()}` }), outside: async () => ({ outside: { method: "PUT", path: `/api/v2/deleted_tickets/restore_many.json?ids=${await deletedTicket(OUTSIDE)}` }, missing: { method: "PUT", path: "/api/v2/deleted_tickets/restore_many.json?ids=999999" } }) },
  destroyDeletedTicket: { who: "ticket_deletion", call: async () => ({ method: "DELETE", path: `/api/v2/deleted_tickets/${await deletedTicket()}.json` }), outside: async () => ({ outside: { method: "DELETE", path: `/api/v2/deleted_tickets/${await deletedTicket(OUTSIDE)}.json` }, missing: { method: "DELETE", path: "/api/v2/deleted_tickets/999999.json" } }) },
  destroyManyDeletedTickets: { who: "ticket_deletion", call: async () => ({ method: "DELETE", path: `/api/v2/deleted_tickets/destroy_many.json?ids=${await deletedTicket()}` }), outside: async () => ({ outside: { method: "DELETE", path: `/api/v2/deleted_tickets/destroy_many.json?ids=${await deletedTicket(OUTSIDE)}` }, missing: { method: "DELETE", path: "/api/v2/deleted_tickets/destroy_many.json?ids=999999" } }) },
  createManyTickets: { who: "ticket_editing", call: () => ({ method: "POST", path: "/api/v2/tickets/create_many.json", body: { tickets: [{ subject: "s", comment: { body: "b" } }] } }) },
  updateManyTickets: { who: "ticket_editing", call: () => ({ method: "PUT", path: `/api/v2/tickets/update_many.json?ids=${tk()}`, body: { ticket: { priority: "normal" } } }) },
  mergeTickets: {
    who: "ticket_editing",
    // A fresh source (a merge closes it), into a fresh target when allowed, else into the shared ticket (a refusal writes nothing).
    call: async (_as, ok) => ({ method: "POST", path: `/api/v2/tickets/${ok ? await ticket() : tk()}/merge.json`, body: { ids: [await ticket()] } }),
    ...onTicket((id) => ({ method: "POST", path: `/api/v2/tickets/${id}/merge.json`, body: { ids: [tk()] } })),
  },
  listTicketComments: { who: "staff", call: () => get(`/api/v2/tickets/${tk()}/comments.json`), ...onTicket((id) => get(`/api/v2/tickets/${id}/comments.json`)) },
  listTicketAudits: { who: "staff", call: () => get(`/api/v2/tickets/${tk()}/audits.json`), ...onTicket((id) => get(`/api/v2/tickets/${id}/audits.json`)) },
  search: { who: "staff", call: () => get(`/api/v2/search.json?query=${encodeURIComponent("type:ticket tags:matrix_inside tags:matrix_outside")}`), lists: ticketIds },
  countSearchResults: {
    who: "staff",
    call: () => get(`/api/v2/search/count.json?query=${encodeURIComponent("type:ticket tags:matrix_outside")}`),
    check: (as, b) => (b.count !== (ACTORS[as].access === "all" ? 1 : 0) ? `counts ${b.count} for the ticket outside the assigned-only agent's access` : undefined),
  },
  // --- views: staff read and run them (each through their own ticket access); shared ones are changed by admins only
  listViews: { who: "staff", call: () => get("/api/v2/views.json") },
  listActiveViews: { who: "staff", call: () => get("/api/v2/views/active.json") },
  showView: { who: "staff", call: () => get(`/api/v2/views/${ids.view}.json`) },
  listViewTickets: { who: "staff", call: () => get(`/api/v2/views/${ids.view}/tickets.json`), lists: ticketIds },
  countView: {
    who: "staff",
    call: () => get(`/api/v2/views/${ids.view}/count.json`),
    check: (as, b) => (b.view_count.value !== (ACTORS[as].access === "all" ? 2 : 1) ? `counts ${b.view_count.value}: the ticket outside the assigned-only agent's access miscounted` : undefined),
  },
  countManyViews: { who: "staff", call: () => get(`/api/v2/views/count_many.json?ids=${ids.view}`) },
  // A personal view of the caller's own: any staff member.
  createView: { who: "staff", call: () => ({ method: "POST", path: "/api/v2/views.json", body: { view: { title: "Mine", all: [{ field: "status", operator: "less_than", value: "solved" }] } } }) },
  updateView: { who: "admins", call: () => ({ method: "PUT", path: `/api/v2/views/${ids.view}.json`, body: { view: { position: 3 } } }) },
  deleteView: { who: "admins", call: async (_as, ok) => ({ method: "DELETE", path: `/api/v2/views/${ok ? await sharedView() : ids.view}.json` }) },
  // --- macros: staff read and apply them (a ticket through their own ticket access); shared ones are changed by admins only
  listMacros: { who: "staff", call: () => get("/api/v2/macros.json") },
  listActiveMacros: { who: "staff", call: () => get("/api/v2/macros/active.json") },
  listMacroCategories: { who: "staff", call: () => get("/api/v2/macros/categories.json") },
  showMacro: { who: "staff", call: () => get(`/api/v2/macros/${ids.macro}.json`) },
  showMacroEffect: { who: "staff", call: () => get(`/api/v2/macros/${ids.macro}/apply.json`) },
  applyMacroToTicket: { who: "staff", call: () => get(`/api/v2/tickets/${tk()}/macros/${ids.macro}/apply.json`), ...onTicket((id) => get(`/api/v2/tickets/${id}/macros/${ids.macro}/apply.json`)) },
  createMacro: { who: "staff", call: () => ({ method: "POST", path: "/api/v2/macros.json", body: { macro: { title: "Mine", actions: [{ field: "status", value: "pending" }] } } }) },
  updateMacro: { who: "admins", call: () => ({ method: "PUT", path: `/api/v2/macros/${ids.macro}.json`, body: { macro: { position: 3 } } }) },
  deleteMacro: { who: "admins", call: async (_as, ok) => ({ method: "DELETE", path: `/api/v2/macros/${ok ? await sharedMacro() : ids.macro}.json` }) },
  // --- triggers and automations: the account's business rules, owners and admins only
  ...ruleRows("trigger", "Trigger"),
  ...ruleRows("automation", "Automation"),
  // --- SLA policies: owners and admins only
  listSlaPolicies: { who: "admins", call: () => get("/api/v2/slas/policies.json") },
  showSlaPolicyDefinitions: { who: "admins", call: () => get("/api/v2/slas/policies/definitions.json") },
  showSlaPolicy: { who: "admins", call: async () => get(`/api/v2/slas/policies/${await theSla()}.json`) },
  createSlaPolicy: { who: "admins", call: () => ({ method: "POST", path: "/api/v2/slas/policies.json", body: { sla_policy: SLA_BODY } }) },
  updateSlaPolicy: { who: "admins", call: async () => ({ method: "PUT", path: `/api/v2/slas/policies/${await theSla()}.json`, body: { sla_policy: { position: 3 } } }) },
  reorderSlaPolicies: { who: "admins", call: async () => ({ method: "PUT", path: "/api/v2/slas/policies/reorder.json", body: { sla_policy_ids: (await slaIds()).reverse() } }) },
  deleteSlaPolicy: { who: "admins", call: async (_as, ok) => ({ method: "DELETE", path: `/api/v2/slas/policies/${ok ? await slaPolicy() : await theSla()}.json` }) },
  // --- business hours: every staff member reads them (the SLA badges), owners and admins write
  listSchedules: { who: "staff", call: () => get(`${BH}.json`) },
  showSchedule: { who: "staff", call: () => get(`${BH}/${ids.schedule}.json`) },
  createSchedule: { who: "admins", call: () => ({ method: "POST", path: `${BH}.json`, body: { schedule: { name: "Matrix hours", time_zone: "Asia/Tokyo" } } }) },
  updateSchedule: { who: "admins", call: () => ({ method: "PUT", path: `${BH}/${ids.schedule}.json`, body: { schedule: { name: "Matrix renamed" } } }) },
  updateScheduleWorkweek: { who: "admins", call: () => ({ method: "PUT", path: `${BH}/${ids.schedule}/workweek.json`, body: { workweek: { intervals: [{ start_time: 1980, end_time: 2460 }] } } }) },
  deleteSchedule: { who: "admins", call: async (_as, ok) => ({ method: "DELETE", path: `${BH}/${ok ? await schedule() : ids.schedule}.json` }) },
  listScheduleHolidays: { who: "staff", call: () => get(`${BH}/${ids.schedule}/holidays.json`) },
  showScheduleHoliday: { who: "staff", call: () => get(`${BH}/${ids.schedule}/holidays/${ids.scheduleHoliday}.json`) },
  createScheduleHoliday: { who: "admins", call: () => ({ method: "POST", path: `${BH}/${ids.schedule}/holidays.json`, body: { holiday: { name: "Matrix day", start_date: "2027-05-01", end_date: "2027-05-01" } } }) },
  updateScheduleHoliday: { who: "admins", call: () => ({ method: "PUT", path: `${BH}/${ids.schedule}/holidays/${ids.scheduleHoliday}.json`, body: { holiday: { name: "Matrix renamed day" } } }) },
  deleteScheduleHoliday: { who: "admins", call: async (_as, ok) => ({ method: "DELETE", path: `${BH}/${ids.schedule}/holidays/${ok ? await scheduleHoliday() : ids.scheduleHoliday}.json` }) },
  // End users read the fields visible in the portal (this one is not: missing to them).
  listTicketFields: { who: "anyone", call: () => get("/api/v2/ticket_fields.json") },
  showTicketField: { who: "anyone", except: { endUser: 404 }, call: () => get(`/api/v2/ticket_fields/${ids.ticketField}.json`) },
  createTicketField: { who: "admins", call: () => ({ method: "POST", path: "/api/v2/ticket_fields.json", body: { ticket_field: { type: "checkbox", title: "Flag" } } }) },
  updateTicketField: { who: "admins", call: () => ({ method: "PUT", path: `/api/v2/ticket_fields/${ids.ticketField}.json`, body: { ticket_field: { title: "Renamed field" } } }) },
  deleteTicketField: { who: "admins", call: async (_as, ok) => ({ method: "DELETE", path: `/api/v2/ticket_fields/${ok ? (await owner("POST", "/api/v2/ticket_fields.json", { ticket_field: { type: "text", title: "Doomed" } })).ticket_field.id : ids.ticketField}.json` }) },

  // --- files
  // Uploads are open to anyone, signed in or not (the help center's form); a token is its uploader's.
  createUpload: { who: "anyone", call: () => ({ method: "POST", path: "/api/v2/uploads.json?filename=m.txt", rawBody: Buffer.from("a file"), headers: { "content-type": "text/plain" } }) },
  deleteUpload: {
    who: "anyone",
    call: async (as) => {
      // The actor's own upload (made as them, with their credentials).
      const r = await send$(as, { method: "POST", path: "/api/v2/uploads.json?filename=d.txt", rawBody: Buffer.from("to delete"), headers: { "content-type": "text/plain" } });
      return { method: "DELETE", path: `/api/v2/uploads/${r.status === 201 ? r.body.upload.token : "missing"}.json` };
    },
  },
  // A file on a public comment of a ticket the end user requested: its requester sees it too.
  showAttachment: { who: "anyone", call: () => get(`/api/v2/attachments/${ids.attachment}.json`), ...onTicket((_t, _c, att) => get(`/api/v2/attachments/${att}.json`)) },
  downloadAttachment: {
    who: "anyone",
    call: async (as) => {
      // The link from the actor's own read of the file (a link is bound to the person it was made for).
      const r = await send$(as, get(`/api/v2/attachments/${ids.attachment}.json`));
      const url = r.status === 200 ? new URL(r.body.attachment.content_url) : undefined;
      return get(url ? `${url.pathname}${url.search}` : `/api/v2/attachments/${ids.attachment}/download?expires=9999999999&signature=forged`);
    },
    ...onTicket((_t, _c, att) => get(`/api/v2/attachments/${att}/download?expires=9999999999&signature=forged`)),
  },
  redactCommentAttachment: {
    who: "ticket_redaction",
    call: async (_as, ok) => {
      const f = ok ? await ticketWithFile() : { ticket: ids.ticket!, comment: ids.comment!, attachment: ids.attachment! };
      return { method: "PUT", path: `/api/v2/tickets/${f.ticket}/comments/${f.comment}/attachments/${f.attachment}/redact.json` };
    },
    ...onTicket((tid, c, att) => ({ method: "PUT", path: `/api/v2/tickets/${tid}/comments/${c}/attachments/${att}/redact.json` })),
  },
  // Redacting text from a comment: the role's ticket redaction, on tickets the actor sees (a fresh ticket when allowed).
  redactTicketComment: {
    who: "ticket_redaction",
    call: async (_as, ok) => {
      const id = ok ? await ticket() : tk();
      const comment = ok ? ((await owner("GET", `/api/v2/tickets/${id}/comments.json`)).comments[0].id as number) : ids.comment!;
      return { method: "PUT", path: `/api/v2/tickets/${id}/comments/${comment}/redact.json`, body: { text: "Body" } };
    },
    ...onTicket((tid, c) => ({ method: "PUT", path: `/api/v2/tickets/${tid}/comments/${c}/redact.json`, body: { text: "file" } })),
  },
  showAttachmentSettings: { who: "admins", call: () => get("/api/v2/attachment_settings.json") },
  updateAttachmentSettings: { who: "admins", call: () => ({ method: "PUT", path: "/api/v2/attachment_settings.json", body: { settings: { max_bytes: 2_000_000 } } }) },
  showCommentOriginalEmail: {
    who: "staff",
    call: () => get(`/api/v2/tickets/${ids.mailedIn}/comments/${ids.mailedInComment}/original`),
    outside: () => ({ outside: get(`/api/v2/tickets/${ids.mailedOut}/comments/${ids.mailedOutComment}/original`), missing: get("/api/v2/tickets/999999/comments/999999/original") }),
  },

  // --- satisfaction ratings: the requester rates (staff who see the ticket are refused, 403); staff read the ratings of the tickets they see
  showSatisfactionSettings: { who: "staff", call: () => get("/api/v2/satisfaction_settings.json") },
  updateSatisfactionSettings: { who: "admins", call: () => ({ method: "PUT", path: "/api/v2/satisfaction_settings.json", body: { satisfaction_settings: { enabled: true } } }) },
  rateTicket: {
    who: "requester",
    // Staff see the ticket: only its requester may rate it (403, not 404).
    except: { owner: 403, admin: 403, agent: 403, light: 403, assigned: 403, narrow: 403 },
    call: async () => {
      await ratingsOn();
      return { method: "POST", path: `/api/v2/tickets/${await solvedTicket()}/satisfaction_rating.json`, body: { satisfaction_rating: { score: "good", comment: "Thanks" } } };
    },
    outside: async () => ({
      outside: { method: "POST", path: `/api/v2/tickets/${await solvedTicket(true)}/satisfaction_rating.json`, body: { satisfaction_rating: { score: "good" } } },
      missing: { method: "POST", path: "/api/v2/tickets/99999999/satisfaction_rating.json", body: { satisfaction_rating: { score: "good" } } },
    }),
  },
  listSatisfactionRatings: {
    who: "staff",
    call: async () => (await rated(), get("/api/v2/satisfaction_ratings.json?per_page=100")),
    check: (as, b) => {
      const listed = (b.satisfaction_ratings as Array<{ ticket_id: number }>).map((r) => r.ticket_id);
      if (!listed.includes(ids.ratedIn!)) return "does not list the rating inside their access";
      return listed.includes(ids.ratedOut!) !== (ACTORS[as].access === "all") ? "the rating outside the assigned-only agent's access is listed wrongly" : undefined;
    },
  },
  showSatisfactionSummary: { who: "staff", call: async () => (await rated(), get("/api/v2/satisfaction_ratings/summary.json")) },
  showSatisfactionRating: {
    who: "staff",
    call: async () => get(`/api/v2/satisfaction_ratings/${(await rated()).inRating}.json`),
    outside: async () => ({ outside: get(`/api/v2/satisfaction_ratings/${(await rated()).outRating}.json`), missing: get("/api/v2/satisfaction_ratings/99999999.json") }),
  },

  // --- requests (the end user's view of their tickets): the requester's own; anyone else finds them missing
  // A request opens with a public comment: staff whose role writes internal notes only are refused.
  createRequest: { who: "anyone", except: { light: 403, narrow: 403 }, call: () => ({ method: "POST", path: "/api/v2/requests.json", body: { request: { subject: "Help", comment: { body: "please" } } } }) },
  listRequests: { who: "anyone", call: () => get("/api/v2/requests.json") },
  listCcdRequests: { who: "anyone", call: () => get("/api/v2/requests/ccd.json") },
  // Searching requests finds the caller's own only: the end user's ticket ("With a file") for them, for nobody else.
  searchRequests: {
    who: "anyone",
    call: () => get("/api/v2/requests/search.json?query=file"),
    check: (as, b) => (b.requests.some((r: { id: number }) => r.id === tk()) !== (as === "endUser") ? `the end user's request ${as === "endUser" ? "missing" : "found"}` : undefined),
  },
  showRequest: { who: "requester", call: () => get(`/api/v2/requests/${tk()}.json`) },
  listRequestComments: { who: "requester", call: () => get(`/api/v2/requests/${tk()}/comments.json`) },
  updateRequest: { who: "requester", call: () => ({ method: "PUT", path: `/api/v2/requests/${tk()}.json`, body: { request: { comment: { body: "a reply" } } } }) },
  // A member of an organization that shares its requests; for anyone else the organization's list is missing.
  listOrganizationRequests: { who: "requester", call: () => get(`/api/v2/organizations/${ids.organization}/requests.json`) },

  // --- jobs
  // A job's results name tickets: an agent whose role sees only some tickets follows only the jobs they started.
  listJobStatuses: {
    who: "staff",
    call: () => get("/api/v2/job_statuses.json"),
    check: (as, b) => (b.job_statuses.some((j: { id: string }) => j.id === shared.job) !== (ACTORS[as].access === "all") ? `the owner's job ${ACTORS[as].access === "all" ? "missing" : "listed"}` : undefined),
  },
  showJobStatus: { who: "staff", except: { assigned: 404 }, call: () => get(`/api/v2/job_statuses/${shared.job}.json`) },
  // The owner's job, finished: an admin passes the policy and is told it has finished (409); an agent who
  // follows it may not cancel what they did not start (403); one who sees only their own jobs does not find it.
  // Cancelling an unfinished job: test/job-cancel.test.ts.
  cancelJobStatus: { who: "admins", except: { owner: 409, admin: 409, assigned: 404 }, call: () => ({ method: "POST", path: `/api/v2/job_statuses/${shared.job}/cancel.json` }) },

  // --- users
  showCurrentUser: { who: "anyone", call: () => get("/api/v2/users/me.json") },
  listUsers: { who: "staff", call: () => get("/api/v2/users.json") },
  // An end user's show_many holds only themselves (users-policy's scope), here none of the ids asked for.
  showManyUsers: { who: "staff", except: { endUser: 200 }, call: () => get(`/api/v2/users/show_many.json?ids=1,${ids.otherEndUser}`) },
  searchUsers: { who: "staff", call: () => get("/api/v2/users/search.json?query=Matrix") },
  // Every staff role sees every person (users-policy): each finds the end user by the start of their name.
  autocompleteUsers: {
    who: "staff",
    call: () => get("/api/v2/users/autocomplete.json?name=Matrix%20Cust"),
    check: (_as, b) => (b.users.some((u: { id: number }) => u.id === cred.endUser.id) ? undefined : "the end user named Matrix Customer not found"),
  },
  listAssignableUsers: { who: "staff", call: () => get("/api/v2/users/assignable.json") },
  // Another person: an end user sees only themselves (anyone else is missing to them).
  showUser: { who: "staff", except: { endUser: 404 }, call: () => get(`/api/v2/users/${ids.otherEndUser}.json`) },
  createUser: { who: "end_user_editing", call: () => ({ method: "POST", path: "/api/v2/users.json", body: { user: { name: "New Customer", email: `${unique()}@customer.test` } } }) },
  updateUser: { who: "end_user_editing", except: { endUser: 404 }, call: () => ({ method: "PUT", path: `/api/v2/users/${ids.otherEndUser}.json`, body: { user: { name: "Renamed Customer" } } }) },
  // Routes for admins only are refused by role before anything is looked up: 403 for end users as for agents.
  deleteUser: { who: "admins", call: async (_as, ok) => ({ method: "DELETE", path: `/api/v2/users/${ok ? await endUser() : ids.otherEndUser}.json` }) },
  changeUserRole: { who: "admins", call: async (_as, ok) => ({ method: "PUT", path: `/api/v2/users/${ok ? await endUser() : ids.otherEndUser}/role.json`, body: { role: "agent" } }) },
  createUserSigninLink: { who: "admins", call: () => ({ method: "POST", path: `/api/v2/users/${ids.otherEndUser}/sign_in_links.json` }) },
  listUserConsentRecords: { who: "staff", call: () => get(`/api/v2/users/${ids.otherEndUser}/consent_records.json`) },
  // Each caller withdraws a consent of their own (a fresh one when allowed).
  withdrawOwnConsent: { who: "anyone", call: async (as, ok) => ({ method: "POST", path: `/api/v2/users/me/consents/${ok ? await consentRecordFor(t, a, cred[as].id) : 1}/withdraw.json` }) },
  withdrawUserConsent: {
    who: "admins",
    call: async (_as, ok) => {
      const person = ok ? await endUser() : ids.otherEndUser!;
      return { method: "POST", path: `/api/v2/users/${person}/consents/${await consentRecordFor(t, a, person)}/withdraw.json` };
    },
  },
  setUserRestriction: { who: "admins", call: () => ({ method: "PUT", path: `/api/v2/users/${ids.otherEndUser}/restriction.json`, body: { restriction: { restricted: true, reason: "Matrix objection" } } }) },
  listUserGroupMemberships: { who: "staff", call: () => get(`/api/v2/users/${ids.otherAgent}/group_memberships.json`) },
  setUserPassword: { who: "admins", call: () => ({ method: "POST", path: `/api/v2/users/${ids.otherEndUser}/password.json`, body: { password: `Matrix set passphrase ${unique()}` } }) },
  showPasswordRequirements: { who: "admins", call: () => get(`/api/v2/users/${ids.otherEndUser}/password/requirements.json`) },
  unlockUser: { who: "admins", call: () => ({ method: "PUT", path: `/api/v2/users/${ids.otherEndUser}/unlock.json` }) },
  showUserTwoFactor: { who: "admins", call: () => get(`/api/v2/users/${ids.otherAgent}/two_factor.json`) },
  resetUserTwoFactor: { who: "admins", call: () => ({ method: "DELETE", path: `/api/v2/users/${ids.otherAgent}/two_factor.json` }) },
  listUserSessions: { who: "admins", call: () => get(`/api/v2/users/${ids.otherAgent}/sessions.json`) },
  deleteUserSessions: { who: "admins", call: () => ({ method: "DELETE", path: `/api/v2/users/${ids.otherAgent}/sessions.json` }) },
  // A session of the end user's: theirs to see and end, as an admin's.
  showUserSession: {
    who: "admins",
    except: { endUser: 200 },
    call: async () => {
      const s = (await owner("GET", `/api/v2/users/${cred.endUser.id}/sessions.json`)).sessions[0];
      return get(`/api/v2/users/${cred.endUser.id}/sessions/${s.id}.json`);
    },
  },
  deleteUserSession: {
    who: "admins",
    except: { endUser: 204 },
    call: async () => {
      // A second session of the end user's, the newest: not the one they are using.
      await freshEndUserSession();
      const list = (await owner("GET", `/api/v2/users/${cred.endUser.id}/sessions.json`)).sessions as Array<{ id: number }>;
      return { method: "DELETE", path: `/api/v2/users/${cred.endUser.id}/sessions/${Math.max(...list.map((s) => s.id))}.json` };
    },
  },
  listUserPasskeys: { who: "admins", call: () => get(`/api/v2/users/${ids.otherAgent}/passkeys.json`) },
  deleteUserPasskey: { who: "admins", call: async () => ({ method: "DELETE", path: `/api/v2/users/${ids.otherAgent}/passkeys/${await passkeyOf(ids.otherAgent!)}.json` }) },
  // The caller's own credentials.
  changeOwnPassword: {
    who: "anyone",
    // Staff here sign in with API tokens and have no password to give as the previous one.
    except: { owner: 422, admin: 422, agent: 422, light: 422, assigned: 422, narrow: 422 },
    call: (as) => {
      if (as !== "endUser") return { method: "PUT", path: "/api/v2/users/me/password.json", body: { previous_password: "not the password", password: "Some new passphrase 42" } };
      const next = `Matrix passphrase ${unique()}`;
      const c = { method: "PUT", path: "/api/v2/users/me/password.json", body: { previous_password: endUserPassword, password: next } };
      endUserPassword = next;
      return c;
    },
  },
  showOwnPasswordRequirements: { who: "anyone", call: () => get("/api/v2/users/me/password/requirements.json") },
  listOwnSessions: { who: "anyone", call: () => get("/api/v2/users/me/sessions.json") },
  logoutCurrentSession: { who: "anyone", call: () => ({ method: "DELETE", path: "/api/v2/users/me/logout.json" }) },
  listOwnPasskeys: { who: "anyone", call: () => get("/api/v2/users/me/passkeys.json") },
  renameOwnPasskey: { who: "anyone", call: async (as) => ({ method: "PUT", path: `/api/v2/users/me/passkeys/${await passkeyOf(cred[as].id)}.json`, body: { passkey: { name: "Renamed" } } }) },
  // Removed, like added, in a session only (soon after signing in), never with an API token.
  deleteOwnPasskey: { who: "session", call: async (as) => ({ method: "DELETE", path: `/api/v2/users/me/passkeys/${await passkeyOf(cred[as].id)}.json` }) },
  // A passkey is added while signed in, never with an API token.
  createPasskeyRegistrationOptions: { who: "session", call: () => ({ method: "POST", path: "/api/v2/users/me/passkeys/options.json" }) },
  createOwnPasskey: {
    who: "session",
    call: async (as, ok) => {
      if (!ok) return { method: "POST", path: "/api/v2/users/me/passkeys.json", body: { passkey: { credential: { id: "x", rawId: "x", type: "public-key", response: { clientDataJSON: "x", attestationObject: "x" } } } } };
      const o = await send$(as, { method: "POST", path: "/api/v2/users/me/passkeys/options.json" });
      return { method: "POST", path: "/api/v2/users/me/passkeys.json", body: { passkey: { name: "Matrix key", credential: new SoftAuthenticator().register(o.body.options, { origin: a.origin }) } } };
    },
  },
  showOwnTwoFactor: { who: "anyone", call: () => get("/api/v2/users/me/two_factor.json") },
  // Two-factor sign-in is for staff, set up while signed in (never with an API token).
  startTotpEnrolment: { who: "staff-session", call: () => ({ method: "POST", path: "/api/v2/users/me/two_factor/totp.json" }) },
  confirmTotpEnrolment: { who: "staff-session", call: () => ({ method: "POST", path: "/api/v2/users/me/two_factor/totp/confirm.json", body: { code: "000000" } }) },
  disableOwnTwoFactor: { who: "staff-session", call: () => ({ method: "DELETE", path: "/api/v2/users/me/two_factor.json", body: { code: "000000" } }) },
  regenerateRecoveryCodes: { who: "staff-session", call: () => ({ method: "POST", path: "/api/v2/users/me/two_factor/recovery_codes.json", body: { code: "000000" } }) },
  // New recovery codes with a passkey as the proof: staff on a session too (test/passkeys.test.ts proves the rest).
  createRecoveryCodesPasskeyOptions: { who: "staff-session", call: () => ({ method: "POST", path: "/api/v2/users/me/two_factor/recovery_codes/passkey/options.json" }) },
  regenerateRecoveryCodesWithPasskey: {
    who: "staff-session",
    call: () => ({ method: "POST", path: "/api/v2/users/me/two_factor/recovery_codes/passkey.json", body: { credential: { id: "x", rawId: "x", type: "public-key", response: { clientDataJSON: "x", authenticatorData: "x", signature: "x" } } } }),
  },
  showPersonalData: { who: "anyone", call: () => get("/api/v2/help_center/me/personal_data.json") },

  // --- custom roles: admins
  listCustomRoles: { who: "admins", call: () => get("/api/v2/custom_roles.json") },
  showCustomRole: { who: "admins", call: () => get(`/api/v2/custom_roles/${ids.customRole}.json`) },
  createCustomRole: { who: "admins", call: () => ({ method: "POST", path: "/api/v2/custom_roles.json", body: { custom_role: { name: unique() } } }) },
  updateCustomRole: { who: "admins", call: () => ({ method: "PUT", path: `/api/v2/custom_roles/${ids.customRole}.json`, body: { custom_role: { description: unique() } } }) },
  deleteCustomRole: { who: "admins", call: async (_as, ok) => ({ method: "DELETE", path: `/api/v2/custom_roles/${ok ? (await owner("POST", "/api/v2/custom_roles.json", { custom_role: { name: unique() } })).custom_role.id : ids.customRole}.json` }) },

  // --- groups: staff read; admins and roles with group access write
  listGroups: { who: "staff", call: () => get("/api/v2/groups.json") },
  showGroup: { who: "staff", call: () => get(`/api/v2/groups/${ids.group}.json`) },
  createGroup: { who: "group_access", call: () => ({ method: "POST", path: "/api/v2/groups.json", body: { group: { name: unique() } } }) },
  updateGroup: { who: "group_access", call: () => ({ method: "PUT", path: `/api/v2/groups/${ids.group}.json`, body: { group: { description: unique() } } }) },
  deleteGroup: { who: "group_access", call: async (_as, ok) => ({ method: "DELETE", path: `/api/v2/groups/${ok ? await group() : ids.group}.json` }) },
  listGroupMemberships: { who: "staff", call: () => get("/api/v2/group_memberships.json") },
  listGroupMembershipsByGroup: { who: "staff", call: () => get(`/api/v2/groups/${ids.group}/memberships.json`) },
  showGroupMembership: { who: "staff", call: () => get(`/api/v2/group_memberships/${ids.membership}.json`) },
  createGroupMembership: { who: "group_access", call: async (_as, ok) => ({ method: "POST", path: "/api/v2/group_memberships.json", body: { group_membership: { user_id: ids.otherAgent, group_id: ok ? await group() : ids.group } } }) },
  deleteGroupMembership: {
    who: "group_access",
    call: async (_as, ok) => ({ method: "DELETE", path: `/api/v2/group_memberships/${ok ? (await owner("POST", "/api/v2/group_memberships.json", { group_membership: { user_id: ids.otherAgent, group_id: await group() } })).group_membership.id : ids.membership}.json` }),
  },

  // --- organizations: staff read; editing per role; deletion admins
  listOrganizations: { who: "staff", call: () => get("/api/v2/organizations.json") },
  autocompleteOrganizations: {
    who: "staff",
    call: () => get("/api/v2/organizations/autocomplete.json?name=Org"),
    check: (_as, b) => (b.organizations.some((o: { id: number }) => o.id === ids.organization) ? undefined : "the organization named Org … not found"),
  },
  searchOrganizations: { who: "staff", call: () => get("/api/v2/organizations/search.json?name=Org") },
  showManyOrganizations: { who: "staff", call: () => get(`/api/v2/organizations/show_many.json?ids=${ids.organization}`) },
  showOrganization: { who: "staff", call: () => get(`/api/v2/organizations/${ids.organization}.json`) },
  listOrganizationUsers: { who: "staff", call: () => get(`/api/v2/organizations/${ids.organization}/users.json`) },
  createOrganization: { who: "organization_editing", call: () => ({ method: "POST", path: "/api/v2/organizations.json", body: { organization: { name: unique() } } }) },
  updateOrganization: { who: "organization_editing", call: () => ({ method: "PUT", path: `/api/v2/organizations/${ids.organization}.json`, body: { organization: { notes: unique() } } }) },
  deleteOrganization: { who: "admins", call: async (_as, ok) => ({ method: "DELETE", path: `/api/v2/organizations/${ok ? (await owner("POST", "/api/v2/organizations.json", { organization: { name: unique() } })).organization.id : ids.organization}.json` }) },

  // --- audit log
  listAuditLogs: { who: "audit_log_access", call: () => get("/api/v2/audit_logs.json?per_page=1") },
  verifyAuditLogs: { who: "audit_log_access", call: () => get("/api/v2/audit_logs/verification.json") },
  getAuditCheckpoint: { who: "audit_log_access", call: () => get("/api/v2/audit_logs/checkpoint.json") },
  checkAuditCheckpoints: { who: "audit_log_access", call: async () => ({ method: "POST", path: "/api/v2/audit_logs/checkpoints/check.json", body: { checkpoints: [(await owner("GET", "/api/v2/audit_logs/checkpoint.json")).checkpoint] } }) },
  listAuditArchives: { who: "audit_log_access", call: () => get("/api/v2/audit_archives.json") },
  downloadAuditArchive: { who: "audit_log_access", call: async () => get(`/api/v2/audit_archives/${await auditArchive()}/download`) },

  // --- API tokens: admins everyone's, other staff their own when their role allows
  listApiTokens: { who: "api_token_access", call: () => get("/api/v2/api_tokens.json") },
  createApiToken: { who: "api_token_access", call: () => ({ method: "POST", path: "/api/v2/api_tokens.json", body: { api_token: { name: "Integration" } } }) },
  revokeApiToken: {
    who: "api_token_access",
    call: async (as) => {
      // A fresh token of the actor's own (staff), else of the owner's.
      const target = ACTORS[as].role === "end_user" ? 1 : cred[as].id;
      await createTokenFor(t, a, target);
      const tokens = (await owner("GET", "/api/v2/api_tokens.json")).api_tokens as Array<{ id: number; user_id: number }>;
      return { method: "DELETE", path: `/api/v2/api_tokens/${Math.max(...tokens.filter((x) => x.user_id === target).map((x) => x.id))}.json` };
    },
  },

  rotateApiToken: {
    who: "api_token_access",
    call: async (as) => {
      const target = ACTORS[as].role === "end_user" ? 1 : cred[as].id;
      await createTokenFor(t, a, target);
      const tokens = (await owner("GET", "/api/v2/api_tokens.json")).api_tokens as Array<{ id: number; user_id: number }>;
      return { method: "POST", path: `/api/v2/api_tokens/${Math.max(...tokens.filter((x) => x.user_id === target).map((x) => x.id))}/rotate.json`, body: { overlap_hours: 0 } };
    },
  },
  showApiSettings: { who: "admins", call: () => get("/api/v2/api_settings.json") },
  updateApiSettings: { who: "admins", call: () => ({ method: "PUT", path: "/api/v2/api_settings.json", body: { api_settings: { password_access: false } } }) },

  // --- IP restrictions (admins; turning them off can shut nobody out)
  // Legal holds and retention (test/legal-holds-retention.test.ts): admins.
  // Deleted people and erasure (test/user-erasure.test.ts): a fresh deleted person for each allowed call.
  listDeletedUsers: { who: "admins", call: () => get("/api/v2/deleted_users.json") },
  showDeletedUser: { who: "admins", call: async () => get(`/api/v2/deleted_users/${await deletedUser()}.json`) },
  restoreDeletedUser: { who: "admins", call: async () => ({ method: "PUT", path: `/api/v2/deleted_users/${await deletedUser()}/restore.json` }) },
  previewUserErasure: { who: "admins", call: async () => get(`/api/v2/deleted_users/${await deletedUser()}/erasure_preview.json`) },
  eraseDeletedUser: { who: "admins", call: async () => ({ method: "DELETE", path: `/api/v2/deleted_users/${await deletedUser()}.json` }) },
  listErasureReceipts: { who: "admins", call: () => get("/api/v2/erasure_receipts.json") },
  showErasureReceipt: { who: "admins", call: async () => get(`/api/v2/erasure_receipts/${(await owner("DELETE", `/api/v2/deleted_users/${await deletedUser()}.json`)).erasure_receipt.id}.json`) },
  listLegalHolds: { who: "admins", call: () => get("/api/v2/legal_holds.json") },
  createLegalHold: { who: "admins", call: async () => ({ method: "POST", path: "/api/v2/legal_holds.json", body: { legal_hold: { target_type: "ticket", target_id: await ticket(), reason: "matrix" } } }) },
  showLegalHold: { who: "admins", call: async () => get(`/api/v2/legal_holds/${(await owner("POST", "/api/v2/legal_holds.json", { legal_hold: { target_type: "ticket", target_id: await ticket(), reason: "matrix" } })).legal_hold.id}.json`) },
  releaseLegalHold: { who: "admins", call: async () => ({ method: "PUT", path: `/api/v2/legal_holds/${(await owner("POST", "/api/v2/legal_holds.json", { legal_hold: { target_type: "ticket", target_id: await ticket(), reason: "matrix" } })).legal_hold.id}/release.json` }) },
  showRetentionPolicy: { who: "admins", call: () => get("/api/v2/retention_policy.json") },
  updateRetentionPolicy: { who: "admins", call: () => ({ method: "PUT", path: "/api/v2/retention_policy.json", body: { retention_policy: { solved_days: 400 } } }) },
  previewRetentionPolicy: { who: "admins", call: () => get("/api/v2/retention_policy/preview.json") },
  // The compliance center (test/compliance-posture.test.ts): admins.
  showCompliancePosture: { who: "admins", call: () => get("/api/v2/compliance/posture.json") },
  showHealthcareMode: { who: "admins", call: () => get("/api/v2/compliance/healthcare_mode.json") },
  updateHealthcareMode: { who: "admins", call: () => ({ method: "PUT", path: "/api/v2/compliance/healthcare_mode.json", body: { healthcare_mode: { enabled: false } } }) },
  listSubprocessors: { who: "admins", call: () => get("/api/v2/compliance/subprocessors.json") },
  showRedactionSettings: { who: "admins", call: () => get("/api/v2/redaction_settings.json") },
  updateRedactionSettings: { who: "admins", call: () => ({ method: "PUT", path: "/api/v2/redaction_settings.json", body: { redaction_settings: { iban: false } } }) },
  // Data exports (test/data-exports.test.ts): one's own by anyone; someone else's and the account's by
  // admins (and roles with data export access: no actor here has one); an export is its asker's only.
  createMyDataExport: { who: "anyone", call: () => ({ method: "POST", path: "/api/v2/users/me/data_exports.json" }) },
  createUserDataExport: { who: "admins", call: () => ({ method: "POST", path: `/api/v2/users/${ids.otherEndUser}/data_exports.json` }) },
  showDataExport: { who: "anyone", call: async (as) => get(`/api/v2/data_exports/${(await readyExport(as, "person")).id}.json`) },
  downloadDataExport: { who: "anyone", call: async (as) => get(pathAndQuery((await readyExport(as, "person")).download_url)) },
  createExport: { who: "admins", call: () => ({ method: "POST", path: "/api/v2/exports.json", body: { export: { resource: "organizations", format: "json", fields: ["id"] } } }) },
  incrementalTicketExport: { who: "admins", call: () => get("/api/v2/incremental/tickets/cursor.json?start_time=0&per_page=1") },
  incrementalUserExport: { who: "admins", call: () => get("/api/v2/incremental/users/cursor.json?start_time=0&per_page=1") },
  incrementalOrganizationExport: { who: "admins", call: () => get("/api/v2/incremental/organizations/cursor.json?start_time=0&per_page=1") },
  incrementalTicketExportByTime: { who: "admins", call: () => get("/api/v2/incremental/tickets.json?start_time=0&per_page=1") },
  incrementalTicketEventExport: { who: "admins", call: () => get("/api/v2/incremental/ticket_events.json?start_time=0&per_page=1&include=comment_events") },
  incrementalUserExportByTime: { who: "admins", call: () => get("/api/v2/incremental/users.json?start_time=0&per_page=1") },
  incrementalOrganizationExportByTime: { who: "admins", call: () => get("/api/v2/incremental/organizations.json?start_time=0&per_page=1") },
  showExport: { who: "admins", call: async (as) => get(`/api/v2/exports/${(await readyExport(as, "tenant")).id}.json`) },
  downloadExport: { who: "admins", call: async (as) => get(pathAndQuery((await readyExport(as, "tenant")).download_url ?? "http://x/api/v2/exports/999999/download?expires=1&signature=x")) },
  // Data subject requests (test/data-subject-requests.test.ts): admins; anyone signed in asks about and sees their own.
  listDataSubjectRequests: { who: "admins", call: () => get("/api/v2/data_subject_requests.json") },
  createDataSubjectRequest: { who: "admins", call: () => ({ method: "POST", path: "/api/v2/data_subject_requests.json", body: { data_subject_request: { type: "access", email: `${unique()}@dsr.example` } } }) },
  showDataSubjectRequest: { who: "admins", call: async () => get(`/api/v2/data_subject_requests/${(await owner("POST", "/api/v2/data_subject_requests.json", { data_subject_request: { type: "access", email: `${unique()}@dsr.example` } })).data_subject_request.id}.json`) },
  updateDataSubjectRequest: { who: "admins", call: async () => ({ method: "PUT", path: `/api/v2/data_subject_requests/${(await owner("POST", "/api/v2/data_subject_requests.json", { data_subject_request: { type: "access", email: `${unique()}@dsr.example` } })).data_subject_request.id}.json`, body: { data_subject_request: { status: "verifying" } } }) },
  verifyDataSubjectRequest: { who: "admins", call: async () => ({ method: "POST", path: `/api/v2/data_subject_requests/${(await owner("POST", "/api/v2/data_subject_requests.json", { data_subject_request: { type: "access", email: `${unique()}@dsr.example` } })).data_subject_request.id}/verify.json`, body: { verification: { method: "email_link" } } }) },
  showDataSubjectRequestEvidence: { who: "admins", call: async () => get(`/api/v2/data_subject_requests/${(await owner("POST", "/api/v2/data_subject_requests.json", { data_subject_request: { type: "access", email: `${unique()}@dsr.example` } })).data_subject_request.id}/evidence.json`) },
  showDataSubjectRequestSettings: { who: "admins", call: () => get("/api/v2/data_subject_request_settings.json") },
  updateDataSubjectRequestSettings: { who: "admins", call: () => ({ method: "PUT", path: "/api/v2/data_subject_request_settings.json", body: { data_subject_request_settings: { ccpa_days: 45 } } }) },
  listOwnDataSubjectRequests: { who: "anyone", call: () => get("/api/v2/users/me/data_subject_requests.json") },
  createOwnDataSubjectRequest: { who: "anyone", call: () => ({ method: "POST", path: "/api/v2/users/me/data_subject_requests.json", body: { data_subject_request: { type: "access" } } }) },
  showIpRestrictions: { who: "admins", call: () => get("/api/v2/ip_restrictions.json") },
  updateIpRestrictions: { who: "admins", call: () => ({ method: "PUT", path: "/api/v2/ip_restrictions.json", body: { ip_restriction: { enabled: false } } }) },

  // --- OAuth clients (admins), consent (a person's own browser session), authorized apps
  listOAuthClients: { who: "admins", call: () => get("/api/v2/oauth/clients.json") },
  showOAuthClient: { who: "admins", call: () => get(`/api/v2/oauth/clients/${ids.oauthClient}.json`) },
  createOAuthClient: { who: "admins", call: () => ({ method: "POST", path: "/api/v2/oauth/clients.json", body: { client: { name: unique(), identifier: unique(), redirect_uri: [OAUTH_REDIRECT], kind: "public" } } }) },
  updateOAuthClient: { who: "admins", call: () => ({ method: "PUT", path: `/api/v2/oauth/clients/${ids.oauthClient}.json`, body: { client: { description: unique() } } }) },
  generateOAuthClientSecret: {
    who: "admins",
    call: async (_as, ok) => ({ method: "PUT", path: `/api/v2/oauth/clients/${ok ? (await owner("POST", "/api/v2/oauth/clients.json", { client: { name: unique(), identifier: unique(), redirect_uri: [OAUTH_REDIRECT], kind: "confidential" } })).client.id : ids.oauthClient}/generate_secret.json` }),
  },
  deleteOAuthClient: {
    who: "admins",
    call: async (_as, ok) => ({ method: "DELETE", path: `/api/v2/oauth/clients/${ok ? (await owner("POST", "/api/v2/oauth/clients.json", { client: { name: unique(), identifier: unique(), redirect_uri: [OAUTH_REDIRECT], kind: "public" } })).client.id : ids.oauthClient}.json` }),
  },
  startOAuthAuthorization: { who: { public: "a third party's authorization request, answered with the consent page or an error page" }, call: async () => get(`/oauth/authorizations/new?${new URLSearchParams((await oauthRequest()).authorize)}`) },
  showOAuthConsent: { who: "session", call: async () => get(`/api/v2/oauth/consent?${(await oauthRequest()).consent}`) },
  decideOAuthConsent: { who: "session", call: async () => ({ method: "POST", path: "/api/v2/oauth/consent", body: { ...Object.fromEntries(new URLSearchParams((await oauthRequest()).consent)), allowed: false } }) },
  createOAuthToken: { who: { public: "the token endpoint: the client authenticates itself (or proves PKCE), not a person" }, call: () => ({ method: "POST", path: "/oauth/tokens", body: { grant_type: "authorization_code", code: "x", redirect_uri: OAUTH_REDIRECT, client_id: "matrix_app", code_verifier: "x".repeat(43) } }) },
  listOAuthTokens: { who: "anyone", call: () => get("/api/v2/oauth/tokens.json") },
  revokeOAuthToken: {
    // Admins revoke anyone's authorization; others only their own (the owner's is missing to them).
    who: "admins",
    except: { agent: 404, light: 404, assigned: 404, narrow: 404, endUser: 404 },
    call: async () => ({ method: "DELETE", path: `/api/v2/oauth/tokens/${await ownerOAuthGrant()}.json` }),
  },

  // --- temporary support access: the owner grants; owners and admins see and revoke
  listSupportAccessGrants: { who: "admins", call: () => get("/api/v2/support_access.json") },
  grantSupportAccess: {
    who: "admins",
    except: { admin: 403 },
    call: async (_as, ok) => {
      if (ok) await endSupportGrants();
      return { method: "POST", path: "/api/v2/support_access.json", body: { support_access: { days: 1, level: "read_only" } } };
    },
  },
  revokeSupportAccess: {
    who: "admins",
    call: async () => {
      await endSupportGrants();
      const g = await owner("POST", "/api/v2/support_access.json", { support_access: { days: 1, level: "read_only" } });
      return { method: "DELETE", path: `/api/v2/support_access/${g.support_access_grant.id}.json` };
    },
  },

  // --- sessions and sign-in settings
  showSession: { who: "anyone", call: () => get("/api/v2/session.json") },
  deleteSession: { who: "anyone", call: () => ({ method: "DELETE", path: "/api/v2/session.json" }) },
  listSessions: { who: "admins", call: () => get("/api/v2/sessions.json") },
  showSessionSettings: { who: "admins", call: () => get("/api/v2/session_settings.json") },
  updateSessionSettings: { who: "admins", call: () => ({ method: "PUT", path: "/api/v2/session_settings.json", body: { session_settings: { idle_minutes: 600 } } }) },
  showSearchSettings: { who: "admins", call: () => get("/api/v2/search_settings.json") },
  updateSearchSettings: { who: "admins", call: () => ({ method: "PUT", path: "/api/v2/search_settings.json", body: { search_settings: { languages: ["english", "swedish", "russian"] } } }) },
  showPasswordSettings: { who: "admins", call: () => get("/api/v2/password_settings.json") },
  updatePasswordSettings: { who: "admins", call: () => ({ method: "PUT", path: "/api/v2/password_settings.json", body: { password_settings: { admins_set_end_user_passwords: true } } }) },
  showTwoFactorSettings: { who: "admins", call: () => get("/api/v2/two_factor_settings.json") },
  updateTwoFactorSettings: { who: "admins", call: () => ({ method: "PUT", path: "/api/v2/two_factor_settings.json", body: { two_factor_settings: { require_staff_two_factor: false } } }) },
  showSsoSettings: { who: "admins", call: () => get("/api/v2/sso_settings.json") },
  updateSsoSettings: { who: "admins", call: () => ({ method: "PUT", path: "/api/v2/sso_settings.json", body: { sso_settings: { jit_users: false } } }) },
  showJwtSettings: { who: "admins", call: () => get("/api/v2/sso/jwt.json") },
  updateJwtSettings: { who: "admins", call: () => ({ method: "PUT", path: "/api/v2/sso/jwt.json", body: { jwt: { enabled: false, remote_login_url: "https://app.matrix.test/login", shared_secret: "matrix-shared-secret-of-forty-characters!" } } }) },
  generateJwtSecret: { who: "admins", call: () => ({ method: "POST", path: "/api/v2/sso/jwt/secret.json" }) },
  showOidcSettings: { who: "admins", call: () => get("/api/v2/sso/oidc.json") },
  updateOidcSettings: { who: "admins", call: () => ({ method: "PUT", path: "/api/v2/sso/oidc.json", body: { oidc: { enabled: false, issuer: "https://idp.matrix.test", client_id: "matrix-client", client_secret: "matrix-client-secret-value" } } }) },
  showSamlSettings: { who: "admins", call: () => get("/api/v2/sso/saml.json") },
  updateSamlSettings: { who: "admins", call: () => ({ method: "PUT", path: "/api/v2/sso/saml.json", body: { saml: { enabled: false, idp_entity_id: "https://idp.matrix.test/entity", idp_sso_url: "https://idp.matrix.test/sso", idp_certificates: [samlKeys.cert] } } }) },

  // --- the account and the admin center: admins (staff see the account's name)
  showAccount: { who: "staff", call: () => get("/api/v2/account.json") },
  updateAccount: { who: "admins", call: () => ({ method: "PUT", path: "/api/v2/account.json", body: { account: { name: "Matrix Team" } } }) },
  // Closing the account: an owner's session with the password (never a token); a wrong password here, so nothing closes.
  showAccountTermination: { who: "owner-session", call: () => get("/api/v2/account/termination.json") },
  terminateAccount: { who: "owner-session", call: () => ({ method: "POST", path: "/api/v2/account/termination.json", body: { termination: { mode: "delete_after_grace", confirm_subdomain: a.subdomain, password: "not the owner's password" } } }) },
  listInvitations: { who: "admins", call: () => get("/api/v2/invitations.json") },
  createInvitation: { who: "admins", call: () => ({ method: "POST", path: "/api/v2/invitations.json", body: { invitation: { email: `${unique()}@a.test`, role: "agent" } } }) },
  revokeInvitation: { who: "admins", call: async (_as, ok) => ({ method: "DELETE", path: `/api/v2/invitations/${ok ? (await owner("POST", "/api/v2/invitations.json", { invitation: { email: `${unique()}@a.test`, role: "agent" } })).invitation.id : ids.invitation}.json` }) },
  showHelpCenterSettings: { who: "admins", call: () => get("/api/v2/help_center/settings.json") },
  updateHelpCenterSettings: { who: "admins", call: () => ({ method: "PUT", path: "/api/v2/help_center/settings.json", body: { settings: { consent_required: false } } }) },
  showNotificationSettings: { who: "admins", call: () => get("/api/v2/notification_settings.json") },
  updateNotificationSettings: { who: "admins", call: () => ({ method: "PUT", path: "/api/v2/notification_settings.json", body: { settings: { content_free: false } } }) },
  listNotificationTemplates: { who: "admins", call: () => get("/api/v2/notification_templates.json") },
  updateNotificationTemplate: { who: "admins", call: () => ({ method: "PUT", path: "/api/v2/notification_templates/solved/sv.json", body: { notification_template: { subject: "Löst: {{ticket.title}}", body: "{{comment}}" } } }) },
  resetNotificationTemplate: { who: "admins", call: () => ({ method: "DELETE", path: "/api/v2/notification_templates/solved/sv.json" }) },
  listUndeliveredMail: { who: "admins", call: () => get("/api/v2/undelivered_mail.json") },
  resendUndeliveredMail: { who: "admins", call: async (_as, ok) => ({ method: "POST", path: `/api/v2/undelivered_mail/${ok ? await deadLetter() : shared.deadLetter}/resend.json` }) },
  deleteUndeliveredMail: { who: "admins", call: async (_as, ok) => ({ method: "DELETE", path: `/api/v2/undelivered_mail/${ok ? await deadLetter() : shared.deadLetter}.json` }) },

  // --- the mail channel: admins; suspended mail: agents who see every ticket (never light agents)
  listRecipientAddresses: { who: "admins", call: () => get("/api/v2/recipient_addresses.json") },
  showRecipientAddress: { who: "admins", call: () => get(`/api/v2/recipient_addresses/${ids.recipientAddress}.json`) },
  createRecipientAddress: { who: "admins", call: () => ({ method: "POST", path: "/api/v2/recipient_addresses.json", body: { recipient_address: { email: `${unique()}@own.test`, name: "Help" } } }) },
  updateRecipientAddress: { who: "admins", call: () => ({ method: "PUT", path: `/api/v2/recipient_addresses/${ids.recipientAddress}.json`, body: { recipient_address: { name: "Renamed" } } }) },
  verifyRecipientAddress: { who: "admins", call: () => ({ method: "PUT", path: `/api/v2/recipient_addresses/${ids.recipientAddress}/verify.json`, body: { type: "forwarding" } }) },
  deleteRecipientAddress: { who: "admins", call: async (_as, ok) => ({ method: "DELETE", path: `/api/v2/recipient_addresses/${ok ? (await owner("POST", "/api/v2/recipient_addresses.json", { recipient_address: { email: `${unique()}@own.test` } })).recipient_address.id : ids.recipientAddress}.json` }) },
  showMailSettings: { who: "admins", call: () => get("/api/v2/mail_settings.json") },
  updateMailSettings: { who: "admins", call: () => ({ method: "PUT", path: "/api/v2/mail_settings.json", body: { settings: { blocklist: ["@blocked.test"] } } }) },
  listDkimKeys: { who: "admins", call: () => get("/api/v2/dkim_keys.json") },
  createDkimKey: { who: "admins", call: () => ({ method: "POST", path: "/api/v2/dkim_keys.json", body: { dkim_key: { domain: `${unique()}.example` } } }) },
  checkDkimKey: { who: "admins", call: () => ({ method: "POST", path: `/api/v2/dkim_keys/${shared.dkim}/check.json` }) },
  deleteDkimKey: { who: "admins", call: async (_as, ok) => ({ method: "DELETE", path: `/api/v2/dkim_keys/${ok ? (await owner("POST", "/api/v2/dkim_keys.json", { dkim_key: { domain: `${unique()}.example` } })).dkim_key.id : shared.dkim}.json` }) },
  listSuspendedTickets: { who: "agents", call: () => get("/api/v2/suspended_tickets.json") },
  showSuspendedTicket: { who: "agents", call: () => get(`/api/v2/suspended_tickets/${ids.suspended}.json`) },
  recoverSuspendedTicket: { who: "agents", call: async (_as, ok) => ({ method: "PUT", path: `/api/v2/suspended_tickets/${ok ? await suspended() : ids.suspended}/recover.json` }) },
  recoverManySuspendedTickets: { who: "agents", call: async (_as, ok) => ({ method: "PUT", path: `/api/v2/suspended_tickets/recover_many.json?ids=${ok ? await suspended() : ids.suspended}` }) },
  deleteSuspendedTicket: { who: "agents", call: async (_as, ok) => ({ method: "DELETE", path: `/api/v2/suspended_tickets/${ok ? await suspended() : ids.suspended}.json` }) },
  deleteManySuspendedTickets: { who: "agents", call: async (_as, ok) => ({ method: "DELETE", path: `/api/v2/suspended_tickets/destroy_many.json?ids=${ok ? await suspended() : ids.suspended}` }) },

  // --- anonymous by design: checked for never answering 500
  showHelpCenter: { who: { public: "the help center's public face (name, consent text) for its form" }, call: () => get("/api/v2/help_center.json") },
  showSignInOptions: { who: { public: "the sign-in page asks which ways in the team offers" }, call: () => get("/api/v2/sign_in_options.json") },
  createSession: { who: { public: "password sign-in" }, call: () => ({ method: "POST", path: "/api/v2/session.json", body: {} }) },
  completeTwoFactorSignIn: { who: { public: "the second step of a sign-in, by its challenge" }, call: () => ({ method: "POST", path: "/api/v2/session/two_factor.json", body: { challenge: "x", code: "000000" } }) },
  createPasskeySignInOptions: { who: { public: "a passkey sign-in's challenge" }, call: () => ({ method: "POST", path: "/api/v2/session/passkey/options.json" }) },
  createPasskeySession: { who: { public: "passkey sign-in" }, call: () => ({ method: "POST", path: "/api/v2/session/passkey.json", body: {} }) },
  createPasskeySecondFactorOptions: { who: { public: "a passkey as the second step of a sign-in, by its challenge" }, call: () => ({ method: "POST", path: "/api/v2/session/two_factor/passkey/options.json", body: { challenge: "x" } }) },
  completePasskeySecondFactor: { who: { public: "a passkey as the second step of a sign-in, by its challenge" }, call: () => ({ method: "POST", path: "/api/v2/session/two_factor/passkey.json", body: {} }) },
  requestPasswordReset: { who: { public: "\"forgot your password\": answers the same for every address" }, call: () => ({ method: "POST", path: "/api/v2/password_resets.json", body: {} }) },
  redeemPasswordReset: { who: { public: "the link mailed for a reset" }, call: () => ({ method: "POST", path: "/api/v2/password_resets/redeem.json", body: { token: "vdr_x", password: "x" } }) },
  requestSigninLink: { who: { public: "the help center's sign-in by mail" }, call: () => ({ method: "POST", path: "/api/v2/help_center/sign_in_links.json", body: {} }) },
  redeemSigninLink: { who: { public: "the link mailed for a help-center sign-in" }, call: () => ({ method: "POST", path: "/api/v2/help_center/sign_in_links/redeem.json", body: { token: "x" } }) },
  previewInvitation: { who: { public: "the invitee's page, by the link's secret" }, call: () => ({ method: "POST", path: "/api/v2/invitations/preview.json", body: { token: shared.invitationToken } }) },
  acceptInvitation: { who: { public: "the invitee accepts, by the link's secret" }, call: () => ({ method: "POST", path: "/api/v2/invitations/accept.json", body: { token: shared.invitationToken, name: "X", password: "x" } }) },
  confirmEmailChange: { who: { public: "the link mailed to a new address" }, call: () => ({ method: "POST", path: "/api/v2/email_changes/confirm.json", body: { token: "x" } }) },
  showSetup: { who: { public: "the installation's first-run setup (no tenant yet)" }, call: () => get("/api/v2/setup.json") },
  createFirstAccount: { who: { public: "the installation's first-run setup, by the setup token" }, call: () => ({ method: "POST", path: "/api/v2/setup.json", body: {} }) },
  startJwtSignIn: { who: { public: "JWT single sign-on: the way to the customer's login page" }, call: () => get("/access/jwt/login") },
  signInWithJwt: { who: { public: "JWT single sign-on: the customer's signed token" }, call: () => get("/access/jwt?jwt=x") },
  signInWithJwtForm: { who: { public: "JWT single sign-on: the customer's signed token, posted" }, call: () => ({ method: "POST", path: "/access/jwt", rawBody: Buffer.from("jwt=x"), headers: { "content-type": "application/x-www-form-urlencoded" } }) },
  startOidcSignIn: { who: { public: "OpenID Connect sign-in: the way to the provider" }, call: () => get("/access/oidc/login") },
  completeOidcSignIn: { who: { public: "OpenID Connect sign-in: the provider's answer" }, call: () => get("/access/oidc/callback?state=x&code=y") },
  showSamlMetadata: { who: { public: "SAML: the service provider's metadata for the IdP" }, call: () => get("/access/saml/metadata") },
  startSamlSignIn: { who: { public: "SAML sign-in: the way to the IdP" }, call: () => get("/access/saml/login") },
  consumeSamlResponse: { who: { public: "SAML: the IdP's answer (assertion consumer service)" }, call: () => ({ method: "POST", path: "/access/saml", rawBody: Buffer.from("SAMLResponse=x"), headers: { "content-type": "application/x-www-form-urlencoded" } }) },
  completeSamlSignIn: { who: { public: "SAML: the last step, in the browser that started it" }, call: () => get("/access/saml/complete?token=x") },
};

// ---------------------------------------------------------------------------------------------

/** The success statuses each operation declares (from the OpenAPI document the route schemas generate). */
function successStatuses(): Map<string, number[]> {
  const doc = t.app.swagger() as { paths: Record<string, Record<string, { operationId?: string; responses?: Record<string, unknown> }>> };
  const out = new Map<string, number[]>();
  for (const ops of Object.values(doc.paths)) {
    for (const op of Object.values(ops)) {
      if (!op.operationId) continue;
      const codes = Object.keys(op.responses ?? {}).map(Number).filter((c) => c >= 200 && c < 400);
      out.set(op.operationId, [...new Set([...(out.get(op.operationId) ?? []), ...codes])]);
    }
  }
  return out;
}

describe("the permission matrix", () => {
  it("has a row for every registered route", () => {
    const missing = [...new Set(registeredRoutes.map((r) => r.operationId))].filter((op) => !(op in RULES));
    expect(missing, `routes without a row in the permission matrix (decide who may call them): ${missing.join(", ")}`).toEqual([]);
    const stale = Object.keys(RULES).filter((op) => !registeredRoutes.some((r) => r.operationId === op));
    expect(stale, "rows for routes that no longer exist").toEqual([]);
  });

  it("answers every route × actor exactly as the rules say", async () => {
    const success = successStatuses();
    const problems: string[] = [];
    let asserted = 0;
    const routes = [...new Map(registeredRoutes.map((r) => [r.operationId, r])).values()];
    for (const route of routes) {
      const row = RULES[route.operationId];
      if (!row) continue;
      const ok = success.get(route.operationId) ?? [route.method === "POST" ? 201 : 200];
      for (const as of NAMES) {
        const spec = ACTORS[as];
        let expected = expectedFor(row, as, ok);
        // A token without the scope is refused before anything else, naming the scope it lacks. The
        // need is derived from the method and URL alone: a route that states a narrower one fails here.
        const need = scopeNeed(route.method, route.url);
        const scopeRefused = !!spec.scopes && expected !== "public" && !scopesGrant(spec.scopes, need);
        if (scopeRefused) expected = [403];
        const allowed = expected !== "public" && expected.some((s) => s < 400);
        let call: Call;
        try {
          call = await row.call(as, allowed);
        } catch (err) {
          problems.push(`${route.operationId} as ${as}: the fixture failed: ${(err as Error).message}`);
          continue;
        }
        // Routes that end the caller's session get a session of their own.
        const session = spec.via === "session" && (route.operationId === "deleteSession" || route.operationId === "logoutCurrentSession") ? await freshEndUserSession() : endUserSession;
        const r = await send$(as, call, session);
        const label = `${route.operationId} as ${as}`;
        if (expected === "public") {
          if (r.status >= 500) problems.push(`${label}: ${r.status} (a public route must never answer 500)`);
        } else if (!expected.includes(r.status)) {
          problems.push(`${label}: expected ${expected.join("/")}, got ${r.status} ${r.text.slice(0, 160)}`);
        } else if (scopeRefused && r.body?.description !== `This token lacks the '${scopeName(need)}' scope.`) {
          problems.push(`${label}: refused without naming the scope: ${r.text.slice(0, 160)}`);
        }
        asserted++;
        // The assigned-only agent: the same call on a ticket outside their access answers exactly as on a missing one.
        if (as === "assigned" && row.outside) {
          const { outside, missing } = await row.outside();
          const o = await send$(as, outside);
          const m = await send$(as, missing);
          if (o.status !== 404 || m.status !== 404 || JSON.stringify(o.body) !== JSON.stringify(m.body)) problems.push(`${label} outside their access: ${o.status} ${o.text.slice(0, 120)} (missing: ${m.status} ${m.text.slice(0, 120)})`);
          asserted++;
        }
        // Lists hold the ticket inside the assigned-only agent's access and never the one outside (the owner's hold both).
        if ((as === "assigned" || as === "owner") && row.lists && r.status === 200) {
          const listed = row.lists(r.body);
          if (!listed.includes(ids.ticket!)) problems.push(`${label}: does not list the ticket inside their access`);
          if (listed.includes(ids.outTicket!) !== (as === "owner")) problems.push(`${label}: ${as === "owner" ? "does not list" : "lists"} the ticket outside the assigned-only agent's access`);
        }
        const extra = row.check && r.status < 300 ? row.check(as, r.body) : undefined;
        if (extra) problems.push(`${label}: ${extra}`);
      }
    }
    console.log(`permission matrix: ${routes.length} routes × ${NAMES.length} actors, ${asserted} answers asserted`);
    expect(problems).toEqual([]);
  }, 300_000);

  /**
   * The routes every call of which gives lasting access, hands over a way in, or changes how people
   * sign in: they declare `recentSignIn` (platform/http/route.ts), and the wrapper refuses a session
   * signed in longer ago than 15 minutes before the route's own checks run. Steps that are such only
   * for some data (a staff role, someone else's role or passkey, an OAuth consent that allows) check
   * in their services: test/recent-sign-in.test.ts.
   */
  const RECENT: readonly string[] = [
    "createInvitation", "createUserSigninLink", "setUserPassword", "resetUserTwoFactor",
    "rotateApiToken", "updateApiSettings", "createOAuthClient", "generateOAuthClientSecret",
    "updateSsoSettings", "updateJwtSettings", "generateJwtSecret", "updateOidcSettings", "updateSamlSettings",
    "updateIpRestrictions", "updateTwoFactorSettings", "updateCustomRole", "grantSupportAccess",
    "updatePasswordSettings", "updateSessionSettings", "unlockUser", "updateHealthcareMode",
    "updateNotificationSettings", "updateAttachmentSettings", "createExport",
    "incrementalTicketExport", "incrementalUserExport", "incrementalOrganizationExport",
    "incrementalTicketExportByTime", "incrementalUserExportByTime", "incrementalOrganizationExportByTime",
    "incrementalTicketEventExport", "createUserDataExport",
  ];

  it("refuses a session signed in 16 minutes ago on every route that declares a recent sign-in, and no other way in", async () => {
    const declared = [...new Set(registeredRoutes.filter((r) => r.recentSignIn).map((r) => r.operationId))].sort();
    expect(declared).toEqual([...RECENT].sort());
    // The OpenAPI document says so, for clients to offer a new sign-in before they try.
    const doc = t.app.swagger() as { paths: Record<string, Record<string, { operationId?: string; description?: string }>> };
    const said = Object.values(doc.paths).flatMap((ops) => Object.values(ops)).filter((o) => o.description?.includes("RecentSignInRequired")).map((o) => o.operationId!);
    expect([...new Set(said)].sort()).toEqual([...RECENT].sort());
    // Each in the route's own words, and with the time the rule applies.
    for (const r of registeredRoutes.filter((x) => x.recentSignIn)) {
      const op = Object.values(doc.paths).flatMap((ops) => Object.values(ops)).find((o) => o.operationId === r.operationId);
      expect(op?.description).toContain(`To ${r.recentSignIn} on a session`);
      expect(op?.description).toContain(`within the last ${RECENT_SIGN_IN_MS / 60_000} minutes`);
    }
    const admin = await staffWithPassword(t, a, "admin");
    const dateBack = (minutes: number) =>
      t.db.tenant(a.tenantId, async (tx) => {
        await sql`UPDATE sessions SET created_at = ${new Date(Date.now() - minutes * 60_000)} WHERE user_id = (SELECT id FROM users WHERE nice_id = ${admin.id})`.execute(tx.db);
      });
    const asAdmin = (c: Call, session: Session) =>
      t.request({ method: c.method, path: c.path, host: a.host, headers: { cookie: session.cookie, "x-csrf-token": session.csrf, ...c.headers }, body: c.body, ...(c.rawBody ? { rawBody: c.rawBody } : {}) });
    const problems: string[] = [];
    await dateBack(16);
    for (const op of RECENT) {
      const r = await asAdmin(await RULES[op]!.call("admin", true), admin.session);
      if (r.status !== 403 || r.body?.error !== "RecentSignInRequired") problems.push(`${op} on an old session: ${r.status} ${r.text.slice(0, 160)}`);
    }
    // The same calls with the token the matrix uses are not asked (tokens keep their own rules),
    // nor is a session signed in just now.
    const fresh = await signIn(t, a, admin.email, PASSWORD);
    for (const op of RECENT) {
      const c = await RULES[op]!.call("admin", true);
      const viaToken = await send$("admin", c);
      if (viaToken.body?.error === "RecentSignInRequired" || viaToken.status >= 500) problems.push(`${op} with a token: ${viaToken.status} ${viaToken.text.slice(0, 160)}`);
      const now = await asAdmin(await RULES[op]!.call("admin", true), fresh);
      if (now.body?.error === "RecentSignInRequired" || now.status >= 500) problems.push(`${op} just after signing in: ${now.status} ${now.text.slice(0, 160)}`);
    }
    expect(problems).toEqual([]);
  }, 120_000);
});
