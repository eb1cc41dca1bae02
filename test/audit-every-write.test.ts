import crypto from "node:crypto";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chainQueued } from "../src/modules/audit/audit-service.ts";
import { findTenant } from "../src/modules/tenants/tenants-service.ts";
import { registeredRoutes } from "../src/platform/http/route.ts";
import { makeContext } from "../src/platform/context.ts";
import { enqueueJob } from "../src/platform/jobs/jobs.ts";
import { SetupToken } from "../src/platform/setup-token.ts";
import { buildTenant, buildUser, createTokenFor, openEmptyDatabase, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { consentRecordFor } from "./support/consent.ts";
import { linkTo, startSmtpPeer, type SmtpPeer } from "./support/smtp-peer.ts";
import { jobsSettled, PASSWORD, staffWithPassword } from "./support/people.ts";
import { message, send, settled, supportOf } from "./support/mail-in.ts";
import { Secret, TOTP } from "otpauth";
import { SoftAuthenticator } from "./support/webauthn-authenticator.ts";
import * as jose from "jose";
import { makeKeyPair } from "./support/simplesamlphp.ts";
import { encode, requestIdOf, responseXml } from "./support/saml-forge.ts";

/**
 * Every change is audited: each write route (POST, PUT, PATCH, DELETE among the registered
 * routes) is called with a valid request, and its tenant's audit trail must have grown by an
 * entry of the expected action. A new write route fails this test until it has a case here (or an
 * exemption, with the reason, in NO_AUDIT).
 */

let t: TestApp;
let empty: Awaited<ReturnType<typeof openEmptyDatabase>>;
let smtp: SmtpPeer;
let a: TestTenant;
const gate = new SetupToken();

beforeAll(async () => {
  // A database of its own, so that first-run setup (which needs an installation without accounts) runs too.
  empty = await openEmptyDatabase();
  smtp = await startSmtpPeer();
  t = await startTestApp({ db: empty.db, setup: gate, env: { VAULTDESK_SMTP_URL: smtp.url, VAULTDESK_SMTP_LISTEN: "127.0.0.1:0", VAULTDESK_JOB_POLL_SECONDS: "0.1" } });
});
afterAll(async () => {
  await t?.close();
  await empty?.drop();
  await smtp?.close();
});

/** Write routes that legitimately record nothing, with the reason. */
/** A DKIM key of the tenant's (for the key routes). */
async function dkimKey(): Promise<string> {
  const r = await a.api("POST", "/api/v2/dkim_keys.json", { dkim_key: { domain: `${crypto.randomBytes(4).toString("hex")}.example` } });
  if (r.status !== 201) throw new Error(`dkim key: ${r.status} ${r.text}`);
  return r.body.dkim_key.id as string;
}

/** A message the mail server never took, as the mail job leaves it (for the dead-letter routes). */
async function deadLetter(): Promise<string> {
  const id = crypto.randomUUID();
  await t.db.tenant(a.tenantId, async (tx) => {
    const sealer = await t.keyring.sealerFor(tx);
    await tx.db.insertInto("undelivered_mail").values({ tenant_id: a.tenantId, id, message_sealed: sealer.sealJson({ to: "late@customer.test", subject: "s", text: "t", language: "en" }, { table: "undelivered_mail", column: "message", row: id }), attempts: 3, failed_at: new Date() }).execute();
  });
  return id;
}

/** A code of an authenticator `steps` time steps from now. */
const totpCode = (secret: string, steps = 0) => new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: Date.now() + steps * 30_000 });

/** A staff member signed in, with two-factor sign-in started (`confirm: false`) or on; the code of now is used. */
async function withAuthenticator(confirm = true): Promise<{ id: number; email: string; secret: string; headers: Record<string, string> }> {
  const p = await staffWithPassword(t, a, "agent");
  const headers = { cookie: p.session.cookie, "x-csrf-token": p.session.csrf };
  const start = await t.request({ method: "POST", path: "/api/v2/users/me/two_factor/totp.json", host: a.host, headers });
  if (start.status !== 201) throw new Error(`enrol: ${start.status} ${start.text}`);
  const secret = start.body.totp.secret as string;
  if (confirm) {
    const c = await t.request({ method: "POST", path: "/api/v2/users/me/two_factor/totp/confirm.json", host: a.host, headers, body: { code: totpCode(secret) } });
    if (c.status !== 200) throw new Error(`confirm: ${c.status} ${c.text}`);
  }
  return { id: p.id, email: p.email, secret, headers };
}

/**
 * The passkey cases run in a tenant of their own: their sign-ins count toward the per-address
 * sign-in limit of a tenant, and tenant a's cases use most of it.
 */
let pkTenant: TestTenant | undefined;
async function passkeyTenant(): Promise<TestTenant & { on: { host: string; tenantId: () => Promise<string> }; ownerHeaders: Record<string, string> }> {
  const k = (pkTenant ??= await buildTenant(t, "auditpk"));
  return Object.assign(k, { on: { host: k.host, tenantId: async () => k.tenantId }, ownerHeaders: { authorization: "Basic " + Buffer.from(`${k.ownerEmail}/token:${k.ownerToken}`).toString("base64") } });
}

/** A staff member of the passkey tenant signed in, with a passkey added (by the software authenticator, through the routes). */
async function withPasskey(): Promise<{ id: number; email: string; auth: SoftAuthenticator; passkeyId: string; headers: Record<string, string> }> {
  const k = await passkeyTenant();
  const p = await staffWithPassword(t, k, "agent");
  const headers = { cookie: p.session.cookie, "x-csrf-token": p.session.csrf };
  const auth = new SoftAuthenticator();
  const o = await t.request({ method: "POST", path: "/api/v2/users/me/passkeys/options.json", host: k.host, headers });
  const r = await t.request({ method: "POST", path: "/api/v2/users/me/passkeys.json", host: k.host, headers, body: { passkey: { credential: auth.register(o.body.options, { origin: k.origin }) } } });
  if (r.status !== 201) throw new Error(`passkey: ${r.status} ${r.text}`);
  return { id: p.id, email: p.email, auth, passkeyId: r.body.passkey.id as string, headers };
}

const NO_AUDIT: Record<string, string> = {
  "POST /api/v2/invitations/preview": "reads an invitation (POST only to keep its token out of URLs and logs); changes nothing",
  "POST /api/v2/audit_logs/checkpoints/check": "compares kept checkpoints with the chain (POST only to carry up to 100 of them); changes nothing",
  "POST /api/v2/users/me/passkeys/options": "issues a single-use WebAuthn challenge (a keyed hash, five minutes); adding the passkey is audited",
  "POST /api/v2/session/passkey/options": "issues a single-use WebAuthn challenge for an anonymous sign-in; the sign-in is audited",
  "POST /api/v2/session/two_factor/passkey/options": "issues a single-use WebAuthn challenge for the second step; the sign-in is audited",
  "POST /api/v2/users/me/two_factor/recovery_codes/passkey/options": "issues a single-use WebAuthn challenge for new recovery codes; the renewal is audited",
  "POST /access/saml":
    "SAML's assertion consumer service checks the IdP's answer and hands it to GET /access/saml/complete, which signs the person in and is audited there (its refusals are audited user.signin_failed); it records only the replay key and the used-up request, which are not changes of the account",
};

/** SAML set up with a key made here, and a response signed by it for a sign-in started now. */
const samlKeys = makeKeyPair("audit IdP");
const samlSettings = () => ({ enabled: true, idp_entity_id: "https://idp.audit.test/entity", idp_sso_url: "https://idp.audit.test/sso", idp_certificates: [samlKeys.cert] });
async function samlAnswer(tenant: TestTenant): Promise<string> {
  const put = await tenant.api("PUT", "/api/v2/sso/saml.json", { saml: samlSettings() });
  if (put.status !== 200) throw new Error(`saml settings: ${put.status} ${put.text}`);
  const started = await t.request({ method: "GET", path: "/access/saml/login", host: tenant.host });
  const acs = put.body.saml.acs_url as string;
  const email = `saml.${unique()}@a.test`;
  return encode(responseXml({ issuer: "https://idp.audit.test/entity", audience: put.body.saml.sp_entity_id, recipient: acs, destination: acs, inResponseTo: requestIdOf(started.headers.location!), nameId: email, email, sign: { key: samlKeys, parts: "assertion" } }));
}

const JWT_AUDIT_SECRET = "audit-shared-secret-of-forty-characters!!";

type Call = { method: string; path: string; body?: unknown; rawBody?: Buffer; headers?: Record<string, string>; host?: string };
type Case = {
  /** The audit action the route must record. */
  action: string;
  /** The entry is recorded by the job the request queued (the request must do the same work for every address): wait for the tenant's jobs. */
  byJob?: boolean;
  /** Builds the request (creating what it needs first); `tenantId`: whose trail to look at (default: tenant a). */
  prepare: () => Promise<Call & { tenantId?: () => Promise<string> }>;
};

