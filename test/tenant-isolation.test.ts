import crypto from "node:crypto";
import * as jose from "jose";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registeredRoutes } from "../src/platform/http/route.ts";
import { buildTenant, buildUser, createTokenFor, startTestApp, waitForJob, type TestApp, type TestTenant } from "./support/harness.ts";
import { message, send, settled, supportOf } from "./support/mail-in.ts";
import { marker } from "./support/markers.ts";

/**
 * Tenant isolation over every route the server registers. Tenant B's owner aims at tenant A's
 * resources; every answer must be the one a missing id gets, and A's data must be unchanged.
 * A route without an entry in `plans` fails the suite, so a new route cannot skip isolation.
 */

let t: TestApp;
let A: TestTenant;
let B: TestTenant;
const MARK = marker("ZQISO");
const SSO_SECRET = crypto.randomBytes(32).toString("base64url");
/** Ids of tenant A's resources, by kind. B owns no resources with ids as high as these. */
const ids: Record<string, number | string> = {};

beforeAll(async () => {
  t = await startTestApp({ env: { VAULTDESK_SMTP_LISTEN: "127.0.0.1:0", VAULTDESK_JOB_POLL_SECONDS: "0.1" } });
  A = await buildTenant(t, "isoa");
  B = await buildTenant(t, "isob");
  // Tenant A gets many of everything, so its ids are higher than any of B's.
  for (let i = 0; i < 6; i++) await buildUser(t, A, "end-user", `${MARK} user ${i}`);
  const agent = await buildUser(t, A, "agent", `${MARK} agent`);
  ids.user = agent.id;
  for (let i = 0; i < 4; i++) await A.api("POST", "/api/v2/organizations.json", { organization: { name: `${MARK} org ${i}`, notes: MARK } });
  ids.organization = 4;
  for (let i = 0; i < 4; i++) await A.api("POST", "/api/v2/groups.json", { group: { name: `${MARK} group ${i}` } });
  ids.group = 4;
  for (let i = 0; i < 4; i++) await A.api("POST", "/api/v2/group_memberships.json", { group_membership: { user_id: agent.id, group_id: i + 1 } });
  ids.group_membership = 4;
  for (let i = 0; i < 4; i++) await A.api("POST", "/api/v2/ticket_fields.json", { ticket_field: { type: "text", title: `${MARK} field ${i}` } });
  ids.ticket_field = 4;
  // Custom roles: A's ids 4–6 (1–3 are every tenant's built-in presets); B has none.
  for (let i = 0; i < 3; i++) expect((await A.api("POST", "/api/v2/custom_roles.json", { custom_role: { name: `${MARK} role ${i}`, description: MARK } })).status).toBe(201);
  ids.custom_role = 6;
  // Views of A's (ids 1–4; B has none): shared ones, one for a group, a personal one of the owner's.
  for (let i = 0; i < 3; i++) expect((await A.api("POST", "/api/v2/views.json", { view: { title: `${MARK} view ${i}`, restriction: null, all: [{ field: "current_tags", operator: "includes", value: "isolation" }] } })).status).toBe(201);
  expect((await A.api("POST", "/api/v2/views.json", { view: { title: `${MARK} mine`, all: [{ field: "group_id", operator: "is", value: 1 }] } })).status).toBe(201);
  ids.view = 4;
  // Macros of A's (ids 1–3; B has none): two shared ones, a personal one of the owner's.
  for (let i = 0; i < 2; i++) expect((await A.api("POST", "/api/v2/macros.json", { macro: { title: `${MARK}::macro ${i}`, restriction: null, actions: [{ field: "comment_value", value: `${MARK} reply` }] } })).status).toBe(201);
  expect((await A.api("POST", "/api/v2/macros.json", { macro: { title: `${MARK} my macro`, actions: [{ field: "status", value: "open" }] } })).status).toBe(201);
  ids.macro = 3;
  // Triggers and automations of A's (ids 1–3 each; B has none), on a tag no ticket here carries.
  for (const kind of ["trigger", "automation"]) {
    for (let i = 0; i < 3; i++) {
      const all = [{ field: "current_tags", operator: "includes", value: "never_in_isolation" }, ...(kind === "automation" ? [{ field: "created_at", operator: "greater_than", value: 1 }] : [])];
      const rule = { title: `${MARK} ${kind} ${i}`, description: MARK, conditions: { all }, actions: [{ field: "remove_tags", value: "never_in_isolation" }, { field: "notification_group", value: [1, `${MARK} mail`, `${MARK} body`] }] };
      expect((await A.api("POST", `/api/v2/${kind}s.json`, { [kind]: rule })).status).toBe(201);
    }
    ids[kind] = 3;
  }
  // SLA policies of A's (ids 1–3; B has none), on a tag no ticket here carries.
  for (let i = 0; i < 3; i++) {
    const policy = { title: `${MARK} sla ${i}`, description: MARK, filter: { all: [{ field: "current_tags", operator: "includes", value: "never_in_isolation" }] }, policy_metrics: [{ priority: "high", metric: "first_reply_time", target: 60, business_hours: false }] };
    expect((await A.api("POST", "/api/v2/slas/policies.json", { sla_policy: policy })).status).toBe(201);
  }
  ids.sla_policy = 3;
  // Business hours of A's: schedules 1–3 (B has none), holidays on the third.
  for (let i = 0; i < 3; i++) expect((await A.api("POST", "/api/v2/business_hours/schedules.json", { schedule: { name: `${MARK} hours ${i}`, time_zone: "Europe/Stockholm" } })).status).toBe(201);
  ids.schedule = 3;
  for (let i = 0; i < 2; i++) {
    const h = await A.api("POST", "/api/v2/business_hours/schedules/3/holidays.json", { holiday: { name: `${MARK} holiday ${i}`, start_date: "2027-12-24", end_date: "2027-12-26" } });
    expect(h.status, h.text).toBe(201);
    ids.schedule_holiday_path = `3/holidays/${h.body.holiday.id}`;
  }
  // A's organization 4 shares its requests: B's people must not reach them by its id.
  expect((await A.api("PUT", "/api/v2/organizations/4.json", { organization: { shared_tickets: true } })).status).toBe(200);
  for (let i = 0; i < 6; i++) {
    await A.api("POST", "/api/v2/tickets.json", {
      ticket: { subject: `${MARK} ticket ${i}`, comment: { body: `${MARK} body` }, tags: ["isolation"], requester: { email: `req${i}@${MARK.toLowerCase()}.test`, name: `${MARK} req` } },
    });
    await A.api("PUT", `/api/v2/tickets/${i + 1}.json`, { ticket: { comment: { body: `${MARK} note`, public: false } } });
  }
  ids.ticket = 6;
  // A ticket of A's in the trash.
  expect((await A.api("POST", "/api/v2/tickets.json", { ticket: { subject: `${MARK} deleted`, comment: { body: `${MARK} gone` } } })).status).toBe(201);
  expect((await A.api("DELETE", "/api/v2/tickets/7.json")).status).toBe(204);
  ids.deleted_ticket = 7;
  // Satisfaction ratings of A's (ids 1–2; B has none): A's requester rates two of their solved tickets, with comments naming A's marker.
  expect((await A.api("PUT", "/api/v2/satisfaction_settings.json", { satisfaction_settings: { enabled: true } })).status).toBe(200);
  const rater = await buildUser(t, A, "end-user", `${MARK} rater`);
  const raterAuth = { email: rater.email, token: await createTokenFor(t, A, rater.id) };
  for (let i = 0; i < 2; i++) {
    const rt = await A.api("POST", "/api/v2/tickets.json", { ticket: { subject: `${MARK} rated ${i}`, comment: { body: `${MARK} rated` }, requester_id: rater.id, status: "solved" } });
    expect(rt.status, rt.text).toBe(201);
    const r = await A.api("POST", `/api/v2/tickets/${rt.body.ticket.id}/satisfaction_rating.json`, { satisfaction_rating: { score: "bad", comment: `${MARK} rating` } }, raterAuth);
    expect(r.status, r.text).toBe(200);
  }
  ids.satisfaction_rating = 2;
  // Legal holds of A's (ids 1–3; B has none).
  for (let i = 1; i <= 3; i++) expect((await A.api("POST", "/api/v2/legal_holds.json", { legal_hold: { target_type: "ticket", target_id: i, reason: `${MARK} hold` } })).status).toBe(201);
  ids.legal_hold = 3;
  // Two deleted people of A's: one erased (receipt 1), one restorable.
  for (let i = 0; i < 2; i++) {
    const p = await A.api("POST", "/api/v2/users.json", { user: { name: `${MARK} gone ${i}`, email: `gone${i}@${MARK.toLowerCase()}.test` } });
    expect((await A.api("DELETE", `/api/v2/users/${p.body.user.id}.json`)).status).toBe(200);
    ids.deleted_user = p.body.user.id;
    if (i === 0) expect((await A.api("DELETE", `/api/v2/deleted_users/${p.body.user.id}.json`)).status).toBe(200);
  }
  ids.erasure_receipt = 1;
  // A's audit trail archived once (archive 1; B has none).
  {
    const { archiveTenant } = await import("../src/modules/audit/audit-archive.ts");
    const { createBlobStore } = await import("../src/platform/blobs/index.ts");
    expect(await archiveTenant({ db: t.db, keyring: t.keyring, blobs: createBlobStore(t.config) }, A.tenantId, new Date(Date.now() + 400 * 86_400_000))).toBe(1);
  }
  ids.audit_archive = 1;
  // Data exports of A's: a person's (ids 1–2) and the account's tickets (id 3); B has none.
  for (let i = 0; i < 2; i++) expect((await A.api("POST", "/api/v2/users/me/data_exports.json")).status).toBe(202);
  ids.data_export = 2;
  expect((await A.api("POST", "/api/v2/exports.json", { export: { resource: "tickets", format: "csv" } })).status).toBe(202);
  ids.export = 3;
  // Data subject requests of A's (ids 1–3; B has none), naming the marker.
  for (let i = 1; i <= 3; i++) expect((await A.api("POST", "/api/v2/data_subject_requests.json", { data_subject_request: { type: "access", email: `dsr${i}@${MARK.toLowerCase()}.test`, note: `${MARK} dsr` } })).status).toBe(201);
  ids.data_subject_request = 3;
  for (let i = 0; i < 3; i++) await A.api("POST", "/api/v2/api_tokens.json", { api_token: { name: `${MARK} token ${i}` } });
  ids.api_token = 4;
  for (let i = 0; i < 3; i++) await A.api("POST", "/api/v2/invitations.json", { invitation: { email: `inv${i}@${MARK.toLowerCase()}.test`, role: "agent" } });
  ids.invitation = 3;
  await A.api("PUT", "/api/v2/account.json", { account: { name: `${MARK} team` } });
  // Support access: a revoked grant and a live one (ids 1 and 2; B has none).
  await A.api("POST", "/api/v2/support_access.json", { support_access: { days: 1, level: "read_only", reason: `${MARK} support` } });
  await A.api("DELETE", "/api/v2/support_access/1.json");
  await A.api("POST", "/api/v2/support_access.json", { support_access: { days: 2, level: "read_write", reason: `${MARK} support` } });
  ids.support_access = 2;
  await A.api("PUT", "/api/v2/help_center/settings.json", { settings: { consent_required: true, consent_text: `${MARK} consent` } });
  const job = await A.api("POST", "/api/v2/tickets/create_many.json", { tickets: [{ subject: `${MARK} bulk`, comment: { body: MARK } }] });
  ids.job = job.body.job_status.id as string;
  await waitForJob(A, ids.job);
  // Files on a comment of ticket 1 (ids above any of B's, which has none).
  for (let i = 0; i < 3; i++) {
    const up = await t.request({ method: "POST", path: `/api/v2/uploads.json?filename=${MARK}-${i}.txt`, host: A.host, rawBody: Buffer.from(`${MARK} file ${i}`), headers: { "content-type": "text/plain", authorization: "Basic " + Buffer.from(`${A.ownerEmail}/token:${A.ownerToken}`).toString("base64") } });
    const put = await A.api("PUT", "/api/v2/tickets/1.json", { ticket: { comment: { body: `${MARK} with file`, uploads: [up.body.upload.token] } } });
    ids.attachment = up.body.upload.attachment.id as number;
    ids.attachment_path = `1/comments/${(await A.api("GET", "/api/v2/tickets/1/comments.json?sort_order=desc&per_page=1")).body.comments[0].id}/attachments/${ids.attachment}`;
    expect(put.status).toBe(200);
  }
  // A notification the mail server never took (the dead-letter list).
  ids.undelivered = crypto.randomUUID();
  await t.db.tenant(A.tenantId, async (tx) => {
    const sealer = await t.keyring.sealerFor(tx);
    const id = ids.undelivered as string;
    await tx.db.insertInto("undelivered_mail").values({ tenant_id: A.tenantId, id, message_sealed: sealer.sealJson({ to: `dead@${MARK.toLowerCase()}.test`, subject: `${MARK} undelivered`, text: MARK, language: "en" }, { table: "undelivered_mail", column: "message", row: id }), attempts: 3, failed_at: new Date() }).execute();
  });
  // Mail: support addresses of A's own (ids above B's default one), suspended mail, and a ticket from
  // an e-mail whose original is stored.
  for (let i = 0; i < 3; i++) expect((await A.api("POST", "/api/v2/recipient_addresses.json", { recipient_address: { email: `help${i}@${MARK.toLowerCase()}.test`, name: `${MARK} desk` } })).status).toBe(201);
  ids.recipient_address = 4;
  await A.api("PUT", "/api/v2/mail_settings.json", { settings: { blocklist: [`@${MARK.toLowerCase()}.test`] } });
  const smtpPort = t.app.smtpIn!.port;
  for (let i = 0; i < 3; i++) await send(smtpPort, { from: `s${i}@spam.test`, to: [supportOf(A)] }, message({ from: `s${i}@spam.test`, to: supportOf(A), subject: `${MARK} spam`, headers: ["X-Spam-Flag: YES"] }));
  await send(smtpPort, { from: "mailer@customer.test", to: [supportOf(A)] }, message({ from: "mailer@customer.test", to: supportOf(A), subject: `${MARK} by mail` }));
  await settled(t, A, 4);
  ids.suspended_ticket = 3;
  const mailed = (await A.api("GET", "/api/v2/tickets.json?per_page=100")).body.tickets.find((x: { via: { channel: string } }) => x.via.channel === "email");
  ids.original_path = `${mailed.id}/comments/${(await A.api("GET", `/api/v2/tickets/${mailed.id}/comments.json`)).body.comments[0].id}`;
  // A DKIM key for a domain of A's.
  ids.dkim = (await A.api("POST", "/api/v2/dkim_keys.json", { dkim_key: { domain: `${MARK.toLowerCase()}.example` } })).body.dkim_key.id as string;
  // Sessions of A's owner (numbers 1–4; B's owner signs in with a token only, so B has none).
  for (let i = 0; i < 4; i++) {
    const r = await t.request({ method: "POST", path: "/api/v2/session.json", host: A.host, body: { email: A.ownerEmail, password: A.ownerPassword }, headers: { "user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0" } });
    expect(r.status, r.text).toBe(201);
  }
  ids.session = 4;
  // A passkey of A's owner (written as the registration route stores one: blind index, sealed id, key and name).
  ids.passkey = crypto.randomUUID();
  await t.db.tenant(A.tenantId, async (tx) => {
    const sealer = await t.keyring.sealerFor(tx);
    const id = ids.passkey as string;
    const owner = await tx.db.selectFrom("users").select("id").where("nice_id", "=", 1).executeTakeFirstOrThrow();
    const ref = (column: "credential_id" | "public_key" | "name") => ({ table: "passkeys" as const, column, row: id });
    await tx.db.insertInto("passkeys").values({ tenant_id: A.tenantId, id, user_id: owner.id, credential_bidx: sealer.blindIndex("passkey-credential", `cred-${MARK}`), credential_id_sealed: sealer.seal(`cred-${MARK}`, ref("credential_id")), public_key_sealed: sealer.seal("AAAA", ref("public_key")), name_sealed: sealer.seal(`${MARK} passkey`, ref("name")), sign_count: 0, device_type: "multiDevice", last_used_at: null }).execute();
  });
  // OAuth clients of A's, and an authorization (a grant with tokens issued) of A's owner to one.
  for (let i = 0; i < 3; i++) {
    const c = await A.api("POST", "/api/v2/oauth/clients.json", { client: { name: `${MARK} app ${i}`, identifier: `${MARK.toLowerCase()}-app-${i}`, redirect_uri: [`https://${MARK.toLowerCase()}.example/cb`], kind: i === 0 ? "confidential" : "public" } });
    expect(c.status, c.text).toBe(201);
  }
  ids.oauth_client = 3;
  ids.oauth_token = await t.db.tenant(A.tenantId, async (tx) => {
    const owner = await tx.db.selectFrom("users").select("id").where("nice_id", "=", 1).executeTakeFirstOrThrow();
    const client = await tx.db.selectFrom("oauth_clients").select("id").where("nice_id", "=", 3).executeTakeFirstOrThrow();
    const r = await tx.db.insertInto("oauth_grants").values({ tenant_id: A.tenantId, id: crypto.randomUUID(), nice_id: sql<number>`vd_next_id('oauth_grants')`, client_id: client.id, user_id: owner.id, user_role: "owner", scopes: ["read"], tokens_issued_at: new Date(), last_used_at: null, revoked_at: null, revoked_reason: null }).returning("nice_id").executeTakeFirstOrThrow();
    return Number(r.nice_id);
  });
  expect((await A.api("PUT", "/api/v2/session_settings.json", { session_settings: { idle_minutes: 600 } })).status).toBe(200);
  expect((await A.api("PUT", "/api/v2/api_settings.json", { api_settings: { password_access: true } })).status).toBe(200);
  // IP restrictions of A's (stored, not turned on: A's later requests come from 127.0.0.1).
  expect((await A.api("PUT", "/api/v2/ip_restrictions.json", { ip_restriction: { allowed_ips: "198.51.100.0/24", enforce_end_users: true } })).status).toBe(200);
  // Search languages of A's (a rebuild of A's index follows).
  expect((await A.api("PUT", "/api/v2/search_settings.json", { search_settings: { languages: ["english", "german"] } })).status).toBe(200);
  // Single sign-on of A's: OpenID Connect and JWT settings naming A's marker, a shared secret of A's.
  expect((await A.api("PUT", "/api/v2/sso/oidc.json", { oidc: { enabled: true, issuer: `https://${MARK.toLowerCase()}.example`, client_id: `${MARK}-client`, client_secret: `${MARK}-secret` } })).status).toBe(200);
  expect((await A.api("PUT", "/api/v2/sso/jwt.json", { jwt: { enabled: true, remote_login_url: `https://${MARK.toLowerCase()}.example/login`, shared_secret: SSO_SECRET } })).status).toBe(200);
  expect((await A.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { end_user_provider: "jwt" } })).status).toBe(200);
  // Tenant B: a little of everything, with ids that stay below A's.
  await B.api("POST", "/api/v2/tickets.json", { ticket: { subject: "b ticket", comment: { body: "b" } } });
  await B.api("POST", "/api/v2/organizations.json", { organization: { name: "b org" } });
  await B.api("POST", "/api/v2/groups.json", { group: { name: "b group" } });
});
afterAll(async () => t?.close());

