import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { sql } from "kysely";
import { expect } from "vitest";
import { makeContext, userActor } from "../../src/platform/context.ts";
import { beginRequest, readProvider, saveProvider, signInWithProvider, updateSsoSettings } from "../../src/modules/identity/sso-service.ts";
import { declaredSealedColumns } from "../../src/platform/crypto/sealed-columns.ts";
import { enqueueJob } from "../../src/platform/jobs/jobs.ts";
import { buildTenant, createTokenFor, waitForJob, type TestApp } from "./harness.ts";
import { message, send, settled, supportOf } from "./mail-in.ts";
import { SoftAuthenticator } from "./webauthn-authenticator.ts";
import { encode, requestIdOf, responseXml } from "./saml-forge.ts";
import { makeKeyPair } from "./simplesamlphp.ts";
import { marker } from "./markers.ts";

/**
 * What the no-plaintext-at-rest tests share (test/no-plaintext-at-rest.test.ts for PGlite's
 * folder, test/postgres/dump-no-plaintext.test.ts for a pg_dump): writes carrying a marker and an
 * e-mail address through every sealed column, and the byte searches for them. A tag (stored in
 * clear by design) carries CONTROL_TAG: finding it proves a search sees the data.
 */

export const MARKER = marker("ZQXMARKER");
export const EMAIL = `${marker("zqx.person.").toLowerCase()}@marker-example.test`;
/** Allowed ranges written to the IP restrictions (sealed: never found in clear). */
export const IP_RANGES = ["198.51.100.213/32", "2001:db8:5eed:ab1e::/64"];
export const CONTROL_TAG = marker("zqxtagcontrol").toLowerCase();
/**
 * Words of a ticket written for the search index, with what the index derives from them (stems,
 * accent-stripped forms, CJK bigrams): as substrings, "zqxwombat" covers zqxwombatings and its
 * stems. The index stores keyed hashes only, so none of these may be found.
 */
export const SEARCH_TEXT = { subject: "zqxwombatings zqxskrivarna", body: "zqxcafé 蝸牛印刷機 달팽이프린터", note: "zqxnotewords 蝸牛" };
export const SEARCH_NEEDLES = ["zqxwombat", "zqxskriv", "zqxcaf", "zqxnoteword", "蝸牛", "牛印", "달팽", "팽이"];
/**
 * A person's and an organization's name and address for the name index (search for people), with
 * the prefixes and words it derives from them (NAME_NEEDLES: never in clear either).
 */
export const NAME_TEXT = { name: "Zqxgivenname Zqxfamilyné 蝸牛太郎", email: "zqxlocalpart.zqxsecond@zqxmaildomain.test", org: "Zqxorgword Åkerholdings" };
export const NAME_NEEDLES = ["zqxgiven", "zqxfamil", "zqxlocal", "zqxsecond", "zqxmaildom", "zqxorgwo", "akerhold", "蝸牛太", "牛太郎"];
/** Authenticator secrets and passkey credential ids set up by writeEverything: credentials, never stored in clear. */
export const TOTP_SECRETS: string[] = [];

/** The app's settings for these tests: the inbound SMTP server on, jobs polled often. */
export const atRestEnv = { VAULTDESK_SMTP_LISTEN: "127.0.0.1:0", VAULTDESK_JOB_POLL_SECONDS: "0.1" };

/** A mail transport that accepts everything (these tests look at storage, not at mail). */
export const acceptingMailer = { available: true, send: async () => undefined, close: () => undefined };