const ownerAuth = () => ({ authorization: "Basic " + Buffer.from(`${a.ownerEmail}/token:${a.ownerToken}`).toString("base64") });
async function create<T = any>(path: string, body: unknown): Promise<T> {
  const r = await a.api("POST", path, body);
  if (r.status >= 300) throw new Error(`${path}: ${r.status} ${r.text}`);
  return r.body as T;
}
async function signIn(email: string, password: string): Promise<Record<string, string>> {
  const r = await t.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email, password } });
  if (r.status !== 201) throw new Error(`sign-in: ${r.status} ${r.text}`);
  const cookie = (r.headers["set-cookie"] as string[]).find((c) => c.startsWith("vd_session="))!.split(";")[0]!;
  return { cookie, "x-csrf-token": r.body.session.csrf_token };
}
const ticket = async () => (await create("/api/v2/tickets.json", { ticket: { subject: "audited", comment: { body: "b" } } })).ticket.id as number;
/** A ticket in the trash. */
const deletedTicket = async () => {
  const id = await ticket();
  const r = await a.api("DELETE", `/api/v2/tickets/${id}.json`);
  if (r.status !== 204) throw new Error(`delete: ${r.status} ${r.text}`);
  return id;
};
const customRole = async () => (await create("/api/v2/custom_roles.json", { custom_role: { name: `r${Math.random().toString(36).slice(2)}` } })).custom_role.id as number;
const view = async () => (await create("/api/v2/views.json", { view: { title: "Audited view", restriction: null, all: [{ field: "status", operator: "is", value: "open" }] } })).view.id as number;
const macro = async () => (await create("/api/v2/macros.json", { macro: { title: "Audited macro", restriction: null, actions: [{ field: "status", value: "open" }] } })).macro.id as number;
/** A business rule of either kind (on a tag no ticket carries; an automation's time condition and its nullifying action beside). */
type RuleKind = "trigger" | "automation";
const ruleBody = (kind: RuleKind) => {
  const never = { field: "current_tags", operator: "includes", value: "never_audited" };
  const all = kind === "trigger" ? [never] : [never, { field: "created_at", operator: "greater_than", value: 1 }];
  return { [kind]: { title: unique(), conditions: { all }, actions: [{ field: "priority", value: "low" }, ...(kind === "trigger" ? [] : [{ field: "remove_tags", value: "never_audited" }])] } };
};
const rule = async (kind: RuleKind) => (await create<Record<string, { id: number }>>(`/api/v2/${kind}s.json`, ruleBody(kind)))[kind]!.id;
/** The cases of one kind of rule: created, updated, deleted, reordered (ids only). */
function ruleCases(kind: RuleKind): Record<string, Case> {
  const base = `/api/v2/${kind}s`;
  return {
    [`POST ${base}`]: { action: `${kind}.created`, prepare: async () => ({ method: "POST", path: `${base}.json`, body: ruleBody(kind) }) },
    [`PUT ${base}/:id`]: { action: `${kind}.updated`, prepare: async () => ({ method: "PUT", path: `${base}/${await rule(kind)}.json`, body: { [kind]: { active: false } } }) },
    [`DELETE ${base}/:id`]: { action: `${kind}.deleted`, prepare: async () => ({ method: "DELETE", path: `${base}/${await rule(kind)}.json` }) },
    [`PUT ${base}/reorder`]: {
      action: `${kind}.reordered`,
      prepare: async () => {
        await rule(kind);
        const list = (await a.api("GET", `${base}.json?per_page=100`)).body as Record<string, Array<{ id: number }>>;
        return { method: "PUT", path: `${base}/reorder.json`, body: { [`${kind}_ids`]: list[`${kind}s`]!.map((x) => x.id).reverse() } };
      },
    },
  };
}
/** An SLA policy (on a tag no ticket carries). */
const slaBody = () => ({ sla_policy: { title: unique(), filter: { all: [{ field: "current_tags", operator: "includes", value: "never_audited" }] }, policy_metrics: [{ priority: "high", metric: "first_reply_time", target: 60 }] } });
const slaPolicy = async () => (await create<{ sla_policy: { id: number } }>("/api/v2/slas/policies.json", slaBody())).sla_policy.id;
const group = async () => (await create("/api/v2/groups.json", { group: { name: `g${Math.random().toString(36).slice(2)}` } })).group.id as number;
/** A business hours schedule, and a holiday of one. */
const BH = "/api/v2/business_hours/schedules";
const schedule = async () => (await create(`${BH}.json`, { schedule: { name: unique(), time_zone: "Europe/Stockholm" } })).schedule.id as number;
const scheduleHoliday = async () => {
  const s = await schedule();
  return { s, h: (await create(`${BH}/${s}/holidays.json`, { holiday: { name: unique(), start_date: "2027-12-24", end_date: "2027-12-24" } })).holiday.id as number };
};
const field = async () => (await create("/api/v2/ticket_fields.json", { ticket_field: { type: "text", title: "Audited field" } })).ticket_field.id as number;
const endUser = async () => (await buildUser(t, a, "end-user")).id;
/** A person deleted (restorable, not erased). */
const deletedUser = async () => {
  const id = await endUser();
  const r = await a.api("DELETE", `/api/v2/users/${id}.json`);
  if (r.status !== 200) throw new Error(`delete: ${r.status} ${r.text}`);
  return id;
};
const uploadFile = async (): Promise<{ token: string; id: number }> => {
  const r = await t.request({ method: "POST", path: "/api/v2/uploads.json?filename=audited.txt", host: a.host, rawBody: Buffer.from("audited file"), headers: { ...ownerAuth(), "content-type": "text/plain" } });
  if (r.status !== 201) throw new Error(`upload: ${r.status} ${r.text}`);
  return { token: r.body.upload.token, id: r.body.upload.attachment.id };
};
/**
 * OAuth: a tenant of its own (its sign-ins would use up tenant a's sign-in allowance), a client of
 * it, and the steps of an authorization for its owner (test/oauth.test.ts has the whole protocol).
 */
const OAUTH_REDIRECT = "http://127.0.0.1:9/callback";
let oauthTenant: TestTenant | undefined;
let oauthSession: Record<string, string> | undefined;
async function oauthSide(): Promise<{ o: TestTenant; auth: Record<string, string>; at: { host: string; tenantId: () => Promise<string> } }> {
  oauthTenant ??= await buildTenant(t, "auditoauth");
  const o = oauthTenant;
  return { o, auth: { authorization: "Basic " + Buffer.from(`${o.ownerEmail}/token:${o.ownerToken}`).toString("base64") }, at: { host: o.host, tenantId: async () => o.tenantId } };
}
async function oauthClient(kind: "public" | "confidential" = "public"): Promise<{ id: number; identifier: string }> {
  const { o } = await oauthSide();
  const r = await o.api("POST", "/api/v2/oauth/clients.json", { client: { name: unique(), identifier: unique(), redirect_uri: [OAUTH_REDIRECT], kind } });
  if (r.status !== 201) throw new Error(`oauth client: ${r.status} ${r.text}`);
  return r.body.client;
}
async function oauthConsentRequest(): Promise<{ headers: Record<string, string>; body: Record<string, unknown>; client: { identifier: string }; verifier: string }> {
  const { o } = await oauthSide();
  const client = await oauthClient();
  const verifier = crypto.randomBytes(32).toString("base64url");
  const challenge = crypto.createHash("sha256").update(verifier).digest("base64url");
  const params = { response_type: "code", client_id: client.identifier, redirect_uri: OAUTH_REDIRECT, scope: "read", state: "st", code_challenge: challenge, code_challenge_method: "S256" };
  const start = await t.request({ method: "GET", path: `/oauth/authorizations/new?${new URLSearchParams(params)}`, host: o.host });
  if (start.status !== 302) throw new Error(`authorize: ${start.status} ${start.text}`);
  const page = new URL(start.headers.location as string, o.origin);
  if (!oauthSession) {
    const r = await t.request({ method: "POST", path: "/api/v2/session.json", host: o.host, body: { email: o.ownerEmail, password: o.ownerPassword } });
    if (r.status !== 201) throw new Error(`sign-in: ${r.status} ${r.text}`);
    oauthSession = { cookie: (r.headers["set-cookie"] as string[]).find((c) => c.startsWith("vd_session="))!.split(";")[0]!, "x-csrf-token": r.body.session.csrf_token };
  }
  return { headers: oauthSession, body: { ...Object.fromEntries(page.searchParams), allowed: true }, client, verifier };
}
async function oauthCode(): Promise<Record<string, string>> {
  const { o } = await oauthSide();
  const c = await oauthConsentRequest();
  const decided = await t.request({ method: "POST", path: "/api/v2/oauth/consent", host: o.host, headers: c.headers, body: c.body });
  if (decided.status !== 200) throw new Error(`consent: ${decided.status} ${decided.text}`);
  const code = new URL(decided.body.redirect_to as string).searchParams.get("code")!;
  return { grant_type: "authorization_code", code, redirect_uri: OAUTH_REDIRECT, client_id: c.client.identifier, code_verifier: c.verifier };
}
async function oauthGrant(): Promise<number> {
  const { o } = await oauthSide();
  const r = await t.request({ method: "POST", path: "/oauth/tokens", host: o.host, body: await oauthCode() });
  if (r.status !== 200) throw new Error(`token: ${r.status} ${r.text}`);
  return (await o.api("GET", "/api/v2/oauth/tokens.json")).body.tokens[0].id as number;
}