type Call = { method: string; path: string; body?: unknown };
type Plan =
  | { kind: "id"; calls: (id: number | string, missing: number | string) => { foreign: Call; missing: Call }; resource: string }
  | { kind: "collection" }
  | { kind: "own" };

const missingUuid = "00000000-0000-4000-8000-000000000000";

/**
 * The plans of one kind of business rule (triggers, automations): A's by id answer as missing ones;
 * A's are left out of B's lists and definitions (checked below for A's markers); a rule's ids
 * (conditions, actions, the reorder's list) are looked up inside the host's tenant only
 * (test/triggers.test.ts, test/automations.test.ts).
 */
function rulePlans(kind: string, One: string): Record<string, Plan> {
  const at = (id: number | string) => `/api/v2/${kind}s/${id}.json`;
  const byId = (method: string, body?: unknown): Plan => ({ kind: "id", resource: kind, calls: (id, m) => ({ foreign: { method, path: at(id), body }, missing: { method, path: at(m), body } }) });
  return {
    [`show${One}`]: byId("GET"),
    [`update${One}`]: byId("PUT", { [kind]: { title: "hijack" } }),
    [`delete${One}`]: byId("DELETE"),
    [`list${One}s`]: { kind: "collection" },
    [`listActive${One}s`]: { kind: "collection" },
    [`show${One}Definitions`]: { kind: "collection" },
    [`create${One}`]: { kind: "own" },
    [`reorder${One}s`]: { kind: "own" },
  };
}