export async function writeEverything(t: TestApp): Promise<string> {
  const a = await buildTenant(t, "rest");
  const org = await a.api("POST", "/api/v2/organizations.json", { organization: { name: `${MARKER} Org`, notes: `${MARKER} notes`, details: `${MARKER} details`, external_id: `${MARKER}-org`, domain_names: [`${MARKER.toLowerCase()}.example`] } });
  expect(org.status).toBe(201);
  const user = await a.api("POST", "/api/v2/users.json", { user: { name: `${MARKER} Person`, email: EMAIL, phone: "+1 555 0199 7", organization_id: org.body.organization.id, external_id: `${MARKER}-user` } });
  expect(user.status).toBe(201);
  // A change of address waiting for its confirmation link, an invitation, the team's name.
  expect((await a.api("PUT", `/api/v2/users/${user.body.user.id}.json`, { user: { email: `zqx.person.new.${Date.now()}@marker-example.test` } })).status).toBe(200);
  expect((await a.api("POST", "/api/v2/invitations.json", { invitation: { email: `zqx.person.invited.${Date.now()}@marker-example.test`, role: "agent" } })).status).toBe(201);
  expect((await a.api("PUT", "/api/v2/account.json", { account: { name: `${MARKER} Team` } })).status).toBe(200);
  // The owner grants support access with a reason (sealed).
  expect((await a.api("POST", "/api/v2/support_access.json", { support_access: { days: 2, level: "read_only", reason: `${MARKER} support reason` } })).status).toBe(201);
  // A view whose title and description name a customer (both sealed); its conditions hold ids and tags only.
  const view = await a.api("POST", "/api/v2/views.json", { view: { title: `${MARKER} view title`, description: `${MARKER} view description`, restriction: null, all: [{ field: "current_tags", operator: "includes", value: CONTROL_TAG }] } });
  expect(view.status, view.text).toBe(201);
  // A macro whose title, description and reply name a customer (all sealed, the reply inside the sealed actions).
  const macro = await a.api("POST", "/api/v2/macros.json", { macro: { title: `${MARKER} macro title`, description: `${MARKER} macro description`, restriction: null, actions: [{ field: "comment_value", value: `${MARKER} macro reply {{ticket.requester.first_name}}` }, { field: "current_tags", value: CONTROL_TAG }] } });
  expect(macro.status, macro.text).toBe(201);
  // A trigger whose title, description, word condition and mail text name a customer (all sealed); it never fires here (its tag is never set).
  const trigger = await a.api("POST", "/api/v2/triggers.json", {
    trigger: {
      title: `${MARKER} trigger title`,
      description: `${MARKER} trigger description`,
      conditions: { all: [{ field: "comment_includes_word", operator: "includes", value: MARKER }, { field: "current_tags", operator: "includes", value: "zqx_never_set" }] },
      actions: [{ field: "notification_user", value: ["requester_id", `${MARKER} trigger subject`, `${MARKER} trigger body`] }],
    },
  });
  expect(trigger.status, trigger.text).toBe(201);
  // An automation whose title, description, tag condition and mail text name a customer (all sealed); it never fires here (its first tag is never set).
  const automation = await a.api("POST", "/api/v2/automations.json", {
    automation: {
      title: `${MARKER} automation title`,
      description: `${MARKER} automation description`,
      conditions: { all: [{ field: "current_tags", operator: "includes", value: "zqx_never_set" }, { field: "current_tags", operator: "not_includes", value: MARKER.toLowerCase() }, { field: "created_at", operator: "greater_than", value: 1 }] },
      actions: [{ field: "remove_tags", value: "zqx_never_set" }, { field: "notification_user", value: ["requester_id", `${MARKER} automation subject`, `${MARKER} automation body`] }],
    },
  });
  expect(automation.status, automation.text).toBe(201);
  // An SLA policy whose title, description and filter (a tag) name a customer (all sealed); no ticket here matches it (its tag is never set).
  const sla = await a.api("POST", "/api/v2/slas/policies.json", {
    sla_policy: {
      title: `${MARKER} sla title`,
      description: `${MARKER} sla description`,
      filter: { all: [{ field: "current_tags", operator: "includes", value: `zqx_never_set ${MARKER.toLowerCase()}` }] },
      policy_metrics: [{ priority: "urgent", metric: "first_reply_time", target: 60, business_hours: false }],
    },
  });
  expect(sla.status, sla.text).toBe(201);
  // A business hours schedule and a holiday whose names name a customer (both sealed); the time zone, intervals and dates are in clear by design.
  const schedule = await a.api("POST", "/api/v2/business_hours/schedules.json", { schedule: { name: `${MARKER} schedule name`, time_zone: "Europe/Stockholm" } });
  expect(schedule.status, schedule.text).toBe(201);
  const scheduleHoliday = await a.api("POST", `/api/v2/business_hours/schedules/${schedule.body.schedule.id}/holidays.json`, { holiday: { name: `${MARKER} holiday name`, start_date: "2027-06-25", end_date: "2027-06-25" } });
  expect(scheduleHoliday.status, scheduleHoliday.text).toBe(201);
  const f = await a.api("POST", "/api/v2/ticket_fields.json", { ticket_field: { type: "text", title: "Account number" } });
  for (let i = 0; i < 3; i++) {
    const c = await a.api("POST", "/api/v2/tickets.json", {
      ticket: {
        subject: `${MARKER} subject ${i}`,
        comment: { body: `${MARKER} description ${i}` },
        requester_id: user.body.user.id,
        tags: [CONTROL_TAG],
        external_id: `${MARKER}-ext-${i}`,
        custom_fields: [{ id: f.body.ticket_field.id, value: `${MARKER} custom` }],
      },
    });
    expect(c.status).toBe(201);
    const u = await a.api("PUT", `/api/v2/tickets/${c.body.ticket.id}.json`, { ticket: { subject: `${MARKER} renamed ${i}`, comment: { body: `${MARKER} reply ${i}`, html_body: `<p>${MARKER} <b>html</b></p>` } } });
    expect(u.status).toBe(200);
  }
  // A satisfaction rating whose comment names the customer (sealed): the requester rates their solved ticket.
  expect((await a.api("PUT", "/api/v2/satisfaction_settings.json", { satisfaction_settings: { enabled: true } })).status).toBe(200);
  const rated = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: `${MARKER} rated`, comment: { body: `${MARKER} rated` }, requester_id: user.body.user.id, status: "solved" } });
  expect(rated.status, rated.text).toBe(201);
  const raterToken = await createTokenFor(t, a, user.body.user.id);
  const rating = await t.request({ method: "POST", path: `/api/v2/tickets/${rated.body.ticket.id}/satisfaction_rating.json`, host: a.host, headers: { authorization: "Basic " + Buffer.from(`${EMAIL}/token:${raterToken}`).toString("base64") }, body: { satisfaction_rating: { score: "bad", comment: `${MARKER} rating comment` } } });
  expect(rating.status, rating.text).toBe(200);
  // A merge: the source's subject and latest comment are quoted into the target's new comment.
  const mergeTarget = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: `${MARKER} merge target`, comment: { body: `${MARKER} target` }, requester_id: user.body.user.id } });
  const mergeSource = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: `${MARKER} merge source`, comment: { body: `${MARKER} source` } } });
  expect((await a.api("POST", `/api/v2/tickets/${mergeTarget.body.ticket.id}/merge.json`, { ids: [mergeSource.body.ticket.id] })).status).toBe(200);
  // A ticket for the search index: words whose stems, accents and CJK bigrams the index derives
  // (SEARCH_NEEDLES), in the subject, the description and an internal note; found by search.
  const indexed = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: SEARCH_TEXT.subject, comment: { body: SEARCH_TEXT.body } } });
  expect(indexed.status).toBe(201);
  expect((await a.api("PUT", `/api/v2/tickets/${indexed.body.ticket.id}.json`, { ticket: { comment: { body: SEARCH_TEXT.note, public: false } } })).status).toBe(200);
  for (const q of ["zqxwombat", "zqxskrivare", "zqxcafe", "蝸牛印刷", "달팽이", "zqxnotewords"]) {
    expect((await a.api("GET", `/api/v2/search.json?query=${encodeURIComponent(q)}`)).body.results.map((r: { id: number }) => r.id), q).toEqual([indexed.body.ticket.id]);
  }
  // A person and an organization for the name index (NAME_NEEDLES), found by prefixes of their words.
  const named = await a.api("POST", "/api/v2/users.json", { user: { name: NAME_TEXT.name, email: NAME_TEXT.email } });
  expect(named.status).toBe(201);
  const namedOrg = await a.api("POST", "/api/v2/organizations.json", { organization: { name: NAME_TEXT.org } });
  expect(namedOrg.status).toBe(201);
  for (const q of ["type:user zqxgiven*", "type:user zqxfamilyne", "type:user 蝸牛太", "type:user zqxmaildom*", "type:user email:zqxlocalpart.zqxsecond@zqxmaildomain.test"]) {
    expect((await a.api("GET", `/api/v2/search.json?query=${encodeURIComponent(q)}`)).body.results.map((r: { id: number }) => r.id), q).toEqual([named.body.user.id]);
  }
  expect((await a.api("GET", `/api/v2/search.json?query=${encodeURIComponent("type:organization zqxorgw* aker*")}`)).body.results.map((r: { id: number }) => r.id)).toEqual([namedOrg.body.organization.id]);
  // A session from a browser whose User-Agent header carries the marker (stored sealed).
  const s = await t.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email: a.ownerEmail, password: a.ownerPassword }, headers: { "user-agent": `Mozilla/5.0 (${MARKER}) Firefox/133.0` } });
  expect(s.status).toBe(201);
  // The owner sets up two-factor sign-in: the authenticator's secret is stored sealed (TOTP_SECRETS: searched for too).
  const session = { cookie: (s.headers["set-cookie"] as string[]).find((c) => c.startsWith("vd_session="))!.split(";")[0]!, "x-csrf-token": s.body.session.csrf_token };
  const enrol = await t.request({ method: "POST", path: "/api/v2/users/me/two_factor/totp.json", host: a.host, headers: session });
  expect(enrol.status, enrol.text).toBe(201);
  TOTP_SECRETS.push(enrol.body.totp.secret);
  // The owner adds a passkey under a marked name: its credential id, public key and name are stored sealed.
  const authenticator = new SoftAuthenticator();
  const pkOptions = await t.request({ method: "POST", path: "/api/v2/users/me/passkeys/options.json", host: a.host, headers: session });
  expect(pkOptions.status, pkOptions.text).toBe(200);
  const registration = authenticator.register(pkOptions.body.options, { origin: a.origin });
  const pk = await t.request({ method: "POST", path: "/api/v2/users/me/passkeys.json", host: a.host, headers: session, body: { passkey: { name: `${MARKER} passkey`, credential: registration } } });
  expect(pk.status, pk.text).toBe(201);
  TOTP_SECRETS.push(registration.id);
  // The help center: consent text, an anonymous request from a new person, its consent record.
  const hc = await a.api("PUT", "/api/v2/help_center/settings.json", { settings: { consent_required: true, consent_text: `${MARKER} consent text`, consent_texts: { ja: `${MARKER} 同意テキスト`, sv: `${MARKER} samtycke` } } });
  expect(hc.status).toBe(200);
  const r = await t.request({
    method: "POST",
    path: "/api/v2/requests.json",
    host: a.host,
    body: { request: { subject: `${MARKER} request`, comment: { body: `${MARKER} request body` }, requester: { name: `${MARKER} Requester`, email: `hc.${EMAIL}` }, consent: { accepted: true, version: hc.body.settings.consent_version }, locale: "ja" } },
  });
  expect(r.status).toBe(201);
  // A file whose name and bytes carry the marker, attached to a comment; a scanner's finding (sealed).
  // Every call made with the owner's API token records its last use: api_tokens.last_used_ip (sealed).
  const up = await t.request({ method: "POST", path: `/api/v2/uploads.json?filename=${encodeURIComponent(`${MARKER} scan.txt`)}`, host: a.host, rawBody: Buffer.from(`${MARKER} file body ${EMAIL}\n`.repeat(200)), headers: { "content-type": "text/plain", authorization: "Basic " + Buffer.from(`${a.ownerEmail}/token:${a.ownerToken}`).toString("base64") } });
  expect(up.status, up.text).toBe(201);
  expect((await a.api("PUT", "/api/v2/tickets/1.json", { ticket: { comment: { body: "attached", uploads: [up.body.upload.token] } } })).status).toBe(200);
  await t.db.tenant(a.tenantId, async (tx) => {
    const sealer = await t.keyring.sealerFor(tx);
    const id = (await tx.db.selectFrom("attachments").select("id").executeTakeFirstOrThrow()).id;
    await tx.db.updateTable("attachments").set({ scan_result_sealed: sealer.seal(`${MARKER}.Signature`, { table: "attachments", column: "scan_result", row: id }) }).where("id", "=", id).execute();
  });
  // Inbound mail: a support address of the team's own, a blocked domain, a message that became a
  // ticket and one held as spam (suspended: subject, content, author, recipient), both stored sealed.
  expect((await a.api("POST", "/api/v2/recipient_addresses.json", { recipient_address: { email: `help.${EMAIL}`, name: `${MARKER} Desk` } })).status).toBe(201);
  expect((await a.api("PUT", "/api/v2/mail_settings.json", { settings: { blocklist: [`@${MARKER.toLowerCase()}.example`] } })).status).toBe(200);
  const smtpPort = t.app.smtpIn!.port;
  for (const spam of [false, true]) {
    const raw = message({
      from: `${MARKER} Sender <mail.${EMAIL}>`,
      to: supportOf(a),
      subject: `${MARKER} mail subject`,
      text: `${MARKER} mail body ${EMAIL}`,
      headers: spam ? ["X-Spam-Flag: YES"] : [],
      files: [{ name: `${MARKER} mailed.txt`, type: "text/plain", content: Buffer.from(`${MARKER} mailed file ${EMAIL}\n`.repeat(100)) }],
    });
    expect((await send(smtpPort, { from: `mail.${EMAIL}`, to: [supportOf(a)] }, raw)).rejected).toEqual([]);
  }
  expect((await settled(t, a, 2)).map((x) => x.state).sort()).toEqual(["suspended", "ticket"]);
  // Jobs: a bulk change carrying content (run at once), and one still queued when the data is read.
  // A DKIM key for a domain named with the marker (the domain and the private key are sealed).
  expect((await a.api("POST", "/api/v2/dkim_keys.json", { dkim_key: { domain: `${MARKER.toLowerCase()}.example` } })).status).toBe(201);
  // An admin's notification text, and a notification the mail server never took.
  expect((await a.api("PUT", "/api/v2/notification_templates/public_reply/en.json", { notification_template: { subject: `${MARKER} subject {{ticket.title}}`, body: `${MARKER} body {{comment}}` } })).status).toBe(200);
  await t.db.tenant(a.tenantId, async (tx) => {
    const sealer = await t.keyring.sealerFor(tx);
    const id = crypto.randomUUID();
    await tx.db.insertInto("undelivered_mail").values({ tenant_id: a.tenantId, id, message_sealed: sealer.sealJson({ to: EMAIL, subject: `${MARKER} undelivered`, text: `${MARKER} text`, language: "en" }, { table: "undelivered_mail", column: "message", row: id }), attempts: 3, failed_at: new Date() }).execute();
  });
  // Single sign-on: a provider's settings (a client secret), a pending request (nonce, return path),
  // and a person's subject at the provider, created just in time.
  await t.db.tenant(a.tenantId, async (tx) => {
    const owner = await tx.db.selectFrom("users").select(["id", "nice_id"]).where("role", "=", "owner").executeTakeFirstOrThrow();
    const base = { tx, sealer: await t.keyring.sealerFor(tx), requestId: "rest", now: () => new Date() };
    const asOwner = makeContext({ ...base, actor: userActor({ id: owner.id, niceId: owner.nice_id, role: "owner", customRole: null }, "token") });
    await saveProvider(asOwner, "oidc", { enabled: true, config: { issuer: `https://${MARKER.toLowerCase()}.example`, client_secret: `${MARKER}-client-secret` }, trust: { before: [], after: [] } });
    await updateSsoSettings(asOwner, { end_user_provider: "oidc" });
    const anonymous = makeContext({ ...base, actor: { kind: "anonymous" } });
    await beginRequest({ keyring: t.keyring }, anonymous, "oidc", `${MARKER}-state`, { nonce: `${MARKER}-nonce`, return_to: `/${MARKER}` });
    const signedIn = await signInWithProvider({ keyring: t.keyring, config: t.config }, anonymous, "oidc", { subject: `${MARKER}-subject`, email: `sso.${EMAIL}`, name: `${MARKER} SSO`, attributes: {}, providerVersion: (await readProvider(anonymous, "oidc"))!.updatedAt });
    expect("session" in signedIn).toBe(true);
  });
  // SAML: settings naming the marker (an IdP certificate issued to it), and an answer the ACS accepted
  // whose last step never came: the proven identity waits, sealed, under its one-time token.
  const samlKeys = makeKeyPair(`${MARKER} IdP`);
  const samlIdp = `https://${MARKER.toLowerCase()}.example/idp`;
  const saml = await a.api("PUT", "/api/v2/sso/saml.json", { saml: { enabled: true, idp_entity_id: samlIdp, idp_sso_url: `${samlIdp}/sso`, idp_certificates: [samlKeys.cert], name_attribute: "displayName" } });
  expect(saml.status, saml.text).toBe(200);
  const samlStart = await t.request({ method: "GET", path: `/access/saml/login?return_to=${encodeURIComponent(`/${MARKER}-saml`)}`, host: a.host });
  const acsUrl = saml.body.saml.acs_url as string;
  const samlAnswer = encode(
    responseXml({ issuer: samlIdp, audience: saml.body.saml.sp_entity_id, recipient: acsUrl, destination: acsUrl, inResponseTo: requestIdOf(samlStart.headers.location!), nameId: `saml.${EMAIL}`, email: `saml.${EMAIL}`, name: `${MARKER} SAML`, sign: { key: samlKeys, parts: "assertion" } }),
  );
  const acsPosted = await t.request({ method: "POST", path: "/access/saml", host: a.host, rawBody: new URLSearchParams({ SAMLResponse: samlAnswer }).toString(), headers: { "content-type": "application/x-www-form-urlencoded" } });
  expect(acsPosted.status, acsPosted.text).toBe(303);
  // IP restrictions: ranges (an admin's home address is personal data), stored but not turned on.
  const ranges = await a.api("PUT", "/api/v2/ip_restrictions.json", { ip_restriction: { enabled: false, allowed_ips: IP_RANGES.join(" ") } });
  expect(ranges.status, ranges.text).toBe(200);
  // A legal hold whose reason names a person.
  const held = await a.api("POST", "/api/v2/legal_holds.json", { legal_hold: { target_type: "ticket", target_id: 1, reason: `${MARKER} claim by ${EMAIL}` } });
  expect(held.status, held.text).toBe(201);
  // A restriction of processing whose reason names a person (sealed: users.restriction_reason).
  const requester = (await a.api("GET", "/api/v2/tickets/1.json")).body.ticket.requester_id as number;
  const restricted = await a.api("PUT", `/api/v2/users/${requester}/restriction.json`, { restriction: { restricted: true, reason: `${MARKER} objection by ${EMAIL}` } });
  expect(restricted.status, restricted.text).toBe(200);
  // A data subject request from an address not known yet, with notes naming the person, verified, worked on and completed.
  const dsr = await a.api("POST", "/api/v2/data_subject_requests.json", { data_subject_request: { type: "erasure", email: `dsr.${EMAIL}`, note: `${MARKER} asks to be forgotten` } });
  expect(dsr.status, dsr.text).toBe(201);
  const dsrPath = `/api/v2/data_subject_requests/${dsr.body.data_subject_request.id}`;
  expect((await a.api("POST", `${dsrPath}/verify.json`, { verification: { method: "id_document", note: `${MARKER} passport checked` } })).status).toBe(200);
  expect((await a.api("PUT", `${dsrPath}.json`, { data_subject_request: { status: "in_progress" } })).status).toBe(200);
  expect((await a.api("PUT", `${dsrPath}.json`, { data_subject_request: { status: "completed", note: `${MARKER} erased ${EMAIL}` } })).status).toBe(200);
  const bulk = await a.api("PUT", "/api/v2/tickets/update_many.json?ids=1,2", { ticket: { comment: { body: `${MARKER} bulk note`, public: false } } });
  expect(bulk.status).toBe(200);
  expect((await waitForJob(a, bulk.body.job_status.id)).status).toBe("completed");
  const later = await t.db.tenant(a.tenantId, async (tx) => {
    const ctx = makeContext({ tx, sealer: await t.keyring.sealerFor(tx), actor: { kind: "system" }, requestId: "rest", now: () => new Date() });
    return enqueueJob(ctx, { type: "mail", total: 1, payload: { to: EMAIL, subject: `${MARKER} subject`, text: `${MARKER} text`, language: "en", notAfter: null }, createdBy: null, maxAttempts: 1, runAfter: new Date(Date.now() + 86_400_000) });
  });
  const queued = await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("job_statuses").select(["status", "payload_sealed"]).where("id", "=", later).executeTakeFirstOrThrow());
  expect(queued.status).toBe("queued");
  expect(queued.payload_sealed).not.toBeNull();
  // Data exports left in the blob store, ready and not downloaded: the marked person's ZIP (their
  // tickets, the attached file) and the account's tickets as CSV. Stored sealed, never in clear.
  const exported = [
    { url: `/api/v2/users/${user.body.user.id}/data_exports.json`, key: "data_export", show: "data_exports" },
    { url: "/api/v2/exports.json", key: "export", show: "exports", body: { export: { resource: "tickets", format: "csv" } } },
  ];
  for (const x of exported) {
    const r = await a.api("POST", x.url, x.body);
    expect(r.status, r.text).toBe(202);
    for (let i = 0; ; i++) {
      const e = (await a.api("GET", `/api/v2/${x.show}/${r.body[x.key].id}.json`)).body[x.key];
      if (e.status === "ready") break;
      if (e.status === "failed" || i > 1500) throw new Error(`export ${x.show} ${e.status}`);
      await new Promise((res) => setTimeout(res, 20));
    }
  }
  const exportFiles = fs.readdirSync(path.join(t.config.blobDir, a.tenantId, "exports"));
  expect(exportFiles).toHaveLength(2);
  for (const f of exportFiles) {
    // A ZIP names its entries in clear (its text is compressed): neither a name nor the marker may show.
    const stored = fs.readFileSync(path.join(t.config.blobDir, a.tenantId, "exports", f));
    for (const needle of ["manifest.json", "tickets.csv", MARKER, "subject"]) expect(stored.includes(Buffer.from(needle)), needle).toBe(false);
  }
  return a.tenantId;
}