let n = 0;
const unique = () => `aud${++n}x${Math.random().toString(36).slice(2, 8)}`;

const ownAddress = async () => (await create("/api/v2/recipient_addresses.json", { recipient_address: { email: `${unique()}@own.test` } })).recipient_address.id as number;
let mails = 0;
/** A suspended ticket: a spam-flagged message over SMTP, processed. */
async function suspendedTicket(): Promise<number> {
  const from = `${unique()}@sender.test`;
  await send(t.app.smtpIn!.port, { from, to: [supportOf(a)] }, message({ from, to: supportOf(a), headers: ["X-Spam-Flag: YES"] }));
  await settled(t, a, ++mails);
  return ((await a.api("GET", "/api/v2/suspended_tickets.json?sort_order=desc")).body.suspended_tickets[0].id) as number;
}

/** A bulk update of the owner's, due an hour from now (so no runner takes it before it is cancelled). */
async function waitingJob(): Promise<string> {
  return t.db.tenant(a.tenantId, async (tx) => {
    const owner = (await tx.db.selectFrom("users").select("id").where("role", "=", "owner").executeTakeFirstOrThrow()).id;
    const ctx = makeContext({ tx, sealer: await t.keyring.sealerFor(tx), actor: { kind: "system" }, requestId: "test", now: () => new Date() });
    const id = await enqueueJob(ctx, { type: "bulk_update_job", total: 1, payload: { ip: null, apiBase: "", input: { items: [] } }, createdBy: owner, maxAttempts: 1 });
    await sql`UPDATE job_statuses SET run_after = now() + interval '1 hour' WHERE tenant_id = ${tx.tenantId} AND id = ${id}`.execute(tx.db);
    return id;
  });
}