/** How to aim each route at tenant A's resources. */
const plans: Record<string, Plan> = {
  showTicket: { kind: "id", resource: "ticket", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/tickets/${id}.json` }, missing: { method: "GET", path: `/api/v2/tickets/${m}.json` } }) },
  listTicketTags: { kind: "id", resource: "ticket", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/tickets/${id}/tags.json` }, missing: { method: "GET", path: `/api/v2/tickets/${m}/tags.json` } }) },
  setTicketTags: { kind: "id", resource: "ticket", calls: (id, m) => ({ foreign: { method: "POST", path: `/api/v2/tickets/${id}/tags.json`, body: { tags: ["hijack"] } }, missing: { method: "POST", path: `/api/v2/tickets/${m}/tags.json`, body: { tags: ["hijack"] } } }) },
  addTicketTags: { kind: "id", resource: "ticket", calls: (id, m) => ({ foreign: { method: "PUT", path: `/api/v2/tickets/${id}/tags.json`, body: { tags: ["hijack"] } }, missing: { method: "PUT", path: `/api/v2/tickets/${m}/tags.json`, body: { tags: ["hijack"] } } }) },
  removeTicketTags: { kind: "id", resource: "ticket", calls: (id, m) => ({ foreign: { method: "DELETE", path: `/api/v2/tickets/${id}/tags.json`, body: { tags: ["isolation"] } }, missing: { method: "DELETE", path: `/api/v2/tickets/${m}/tags.json`, body: { tags: ["isolation"] } } }) },
  updateTicket: { kind: "id", resource: "ticket", calls: (id, m) => ({ foreign: { method: "PUT", path: `/api/v2/tickets/${id}.json`, body: { ticket: { status: "open", comment: { body: "hijack" } } } }, missing: { method: "PUT", path: `/api/v2/tickets/${m}.json`, body: { ticket: { status: "open", comment: { body: "hijack" } } } } }) },
  // B merging A's ticket into B's own ticket 1 (closing A's), and the same with a missing one.
  mergeTickets: { kind: "id", resource: "ticket", calls: (id, m) => ({ foreign: { method: "POST", path: "/api/v2/tickets/1/merge.json", body: { ids: [id] } }, missing: { method: "POST", path: "/api/v2/tickets/1/merge.json", body: { ids: [m] } } }) },
  deleteTicket: { kind: "id", resource: "ticket", calls: (id, m) => ({ foreign: { method: "DELETE", path: `/api/v2/tickets/${id}.json` }, missing: { method: "DELETE", path: `/api/v2/tickets/${m}.json` } }) },
  listTicketComments: { kind: "id", resource: "ticket", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/tickets/${id}/comments.json` }, missing: { method: "GET", path: `/api/v2/tickets/${m}/comments.json` } }) },
  listTicketAudits: { kind: "id", resource: "ticket", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/tickets/${id}/audits.json` }, missing: { method: "GET", path: `/api/v2/tickets/${m}/audits.json` } }) },
  resendUndeliveredMail: { kind: "id", resource: "undelivered", calls: (id, m) => ({ foreign: { method: "POST", path: `/api/v2/undelivered_mail/${id}/resend.json` }, missing: { method: "POST", path: `/api/v2/undelivered_mail/${m}/resend.json` } }) },
  deleteUndeliveredMail: { kind: "id", resource: "undelivered", calls: (id, m) => ({ foreign: { method: "DELETE", path: `/api/v2/undelivered_mail/${id}.json` }, missing: { method: "DELETE", path: `/api/v2/undelivered_mail/${m}.json` } }) },
  checkDkimKey: { kind: "id", resource: "dkim", calls: (id, m) => ({ foreign: { method: "POST", path: `/api/v2/dkim_keys/${id}/check.json` }, missing: { method: "POST", path: `/api/v2/dkim_keys/${m}/check.json` } }) },
  deleteDkimKey: { kind: "id", resource: "dkim", calls: (id, m) => ({ foreign: { method: "DELETE", path: `/api/v2/dkim_keys/${id}.json` }, missing: { method: "DELETE", path: `/api/v2/dkim_keys/${m}.json` } }) },
  showJobStatus: { kind: "id", resource: "job", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/job_statuses/${id}.json` }, missing: { method: "GET", path: `/api/v2/job_statuses/${m}.json` } }) },
  listJobStatuses: { kind: "collection" },
  cancelJobStatus: { kind: "id", resource: "job", calls: (id, m) => ({ foreign: { method: "POST", path: `/api/v2/job_statuses/${id}/cancel.json` }, missing: { method: "POST", path: `/api/v2/job_statuses/${m}/cancel.json` } }) },
  showUser: { kind: "id", resource: "user", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/users/${id}.json` }, missing: { method: "GET", path: `/api/v2/users/${m}.json` } }) },
  updateUser: { kind: "id", resource: "user", calls: (id, m) => ({ foreign: { method: "PUT", path: `/api/v2/users/${id}.json`, body: { user: { name: "hijack" } } }, missing: { method: "PUT", path: `/api/v2/users/${m}.json`, body: { user: { name: "hijack" } } } }) },
  showPasswordRequirements: { kind: "id", resource: "user", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/users/${id}/password/requirements.json` }, missing: { method: "GET", path: `/api/v2/users/${m}/password/requirements.json` } }) },
  setUserPassword: { kind: "id", resource: "user", calls: (id, m) => ({ foreign: { method: "POST", path: `/api/v2/users/${id}/password.json`, body: { password: "Hijacked password 1!" } }, missing: { method: "POST", path: `/api/v2/users/${m}/password.json`, body: { password: "Hijacked password 1!" } } }) },
  listUserSessions: { kind: "id", resource: "user", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/users/${id}/sessions.json` }, missing: { method: "GET", path: `/api/v2/users/${m}/sessions.json` } }) },
  deleteUserSessions: { kind: "id", resource: "user", calls: (id, m) => ({ foreign: { method: "DELETE", path: `/api/v2/users/${id}/sessions.json` }, missing: { method: "DELETE", path: `/api/v2/users/${m}/sessions.json` } }) },
  // User 1 is each tenant's owner: A's session numbers under B's own owner.
  showUserSession: { kind: "id", resource: "session", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/users/1/sessions/${id}.json` }, missing: { method: "GET", path: `/api/v2/users/1/sessions/${m}.json` } }) },
  deleteUserSession: { kind: "id", resource: "session", calls: (id, m) => ({ foreign: { method: "DELETE", path: `/api/v2/users/1/sessions/${id}.json` }, missing: { method: "DELETE", path: `/api/v2/users/1/sessions/${m}.json` } }) },
  unlockUser: { kind: "id", resource: "user", calls: (id, m) => ({ foreign: { method: "PUT", path: `/api/v2/users/${id}/unlock.json` }, missing: { method: "PUT", path: `/api/v2/users/${m}/unlock.json` } }) },
  showUserTwoFactor: { kind: "id", resource: "user", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/users/${id}/two_factor.json` }, missing: { method: "GET", path: `/api/v2/users/${m}/two_factor.json` } }) },
  listUserPasskeys: { kind: "id", resource: "user", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/users/${id}/passkeys.json` }, missing: { method: "GET", path: `/api/v2/users/${m}/passkeys.json` } }) },
  // A's passkey ids under B's own owner (user 1), and as B's owner's own.
  deleteUserPasskey: { kind: "id", resource: "passkey", calls: (id, m) => ({ foreign: { method: "DELETE", path: `/api/v2/users/1/passkeys/${id}.json` }, missing: { method: "DELETE", path: `/api/v2/users/1/passkeys/${m}.json` } }) },
  renameOwnPasskey: { kind: "id", resource: "passkey", calls: (id, m) => ({ foreign: { method: "PUT", path: `/api/v2/users/me/passkeys/${id}.json`, body: { passkey: { name: "hijack" } } }, missing: { method: "PUT", path: `/api/v2/users/me/passkeys/${m}.json`, body: { passkey: { name: "hijack" } } } }) },
  deleteOwnPasskey: { kind: "id", resource: "passkey", calls: (id, m) => ({ foreign: { method: "DELETE", path: `/api/v2/users/me/passkeys/${id}.json` }, missing: { method: "DELETE", path: `/api/v2/users/me/passkeys/${m}.json` } }) },
  resetUserTwoFactor: { kind: "id", resource: "user", calls: (id, m) => ({ foreign: { method: "DELETE", path: `/api/v2/users/${id}/two_factor.json` }, missing: { method: "DELETE", path: `/api/v2/users/${m}/two_factor.json` } }) },
  listUserGroupMemberships: { kind: "id", resource: "user", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/users/${id}/group_memberships.json` }, missing: { method: "GET", path: `/api/v2/users/${m}/group_memberships.json` } }) },
  showCustomRole: { kind: "id", resource: "custom_role", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/custom_roles/${id}.json` }, missing: { method: "GET", path: `/api/v2/custom_roles/${m}.json` } }) },
  updateCustomRole: { kind: "id", resource: "custom_role", calls: (id, m) => ({ foreign: { method: "PUT", path: `/api/v2/custom_roles/${id}.json`, body: { custom_role: { name: "hijack" } } }, missing: { method: "PUT", path: `/api/v2/custom_roles/${m}.json`, body: { custom_role: { name: "hijack" } } } }) },
  deleteCustomRole: { kind: "id", resource: "custom_role", calls: (id, m) => ({ foreign: { method: "DELETE", path: `/api/v2/custom_roles/${id}.json` }, missing: { method: "DELETE", path: `/api/v2/custom_roles/${m}.json` } }) },
  listCustomRoles: { kind: "collection" },
  createCustomRole: { kind: "own" },
  listOrganizationRequests: { kind: "id", resource: "organization", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/organizations/${id}/requests.json` }, missing: { method: "GET", path: `/api/v2/organizations/${m}/requests.json` } }) },
  showOrganization: { kind: "id", resource: "organization", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/organizations/${id}.json` }, missing: { method: "GET", path: `/api/v2/organizations/${m}.json` } }) },
  updateOrganization: { kind: "id", resource: "organization", calls: (id, m) => ({ foreign: { method: "PUT", path: `/api/v2/organizations/${id}.json`, body: { organization: { notes: "hijack" } } }, missing: { method: "PUT", path: `/api/v2/organizations/${m}.json`, body: { organization: { notes: "hijack" } } } }) },
  deleteOrganization: { kind: "id", resource: "organization", calls: (id, m) => ({ foreign: { method: "DELETE", path: `/api/v2/organizations/${id}.json` }, missing: { method: "DELETE", path: `/api/v2/organizations/${m}.json` } }) },
  showGroup: { kind: "id", resource: "group", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/groups/${id}.json` }, missing: { method: "GET", path: `/api/v2/groups/${m}.json` } }) },
  updateGroup: { kind: "id", resource: "group", calls: (id, m) => ({ foreign: { method: "PUT", path: `/api/v2/groups/${id}.json`, body: { group: { name: "hijack" } } }, missing: { method: "PUT", path: `/api/v2/groups/${m}.json`, body: { group: { name: "hijack" } } } }) },
  deleteGroup: { kind: "id", resource: "group", calls: (id, m) => ({ foreign: { method: "DELETE", path: `/api/v2/groups/${id}.json` }, missing: { method: "DELETE", path: `/api/v2/groups/${m}.json` } }) },
  listGroupMembershipsByGroup: { kind: "id", resource: "group", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/groups/${id}/memberships.json` }, missing: { method: "GET", path: `/api/v2/groups/${m}/memberships.json` } }) },
  showGroupMembership: { kind: "id", resource: "group_membership", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/group_memberships/${id}.json` }, missing: { method: "GET", path: `/api/v2/group_memberships/${m}.json` } }) },
  deleteGroupMembership: { kind: "id", resource: "group_membership", calls: (id, m) => ({ foreign: { method: "DELETE", path: `/api/v2/group_memberships/${id}.json` }, missing: { method: "DELETE", path: `/api/v2/group_memberships/${m}.json` } }) },
  showTicketField: { kind: "id", resource: "ticket_field", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/ticket_fields/${id}.json` }, missing: { method: "GET", path: `/api/v2/ticket_fields/${m}.json` } }) },
  updateTicketField: { kind: "id", resource: "ticket_field", calls: (id, m) => ({ foreign: { method: "PUT", path: `/api/v2/ticket_fields/${id}.json`, body: { ticket_field: { title: "hijack" } } }, missing: { method: "PUT", path: `/api/v2/ticket_fields/${m}.json`, body: { ticket_field: { title: "hijack" } } } }) },
  deleteTicketField: { kind: "id", resource: "ticket_field", calls: (id, m) => ({ foreign: { method: "DELETE", path: `/api/v2/ticket_fields/${id}.json` }, missing: { method: "DELETE", path: `/api/v2/ticket_fields/${m}.json` } }) },
  revokeInvitation: { kind: "id", resource: "invitation", calls: (id, m) => ({ foreign: { method: "DELETE", path: `/api/v2/invitations/${id}.json` }, missing: { method: "DELETE", path: `/api/v2/invitations/${m}.json` } }) },
  deleteUser: { kind: "id", resource: "user", calls: (id, m) => ({ foreign: { method: "DELETE", path: `/api/v2/users/${id}.json` }, missing: { method: "DELETE", path: `/api/v2/users/${m}.json` } }) },
  changeUserRole: { kind: "id", resource: "user", calls: (id, m) => ({ foreign: { method: "PUT", path: `/api/v2/users/${id}/role.json`, body: { role: "admin" } }, missing: { method: "PUT", path: `/api/v2/users/${m}/role.json`, body: { role: "admin" } } }) },
  showRequest: { kind: "id", resource: "ticket", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/requests/${id}.json` }, missing: { method: "GET", path: `/api/v2/requests/${m}.json` } }) },
  listRequestComments: { kind: "id", resource: "ticket", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/requests/${id}/comments.json` }, missing: { method: "GET", path: `/api/v2/requests/${m}/comments.json` } }) },
  updateRequest: { kind: "id", resource: "ticket", calls: (id, m) => ({ foreign: { method: "PUT", path: `/api/v2/requests/${id}.json`, body: { request: { comment: { body: "hijack" } } } }, missing: { method: "PUT", path: `/api/v2/requests/${m}.json`, body: { request: { comment: { body: "hijack" } } } } }) },
  createUserSigninLink: { kind: "id", resource: "user", calls: (id, m) => ({ foreign: { method: "POST", path: `/api/v2/users/${id}/sign_in_links.json` }, missing: { method: "POST", path: `/api/v2/users/${m}/sign_in_links.json` } }) },
  listOrganizationTickets: { kind: "id", resource: "organization", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/organizations/${id}/tickets.json` }, missing: { method: "GET", path: `/api/v2/organizations/${m}/tickets.json` } }) },
  listRequestedTickets: { kind: "id", resource: "user", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/users/${id}/tickets/requested.json` }, missing: { method: "GET", path: `/api/v2/users/${m}/tickets/requested.json` } }) },
  listCcdTickets: { kind: "id", resource: "user", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/users/${id}/tickets/ccd.json` }, missing: { method: "GET", path: `/api/v2/users/${m}/tickets/ccd.json` } }) },
  listAssignedTickets: { kind: "id", resource: "user", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/users/${id}/tickets/assigned.json` }, missing: { method: "GET", path: `/api/v2/users/${m}/tickets/assigned.json` } }) },
  listOrganizationUsers: { kind: "id", resource: "organization", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/organizations/${id}/users.json` }, missing: { method: "GET", path: `/api/v2/organizations/${m}/users.json` } }) },
  listUserConsentRecords: { kind: "id", resource: "user", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/users/${id}/consent_records.json` }, missing: { method: "GET", path: `/api/v2/users/${m}/consent_records.json` } }) },
  showAttachment: { kind: "id", resource: "attachment", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/attachments/${id}.json` }, missing: { method: "GET", path: `/api/v2/attachments/${m}.json` } }) },
  downloadAttachment: { kind: "id", resource: "attachment", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/attachments/${id}/download?expires=9999999999&signature=forged` }, missing: { method: "GET", path: `/api/v2/attachments/${m}/download?expires=9999999999&signature=forged` } }) },
  redactCommentAttachment: { kind: "id", resource: "attachment_path", calls: (p, m) => ({ foreign: { method: "PUT", path: `/api/v2/tickets/${p}/redact.json` }, missing: { method: "PUT", path: `/api/v2/tickets/${m}/redact.json` } }) },
  showRecipientAddress: { kind: "id", resource: "recipient_address", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/recipient_addresses/${id}.json` }, missing: { method: "GET", path: `/api/v2/recipient_addresses/${m}.json` } }) },
  updateRecipientAddress: { kind: "id", resource: "recipient_address", calls: (id, m) => ({ foreign: { method: "PUT", path: `/api/v2/recipient_addresses/${id}.json`, body: { recipient_address: { name: "hijack", default: true } } }, missing: { method: "PUT", path: `/api/v2/recipient_addresses/${m}.json`, body: { recipient_address: { name: "hijack", default: true } } } }) },
  verifyRecipientAddress: { kind: "id", resource: "recipient_address", calls: (id, m) => ({ foreign: { method: "PUT", path: `/api/v2/recipient_addresses/${id}/verify.json`, body: { type: "forwarding" } }, missing: { method: "PUT", path: `/api/v2/recipient_addresses/${m}/verify.json`, body: { type: "forwarding" } } }) },
  deleteRecipientAddress: { kind: "id", resource: "recipient_address", calls: (id, m) => ({ foreign: { method: "DELETE", path: `/api/v2/recipient_addresses/${id}.json` }, missing: { method: "DELETE", path: `/api/v2/recipient_addresses/${m}.json` } }) },
  showSuspendedTicket: { kind: "id", resource: "suspended_ticket", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/suspended_tickets/${id}.json` }, missing: { method: "GET", path: `/api/v2/suspended_tickets/${m}.json` } }) },
  recoverSuspendedTicket: { kind: "id", resource: "suspended_ticket", calls: (id, m) => ({ foreign: { method: "PUT", path: `/api/v2/suspended_tickets/${id}/recover.json` }, missing: { method: "PUT", path: `/api/v2/suspended_tickets/${m}/recover.json` } }) },
  recoverManySuspendedTickets: { kind: "id", resource: "suspended_ticket", calls: (id, m) => ({ foreign: { method: "PUT", path: `/api/v2/suspended_tickets/recover_many.json?ids=${id}` }, missing: { method: "PUT", path: `/api/v2/suspended_tickets/recover_many.json?ids=${m}` } }) },
  deleteManySuspendedTickets: { kind: "id", resource: "suspended_ticket", calls: (id, m) => ({ foreign: { method: "DELETE", path: `/api/v2/suspended_tickets/destroy_many.json?ids=${id}` }, missing: { method: "DELETE", path: `/api/v2/suspended_tickets/destroy_many.json?ids=${m}` } }) },
  deleteSuspendedTicket: { kind: "id", resource: "suspended_ticket", calls: (id, m) => ({ foreign: { method: "DELETE", path: `/api/v2/suspended_tickets/${id}.json` }, missing: { method: "DELETE", path: `/api/v2/suspended_tickets/${m}.json` } }) },
  redactTicketComment: { kind: "id", resource: "original_path", calls: (p, m) => ({ foreign: { method: "PUT", path: `/api/v2/tickets/${p}/redact.json`, body: { text: MARK } }, missing: { method: "PUT", path: `/api/v2/tickets/${m}/redact.json`, body: { text: MARK } } }) },
  showCommentOriginalEmail: { kind: "id", resource: "original_path", calls: (p, m) => ({ foreign: { method: "GET", path: `/api/v2/tickets/${p}/original` }, missing: { method: "GET", path: `/api/v2/tickets/${m}/original` } }) },
  revokeSupportAccess: { kind: "id", resource: "support_access", calls: (id, m) => ({ foreign: { method: "DELETE", path: `/api/v2/support_access/${id}.json` }, missing: { method: "DELETE", path: `/api/v2/support_access/${m}.json` } }) },
  revokeApiToken: { kind: "id", resource: "api_token", calls: (id, m) => ({ foreign: { method: "DELETE", path: `/api/v2/api_tokens/${id}.json` }, missing: { method: "DELETE", path: `/api/v2/api_tokens/${m}.json` } }) },
  showView: { kind: "id", resource: "view", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/views/${id}.json` }, missing: { method: "GET", path: `/api/v2/views/${m}.json` } }) },
  updateView: { kind: "id", resource: "view", calls: (id, m) => ({ foreign: { method: "PUT", path: `/api/v2/views/${id}.json`, body: { view: { title: "hijack" } } }, missing: { method: "PUT", path: `/api/v2/views/${m}.json`, body: { view: { title: "hijack" } } } }) },
  deleteView: { kind: "id", resource: "view", calls: (id, m) => ({ foreign: { method: "DELETE", path: `/api/v2/views/${id}.json` }, missing: { method: "DELETE", path: `/api/v2/views/${m}.json` } }) },
  listViewTickets: { kind: "id", resource: "view", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/views/${id}/tickets.json` }, missing: { method: "GET", path: `/api/v2/views/${m}/tickets.json` } }) },
  showMacro: { kind: "id", resource: "macro", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/macros/${id}.json` }, missing: { method: "GET", path: `/api/v2/macros/${m}.json` } }) },
  updateMacro: { kind: "id", resource: "macro", calls: (id, m) => ({ foreign: { method: "PUT", path: `/api/v2/macros/${id}.json`, body: { macro: { title: "hijack" } } }, missing: { method: "PUT", path: `/api/v2/macros/${m}.json`, body: { macro: { title: "hijack" } } } }) },
  deleteMacro: { kind: "id", resource: "macro", calls: (id, m) => ({ foreign: { method: "DELETE", path: `/api/v2/macros/${id}.json` }, missing: { method: "DELETE", path: `/api/v2/macros/${m}.json` } }) },
  showMacroEffect: { kind: "id", resource: "macro", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/macros/${id}/apply.json` }, missing: { method: "GET", path: `/api/v2/macros/${m}/apply.json` } }) },
  // A's ticket with a macro id B could own: the ticket is looked up first, in B's tenant (404).
  applyMacroToTicket: { kind: "id", resource: "ticket", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/tickets/${id}/macros/1/apply.json` }, missing: { method: "GET", path: `/api/v2/tickets/${m}/macros/1/apply.json` } }) },
  ...rulePlans("trigger", "Trigger"),
  ...rulePlans("automation", "Automation"),
  // SLA policies: A's by id answer as missing ones; A's are left out of B's list and definitions; the reorder's ids are B's only.
  showSlaPolicy: { kind: "id", resource: "sla_policy", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/slas/policies/${id}.json` }, missing: { method: "GET", path: `/api/v2/slas/policies/${m}.json` } }) },
  updateSlaPolicy: { kind: "id", resource: "sla_policy", calls: (id, m) => ({ foreign: { method: "PUT", path: `/api/v2/slas/policies/${id}.json`, body: { sla_policy: { title: "hijack" } } }, missing: { method: "PUT", path: `/api/v2/slas/policies/${m}.json`, body: { sla_policy: { title: "hijack" } } } }) },
  deleteSlaPolicy: { kind: "id", resource: "sla_policy", calls: (id, m) => ({ foreign: { method: "DELETE", path: `/api/v2/slas/policies/${id}.json` }, missing: { method: "DELETE", path: `/api/v2/slas/policies/${m}.json` } }) },
  listSlaPolicies: { kind: "collection" },
  showSlaPolicyDefinitions: { kind: "collection" },
  createSlaPolicy: { kind: "own" },
  reorderSlaPolicies: { kind: "own" },
  // Business hours: A's schedules and their holidays by id answer as missing ones (a holiday under A's schedule id: the schedule is looked up first).
  showSchedule: { kind: "id", resource: "schedule", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/business_hours/schedules/${id}.json` }, missing: { method: "GET", path: `/api/v2/business_hours/schedules/${m}.json` } }) },
  updateSchedule: { kind: "id", resource: "schedule", calls: (id, m) => ({ foreign: { method: "PUT", path: `/api/v2/business_hours/schedules/${id}.json`, body: { schedule: { name: "hijack" } } }, missing: { method: "PUT", path: `/api/v2/business_hours/schedules/${m}.json`, body: { schedule: { name: "hijack" } } } }) },
  deleteSchedule: { kind: "id", resource: "schedule", calls: (id, m) => ({ foreign: { method: "DELETE", path: `/api/v2/business_hours/schedules/${id}.json` }, missing: { method: "DELETE", path: `/api/v2/business_hours/schedules/${m}.json` } }) },
  updateScheduleWorkweek: { kind: "id", resource: "schedule", calls: (id, m) => ({ foreign: { method: "PUT", path: `/api/v2/business_hours/schedules/${id}/workweek.json`, body: { workweek: { intervals: [] } } }, missing: { method: "PUT", path: `/api/v2/business_hours/schedules/${m}/workweek.json`, body: { workweek: { intervals: [] } } } }) },
  listScheduleHolidays: { kind: "id", resource: "schedule", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/business_hours/schedules/${id}/holidays.json` }, missing: { method: "GET", path: `/api/v2/business_hours/schedules/${m}/holidays.json` } }) },
  createScheduleHoliday: { kind: "id", resource: "schedule", calls: (id, m) => ({ foreign: { method: "POST", path: `/api/v2/business_hours/schedules/${id}/holidays.json`, body: { holiday: { name: "hijack", start_date: "2027-01-01", end_date: "2027-01-01" } } }, missing: { method: "POST", path: `/api/v2/business_hours/schedules/${m}/holidays.json`, body: { holiday: { name: "hijack", start_date: "2027-01-01", end_date: "2027-01-01" } } } }) },
  showScheduleHoliday: { kind: "id", resource: "schedule_holiday_path", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/business_hours/schedules/${id}.json` }, missing: { method: "GET", path: `/api/v2/business_hours/schedules/${m}.json` } }) },
  updateScheduleHoliday: { kind: "id", resource: "schedule_holiday_path", calls: (id, m) => ({ foreign: { method: "PUT", path: `/api/v2/business_hours/schedules/${id}.json`, body: { holiday: { name: "hijack" } } }, missing: { method: "PUT", path: `/api/v2/business_hours/schedules/${m}.json`, body: { holiday: { name: "hijack" } } } }) },
  deleteScheduleHoliday: { kind: "id", resource: "schedule_holiday_path", calls: (id, m) => ({ foreign: { method: "DELETE", path: `/api/v2/business_hours/schedules/${id}.json` }, missing: { method: "DELETE", path: `/api/v2/business_hours/schedules/${m}.json` } }) },
  listSchedules: { kind: "collection" },
  createSchedule: { kind: "own" },
  // Macros: A's ids are left out of B's lists (checked below for A's markers).
  listMacros: { kind: "collection" },
  listActiveMacros: { kind: "collection" },
  listMacroCategories: { kind: "collection" },
  // A macro's ids in its actions and restriction are looked up inside the host's tenant only (test/macros.test.ts).
  createMacro: { kind: "own" },
  countView: { kind: "id", resource: "view", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/views/${id}/count.json` }, missing: { method: "GET", path: `/api/v2/views/${m}/count.json` } }) },
  // Satisfaction ratings: A's rating by id, A's ticket rated from B (as B's owner: staff are refused after the lookup, so a 404 tells nothing).
  showSatisfactionRating: { kind: "id", resource: "satisfaction_rating", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/satisfaction_ratings/${id}.json` }, missing: { method: "GET", path: `/api/v2/satisfaction_ratings/${m}.json` } }) },
  rateTicket: { kind: "id", resource: "ticket", calls: (id, m) => ({ foreign: { method: "POST", path: `/api/v2/tickets/${id}/satisfaction_rating.json`, body: { satisfaction_rating: { score: "bad" } } }, missing: { method: "POST", path: `/api/v2/tickets/${m}/satisfaction_rating.json`, body: { satisfaction_rating: { score: "bad" } } } }) },
  listSatisfactionRatings: { kind: "collection" },
  showSatisfactionSummary: { kind: "collection" },
  showSatisfactionSettings: { kind: "collection" },
  updateSatisfactionSettings: { kind: "own" },
  // Views: A's ids are left out of B's lists and counts (checked below for A's markers).
  listViews: { kind: "collection" },
  listActiveViews: { kind: "collection" },
  countManyViews: { kind: "collection" },
  // A view's ids in its conditions and restriction are looked up inside the host's tenant only (test/views.test.ts).
  createView: { kind: "own" },
  rotateApiToken: { kind: "id", resource: "api_token", calls: (id, m) => ({ foreign: { method: "POST", path: `/api/v2/api_tokens/${id}/rotate.json`, body: {} }, missing: { method: "POST", path: `/api/v2/api_tokens/${m}/rotate.json`, body: {} } }) },
  // Collections and searches: checked below for A's markers.
  listTickets: { kind: "collection" },
  showManyTickets: { kind: "collection" },
  listUsers: { kind: "collection" },
  showManyUsers: { kind: "collection" },
  searchUsers: { kind: "collection" },
  autocompleteUsers: { kind: "collection" },
  autocompleteOrganizations: { kind: "collection" },
  searchOrganizations: { kind: "collection" },
  listOrganizations: { kind: "collection" },
  showManyOrganizations: { kind: "collection" },
  listGroups: { kind: "collection" },
  listGroupMemberships: { kind: "collection" },
  listTicketFields: { kind: "collection" },
  listApiTokens: { kind: "collection" },
  listSupportAccessGrants: { kind: "collection" },
  grantSupportAccess: { kind: "own" },
  listAuditLogs: { kind: "collection" },
  listInvitations: { kind: "collection" },
  showAccount: { kind: "collection" },
  verifyAuditLogs: { kind: "collection" },
  getAuditCheckpoint: { kind: "collection" },
  // Another tenant's checkpoint is answered `other_tenant`, and nothing of it (test/audit-checkpoints.test.ts).
  checkAuditCheckpoints: { kind: "own" },
  listAuditArchives: { kind: "collection" },
  downloadAuditArchive: { kind: "id", resource: "audit_archive", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/audit_archives/${id}/download` }, missing: { method: "GET", path: `/api/v2/audit_archives/${m}/download` } }) },
  search: { kind: "collection" },
  listRequests: { kind: "collection" },
  listCcdRequests: { kind: "collection" },
  searchRequests: { kind: "collection" },
  showHelpCenter: { kind: "collection" },
  showHelpCenterSettings: { kind: "collection" },
  showPersonalData: { kind: "collection" },
  countSearchResults: { kind: "collection" },
  listAssignableUsers: { kind: "collection" },
  showAttachmentSettings: { kind: "collection" },
  showNotificationSettings: { kind: "collection" },
  showPasswordSettings: { kind: "collection" },
  showTwoFactorSettings: { kind: "collection" },
  showSsoSettings: { kind: "collection" },
  showSignInOptions: { kind: "collection" },
  showOwnPasswordRequirements: { kind: "own" },
  listNotificationTemplates: { kind: "collection" },
  listUndeliveredMail: { kind: "collection" },
  listDkimKeys: { kind: "collection" },
  listRecipientAddresses: { kind: "collection" },
  listSuspendedTickets: { kind: "collection" },
  // The trash (test/ticket-trash.test.ts): deleted tickets by id, inside the host's tenant only.
  listDeletedTickets: { kind: "collection" },
  restoreDeletedTicket: { kind: "id", resource: "deleted_ticket", calls: (id, m) => ({ foreign: { method: "PUT", path: `/api/v2/deleted_tickets/${id}/restore.json` }, missing: { method: "PUT", path: `/api/v2/deleted_tickets/${m}/restore.json` } }) },
  restoreManyDeletedTickets: { kind: "id", resource: "deleted_ticket", calls: (id, m) => ({ foreign: { method: "PUT", path: `/api/v2/deleted_tickets/restore_many.json?ids=${id}` }, missing: { method: "PUT", path: `/api/v2/deleted_tickets/restore_many.json?ids=${m}` } }) },
  destroyDeletedTicket: { kind: "id", resource: "deleted_ticket", calls: (id, m) => ({ foreign: { method: "DELETE", path: `/api/v2/deleted_tickets/${id}.json` }, missing: { method: "DELETE", path: `/api/v2/deleted_tickets/${m}.json` } }) },
  destroyManyDeletedTickets: { kind: "id", resource: "deleted_ticket", calls: (id, m) => ({ foreign: { method: "DELETE", path: `/api/v2/deleted_tickets/destroy_many.json?ids=${id}` }, missing: { method: "DELETE", path: `/api/v2/deleted_tickets/destroy_many.json?ids=${m}` } }) },
  showMailSettings: { kind: "collection" },
  // Routes about the caller only, or creating new rows in the caller's own tenant.
  showCurrentUser: { kind: "own" },
  createTicket: { kind: "own" },
  createManyTickets: { kind: "own" },
  updateManyTickets: { kind: "own" },
  createUser: { kind: "own" },
  createOrganization: { kind: "own" },
  createGroup: { kind: "own" },
  createGroupMembership: { kind: "own" },
  createTicketField: { kind: "own" },
  createApiToken: { kind: "own" },
  createSession: { kind: "own" },
  showSession: { kind: "own" },
  deleteSession: { kind: "own" },
  listOwnSessions: { kind: "own" },
  logoutCurrentSession: { kind: "own" },
  listSessions: { kind: "collection" },
  showSessionSettings: { kind: "collection" },
  updateSessionSettings: { kind: "own" },
  showSearchSettings: { kind: "collection" },
  updateSearchSettings: { kind: "own" },
  showApiSettings: { kind: "collection" },
  updateApiSettings: { kind: "own" },
  // Legal holds by id, and the retention policy: the host tenant's own (test/legal-holds-retention.test.ts).
  listLegalHolds: { kind: "collection" },
  // A target in the body is looked up inside the host's tenant only: another tenant's ticket answers 422 like a missing one (test/legal-holds-retention.test.ts).
  createLegalHold: { kind: "own" },
  showLegalHold: { kind: "id", resource: "legal_hold", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/legal_holds/${id}.json` }, missing: { method: "GET", path: `/api/v2/legal_holds/${m}.json` } }) },
  releaseLegalHold: { kind: "id", resource: "legal_hold", calls: (id, m) => ({ foreign: { method: "PUT", path: `/api/v2/legal_holds/${id}/release.json` }, missing: { method: "PUT", path: `/api/v2/legal_holds/${m}/release.json` } }) },
  showRetentionPolicy: { kind: "collection" },
  // Deleted people of A's (ids in deleted_user; B has none) and A's erasure receipt 1.
  listDeletedUsers: { kind: "collection" },
  showDeletedUser: { kind: "id", resource: "deleted_user", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/deleted_users/${id}.json` }, missing: { method: "GET", path: `/api/v2/deleted_users/${m}.json` } }) },
  restoreDeletedUser: { kind: "id", resource: "deleted_user", calls: (id, m) => ({ foreign: { method: "PUT", path: `/api/v2/deleted_users/${id}/restore.json` }, missing: { method: "PUT", path: `/api/v2/deleted_users/${m}/restore.json` } }) },
  previewUserErasure: { kind: "id", resource: "deleted_user", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/deleted_users/${id}/erasure_preview.json` }, missing: { method: "GET", path: `/api/v2/deleted_users/${m}/erasure_preview.json` } }) },
  eraseDeletedUser: { kind: "id", resource: "deleted_user", calls: (id, m) => ({ foreign: { method: "DELETE", path: `/api/v2/deleted_users/${id}.json` }, missing: { method: "DELETE", path: `/api/v2/deleted_users/${m}.json` } }) },
  listErasureReceipts: { kind: "collection" },
  showErasureReceipt: { kind: "id", resource: "erasure_receipt", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/erasure_receipts/${id}.json` }, missing: { method: "GET", path: `/api/v2/erasure_receipts/${m}.json` } }) },
  // Data exports (test/data-exports.test.ts): the caller's own, by id; a person's looked up inside the host's tenant.
  createMyDataExport: { kind: "own" },
  createUserDataExport: { kind: "id", resource: "user", calls: (id, m) => ({ foreign: { method: "POST", path: `/api/v2/users/${id}/data_exports.json` }, missing: { method: "POST", path: `/api/v2/users/${m}/data_exports.json` } }) },
  showDataExport: { kind: "id", resource: "data_export", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/data_exports/${id}.json` }, missing: { method: "GET", path: `/api/v2/data_exports/${m}.json` } }) },
  downloadDataExport: { kind: "id", resource: "data_export", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/data_exports/${id}/download?expires=9999999999&signature=forged` }, missing: { method: "GET", path: `/api/v2/data_exports/${m}/download?expires=9999999999&signature=forged` } }) },
  createExport: { kind: "own" },
  incrementalTicketExport: { kind: "collection" },
  incrementalUserExport: { kind: "collection" },
  incrementalOrganizationExport: { kind: "collection" },
  incrementalTicketExportByTime: { kind: "collection" },
  incrementalUserExportByTime: { kind: "collection" },
  incrementalOrganizationExportByTime: { kind: "collection" },
  incrementalTicketEventExport: { kind: "collection" },
  showExport: { kind: "id", resource: "export", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/exports/${id}.json` }, missing: { method: "GET", path: `/api/v2/exports/${m}.json` } }) },
  downloadExport: { kind: "id", resource: "export", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/exports/${id}/download?expires=9999999999&signature=forged` }, missing: { method: "GET", path: `/api/v2/exports/${m}/download?expires=9999999999&signature=forged` } }) },
  updateRetentionPolicy: { kind: "own" },
  showCompliancePosture: { kind: "collection" },
  showHealthcareMode: { kind: "collection" },
  updateHealthcareMode: { kind: "own" },
  listSubprocessors: { kind: "collection" },
  previewRetentionPolicy: { kind: "collection" },
  // Redaction settings, restriction of processing and consent withdrawals (test/restriction-consent.test.ts).
  showRedactionSettings: { kind: "collection" },
  updateRedactionSettings: { kind: "own" },
  setUserRestriction: { kind: "id", resource: "user", calls: (id, m) => ({ foreign: { method: "PUT", path: `/api/v2/users/${id}/restriction.json`, body: { restriction: { restricted: true, reason: "hijack" } } }, missing: { method: "PUT", path: `/api/v2/users/${m}/restriction.json`, body: { restriction: { restricted: true, reason: "hijack" } } } }) },
  // The caller's own consent records only: another person's record (of any tenant) answers 404 (test/restriction-consent.test.ts).
  withdrawOwnConsent: { kind: "own" },
  withdrawUserConsent: { kind: "id", resource: "user", calls: (id, m) => ({ foreign: { method: "POST", path: `/api/v2/users/${id}/consents/1/withdraw.json` }, missing: { method: "POST", path: `/api/v2/users/${m}/consents/1/withdraw.json` } }) },
  // Data subject requests by id, the deadlines, a person's own (test/data-subject-requests.test.ts).
  listDataSubjectRequests: { kind: "collection" },
  // A user_id in the body is looked up inside the host's tenant only: another tenant's person answers 422 like a missing one.
  createDataSubjectRequest: { kind: "own" },
  showDataSubjectRequest: { kind: "id", resource: "data_subject_request", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/data_subject_requests/${id}.json` }, missing: { method: "GET", path: `/api/v2/data_subject_requests/${m}.json` } }) },
  updateDataSubjectRequest: { kind: "id", resource: "data_subject_request", calls: (id, m) => ({ foreign: { method: "PUT", path: `/api/v2/data_subject_requests/${id}.json`, body: { data_subject_request: { status: "verifying" } } }, missing: { method: "PUT", path: `/api/v2/data_subject_requests/${m}.json`, body: { data_subject_request: { status: "verifying" } } } }) },
  verifyDataSubjectRequest: { kind: "id", resource: "data_subject_request", calls: (id, m) => ({ foreign: { method: "POST", path: `/api/v2/data_subject_requests/${id}/verify.json`, body: { verification: { method: "other" } } }, missing: { method: "POST", path: `/api/v2/data_subject_requests/${m}/verify.json`, body: { verification: { method: "other" } } } }) },
  showDataSubjectRequestEvidence: { kind: "id", resource: "data_subject_request", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/data_subject_requests/${id}/evidence.json` }, missing: { method: "GET", path: `/api/v2/data_subject_requests/${m}/evidence.json` } }) },
  showDataSubjectRequestSettings: { kind: "collection" },
  updateDataSubjectRequestSettings: { kind: "own" },
  listOwnDataSubjectRequests: { kind: "collection" },
  createOwnDataSubjectRequest: { kind: "own" },
  showIpRestrictions: { kind: "collection" },
  updateIpRestrictions: { kind: "own" },
  updateSsoSettings: { kind: "own" },
  // OpenID Connect and JWT sign-in (test/sso-oidc.test.ts, test/sso-jwt.test.ts): settings are the host tenant's
  // own; a state, a code, a token or a jti is looked up in the host's tenant only (another tenant's state and
  // another tenant's token are refused there).
  showOidcSettings: { kind: "collection" },
  updateOidcSettings: { kind: "own" },
  startOidcSignIn: { kind: "own" },
  completeOidcSignIn: { kind: "own" },
  showJwtSettings: { kind: "collection" },
  updateJwtSettings: { kind: "own" },
  generateJwtSecret: { kind: "own" },
  startJwtSignIn: { kind: "own" },
  signInWithJwt: { kind: "own" },
  signInWithJwtForm: { kind: "own" },
  changeOwnPassword: { kind: "own" },
  updateAccount: { kind: "own" },
  // The caller's own account only (the host's tenant); another tenant's owner has no session here.
  showAccountTermination: { kind: "own" },
  terminateAccount: { kind: "own" },
  createInvitation: { kind: "own" },
  updateAttachmentSettings: { kind: "own" },
  updateNotificationSettings: { kind: "own" },
  updatePasswordSettings: { kind: "own" },
  // Templates are named by event and language, looked up inside the host's tenant only.
  updateNotificationTemplate: { kind: "own" },
  resetNotificationTemplate: { kind: "own" },
  createDkimKey: { kind: "own" },
  createRecipientAddress: { kind: "own" },
  updateMailSettings: { kind: "own" },
  // Upload tokens are looked up inside the host's tenant only, and are the uploader's alone (test/attachments.test.ts).
  createUpload: { kind: "own" },
  deleteUpload: { kind: "own" },
  // The invitee's calls: the link's secret is looked up inside the host's tenant only (test/admin.test.ts).
  previewInvitation: { kind: "own" },
  acceptInvitation: { kind: "own" },
  // The help center's form and sign-in links act in the host's tenant only (test/help-center.test.ts).
  createRequest: { kind: "own" },
  updateHelpCenterSettings: { kind: "own" },
  requestSigninLink: { kind: "own" },
  redeemSigninLink: { kind: "own" },
  // The link's secret is looked up inside the host's tenant only (test/identity-defects.test.ts).
  confirmEmailChange: { kind: "own" },
  // Password reset: the address and the link's secret are looked up inside the host's tenant only (test/password-reset-by-mail.test.ts).
  requestPasswordReset: { kind: "own" },
  redeemPasswordReset: { kind: "own" },
  // Two-factor sign-in: the caller's own authenticator, and a challenge looked up inside the host's tenant only (test/two-factor.test.ts).
  // Passkeys: the caller's own list and registration; sign-in challenges and credentials looked up inside the host's tenant only (test/passkeys.test.ts).
  listOwnPasskeys: { kind: "own" },
  // OAuth: clients and authorizations by id; the authorization and token endpoints look the client,
  // code and tokens up inside the host's tenant only (test/oauth.test.ts: another tenant's client id is unknown, its tokens refused).
  listOAuthClients: { kind: "collection" },
  showOAuthClient: { kind: "id", resource: "oauth_client", calls: (id, m) => ({ foreign: { method: "GET", path: `/api/v2/oauth/clients/${id}.json` }, missing: { method: "GET", path: `/api/v2/oauth/clients/${m}.json` } }) },
  updateOAuthClient: { kind: "id", resource: "oauth_client", calls: (id, m) => ({ foreign: { method: "PUT", path: `/api/v2/oauth/clients/${id}.json`, body: { client: { name: "hijack" } } }, missing: { method: "PUT", path: `/api/v2/oauth/clients/${m}.json`, body: { client: { name: "hijack" } } } }) },
  generateOAuthClientSecret: { kind: "id", resource: "oauth_client", calls: (id, m) => ({ foreign: { method: "PUT", path: `/api/v2/oauth/clients/${id}/generate_secret.json` }, missing: { method: "PUT", path: `/api/v2/oauth/clients/${m}/generate_secret.json` } }) },
  deleteOAuthClient: { kind: "id", resource: "oauth_client", calls: (id, m) => ({ foreign: { method: "DELETE", path: `/api/v2/oauth/clients/${id}.json` }, missing: { method: "DELETE", path: `/api/v2/oauth/clients/${m}.json` } }) },
  createOAuthClient: { kind: "own" },
  startOAuthAuthorization: { kind: "own" },
  showOAuthConsent: { kind: "own" },
  decideOAuthConsent: { kind: "own" },
  createOAuthToken: { kind: "own" },
  listOAuthTokens: { kind: "collection" },
  revokeOAuthToken: { kind: "id", resource: "oauth_token", calls: (id, m) => ({ foreign: { method: "DELETE", path: `/api/v2/oauth/tokens/${id}.json` }, missing: { method: "DELETE", path: `/api/v2/oauth/tokens/${m}.json` } }) },
  createPasskeyRegistrationOptions: { kind: "own" },
  createOwnPasskey: { kind: "own" },
  createPasskeySignInOptions: { kind: "own" },
  createPasskeySession: { kind: "own" },
  createPasskeySecondFactorOptions: { kind: "own" },
  completePasskeySecondFactor: { kind: "own" },
  completeTwoFactorSignIn: { kind: "own" },
  showOwnTwoFactor: { kind: "own" },
  startTotpEnrolment: { kind: "own" },
  confirmTotpEnrolment: { kind: "own" },
  disableOwnTwoFactor: { kind: "own" },
  regenerateRecoveryCodes: { kind: "own" },
  // The caller's own passkeys and challenges only; another tenant's passkey or challenge is refused (test/passkeys.test.ts).
  createRecoveryCodesPasskeyOptions: { kind: "own" },
  regenerateRecoveryCodesWithPasskey: { kind: "own" },
  updateTwoFactorSettings: { kind: "own" },
  // SAML: the settings are the caller's tenant's; the browser flow reads the tenant from the host, and
  // its pending requests and replay records are looked up inside that tenant only (test/peers/saml.test.ts
  // refuses another tenant's request id).
  showSamlSettings: { kind: "collection" },
  updateSamlSettings: { kind: "own" },
  showSamlMetadata: { kind: "own" },
  startSamlSignIn: { kind: "own" },
  consumeSamlResponse: { kind: "own" },
  completeSamlSignIn: { kind: "own" },
  // The installation's first-run setup: no tenant is involved (test/setup.test.ts).
  showSetup: { kind: "own" },
  createFirstAccount: { kind: "own" },
};

const missingFor = (resource: string) => (resource === "job" || resource === "undelivered" || resource === "dkim" || resource === "passkey" ? missingUuid : resource === "attachment_path" ? "999999/comments/999999/attachments/999999" : resource === "original_path" ? "999999/comments/999999" : resource === "schedule_holiday_path" ? "999999/holidays/999999" : 999_999);

describe("tenant isolation", () => {
  it("has an isolation plan for every registered route", () => {
    const unplanned = [...new Set(registeredRoutes.map((r) => r.operationId))].filter((op) => !(op in plans));
    expect(unplanned, `routes without an isolation plan: ${unplanned.join(", ")}`).toEqual([]);
  });

  it("answers another tenant's ids exactly like missing ones, and changes nothing", async () => {
    const snapshotA = async () => {
      const out: Record<string, unknown> = {};
      for (const p of ["/api/v2/tickets.json?per_page=100", "/api/v2/users.json?per_page=100", "/api/v2/organizations.json", "/api/v2/groups.json", "/api/v2/group_memberships.json", "/api/v2/ticket_fields.json", "/api/v2/api_tokens.json", "/api/v2/tickets/1/comments.json", "/api/v2/invitations.json", "/api/v2/account.json", "/api/v2/recipient_addresses.json", "/api/v2/suspended_tickets.json", "/api/v2/deleted_tickets.json", "/api/v2/deleted_users.json", "/api/v2/mail_settings.json", "/api/v2/sessions.json", "/api/v2/users/1/passkeys.json", "/api/v2/custom_roles.json", "/api/v2/support_access.json", "/api/v2/oauth/clients.json", "/api/v2/oauth/tokens.json", "/api/v2/views.json", "/api/v2/business_hours/schedules.json", "/api/v2/business_hours/schedules/3/holidays.json"]) {
        const r = await A.api("GET", p);
        // Download links carry an expiry (to the minute): the links themselves are not state.
        out[p] = JSON.stringify(r.body).replace(/"last_used_at":"[^"]*"/g, "").replace(/download\?expires=\d+&signature=[A-Za-z0-9_-]+/g, "download");
      }
      return out;
    };
    const before = await snapshotA();
    const checked: string[] = [];
    for (const [op, plan] of Object.entries(plans)) {
      if (plan.kind !== "id") continue;
      const { foreign, missing } = plan.calls(ids[plan.resource]!, missingFor(plan.resource));
      const f = await B.api(foreign.method, foreign.path, foreign.body);
      const m = await B.api(missing.method, missing.path, missing.body);
      expect(f.status, `${op} on A's id`).toBe(404);
      expect(f.body, `${op} body`).toEqual(m.body);
      expect(f.text).not.toContain(MARK);
      checked.push(op);
    }
    expect(checked.length).toBeGreaterThan(20);
    expect(await snapshotA()).toEqual(before);
  });

  it("never lists or finds tenant A's rows for tenant B", async () => {
    const paths = [
      "/api/v2/tickets.json?per_page=100",
      "/api/v2/tickets.json?page[size]=100",
      "/api/v2/tickets/show_many.json?ids=1,2,3,4,5,6&include=users,organizations,groups",
      "/api/v2/users.json?per_page=100",
      "/api/v2/users/show_many.json?ids=1,2,3,4,5,6,7,8",
      `/api/v2/users/search.json?query=req1@${MARK.toLowerCase()}.test`,
      "/api/v2/organizations.json",
      "/api/v2/organizations/show_many.json?ids=1,2,3,4",
      "/api/v2/groups.json",
      "/api/v2/group_memberships.json",
      "/api/v2/ticket_fields.json",
      "/api/v2/api_tokens.json",
      "/api/v2/support_access.json",
      "/api/v2/audit_logs.json?per_page=100",
      "/api/v2/audit_logs/checkpoint.json",
      "/api/v2/invitations.json",
      "/api/v2/account.json",
      "/api/v2/recipient_addresses.json",
      "/api/v2/suspended_tickets.json",
      "/api/v2/deleted_tickets.json",
      "/api/v2/mail_settings.json",
      "/api/v2/search.json?query=type:ticket%20tags:isolation",
      `/api/v2/search.json?query=requester:req1@${MARK.toLowerCase()}.test`,
      "/api/v2/search.json?query=status<closed",
      "/api/v2/search.json?query=status<closed&sort_by=updated_at&page[size]=100",
      // Words of A's tickets (subjects, comments, notes): B's index holds other hashes.
      `/api/v2/search.json?query=${MARK}`,
      `/api/v2/search.json?query=${encodeURIComponent(`"${MARK} ticket"`)}&page[size]=100`,
      `/api/v2/search.json?query=${MARK}%20note`,
      `/api/v2/requests/search.json?query=${MARK}`,
      "/api/v2/requests/ccd.json",
      // A's people and organizations by name and address (B's name index holds other hashes).
      `/api/v2/search.json?query=${encodeURIComponent(`type:user ${MARK}`)}`,
      `/api/v2/search.json?query=${encodeURIComponent(`type:user ${MARK.slice(0, 6)}*`)}`,
      `/api/v2/search.json?query=${encodeURIComponent(`type:user email:req1@${MARK.toLowerCase()}.test`)}`,
      `/api/v2/search.json?query=${encodeURIComponent(`type:organization ${MARK.slice(0, 6)}*`)}&page[size]=100`,
      `/api/v2/users/search.json?query=${encodeURIComponent(`${MARK} re`)}`,
      `/api/v2/users/autocomplete.json?name=${MARK.slice(0, 6)}`,
      `/api/v2/organizations/autocomplete.json?name=${MARK.slice(0, 6)}`,
      `/api/v2/organizations/search.json?name=${encodeURIComponent(`${MARK} org 1`)}`,
      "/api/v2/users/assignable.json",
      "/api/v2/job_statuses.json",
      "/api/v2/views.json",
      "/api/v2/views/active.json",
      "/api/v2/views/count_many.json?ids=1,2,3,4",
      "/api/v2/macros.json",
      "/api/v2/macros/active.json",
      "/api/v2/macros/categories.json",
      "/api/v2/macros.json?include=usage_1h,usage_24h,usage_7d,usage_30d&sort_by=usage_7d",
      ...["triggers", "automations"].flatMap((m) => [`/api/v2/${m}.json`, `/api/v2/${m}/active.json`, `/api/v2/${m}/definitions.json`]),
      "/api/v2/slas/policies.json",
      "/api/v2/slas/policies/definitions.json",
      "/api/v2/business_hours/schedules.json",
      "/api/v2/satisfaction_ratings.json",
      "/api/v2/satisfaction_ratings/summary.json",
      "/api/v2/satisfaction_settings.json",
      "/api/v2/sso/oidc.json",
      "/api/v2/sso/jwt.json",
      "/api/v2/oauth/clients.json",
      "/api/v2/oauth/tokens.json",
      "/api/v2/incremental/tickets/cursor.json?start_time=0",
      "/api/v2/incremental/users/cursor.json?start_time=0",
      "/api/v2/incremental/organizations/cursor.json?start_time=0",
      "/api/v2/incremental/tickets.json?start_time=0",
      "/api/v2/incremental/users.json?start_time=0",
      "/api/v2/incremental/organizations.json?start_time=0",
      "/api/v2/incremental/ticket_events.json?start_time=0&include=comment_events",
    ];
    for (const p of paths) {
      const r = await B.api("GET", p);
      expect(r.status, p).toBe(200);
      expect(r.text, p).not.toContain(MARK);
      expect(r.text.toLowerCase(), p).not.toContain(MARK.toLowerCase());
    }
    expect((await B.api("GET", "/api/v2/job_statuses.json")).text).not.toContain(String(ids.job));
    expect((await B.api("GET", "/api/v2/views/count_many.json?ids=1,2,3,4")).body.view_counts).toEqual([]);
    // Sessions: A's owner has four, B's none (it signs in with a token).
    expect((await B.api("GET", "/api/v2/sessions.json")).body.sessions).toEqual([]);
    expect((await B.api("GET", "/api/v2/users/1/sessions.json")).body.sessions).toEqual([]);
    expect((await A.api("GET", "/api/v2/sessions.json")).body.sessions).toHaveLength(4);
    expect((await A.api("GET", "/api/v2/job_statuses.json")).text).toContain(String(ids.job));
    expect((await B.api("GET", "/api/v2/search/count.json?query=tags:isolation")).body).toEqual({ count: 0, count_capped: false });
    const tickets = await B.api("GET", "/api/v2/search.json?query=tags:isolation");
    expect(tickets.body.results).toEqual([]);
    expect((await B.api("GET", `/api/v2/search/count.json?query=${MARK}`)).body).toEqual({ count: 0, count_capped: false });
    expect((await B.api("GET", `/api/v2/search/count.json?query=${encodeURIComponent(`type:user ${MARK}`)}`)).body).toEqual({ count: 0, count_capped: false });
    // Control: A finds its own people and organizations by the same names.
    expect((await A.api("GET", `/api/v2/search/count.json?query=${encodeURIComponent(`type:user ${MARK}`)}`)).body.count).toBeGreaterThanOrEqual(3);
    expect((await A.api("GET", `/api/v2/organizations/autocomplete.json?name=${MARK.slice(0, 6)}`)).body.organizations).toHaveLength(4);
    // Control: A finds its own tickets by the same words.
    expect((await A.api("GET", `/api/v2/search/count.json?query=${MARK}%20note`)).body.count).toBeGreaterThan(0);
    const many = await B.api("GET", "/api/v2/tickets/show_many.json?ids=2,3,4,5,6");
    expect(many.body.tickets).toEqual([]);
  });

  it("signs nobody in on B's host with A's single sign-on: A's JWT, A's start pages", async () => {
    const now = Math.floor(Date.now() / 1000);
    const jwt = await new jose.SignJWT({ iat: now, jti: crypto.randomUUID(), email: `sso@${MARK.toLowerCase()}.test` }).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode(SSO_SECRET));
    const atB = await t.request({ method: "GET", path: `/access/jwt?jwt=${jwt}`, host: B.host });
    expect(atB.status).toBe(404);
    expect(atB.headers["set-cookie"]).toBeUndefined();
    expect((await t.request({ method: "GET", path: "/access/jwt/login", host: B.host })).status).toBe(404);
    expect((await t.request({ method: "GET", path: "/access/oidc/login", host: B.host })).status).toBe(404);
    // Control: A's own host takes it.
    expect((await t.request({ method: "GET", path: `/access/jwt?jwt=${jwt}`, host: A.host })).status).toBe(303);
  });

  it("refuses a token of tenant A on tenant B's host", async () => {
    const basic = await t.request({ method: "GET", path: "/api/v2/users/me.json", host: B.host, headers: { authorization: "Basic " + Buffer.from(`${A.ownerEmail}/token:${A.ownerToken}`).toString("base64") } });
    expect(basic.status).toBe(401);
    const bearer = await t.request({ method: "GET", path: "/api/v2/tickets/1.json", host: B.host, headers: { authorization: `Bearer ${A.ownerToken}` } });
    expect(bearer.status).toBe(401);
    // A's own host accepts it (control).
    expect((await A.api("GET", "/api/v2/users/me.json")).status).toBe(200);
  });

  it("shows the app role nothing without a tenant, and only that tenant's rows with one", async () => {
    const tables = ["tenant_keys", "tenant_counters", "organizations", "users", "groups", "group_memberships", "ticket_fields", "tickets", "ticket_audits", "ticket_comments", "triggers", "automations", "api_tokens", "sessions", "job_statuses", "audit_heads", "audit_log", "key_rotations", "tenant_settings", "invitations", "consent_records", "signin_links", "password_resets", "email_changes", "organization_domains", "uploads", "attachments", "attachment_settings", "support_addresses", "inbound_messages", "suspended_tickets", "mail_settings", "ticket_ccs", "notification_settings", "notification_templates", "undelivered_mail", "dkim_keys", "password_settings", "password_history", "session_settings", "api_settings", "two_factor_totp", "two_factor_recovery_codes", "two_factor_challenges", "two_factor_settings", "passkeys", "webauthn_challenges", "support_access_grants", "oauth_clients", "oauth_grants", "oauth_codes", "oauth_tokens", "ip_restrictions", "search_postings", "search_documents", "search_settings", "consent_withdrawals", "redaction_settings", "views", "macros", "macro_usage", "satisfaction_ratings", "satisfaction_settings", "sla_policies", "ticket_sla_metrics", "business_hours_schedules", "business_hours_holidays"];
    await t.db.system(async (conn) => {
      await sql`SET LOCAL ROLE vaultdesk_app`.execute(conn);
      for (const table of tables) {
        const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)}`.execute(conn);
        expect(r.rows[0]!.n, table).toBe(0);
      }
      await sql`SELECT set_config('app.tenant_id', ${A.tenantId}, true)`.execute(conn);
      for (const table of ["users", "tickets", "ticket_comments", "audit_log"]) {
        const all = await sql<{ n: number; mine: number }>`SELECT count(*)::int AS n, count(*) FILTER (WHERE tenant_id = ${A.tenantId})::int AS mine FROM ${sql.table(table)}`.execute(conn);
        expect(all.rows[0]!.n, table).toBeGreaterThan(0);
        expect(all.rows[0]!.n, table).toBe(all.rows[0]!.mine);
      }
      // Writing a row for another tenant is refused by the policy's WITH CHECK (last: it aborts the transaction).
      await expect(
        sql`INSERT INTO tenant_counters (tenant_id, name, value) VALUES (${B.tenantId}, 'forged', 1)`.execute(conn),
      ).rejects.toThrow(/row-level security/);
    });
  });

  it("refuses to change a ticket's nice_id, the search postings' key (0049), whoever asks", async () => {
    const nice = (await A.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Fixed number", comment: { body: "Its number stays" } } })).body.ticket.id as number;
    for (const role of ["vaultdesk_app", null] as const) {
      await expect(
        t.db.system(async (conn) => {
          if (role) {
            await sql`SET LOCAL ROLE vaultdesk_app`.execute(conn);
            await sql`SELECT set_config('app.tenant_id', ${A.tenantId}, true)`.execute(conn);
          }
          for (const table of role ? [] : ["tickets"]) await sql`ALTER TABLE ${sql.table(table)} NO FORCE ROW LEVEL SECURITY`.execute(conn);
          await sql`UPDATE tickets SET nice_id = nice_id + 1000000 WHERE tenant_id = ${A.tenantId} AND nice_id = ${nice}`.execute(conn);
        }),
        role ?? "owner",
      ).rejects.toThrow(/nice_id never changes/);
    }
    // Other columns of the row still change, and setting the number it has is no change.
    await t.db.system(async (conn) => {
      await sql`SET LOCAL ROLE vaultdesk_app`.execute(conn);
      await sql`SELECT set_config('app.tenant_id', ${A.tenantId}, true)`.execute(conn);
      const r = await sql`UPDATE tickets SET nice_id = nice_id, priority = 'high' WHERE tenant_id = ${A.tenantId} AND nice_id = ${nice}`.execute(conn);
      expect(Number(r.numAffectedRows)).toBe(1);
    });
    expect((await A.api("GET", `/api/v2/tickets/${nice}.json`)).body.ticket.priority).toBe("high");
  });

  it("refuses a search posting for another tenant or for no tenant: the policy is its only guard (0048 dropped its key to tenants)", async () => {
    for (const forged of [B.tenantId, crypto.randomUUID()]) {
      await t.db.system(async (conn) => {
        await sql`SET LOCAL ROLE vaultdesk_app`.execute(conn);
        await sql`SELECT set_config('app.tenant_id', ${A.tenantId}, true)`.execute(conn);
        await expect(
          sql`INSERT INTO search_postings (tenant_id, term, nice_id, internal, tf) VALUES (${forged}, ${Buffer.alloc(16, 7)}, 1, false, 1)`.execute(conn),
        ).rejects.toThrow(/row-level security/);
      });
    }
  });

  it("keeps other tenants' id sequences and the audit queue out of the app role's reach", async () => {
    await t.db.system(async (conn) => {
      await sql`SET LOCAL ROLE vaultdesk_app`.execute(conn);
      await expect(sql`SELECT vd_next_id('tickets')`.execute(conn)).rejects.toThrow(/no tenant context/);
    });
    const aSeq = `vd_seq.t${A.tenantId.replaceAll("-", "")}_tickets`;
    await expect(t.db.tenant(B.tenantId, (tx) => sql`SELECT nextval(${aSeq}::regclass)`.execute(tx.db))).rejects.toThrow(/permission denied/);
    await expect(t.db.tenant(B.tenantId, (tx) => sql`SELECT count(*) FROM audit_queue`.execute(tx.db))).rejects.toThrow(/permission denied/);
    await expect(t.db.tenant(B.tenantId, (tx) => sql`DELETE FROM audit_queue`.execute(tx.db))).rejects.toThrow(/permission denied/);
    await expect(
      t.db.tenant(B.tenantId, (tx) =>
        sql`INSERT INTO audit_queue (tenant_id, id, occurred_at, actor_kind, actor_id, action, resource_type, resource_id, fields, request_id)
            VALUES (${A.tenantId}, gen_random_uuid(), now(), 'user', '1', 'forged', 'ticket', '1', '', 'x')`.execute(tx.db),
      ),
    ).rejects.toThrow(/row-level security/);
    // Each tenant's numbers are its own: B's next ticket number does not move A's.
    const next = async (tenantId: string) => t.db.tenant(tenantId, async (tx) => (await sql<{ n: number }>`SELECT vd_next_id('tickets') AS n`.execute(tx.db)).rows[0]!.n);
    const a1 = await next(A.tenantId);
    await next(B.tenantId);
    await next(B.tenantId);
    expect(await next(A.tenantId)).toBe(a1 + 1);
  });

  it("runs the app as a role that is not superuser, not BYPASSRLS, and owns nothing", async () => {
    const role = await sql<{ rolsuper: boolean; rolbypassrls: boolean }>`SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = 'vaultdesk_app'`.execute(t.db.owner);
    expect(role.rows[0]).toEqual({ rolsuper: false, rolbypassrls: false });
    const owned = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_tables WHERE tableowner = 'vaultdesk_app'`.execute(t.db.owner);
    expect(owned.rows[0]!.n).toBe(0);
    const forced = await sql<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean }>`
      SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c
      JOIN information_schema.columns col ON col.table_name = c.relname AND col.column_name = 'tenant_id' AND col.table_schema = 'public'
      WHERE c.relkind = 'r' AND c.relname <> 'tenants'`.execute(t.db.owner);
    expect(forced.rows.length).toBeGreaterThan(10);
    for (const r of forced.rows) expect([r.relname, r.relrowsecurity, r.relforcerowsecurity]).toEqual([r.relname, true, true]);
  });
});