/** The test wrote through every sealed column the schema declares (so a new one cannot be missed). */
export async function expectEverySealedColumnWritten(t: TestApp, tenantId: string) {
  const empty: string[] = [];
  await t.db.tenant(tenantId, async (tx) => {
    for (const name of declaredSealedColumns()) {
      const [table, column] = name.split(".") as [string, string];
      const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(table)} WHERE ${sql.ref(column)} IS NOT NULL`.execute(tx.db);
      if (r.rows[0]!.n === 0) empty.push(name);
    }
  });
  expect(empty, "sealed columns this test never wrote").toEqual([]);
}

export function expectAbsent(haystack: Buffer, where: string) {
  for (const needle of [MARKER, MARKER.toLowerCase(), EMAIL, "zqx.person", ...TOTP_SECRETS, ...IP_RANGES, ...SEARCH_NEEDLES, ...NAME_NEEDLES]) {
    expect(haystack.includes(Buffer.from(needle, "utf8")), `${needle} found in ${where}`).toBe(false);
    expect(haystack.includes(Buffer.from(needle, "utf16le")), `${needle} (UTF-16) found in ${where}`).toBe(false);
  }
}

/** The control value, stored in clear by design, is in `haystack`: the search saw the data. */
export function expectControlFound(haystack: Buffer, where: string) {
  expect(haystack.includes(Buffer.from(CONTROL_TAG)), `control tag must be found in ${where}`).toBe(true);
}