const CASES: Record<string, Case> = {
  "POST /api/v2/job_statuses/:id/cancel": { action: "job_status.cancelled", prepare: async () => ({ method: "POST", path: `/api/v2/job_statuses/${await waitingJob()}/cancel.json` }) },
  "POST /api/v2/setup": {
    action: "tenant.created",
    prepare: async () => ({
      method: "POST", path: "/api/v2/setup.json", host: "localhost", headers: {},
      body: { token: gate.token, account: { name: "First", subdomain: "first" }, owner: { name: "First Owner", email: "owner@first.test", password: "Correct horse battery 9" } },
      tenantId: async () => (await findTenant(t.db, { subdomain: "first" }))!.id,
    }),
  },
  "POST /api/v2/tickets": { action: "ticket.created", prepare: async () => ({ method: "POST", path: "/api/v2/tickets.json", body: { ticket: { subject: "s", comment: { body: "b" } } } }) },
  "POST /api/v2/tickets/:id/merge": { action: "ticket.merged", prepare: async () => ({ method: "POST", path: `/api/v2/tickets/${await ticket()}/merge.json`, body: { ids: [await ticket()] } }) },
  "POST /api/v2/tickets/:id/tags": { action: "ticket.updated", prepare: async () => ({ method: "POST", path: `/api/v2/tickets/${await ticket()}/tags.json`, body: { tags: ["set_tag"] } }) },
  "PUT /api/v2/tickets/:id/tags": { action: "ticket.updated", prepare: async () => ({ method: "PUT", path: `/api/v2/tickets/${await ticket()}/tags.json`, body: { tags: ["added_tag"] } }) },
  "DELETE /api/v2/tickets/:id/tags": { action: "ticket.updated", prepare: async () => {
    const id = await ticket();
    await a.api("PUT", `/api/v2/tickets/${id}/tags.json`, { tags: ["gone_tag"] });
    return { method: "DELETE", path: `/api/v2/tickets/${id}/tags.json`, body: { tags: ["gone_tag"] } };
  } },
  "PUT /api/v2/tickets/:id": { action: "ticket.updated", prepare: async () => ({ method: "PUT", path: `/api/v2/tickets/${await ticket()}.json`, body: { ticket: { priority: "high" } } }) },
  "DELETE /api/v2/tickets/:id": { action: "ticket.deleted", prepare: async () => ({ method: "DELETE", path: `/api/v2/tickets/${await ticket()}.json` }) },
  "PUT /api/v2/deleted_tickets/:id/restore": { action: "ticket.restored", prepare: async () => ({ method: "PUT", path: `/api/v2/deleted_tickets/${await deletedTicket()}/restore.json` }) },
  "PUT /api/v2/deleted_tickets/restore_many": { action: "ticket.restored", prepare: async () => ({ method: "PUT", path: `/api/v2/deleted_tickets/restore_many.json?ids=${await deletedTicket()},${await deletedTicket()}` }) },
  "DELETE /api/v2/deleted_tickets/:id": { action: "ticket.purged", prepare: async () => ({ method: "DELETE", path: `/api/v2/deleted_tickets/${await deletedTicket()}.json` }) },
  "DELETE /api/v2/deleted_tickets/destroy_many": { action: "ticket.purged", prepare: async () => ({ method: "DELETE", path: `/api/v2/deleted_tickets/destroy_many.json?ids=${await deletedTicket()},${await deletedTicket()}` }) },
  "POST /api/v2/tickets/create_many": { action: "job.queued", prepare: async () => ({ method: "POST", path: "/api/v2/tickets/create_many.json", body: { tickets: [{ subject: "s", comment: { body: "b" } }] } }) },
  "PUT /api/v2/tickets/update_many": { action: "job.queued", prepare: async () => ({ method: "PUT", path: `/api/v2/tickets/update_many.json?ids=${await ticket()}`, body: { ticket: { priority: "low" } } }) },
  "POST /api/v2/ticket_fields": { action: "ticket_field.created", prepare: async () => ({ method: "POST", path: "/api/v2/ticket_fields.json", body: { ticket_field: { type: "checkbox", title: "Flag" } } }) },
  "PUT /api/v2/ticket_fields/:id": { action: "ticket_field.updated", prepare: async () => ({ method: "PUT", path: `/api/v2/ticket_fields/${await field()}.json`, body: { ticket_field: { title: "Renamed" } } }) },
  "DELETE /api/v2/ticket_fields/:id": { action: "ticket_field.deleted", prepare: async () => ({ method: "DELETE", path: `/api/v2/ticket_fields/${await field()}.json` }) },
  "POST /api/v2/users": { action: "user.created", prepare: async () => ({ method: "POST", path: "/api/v2/users.json", body: { user: { name: "New Person", email: `${unique()}@a.test` } } }) },
  "PUT /api/v2/users/:id": { action: "user.updated", prepare: async () => ({ method: "PUT", path: `/api/v2/users/${await endUser()}.json`, body: { user: { name: "Renamed Person" } } }) },
  "DELETE /api/v2/users/:id": { action: "user.deleted", prepare: async () => ({ method: "DELETE", path: `/api/v2/users/${await endUser()}.json` }) },
  "PUT /api/v2/deleted_users/:id/restore": { action: "user.restored", prepare: async () => ({ method: "PUT", path: `/api/v2/deleted_users/${await deletedUser()}/restore.json` }) },
  "DELETE /api/v2/deleted_users/:id": { action: "user.erased", prepare: async () => ({ method: "DELETE", path: `/api/v2/deleted_users/${await deletedUser()}.json` }) },
  "PUT /api/v2/users/:id/role": { action: "user.role_changed", prepare: async () => ({ method: "PUT", path: `/api/v2/users/${(await buildUser(t, a, "agent")).id}/role.json`, body: { role: "admin" } }) },
  "PUT /api/v2/users/me/password": {
    action: "user.password_changed",
    prepare: async () => ({ method: "PUT", path: "/api/v2/users/me/password.json", headers: await signIn(a.ownerEmail, a.ownerPassword), body: { previous_password: a.ownerPassword, password: (a.ownerPassword = `New-${unique()}-Pw9`) } }),
  },
  "POST /api/v2/users/:id/sign_in_links": { action: "signin_link.created", prepare: async () => ({ method: "POST", path: `/api/v2/users/${await endUser()}/sign_in_links.json` }) },
  "POST /api/v2/organizations": { action: "organization.created", prepare: async () => ({ method: "POST", path: "/api/v2/organizations.json", body: { organization: { name: unique() } } }) },
  "PUT /api/v2/organizations/:id": {
    action: "organization.updated",
    prepare: async () => ({ method: "PUT", path: `/api/v2/organizations/${(await create("/api/v2/organizations.json", { organization: { name: unique() } })).organization.id}.json`, body: { organization: { notes: "n" } } }),
  },
  "DELETE /api/v2/organizations/:id": {
    action: "organization.deleted",
    prepare: async () => ({ method: "DELETE", path: `/api/v2/organizations/${(await create("/api/v2/organizations.json", { organization: { name: unique() } })).organization.id}.json` }),
  },
  "POST /api/v2/oauth/clients": { action: "oauth_client.created", prepare: async () => { const x = await oauthSide(); return { ...x.at, headers: x.auth, method: "POST", path: "/api/v2/oauth/clients.json", body: { client: { name: unique(), identifier: unique(), redirect_uri: [OAUTH_REDIRECT], kind: "public" } } }; } },
  "PUT /api/v2/oauth/clients/:id": { action: "oauth_client.updated", prepare: async () => { const x = await oauthSide(); return { ...x.at, headers: x.auth, method: "PUT", path: `/api/v2/oauth/clients/${(await oauthClient()).id}.json`, body: { client: { name: unique() } } }; } },
  "PUT /api/v2/oauth/clients/:id/generate_secret": { action: "oauth_client.secret_generated", prepare: async () => { const x = await oauthSide(); return { ...x.at, headers: x.auth, method: "PUT", path: `/api/v2/oauth/clients/${(await oauthClient("confidential")).id}/generate_secret.json` }; } },
  "DELETE /api/v2/oauth/clients/:id": { action: "oauth_client.deleted", prepare: async () => { const x = await oauthSide(); return { ...x.at, headers: x.auth, method: "DELETE", path: `/api/v2/oauth/clients/${(await oauthClient()).id}.json` }; } },
  "POST /api/v2/oauth/consent": { action: "oauth_grant.created", prepare: async () => { const x = await oauthSide(); const c = await oauthConsentRequest(); return { ...x.at, method: "POST", path: "/api/v2/oauth/consent", headers: c.headers, body: c.body }; } },
  "POST /oauth/tokens": { action: "oauth_token.issued", prepare: async () => { const x = await oauthSide(); return { ...x.at, method: "POST", path: "/oauth/tokens", headers: {}, body: await oauthCode() }; } },
  "DELETE /api/v2/oauth/tokens/:id": { action: "oauth_token.revoked", prepare: async () => { const x = await oauthSide(); return { ...x.at, headers: x.auth, method: "DELETE", path: `/api/v2/oauth/tokens/${await oauthGrant()}.json` }; } },
  "POST /api/v2/custom_roles": { action: "custom_role.created", prepare: async () => ({ method: "POST", path: "/api/v2/custom_roles.json", body: { custom_role: { name: unique(), configuration: { ticket_access: "within-groups" } } } }) },
  "PUT /api/v2/custom_roles/:id": { action: "custom_role.updated", prepare: async () => ({ method: "PUT", path: `/api/v2/custom_roles/${await customRole()}.json`, body: { custom_role: { configuration: { ticket_access: "assigned-only" } } } }) },
  "DELETE /api/v2/custom_roles/:id": { action: "custom_role.deleted", prepare: async () => ({ method: "DELETE", path: `/api/v2/custom_roles/${await customRole()}.json` }) },
  "POST /api/v2/views": { action: "view.created", prepare: async () => ({ method: "POST", path: "/api/v2/views.json", body: { view: { title: unique(), all: [{ field: "status", operator: "is", value: "open" }] } } }) },
  "PUT /api/v2/satisfaction_settings": { action: "satisfaction_settings.updated", prepare: async () => ({ method: "PUT", path: "/api/v2/satisfaction_settings.json", body: { satisfaction_settings: { enabled: true } } }) },
  "POST /api/v2/tickets/:ticket_id/satisfaction_rating": {
    action: "satisfaction_rating.created",
    prepare: async () => {
      // The requester (with a token of their own) rates their solved ticket, ratings on.
      await a.api("PUT", "/api/v2/satisfaction_settings.json", { satisfaction_settings: { enabled: true } });
      const u = await buildUser(t, a, "end-user");
      const id = (await create("/api/v2/tickets.json", { ticket: { subject: "rated", comment: { body: "b" }, requester_id: u.id, status: "solved" } })).ticket.id as number;
      const token = await createTokenFor(t, a, u.id);
      return { method: "POST", path: `/api/v2/tickets/${id}/satisfaction_rating.json`, headers: { authorization: "Basic " + Buffer.from(`${u.email}/token:${token}`).toString("base64") }, body: { satisfaction_rating: { score: "good", comment: "Quick" } } };
    },
  },
  "PUT /api/v2/views/:id": { action: "view.updated", prepare: async () => ({ method: "PUT", path: `/api/v2/views/${await view()}.json`, body: { view: { active: false } } }) },
  "DELETE /api/v2/views/:id": { action: "view.deleted", prepare: async () => ({ method: "DELETE", path: `/api/v2/views/${await view()}.json` }) },
  "POST /api/v2/macros": { action: "macro.created", prepare: async () => ({ method: "POST", path: "/api/v2/macros.json", body: { macro: { title: unique(), actions: [{ field: "status", value: "open" }] } } }) },
  "PUT /api/v2/macros/:id": { action: "macro.updated", prepare: async () => ({ method: "PUT", path: `/api/v2/macros/${await macro()}.json`, body: { macro: { active: false } } }) },
  "DELETE /api/v2/macros/:id": { action: "macro.deleted", prepare: async () => ({ method: "DELETE", path: `/api/v2/macros/${await macro()}.json` }) },
  ...ruleCases("trigger"),
  ...ruleCases("automation"),
  "POST /api/v2/slas/policies": { action: "sla_policy.created", prepare: async () => ({ method: "POST", path: "/api/v2/slas/policies.json", body: slaBody() }) },
  "PUT /api/v2/slas/policies/:id": { action: "sla_policy.updated", prepare: async () => ({ method: "PUT", path: `/api/v2/slas/policies/${await slaPolicy()}.json`, body: { sla_policy: { description: "d" } } }) },
  "DELETE /api/v2/slas/policies/:id": { action: "sla_policy.deleted", prepare: async () => ({ method: "DELETE", path: `/api/v2/slas/policies/${await slaPolicy()}.json` }) },
  "PUT /api/v2/slas/policies/reorder": {
    action: "sla_policy.reordered",
    prepare: async () => {
      await slaPolicy();
      const list = (await a.api("GET", "/api/v2/slas/policies.json")).body as { sla_policies: Array<{ id: number }> };
      return { method: "PUT", path: "/api/v2/slas/policies/reorder.json", body: { sla_policy_ids: list.sla_policies.map((x) => x.id).reverse() } };
    },
  },
  "POST /api/v2/business_hours/schedules": { action: "schedule.created", prepare: async () => ({ method: "POST", path: `${BH}.json`, body: { schedule: { name: unique(), time_zone: "UTC" } } }) },
  "PUT /api/v2/business_hours/schedules/:id": { action: "schedule.updated", prepare: async () => ({ method: "PUT", path: `${BH}/${await schedule()}.json`, body: { schedule: { time_zone: "Asia/Tokyo" } } }) },
  "DELETE /api/v2/business_hours/schedules/:id": { action: "schedule.deleted", prepare: async () => ({ method: "DELETE", path: `${BH}/${await schedule()}.json` }) },
  "PUT /api/v2/business_hours/schedules/:id/workweek": { action: "schedule.workweek_updated", prepare: async () => ({ method: "PUT", path: `${BH}/${await schedule()}/workweek.json`, body: { workweek: { intervals: [{ start_time: 600, end_time: 900 }] } } }) },
  "POST /api/v2/business_hours/schedules/:id/holidays": { action: "schedule_holiday.created", prepare: async () => ({ method: "POST", path: `${BH}/${await schedule()}/holidays.json`, body: { holiday: { name: unique(), start_date: "2027-01-01", end_date: "2027-01-01" } } }) },
  "PUT /api/v2/business_hours/schedules/:id/holidays/:holiday_id": { action: "schedule_holiday.updated", prepare: async () => { const x = await scheduleHoliday(); return { method: "PUT", path: `${BH}/${x.s}/holidays/${x.h}.json`, body: { holiday: { end_date: "2027-12-26" } } }; } },
  "DELETE /api/v2/business_hours/schedules/:id/holidays/:holiday_id": { action: "schedule_holiday.deleted", prepare: async () => { const x = await scheduleHoliday(); return { method: "DELETE", path: `${BH}/${x.s}/holidays/${x.h}.json` }; } },
  "POST /api/v2/groups": { action: "group.created", prepare: async () => ({ method: "POST", path: "/api/v2/groups.json", body: { group: { name: unique() } } }) },
  "PUT /api/v2/groups/:id": { action: "group.updated", prepare: async () => ({ method: "PUT", path: `/api/v2/groups/${await group()}.json`, body: { group: { description: "d" } } }) },
  "DELETE /api/v2/groups/:id": { action: "group.deleted", prepare: async () => ({ method: "DELETE", path: `/api/v2/groups/${await group()}.json` }) },
  "POST /api/v2/group_memberships": {
    action: "group_membership.created",
    prepare: async () => ({ method: "POST", path: "/api/v2/group_memberships.json", body: { group_membership: { user_id: (await buildUser(t, a, "agent")).id, group_id: await group() } } }),
  },
  "DELETE /api/v2/group_memberships/:id": {
    action: "group_membership.deleted",
    prepare: async () => {
      const m = await create("/api/v2/group_memberships.json", { group_membership: { user_id: (await buildUser(t, a, "agent")).id, group_id: await group() } });
      return { method: "DELETE", path: `/api/v2/group_memberships/${m.group_membership.id}.json` };
    },
  },
  "POST /api/v2/api_tokens": { action: "api_token.created", prepare: async () => ({ method: "POST", path: "/api/v2/api_tokens.json", body: { api_token: { name: "Integration" } } }) },
  "POST /api/v2/api_tokens/:id/rotate": {
    action: "api_token.rotated",
    prepare: async () => ({ method: "POST", path: `/api/v2/api_tokens/${(await create("/api/v2/api_tokens.json", { api_token: { name: "Rotated" } })).api_token.id}/rotate.json`, body: { overlap_hours: 1 } }),
  },
  "PUT /api/v2/api_settings": { action: "api_settings.updated", prepare: async () => ({ method: "PUT", path: "/api/v2/api_settings.json", body: { api_settings: { password_access: true } } }) },
  "DELETE /api/v2/api_tokens/:id": {
    action: "api_token.revoked",
    prepare: async () => ({ method: "DELETE", path: `/api/v2/api_tokens/${(await create("/api/v2/api_tokens.json", { api_token: { name: "Short-lived" } })).api_token.id}.json` }),
  },
  "POST /api/v2/support_access": { action: "support_access.granted", prepare: async () => ({ method: "POST", path: "/api/v2/support_access.json", body: { support_access: { days: 3, level: "read_only", reason: "Case 7" } } }) },
  "DELETE /api/v2/support_access/:id": {
    action: "support_access.revoked",
    prepare: async () => ({ method: "DELETE", path: `/api/v2/support_access/${(await create("/api/v2/support_access.json", { support_access: { days: 1, level: "read_write" } })).support_access_grant.id}.json` }),
  },
  "POST /api/v2/session": { action: "user.signed_in", prepare: async () => ({ method: "POST", path: "/api/v2/session.json", headers: {}, body: { email: a.ownerEmail, password: a.ownerPassword } }) },
  "DELETE /api/v2/session": { action: "user.signed_out", prepare: async () => ({ method: "DELETE", path: "/api/v2/session.json", headers: await signIn(a.ownerEmail, a.ownerPassword) }) },
  "POST /api/v2/invitations": { action: "invitation.created", prepare: async () => ({ method: "POST", path: "/api/v2/invitations.json", body: { invitation: { email: `${unique()}@a.test`, role: "agent" } } }) },
  "DELETE /api/v2/invitations/:id": {
    action: "invitation.revoked",
    prepare: async () => ({ method: "DELETE", path: `/api/v2/invitations/${(await create("/api/v2/invitations.json", { invitation: { email: `${unique()}@a.test`, role: "agent" } })).invitation.id}.json` }),
  },
  "POST /api/v2/invitations/accept": {
    action: "invitation.accepted",
    prepare: async () => {
      const inv = await create("/api/v2/invitations.json", { invitation: { email: `${unique()}@a.test`, role: "agent" } });
      return { method: "POST", path: "/api/v2/invitations/accept.json", headers: {}, body: { token: inv.invitation.token, name: "Invited Person", password: "A-good-Password-42" } };
    },
  },
  "POST /api/v2/account/termination": {
    action: "account.closed",
    // A tenant of its own, closed by its owner signed in (closing tenant a would end every later case).
    prepare: async () => {
      const c = await buildTenant(t, "auditclose");
      const r = await t.request({ method: "POST", path: "/api/v2/session.json", host: c.host, body: { email: c.ownerEmail, password: c.ownerPassword } });
      if (r.status !== 201) throw new Error(`sign-in: ${r.status} ${r.text}`);
      const cookie = (r.headers["set-cookie"] as string[]).find((x) => x.startsWith("vd_session="))!.split(";")[0]!;
      return { method: "POST", path: "/api/v2/account/termination.json", host: c.host, headers: { cookie, "x-csrf-token": r.body.session.csrf_token }, body: { termination: { mode: "delete_after_grace", confirm_subdomain: c.subdomain, password: c.ownerPassword } }, tenantId: async () => c.tenantId };
    },
  },
  "PUT /api/v2/account": { action: "account.updated", prepare: async () => ({ method: "PUT", path: "/api/v2/account.json", body: { account: { name: "Audited Team" } } }) },
  "PUT /api/v2/help_center/settings": { action: "help_center.settings_updated", prepare: async () => ({ method: "PUT", path: "/api/v2/help_center/settings.json", body: { settings: { consent_text: `We keep what you send us for two years (${unique()}).` } } }) },
  "POST /api/v2/requests": {
    action: "request.created",
    prepare: async () => ({ method: "POST", path: "/api/v2/requests.json", headers: {}, body: { request: { subject: "Help", comment: { body: "please" }, requester: { name: "Ada Customer", email: `${unique()}@customer.test` } } } }),
  },
  "PUT /api/v2/requests/:id": {
    action: "request.updated",
    prepare: async () => {
      const r = await create("/api/v2/requests.json", { request: { subject: "Mine", comment: { body: "b" } } });
      return { method: "PUT", path: `/api/v2/requests/${r.request.id}.json`, body: { request: { comment: { body: "a reply" } } } };
    },
  },
  "POST /api/v2/help_center/sign_in_links": {
    action: "signin_link.sent",
    byJob: true,
    prepare: async () => {
      const email = `${unique()}@customer.test`;
      await create("/api/v2/users.json", { user: { name: "Customer", email } });
      return { method: "POST", path: "/api/v2/help_center/sign_in_links.json", headers: {}, body: { email } };
    },
  },
  "POST /api/v2/password_resets": {
    action: "password_reset.sent",
    byJob: true,
    prepare: async () => {
      const { email } = await staffWithPassword(t, a, "agent");
      return { method: "POST", path: "/api/v2/password_resets.json", headers: {}, body: { email } };
    },
  },
  "POST /api/v2/password_resets/redeem": {
    action: "user.password_reset",
    prepare: async () => {
      const { email } = await staffWithPassword(t, a, "agent");
      const since = smtp.messages.length;
      const r = await t.request({ method: "POST", path: "/api/v2/password_resets.json", host: a.host, body: { email } });
      if (r.status !== 202) throw new Error(`password reset: ${r.status} ${r.text}`);
      const token = new URL(linkTo(await smtp.waitFor(email, { since, match: (m) => /\/reset-password\?token=/.test(m.text || "") }), "/reset-password")).searchParams.get("token")!;
      return { method: "POST", path: "/api/v2/password_resets/redeem.json", headers: {}, body: { token, password: `Reset-${unique()}-Pw9` } };
    },
  },
  "POST /api/v2/email_changes/confirm": {
    action: "user.email_changed",
    prepare: async () => {
      const id = await endUser();
      const next = `${unique()}@changed.test`;
      const since = smtp.messages.length;
      const r = await a.api("PUT", `/api/v2/users/${id}.json`, { user: { email: next } });
      if (r.status !== 200) throw new Error(`email change: ${r.status} ${r.text}`);
      const token = new URL(linkTo(await smtp.waitFor(next, { since }), "/confirm-email")).searchParams.get("token")!;
      return { method: "POST", path: "/api/v2/email_changes/confirm.json", headers: {}, body: { token } };
    },
  },
  "POST /api/v2/uploads": {
    action: "attachment.uploaded",
    prepare: async () => ({ method: "POST", path: "/api/v2/uploads.json?filename=report.txt", rawBody: Buffer.from("a report"), headers: { ...ownerAuth(), "content-type": "text/plain" } }),
  },
  "DELETE /api/v2/uploads/:token": { action: "upload.deleted", prepare: async () => ({ method: "DELETE", path: `/api/v2/uploads/${(await uploadFile()).token}.json` }) },
  "PUT /api/v2/tickets/:ticket_id/comments/:comment_id/attachments/:id/redact": {
    action: "attachment.redacted",
    prepare: async () => {
      const up = await uploadFile();
      const id = (await create("/api/v2/tickets.json", { ticket: { subject: "with a file", comment: { body: "b", uploads: [up.token] } } })).ticket.id;
      const comment = (await a.api("GET", `/api/v2/tickets/${id}/comments.json`)).body.comments[0].id;
      return { method: "PUT", path: `/api/v2/tickets/${id}/comments/${comment}/attachments/${up.id}/redact.json` };
    },
  },
  "PUT /api/v2/tickets/:ticket_id/comments/:id/redact": {
    action: "comment.redacted",
    prepare: async () => {
      const id = await ticket();
      const comment = (await a.api("GET", `/api/v2/tickets/${id}/comments.json`)).body.comments[0].id;
      return { method: "PUT", path: `/api/v2/tickets/${id}/comments/${comment}/redact.json`, body: { text: "b" } };
    },
  },
  "PUT /api/v2/notification_templates/:event/:locale": {
    action: "notification_template.updated",
    prepare: async () => ({ method: "PUT", path: "/api/v2/notification_templates/solved/sv.json", body: { notification_template: { subject: "Löst: {{ticket.title}}", body: "{{comment}}" } } }),
  },
  "DELETE /api/v2/notification_templates/:event/:locale": {
    action: "notification_template.reset",
    prepare: async () => {
      await a.api("PUT", "/api/v2/notification_templates/solved/ko.json", { notification_template: { subject: "해결됨", body: "{{comment}}" } });
      return { method: "DELETE", path: "/api/v2/notification_templates/solved/ko.json" };
    },
  },
  "POST /api/v2/undelivered_mail/:id/resend": { action: "undelivered_mail.resent", prepare: async () => ({ method: "POST", path: `/api/v2/undelivered_mail/${await deadLetter()}/resend.json` }) },
  "DELETE /api/v2/undelivered_mail/:id": { action: "undelivered_mail.deleted", prepare: async () => ({ method: "DELETE", path: `/api/v2/undelivered_mail/${await deadLetter()}.json` }) },
  "POST /api/v2/dkim_keys": { action: "dkim_key.created", prepare: async () => ({ method: "POST", path: "/api/v2/dkim_keys.json", body: { dkim_key: { domain: `${unique()}.example` } } }) },
  "POST /api/v2/dkim_keys/:id/check": { action: "dkim_key.checked", prepare: async () => ({ method: "POST", path: `/api/v2/dkim_keys/${await dkimKey()}/check.json` }) },
  "DELETE /api/v2/dkim_keys/:id": { action: "dkim_key.deleted", prepare: async () => ({ method: "DELETE", path: `/api/v2/dkim_keys/${await dkimKey()}.json` }) },
  "PUT /api/v2/password_settings": { action: "password_settings.updated", prepare: async () => ({ method: "PUT", path: "/api/v2/password_settings.json", body: { password_settings: { admins_set_end_user_passwords: true } } }) },
  "POST /api/v2/users/:id/password": {
    action: "user.password_set",
    prepare: async () => {
      await a.api("PUT", "/api/v2/password_settings.json", { password_settings: { admins_set_end_user_passwords: true } });
      return { method: "POST", path: `/api/v2/users/${await endUser()}/password.json`, body: { password: "Kiosk Passphrase 42!" } };
    },
  },
  "PUT /api/v2/search_settings": { action: "search_settings.updated", prepare: async () => ({ method: "PUT", path: "/api/v2/search_settings.json", body: { search_settings: { languages: ["english", "finnish"] } } }) },
  "PUT /api/v2/session_settings": { action: "session_settings.updated", prepare: async () => ({ method: "PUT", path: "/api/v2/session_settings.json", body: { session_settings: { idle_minutes: 15 } } }) },
  "POST /api/v2/legal_holds": { action: "legal_hold.created", prepare: async () => ({ method: "POST", path: "/api/v2/legal_holds.json", body: { legal_hold: { target_type: "ticket", target_id: await ticket(), reason: "audited" } } }) },
  "PUT /api/v2/legal_holds/:id/release": { action: "legal_hold.released", prepare: async () => ({ method: "PUT", path: `/api/v2/legal_holds/${(await create("/api/v2/legal_holds.json", { legal_hold: { target_type: "ticket", target_id: await ticket(), reason: "audited" } })).legal_hold.id}/release.json` }) },
  "PUT /api/v2/redaction_settings": { action: "redaction_settings.updated", prepare: async () => ({ method: "PUT", path: "/api/v2/redaction_settings.json", body: { redaction_settings: { iban: true, national_ids: ["SE"] } } }) },
  "PUT /api/v2/users/:id/restriction": { action: "user.restricted", prepare: async () => ({ method: "PUT", path: `/api/v2/users/${await endUser()}/restriction.json`, body: { restriction: { restricted: true, reason: "audited" } } }) },
  "POST /api/v2/users/me/consents/:id/withdraw": { action: "consent.withdrawn", prepare: async () => ({ method: "POST", path: `/api/v2/users/me/consents/${await consentRecordFor(t, a, 1)}/withdraw.json` }) },
  "POST /api/v2/users/:id/consents/:consent_id/withdraw": {
    action: "consent.withdrawn",
    prepare: async () => {
      const person = await endUser();
      return { method: "POST", path: `/api/v2/users/${person}/consents/${await consentRecordFor(t, a, person)}/withdraw.json` };
    },
  },
  "POST /api/v2/users/me/data_exports": { action: "data_export.created", prepare: async () => ({ method: "POST", path: "/api/v2/users/me/data_exports.json" }) },
  "POST /api/v2/users/:id/data_exports": { action: "data_export.created", prepare: async () => ({ method: "POST", path: `/api/v2/users/${await endUser()}/data_exports.json` }) },
  "POST /api/v2/exports": { action: "data_export.created", prepare: async () => ({ method: "POST", path: "/api/v2/exports.json", body: { export: { resource: "users", format: "csv", fields: ["id", "name"] } } }) },
  "POST /api/v2/data_subject_requests": { action: "data_subject_request.created", prepare: async () => ({ method: "POST", path: "/api/v2/data_subject_requests.json", body: { data_subject_request: { type: "access", email: `${unique()}@dsr.example` } } }) },
  "PUT /api/v2/data_subject_requests/:id": { action: "data_subject_request.updated", prepare: async () => ({ method: "PUT", path: `/api/v2/data_subject_requests/${(await create("/api/v2/data_subject_requests.json", { data_subject_request: { type: "access", email: `${unique()}@dsr.example` } })).data_subject_request.id}.json`, body: { data_subject_request: { status: "verifying" } } }) },
  "POST /api/v2/data_subject_requests/:id/verify": { action: "data_subject_request.verified", prepare: async () => ({ method: "POST", path: `/api/v2/data_subject_requests/${(await create("/api/v2/data_subject_requests.json", { data_subject_request: { type: "access", email: `${unique()}@dsr.example` } })).data_subject_request.id}/verify.json`, body: { verification: { method: "email_link" } } }) },
  "PUT /api/v2/data_subject_request_settings": { action: "data_subject_request_settings.updated", prepare: async () => ({ method: "PUT", path: "/api/v2/data_subject_request_settings.json", body: { data_subject_request_settings: { gdpr_days: 28 } } }) },
  "POST /api/v2/users/me/data_subject_requests": { action: "data_subject_request.created", prepare: async () => ({ method: "POST", path: "/api/v2/users/me/data_subject_requests.json", body: { data_subject_request: { type: "portability" } } }) },
  "PUT /api/v2/retention_policy": { action: "retention_policy.updated", prepare: async () => ({ method: "PUT", path: "/api/v2/retention_policy.json", body: { retention_policy: { trash_days: 14 } } }) },
  // Turning healthcare mode off (turning it on needs every healthcare control passing: test/compliance-posture.test.ts).
  "PUT /api/v2/compliance/healthcare_mode": {
    action: "healthcare_mode.disabled",
    prepare: async () => {
      await t.db.tenant(a.tenantId, (tx) => tx.db.insertInto("compliance_settings").values({ tenant_id: a.tenantId, healthcare_mode: true }).onConflict((oc) => oc.column("tenant_id").doUpdateSet({ healthcare_mode: true })).execute());
      return { method: "PUT", path: "/api/v2/compliance/healthcare_mode.json", body: { healthcare_mode: { enabled: false } } };
    },
  },
  "PUT /api/v2/ip_restrictions": { action: "ip_restrictions.updated", prepare: async () => ({ method: "PUT", path: "/api/v2/ip_restrictions.json", body: { ip_restriction: { allowed_ips: "198.51.100.0/24" } } }) },
  "DELETE /api/v2/users/me/logout": { action: "user.signed_out", prepare: async () => ({ method: "DELETE", path: "/api/v2/users/me/logout.json", headers: await signIn(a.ownerEmail, a.ownerPassword) }) },
  "DELETE /api/v2/users/:id/sessions/:session_id": {
    action: "session.ended",
    prepare: async () => {
      const headers = await signIn(a.ownerEmail, a.ownerPassword);
      const mine = await t.request({ method: "GET", path: "/api/v2/users/me/sessions.json", host: a.host, headers });
      const s = mine.body.sessions.find((x: { current: boolean }) => x.current);
      return { method: "DELETE", path: `/api/v2/users/${s.user_id}/sessions/${s.id}.json` };
    },
  },
  "DELETE /api/v2/users/:id/sessions": {
    action: "user.sessions_ended",
    prepare: async () => {
      const { id } = await staffWithPassword(t, a, "agent");
      return { method: "DELETE", path: `/api/v2/users/${id}/sessions.json` };
    },
  },
  "PUT /api/v2/users/:id/unlock": {
    action: "user.unlocked",
    prepare: async () => {
      const u = await buildUser(t, a, "agent");
      await t.db.tenant(a.tenantId, (tx) => tx.db.updateTable("users").set({ locked_until: new Date(Date.now() + 3600_000) }).where("nice_id", "=", u.id).execute());
      return { method: "PUT", path: `/api/v2/users/${u.id}/unlock.json` };
    },
  },
  "POST /api/v2/users/me/two_factor/totp": {
    action: "user.two_factor_enrolment_started",
    prepare: async () => {
      const p = await staffWithPassword(t, a, "agent");
      return { method: "POST", path: "/api/v2/users/me/two_factor/totp.json", headers: { cookie: p.session.cookie, "x-csrf-token": p.session.csrf } };
    },
  },
  "POST /api/v2/users/me/two_factor/totp/confirm": {
    action: "user.two_factor_enabled",
    prepare: async () => {
      const p = await withAuthenticator(false);
      return { method: "POST", path: "/api/v2/users/me/two_factor/totp/confirm.json", headers: p.headers, body: { code: totpCode(p.secret) } };
    },
  },
  "POST /api/v2/users/me/two_factor/recovery_codes": {
    action: "user.recovery_codes_regenerated",
    prepare: async () => {
      const p = await withAuthenticator();
      return { method: "POST", path: "/api/v2/users/me/two_factor/recovery_codes.json", headers: p.headers, body: { code: totpCode(p.secret, 1) } };
    },
  },
  "DELETE /api/v2/users/me/two_factor": {
    action: "user.two_factor_disabled",
    prepare: async () => {
      const p = await withAuthenticator();
      return { method: "DELETE", path: "/api/v2/users/me/two_factor.json", headers: p.headers, body: { code: totpCode(p.secret, 1) } };
    },
  },
  "DELETE /api/v2/users/:id/two_factor": {
    action: "user.two_factor_reset",
    prepare: async () => ({ method: "DELETE", path: `/api/v2/users/${(await withAuthenticator()).id}/two_factor.json` }),
  },
  "POST /api/v2/session/two_factor": {
    action: "user.signed_in",
    prepare: async () => {
      const p = await withAuthenticator();
      const first = await t.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email: p.email, password: PASSWORD } });
      if (first.status !== 202) throw new Error(`sign-in: ${first.status} ${first.text}`);
      return { method: "POST", path: "/api/v2/session/two_factor.json", headers: {}, body: { challenge: first.body.challenge, code: totpCode(p.secret, 1) } };
    },
  },
  "POST /api/v2/users/me/passkeys": {
    action: "user.passkey_registered",
    prepare: async () => {
      const k = await passkeyTenant();
      const p = await staffWithPassword(t, k, "agent");
      const headers = { cookie: p.session.cookie, "x-csrf-token": p.session.csrf };
      const o = await t.request({ method: "POST", path: "/api/v2/users/me/passkeys/options.json", host: k.host, headers });
      return { ...k.on, method: "POST", path: "/api/v2/users/me/passkeys.json", headers, body: { passkey: { name: "Laptop", credential: new SoftAuthenticator().register(o.body.options, { origin: k.origin }) } } };
    },
  },
  "POST /api/v2/users/me/two_factor/recovery_codes/passkey": {
    action: "user.recovery_codes_regenerated",
    prepare: async () => {
      const p = await withPasskey();
      const k = await passkeyTenant();
      const o = await t.request({ method: "POST", path: "/api/v2/users/me/two_factor/recovery_codes/passkey/options.json", host: k.host, headers: p.headers });
      return { ...k.on, method: "POST", path: "/api/v2/users/me/two_factor/recovery_codes/passkey.json", headers: p.headers, body: { credential: p.auth.assert(o.body.options, { origin: k.origin }) } };
    },
  },
  "PUT /api/v2/users/me/passkeys/:id": {
    action: "user.passkey_renamed",
    prepare: async () => {
      const p = await withPasskey();
      return { ...(await passkeyTenant()).on, method: "PUT", path: `/api/v2/users/me/passkeys/${p.passkeyId}.json`, headers: p.headers, body: { passkey: { name: "Renamed" } } };
    },
  },
  "DELETE /api/v2/users/me/passkeys/:id": {
    action: "user.passkey_removed",
    prepare: async () => {
      const p = await withPasskey();
      return { ...(await passkeyTenant()).on, method: "DELETE", path: `/api/v2/users/me/passkeys/${p.passkeyId}.json`, headers: p.headers };
    },
  },
  "DELETE /api/v2/users/:id/passkeys/:passkey_id": {
    action: "user.passkey_removed",
    prepare: async () => {
      const p = await withPasskey();
      const k = await passkeyTenant();
      return { ...k.on, method: "DELETE", path: `/api/v2/users/${p.id}/passkeys/${p.passkeyId}.json`, headers: k.ownerHeaders };
    },
  },
  "POST /api/v2/session/passkey": {
    action: "user.signed_in",
    prepare: async () => {
      const p = await withPasskey();
      const k = await passkeyTenant();
      const o = await t.request({ method: "POST", path: "/api/v2/session/passkey/options.json", host: k.host });
      return { ...k.on, method: "POST", path: "/api/v2/session/passkey.json", headers: {}, body: { credential: p.auth.assert(o.body.options, { origin: k.origin }) } };
    },
  },
  "POST /api/v2/session/two_factor/passkey": {
    action: "user.signed_in",
    prepare: async () => {
      const p = await withPasskey();
      const k = await passkeyTenant();
      const first = await t.request({ method: "POST", path: "/api/v2/session.json", host: k.host, body: { email: p.email, password: PASSWORD } });
      if (first.status !== 202) throw new Error(`sign-in: ${first.status} ${first.text}`);
      const o = await t.request({ method: "POST", path: "/api/v2/session/two_factor/passkey/options.json", host: k.host, body: { challenge: first.body.challenge } });
      return { ...k.on, method: "POST", path: "/api/v2/session/two_factor/passkey.json", headers: {}, body: { challenge: first.body.challenge, credential: p.auth.assert(o.body.options, { origin: k.origin }) } };
    },
  },
  "PUT /api/v2/sso_settings": { action: "sso_settings.updated", prepare: async () => ({ method: "PUT", path: "/api/v2/sso_settings.json", body: { sso_settings: { jit_users: true } } }) },
  "PUT /api/v2/sso/jwt": { action: "sso.provider_updated", prepare: async () => ({ method: "PUT", path: "/api/v2/sso/jwt.json", body: { jwt: { enabled: false, remote_login_url: "https://app.audit.test/login", shared_secret: JWT_AUDIT_SECRET } } }) },
  "POST /api/v2/sso/jwt/secret": { action: "sso.provider_updated", prepare: async () => ({ method: "POST", path: "/api/v2/sso/jwt/secret.json" }) },
  "PUT /api/v2/sso/oidc": { action: "sso.provider_updated", prepare: async () => ({ method: "PUT", path: "/api/v2/sso/oidc.json", body: { oidc: { enabled: false, issuer: "https://idp.audit.test", client_id: "audit-client", client_secret: "audit-client-secret-value" } } }) },
  "POST /access/jwt": {
    action: "user.signed_in",
    prepare: async () => {
      // A tenant of its own, whose end users sign in with JWT: the sign-in (and the person created for it) is audited.
      const s = await buildTenant(t, "audjwt");
      const put = await s.api("PUT", "/api/v2/sso/jwt.json", { jwt: { enabled: true, remote_login_url: "https://app.audit.test/login", shared_secret: JWT_AUDIT_SECRET } });
      if (put.status !== 200) throw new Error(`jwt settings: ${put.status} ${put.text}`);
      const who = await s.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { end_user_provider: "jwt" } });
      if (who.status !== 200) throw new Error(`sso settings: ${who.status} ${who.text}`);
      const token = await new jose.SignJWT({ iat: Math.floor(Date.now() / 1000), jti: crypto.randomUUID(), email: `jwt.${unique()}@a.test`, name: "Jay" }).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode(JWT_AUDIT_SECRET));
      return { method: "POST", path: "/access/jwt", host: s.host, rawBody: Buffer.from(`jwt=${token}`), headers: { "content-type": "application/x-www-form-urlencoded" }, tenantId: async () => s.tenantId };
    },
  },
  "PUT /api/v2/sso/saml": { action: "sso.provider_updated", prepare: async () => ({ method: "PUT", path: "/api/v2/sso/saml.json", body: { saml: samlSettings() } }) },
  "PUT /api/v2/two_factor_settings": { action: "two_factor_settings.updated", prepare: async () => ({ method: "PUT", path: "/api/v2/two_factor_settings.json", body: { two_factor_settings: { require_staff_two_factor: false } } }) },
  "PUT /api/v2/notification_settings": { action: "notification_settings.updated", prepare: async () => ({ method: "PUT", path: "/api/v2/notification_settings.json", body: { settings: { content_free: true } } }) },
  "POST /api/v2/recipient_addresses": { action: "recipient_address.created", prepare: async () => ({ method: "POST", path: "/api/v2/recipient_addresses.json", body: { recipient_address: { email: `${unique()}@own.test`, name: "Help" } } }) },
  "PUT /api/v2/recipient_addresses/:id": { action: "recipient_address.updated", prepare: async () => ({ method: "PUT", path: `/api/v2/recipient_addresses/${await ownAddress()}.json`, body: { recipient_address: { name: "Renamed" } } }) },
  "PUT /api/v2/recipient_addresses/:id/verify": { action: "recipient_address.verification_sent", prepare: async () => ({ method: "PUT", path: `/api/v2/recipient_addresses/${await ownAddress()}/verify.json`, body: { type: "forwarding" } }) },
  "DELETE /api/v2/recipient_addresses/:id": { action: "recipient_address.deleted", prepare: async () => ({ method: "DELETE", path: `/api/v2/recipient_addresses/${await ownAddress()}.json` }) },
  "PUT /api/v2/suspended_tickets/:id/recover": { action: "suspended_ticket.recovered", prepare: async () => ({ method: "PUT", path: `/api/v2/suspended_tickets/${await suspendedTicket()}/recover.json` }) },
  "PUT /api/v2/suspended_tickets/recover_many": { action: "suspended_ticket.recovered", prepare: async () => ({ method: "PUT", path: `/api/v2/suspended_tickets/recover_many.json?ids=${await suspendedTicket()},${await suspendedTicket()}` }) },
  "DELETE /api/v2/suspended_tickets/destroy_many": { action: "suspended_ticket.deleted", prepare: async () => ({ method: "DELETE", path: `/api/v2/suspended_tickets/destroy_many.json?ids=${await suspendedTicket()}` }) },
  "DELETE /api/v2/suspended_tickets/:id": { action: "suspended_ticket.deleted", prepare: async () => ({ method: "DELETE", path: `/api/v2/suspended_tickets/${await suspendedTicket()}.json` }) },
  "PUT /api/v2/mail_settings": { action: "mail_settings.updated", prepare: async () => ({ method: "PUT", path: "/api/v2/mail_settings.json", body: { settings: { blocklist: ["@blocked.test"] } } }) },
  "PUT /api/v2/attachment_settings": { action: "attachment_settings.updated", prepare: async () => ({ method: "PUT", path: "/api/v2/attachment_settings.json", body: { settings: { max_bytes: 1_000_000 } } }) },
  "POST /api/v2/help_center/sign_in_links/redeem": {
    action: "user.signed_in",
    prepare: async () => {
      const link = await create(`/api/v2/users/${await endUser()}/sign_in_links.json`, {});
      return { method: "POST", path: "/api/v2/help_center/sign_in_links/redeem.json", headers: {}, body: { token: link.sign_in_link.token } };
    },
  },
};

async function auditActions(tenantId: string): Promise<string[]> {
  return t.db.tenant(tenantId, async (tx) => {
    await chainQueued(tx);
    return (await sql<{ action: string }>`SELECT action FROM audit_log ORDER BY seq`.execute(tx.db)).rows.map((r) => r.action);
  });
}

describe("every write route is audited", () => {
  it("appends an audit entry for each successful write, on every write route", async () => {
    const writes = [...new Map(registeredRoutes.filter((r) => r.method !== "GET").map((r) => [`${r.method} ${r.url}`, r])).keys()].sort();
    expect(writes.length).toBeGreaterThan(30);
    // Setup first: it needs an installation without accounts.
    const order = ["POST /api/v2/setup", ...writes.filter((w) => w !== "POST /api/v2/setup")];
    const missing = writes.filter((w) => !CASES[w] && !NO_AUDIT[w]);
    expect(missing, "write routes with no audited case here: add a valid request for each (or an exemption with its reason)").toEqual([]);
    const problems: string[] = [];
    for (const key of order) {
      if (!writes.includes(key)) continue;
      if (key !== "POST /api/v2/setup" && !a) a = await buildTenant(t, "auditw");
      if (NO_AUDIT[key]) continue;
      const c = CASES[key]!;
      const call = await c.prepare();
      const tenantId = call.tenantId ? undefined : a!.tenantId;
      const before = tenantId ? await auditActions(tenantId) : [];
      const res = await t.request({ method: call.method, path: call.path, host: call.host ?? a!.host, body: call.body, ...(call.rawBody ? { rawBody: call.rawBody } : {}), headers: call.headers ?? ownerAuth() });
      // Sign-in flows under /access answer a redirect (303) when they succeed.
      if (res.status < 200 || (res.status >= 300 && !(res.status === 303 && call.path.startsWith("/access/")))) {
        problems.push(`${key}: the valid request answered ${res.status} ${res.text.slice(0, 200)}`);
        continue;
      }
      if (c.byJob) await jobsSettled(t, tenantId ?? (await call.tenantId!()));
      const added = (await auditActions(tenantId ?? (await call.tenantId!()))).slice(before.length);
      if (!added.includes(c.action)) problems.push(`${key}: no '${c.action}' entry appended (appended: ${JSON.stringify(added)})`);
    }
    expect(problems).toEqual([]);
    // One request per write route in a row: the time grows with the routes (and a shared machine's load).
  }, 240_000);

  it("the exempt routes really write nothing to the trail", async () => {
    a ??= await buildTenant(t, "auditw");
    const inv = await create("/api/v2/invitations.json", { invitation: { email: `${unique()}@a.test`, role: "agent" } });
    const before = await auditActions(a.tenantId);
    const res = await t.request({ method: "POST", path: "/api/v2/invitations/preview.json", host: a.host, body: { token: inv.invitation.token } });
    expect(res.status, res.text).toBe(200);
    const kept = await a.api("GET", "/api/v2/audit_logs/checkpoint.json");
    expect(kept.status, kept.text).toBe(200);
    const checked = await a.api("POST", "/api/v2/audit_logs/checkpoints/check.json", { checkpoints: [kept.body.checkpoint] });
    expect(checked.body.checks).toEqual([expect.objectContaining({ result: "matches" })]);
    expect(await auditActions(a.tenantId)).toEqual(before);
    // The WebAuthn challenges: registration options for a signed-in person, sign-in options, second-factor options, recovery-code options.
    const k = await passkeyTenant();
    const p = await staffWithPassword(t, k, "agent");
    const first = await t.request({ method: "POST", path: "/api/v2/session.json", host: k.host, body: { email: p.email, password: PASSWORD } });
    const withKey = await withPasskey();
    const step = await t.request({ method: "POST", path: "/api/v2/session.json", host: k.host, body: { email: withKey.email, password: PASSWORD } });
    expect([first.status, step.status]).toEqual([201, 202]);
    const trail = await auditActions(k.tenantId);
    for (const [path, headers, body] of [["/api/v2/users/me/passkeys/options.json", { cookie: p.session.cookie, "x-csrf-token": p.session.csrf }, undefined], ["/api/v2/session/passkey/options.json", {}, undefined], ["/api/v2/session/two_factor/passkey/options.json", {}, { challenge: step.body.challenge }], ["/api/v2/users/me/two_factor/recovery_codes/passkey/options.json", withKey.headers, undefined]] as const) {
      const r = await t.request({ method: "POST", path, host: k.host, headers, body });
      expect(r.status, `${path} ${r.text}`).toBe(200);
    }
    expect(await auditActions(k.tenantId)).toEqual(trail);
    // The ACS accepts a valid answer (303 on to the last step) and writes nothing to the trail. A
    // tenant of its own: the sign-ins above used up this minute's sign-in allowance of tenant a.
    const s = await buildTenant(t, "auditsaml");
    const answer = await samlAnswer(s);
    const beforeAcs = await auditActions(s.tenantId);
    const acs = await t.request({ method: "POST", path: "/access/saml", host: s.host, rawBody: Buffer.from(new URLSearchParams({ SAMLResponse: answer }).toString()), headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(acs.status, acs.text).toBe(303);
    expect(acs.headers.location).toMatch(/^\/access\/saml\/complete\?token=/);
    expect((await auditActions(s.tenantId)).slice(beforeAcs.length)).toEqual([]);
    expect(Object.keys(NO_AUDIT)).toEqual(["POST /api/v2/invitations/preview", "POST /api/v2/audit_logs/checkpoints/check", "POST /api/v2/users/me/passkeys/options", "POST /api/v2/session/passkey/options", "POST /api/v2/session/two_factor/passkey/options", "POST /api/v2/users/me/two_factor/recovery_codes/passkey/options", "POST /access/saml"]);
  });
});
