import crypto from "node:crypto";
import { Writable } from "node:stream";
import * as jose from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registeredRoutes } from "../src/platform/http/route.ts";
import { buildTenant, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { message, send, settled, supportOf } from "./support/mail-in.ts";
import { linkTo, startSmtpPeer, type SmtpPeer } from "./support/smtp-peer.ts";
import { asSession, cookieOf, jobsSettled } from "./support/people.ts";
import { Secret, TOTP } from "otpauth";
import { SoftAuthenticator } from "./support/webauthn-authenticator.ts";
import { startRogueIssuer, type RogueIssuer } from "./support/oidc-idp.ts";
import { makeKeyPair } from "./support/simplesamlphp.ts";
import { decode, encode, requestIdOf, responseXml } from "./support/saml-forge.ts";
import { marker } from "./support/markers.ts";

/**
 * A marker, an e-mail address, a phone number, a card number and the API token go through every
 * route (bodies, query strings, path segments, headers, error paths); none may reach the logs.
 */
const MARK = marker("ZQLOG");
const EMAIL = `${MARK.toLowerCase()}@log-marker.test`;
const PHONE = "+1 555 0123 987";
const CARD = "4111 1111 1111 1111";

let t: TestApp;
let a: TestTenant;
let smtp: SmtpPeer;
let RESET_TOKEN = "";
let ROTATED_TOKEN = "";
let SESSION_COOKIE = "";
/** Two-factor sign-in: the authenticator's secret, a sign-in challenge and the recovery codes. */
let TOTP_SECRET = "";
let CHALLENGE = "";
let RECOVERY: string[] = [];
/** The recovery codes renewed with a passkey. */
let RENEWED: string[] = [];
/** Passkeys: WebAuthn challenges, the credential id, signatures, a second sign-in challenge. */
const WEBAUTHN: string[] = [];
/** A signed SAML response naming the marker's address. */
let SAML_RESPONSE = "";
/** Its completion link (a one-time token) and the browser's binding secret. */
let SAML_COMPLETE = "";
let SAML_BINDING = "";
/** Not the marker: the policy refuses a password that contains the e-mail name (the marker). */
// A digit always (the policy asks for one; a time in base 36 may have none).
const RESET_PASSWORD = `Pw-${Date.now().toString(36)}-Reset-Value-7`;
const lines: string[] = [];
/** Single sign-on: the shared and client secrets, the JWTs sent, the OpenID Connect code, state, nonce and ID token. */
const JWT_SECRET = crypto.randomBytes(32).toString("base64url");
const OIDC_SECRET = crypto.randomBytes(24).toString("base64url");
const CODE = `code-${crypto.randomBytes(16).toString("hex")}`;
let GENERATED_SECRET = "";
let STATE = "";
let NONCE = "";
let ID_TOKEN = "";
const JWTS: string[] = [];
let rogue: RogueIssuer;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString("utf8"));
      cb();
    },
  });
  smtp = await startSmtpPeer();
  t = await startTestApp({ logStream: sink, env: { VAULTDESK_SMTP_URL: smtp.url, VAULTDESK_SMTP_LISTEN: "127.0.0.1:0", VAULTDESK_JOB_POLL_SECONDS: "0.1", VAULTDESK_SMTP_MAX_BYTES: "100000" } });
  a = await buildTenant(t, "logs");
  rogue = await startRogueIssuer();
});
afterAll(async () => {
  await rogue?.close();
  await t?.close();
  await smtp?.close();
});

function fill(url: string): string {
  return url.replace(/:id/g, encodeURIComponent(`${MARK}${EMAIL}`));
}

describe("logs", () => {
  it("never contain content, personal data, card numbers or credentials", async () => {
    // Successful writes that carry every kind of sensitive value.
    const org = await a.api("POST", "/api/v2/organizations.json", { organization: { name: `${MARK} org`, notes: `${CARD} ${PHONE}` } });
    const user = await a.api("POST", "/api/v2/users.json", { user: { name: `${MARK} user`, email: EMAIL, phone: PHONE, organization_id: org.body.organization.id } });
    const ticket = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: `${MARK} ${CARD}`, comment: { body: `${MARK} ${EMAIL} ${PHONE} ${CARD}` }, requester_id: user.body.user.id } });
    expect(ticket.status).toBe(201);
    await a.api("PUT", `/api/v2/tickets/${ticket.body.ticket.id}.json`, { ticket: { comment: { body: `${MARK} ${CARD}` } } });
    // A file whose name and bytes are sensitive: uploaded, attached, downloaded, refused.
    const auth = { authorization: `Basic ${Buffer.from(`${a.ownerEmail}/token:${a.ownerToken}`).toString("base64")}` };
    const up = await t.request({ method: "POST", path: `/api/v2/uploads.json?filename=${encodeURIComponent(`${MARK} ${EMAIL}.txt`)}`, host: a.host, rawBody: Buffer.from(`${MARK} ${CARD}`), headers: { ...auth, "content-type": "text/plain" } });
    expect(up.status).toBe(201);
    await a.api("PUT", `/api/v2/tickets/${ticket.body.ticket.id}.json`, { ticket: { comment: { body: "file", uploads: [up.body.upload.token] } } });
    const link = new URL((await a.api("GET", `/api/v2/attachments/${up.body.upload.attachment.id}.json`)).body.attachment.content_url);
    expect((await t.request({ method: "GET", path: link.pathname + link.search, host: a.host, headers: auth })).status).toBe(200);
    expect((await t.request({ method: "POST", path: `/api/v2/uploads.json?filename=${encodeURIComponent(`${MARK}.exe`)}`, host: a.host, rawBody: Buffer.from(`MZ${MARK}`), headers: { ...auth, "content-type": "application/octet-stream" } })).status).toBe(422);
    await a.api("GET", `/api/v2/users/search.json?query=${encodeURIComponent(EMAIL)}`);
    await a.api("GET", `/api/v2/search.json?query=${encodeURIComponent(`requester:${EMAIL}`)}`);
    await a.api("GET", `/api/v2/search.json?query=${encodeURIComponent(`${MARK} ${CARD}`)}`); // 422: free text
    // People and organizations by name and address: found (200), counted, and refused (422), never logged by value.
    await a.api("GET", `/api/v2/search.json?query=${encodeURIComponent(`type:user ${MARK.slice(0, 8)}* email:${EMAIL}`)}`);
    await a.api("GET", `/api/v2/search/count.json?query=${encodeURIComponent(`type:organization ${MARK}*`)}`);
    await a.api("GET", `/api/v2/search.json?query=${encodeURIComponent(`type:organization email:${EMAIL}`)}`); // 422
    await a.api("GET", `/api/v2/users/search.json?query=${encodeURIComponent(`${MARK.slice(0, 8)} ${EMAIL.slice(0, 12)}`)}`);
    await a.api("GET", `/api/v2/users/autocomplete.json?name=${encodeURIComponent(MARK)}`);
    await a.api("GET", `/api/v2/organizations/autocomplete.json?name=${encodeURIComponent(MARK)}`);
    await a.api("GET", `/api/v2/organizations/search.json?name=${encodeURIComponent(`${MARK} ${CARD}`)}`);
    await t.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email: EMAIL, password: `${MARK}-password` } }); // 401
    await t.request({ method: "POST", path: "/api/v2/tickets.json", host: a.host, rawBody: `{"ticket":{"subject":"${MARK}"`, headers: { authorization: `Bearer ${a.ownerToken}` } }); // 400
    await t.request({ method: "GET", path: "/api/v2/users/me.json", host: a.host, headers: { authorization: `Bearer ${MARK}${a.ownerToken}` } }); // 401
    await t.request({ method: "GET", path: `/api/v2/users/me.json?email=${encodeURIComponent(EMAIL)}`, host: `${MARK.toLowerCase()}.localhost` }); // 404 host
    // Password reset: asked for the marked address and for the owner's, then a marked link and password
    // refused, and the owner's real link used with a marked password (the link itself must not be logged).
    expect((await t.request({ method: "POST", path: "/api/v2/password_resets.json", host: a.host, body: { email: EMAIL } })).status).toBe(202);
    await jobsSettled(t, a.tenantId);
    await t.db.tenant(a.tenantId, (tx) => tx.db.updateTable("users").set({ password_hash: "$argon2id$v=19$m=19456,t=2,p=1$placeholder$placeholder" }).where("nice_id", "=", user.body.user.id).execute());
    expect((await t.request({ method: "POST", path: "/api/v2/password_resets.json", host: a.host, body: { email: EMAIL } })).status).toBe(202);
    expect((await t.request({ method: "POST", path: "/api/v2/password_resets/redeem.json", host: a.host, body: { token: `vdr_${MARK}`, password: `${MARK}-password` } })).status).toBe(422);
    const resetMail = await smtp.waitFor(EMAIL, { match: (m) => /\/reset-password\?token=/.test(m.text || "") });
    RESET_TOKEN = new URL(linkTo(resetMail, "/reset-password")).searchParams.get("token")!;
    const used = await t.request({ method: "POST", path: "/api/v2/password_resets/redeem.json", host: a.host, body: { token: RESET_TOKEN, password: RESET_PASSWORD } });
    expect(used.status, used.text).toBe(200);
    // Sessions: a sign-in from a marked browser, its device list, ending it, the session settings.
    const signedIn = await t.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email: EMAIL, password: RESET_PASSWORD }, headers: { "user-agent": `Mozilla/5.0 (${MARK}; ${EMAIL}) Firefox/133.0` } });
    expect(signedIn.status, signedIn.text).toBe(201);
    const session = { cookie: cookieOf(signedIn.headers), csrf: signedIn.body.session.csrf_token as string };
    SESSION_COOKIE = session.cookie.split("=")[1]!;
    expect((await asSession(t, a, session, "GET", "/api/v2/users/me/sessions.json")).status).toBe(200);
    expect((await a.api("GET", `/api/v2/users/${user.body.user.id}/sessions.json`)).status).toBe(200);
    expect((await a.api("PUT", "/api/v2/session_settings.json", { session_settings: { idle_minutes: 15 } })).status).toBe(200);
    // Data subject requests: an address and notes with the marker, through every step and the evidence; the person's own request.
    const dsr = await a.api("POST", "/api/v2/data_subject_requests.json", { data_subject_request: { type: "erasure", email: `other.${EMAIL}`, note: `${MARK} ${PHONE} ${CARD}` } });
    expect(dsr.status, dsr.text).toBe(201);
    const dsrPath = `/api/v2/data_subject_requests/${dsr.body.data_subject_request.id}`;
    expect((await a.api("POST", `${dsrPath}/verify.json`, { verification: { method: "id_document", note: `${MARK} passport` } })).status).toBe(200);
    expect((await a.api("PUT", `${dsrPath}.json`, { data_subject_request: { status: "in_progress", note: `${MARK} ${EMAIL}` } })).status).toBe(200);
    expect((await a.api("PUT", `${dsrPath}.json`, { data_subject_request: { status: "completed" } })).status).toBe(422);
    expect((await a.api("GET", `${dsrPath}/evidence.json`)).status).toBe(200);
    expect((await asSession(t, a, session, "POST", "/api/v2/users/me/data_subject_requests.json", { data_subject_request: { type: "access", note: `${MARK} ${CARD}` } })).status).toBe(201);
    // Search languages changed: the index of the marked tickets is rebuilt by a job.
    expect((await a.api("PUT", "/api/v2/search_settings.json", { search_settings: { languages: ["english", "german"] } })).status).toBe(200);
    await jobsSettled(t, a.tenantId);
    // API tokens: one rotated (its new secret answered once), used from a marked address, and password
    // access turned on, then a marked password and the real one sent as Basic credentials.
    const rotating = await a.api("POST", "/api/v2/api_tokens.json", { api_token: { name: `${MARK} token`, scopes: ["tickets:read", "read"] } });
    const rotated = await a.api("POST", `/api/v2/api_tokens/${rotating.body.api_token.id}/rotate.json`, { overlap_hours: 1 });
    expect(rotated.status, rotated.text).toBe(200);
    ROTATED_TOKEN = rotated.body.api_token.token;
    expect((await t.request({ method: "GET", path: "/api/v2/tickets.json", host: a.host, headers: { authorization: `Bearer ${ROTATED_TOKEN}` } })).status).toBe(200);
    expect((await a.api("PUT", "/api/v2/api_settings.json", { api_settings: { password_access: true } })).status).toBe(200);
    const byPassword = (password: string) => t.request({ method: "GET", path: "/api/v2/users/me.json", host: a.host, headers: { authorization: `Basic ${Buffer.from(`${EMAIL}:${password}`).toString("base64")}` } });
    expect((await byPassword(`${MARK}-api-password`)).status).toBe(401);
    expect((await byPassword(RESET_PASSWORD)).status).toBe(200);
    expect((await a.api("DELETE", `/api/v2/users/${user.body.user.id}/sessions.json`)).status).toBe(204);

    // Two-factor sign-in: the owner enrols (the secret and recovery codes are answered), signs in
    // again (a challenge, a marked wrong code, a recovery code), and new codes are made.
    const owner = await t.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email: a.ownerEmail, password: a.ownerPassword } });
    expect(owner.status).toBe(201);
    const ownerSession = { cookie: cookieOf(owner.headers), "x-csrf-token": owner.body.session.csrf_token };
    const enrol = await t.request({ method: "POST", path: "/api/v2/users/me/two_factor/totp.json", host: a.host, headers: ownerSession });
    TOTP_SECRET = enrol.body.totp.secret;
    const totp = new TOTP({ secret: Secret.fromBase32(TOTP_SECRET) });
    const confirmed = await t.request({ method: "POST", path: "/api/v2/users/me/two_factor/totp/confirm.json", host: a.host, headers: ownerSession, body: { code: totp.generate() } });
    expect(confirmed.status, confirmed.text).toBe(200);
    RECOVERY = confirmed.body.recovery_codes;
    const step1 = await t.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email: a.ownerEmail, password: a.ownerPassword } });
    expect(step1.status).toBe(202);
    CHALLENGE = step1.body.challenge;
    expect((await t.request({ method: "POST", path: "/api/v2/session/two_factor.json", host: a.host, body: { challenge: CHALLENGE, code: `${MARK}-${CARD}` } })).status).toBe(401);
    expect((await t.request({ method: "POST", path: "/api/v2/session/two_factor.json", host: a.host, body: { challenge: CHALLENGE, code: RECOVERY[0] } })).status).toBe(201);
    expect((await t.request({ method: "POST", path: "/api/v2/session/two_factor.json", host: a.host, body: { challenge: CHALLENGE, code: RECOVERY[1] } })).status).toBe(401);
    expect((await t.request({ method: "POST", path: "/api/v2/users/me/two_factor/recovery_codes.json", host: a.host, headers: ownerSession, body: { code: RECOVERY[2] } })).status).toBe(201);

    // Passkeys: the owner adds one under a marked name, signs in with it alone (then replays it),
    // and uses it as the second factor after the password.
    const pk = new SoftAuthenticator();
    const regOptions = await t.request({ method: "POST", path: "/api/v2/users/me/passkeys/options.json", host: a.host, headers: ownerSession });
    expect(regOptions.status, regOptions.text).toBe(200);
    const registration = pk.register(regOptions.body.options, { origin: a.origin });
    expect((await t.request({ method: "POST", path: "/api/v2/users/me/passkeys.json", host: a.host, headers: ownerSession, body: { passkey: { name: `${MARK} ${EMAIL}`, credential: registration } } })).status).toBe(201);
    const pwl = (await t.request({ method: "POST", path: "/api/v2/session/passkey/options.json", host: a.host })).body.options;
    const assertion = pk.assert(pwl, { origin: a.origin });
    expect((await t.request({ method: "POST", path: "/api/v2/session/passkey.json", host: a.host, body: { credential: assertion } })).status).toBe(201);
    expect((await t.request({ method: "POST", path: "/api/v2/session/passkey.json", host: a.host, body: { credential: assertion } })).status).toBe(401);
    const step2 = await t.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email: a.ownerEmail, password: a.ownerPassword } });
    expect(step2.body.methods).toEqual(["totp", "passkey"]);
    const sfo = (await t.request({ method: "POST", path: "/api/v2/session/two_factor/passkey/options.json", host: a.host, body: { challenge: step2.body.challenge } })).body.options;
    const second = pk.assert(sfo, { origin: a.origin });
    expect((await t.request({ method: "POST", path: "/api/v2/session/two_factor/passkey.json", host: a.host, body: { challenge: step2.body.challenge, credential: second } })).status).toBe(201);
    // New recovery codes with the passkey as the proof (then the same answer replayed).
    const rco = await t.request({ method: "POST", path: "/api/v2/users/me/two_factor/recovery_codes/passkey/options.json", host: a.host, headers: ownerSession });
    expect(rco.status, rco.text).toBe(200);
    const renewal = pk.assert(rco.body.options, { origin: a.origin });
    const renewed = await t.request({ method: "POST", path: "/api/v2/users/me/two_factor/recovery_codes/passkey.json", host: a.host, headers: ownerSession, body: { credential: renewal } });
    expect(renewed.status, renewed.text).toBe(201);
    RENEWED = renewed.body.recovery_codes;
    expect((await t.request({ method: "POST", path: "/api/v2/users/me/two_factor/recovery_codes/passkey.json", host: a.host, headers: ownerSession, body: { credential: renewal } })).status).toBe(422);
    WEBAUTHN.push(regOptions.body.options.challenge, pwl.challenge, sfo.challenge, step2.body.challenge, registration.id, registration.response.attestationObject, assertion.response.signature, second.response.signature, rco.body.options.challenge, renewal.response.signature);

    // Inbound mail carrying every kind of sensitive value in its addresses, subject and body: a
    // ticket, a suspended one recovered, a refused recipient, a message over the size limit, the
    // original downloaded, a support address with its forwarding check.
    const smtpPort = t.app.smtpIn!.port;
    const mailFrom = `mail.${EMAIL}`;
    const raw = (extra: string[]) => message({ from: `${MARK} Person <${mailFrom}>`, to: supportOf(a), cc: `cc.${EMAIL}`, subject: `${MARK} ${CARD}`, text: `${MARK} ${EMAIL} ${PHONE} ${CARD}`, headers: extra, files: [{ name: `${MARK} ${EMAIL}.txt`, type: "text/plain", content: Buffer.from(`${MARK} ${CARD}`) }, { name: `${MARK}.exe`, type: "application/octet-stream", content: Buffer.from(`MZ${MARK}`) }] });
    expect((await send(smtpPort, { from: mailFrom, to: [supportOf(a)] }, raw([]))).rejected).toEqual([]);
    expect((await send(smtpPort, { from: mailFrom, to: [supportOf(a)] }, raw(["X-Spam-Flag: YES"]))).rejected).toEqual([]);
    expect((await send(smtpPort, { from: mailFrom, to: [`${MARK.toLowerCase()}@${EMAIL.split("@")[1]}`] }, raw([]))).code).toBe(550);
    expect((await send(smtpPort, { from: mailFrom, to: [supportOf(a)] }, raw([]) + `${MARK} ${CARD}\r\n`.repeat(1_200_000 / 40))).code).toBe(552);
    await settled(t, a, 2);
    const held = (await a.api("GET", "/api/v2/suspended_tickets.json")).body.suspended_tickets[0];
    expect((await a.api("PUT", `/api/v2/suspended_tickets/${held.id}/recover.json`)).status).toBe(200);
    const mailed = (await a.api("GET", "/api/v2/tickets.json")).body.tickets.find((x: { via: { channel: string } }) => x.via.channel === "email");
    const firstComment = (await a.api("GET", `/api/v2/tickets/${mailed.id}/comments.json`)).body.comments[0].id;
    // The original held a card number, so it was not kept (410): card numbers are masked on the way in.
    expect((await a.api("GET", `/api/v2/tickets/${mailed.id}/comments/${firstComment}/original.json`)).status).toBe(410);
    expect((await a.api("POST", "/api/v2/recipient_addresses.json", { recipient_address: { email: `desk.${EMAIL}`, name: `${MARK} desk` } })).status).toBe(201);
    expect((await a.api("PUT", "/api/v2/mail_settings.json", { settings: { blocklist: [`block.${EMAIL}`] } })).status).toBe(200);

    {
      // Single sign-on. JWT: the settings with a shared secret, a generated one, sign-ins by GET and by
      // form POST, a replay and a wrong signature. OpenID Connect against a rogue issuer: the settings
      // with a client secret, the start (state, nonce), the callback with a code, the ID token.
      expect((await a.api("PUT", "/api/v2/sso/jwt.json", { jwt: { enabled: true, remote_login_url: "https://app.customer.test/login", shared_secret: JWT_SECRET } })).status).toBe(200);
      const generated = await a.api("POST", "/api/v2/sso/jwt/secret.json");
      expect(generated.status).toBe(201);
      GENERATED_SECRET = generated.body.shared_secret;
      expect((await a.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { end_user_provider: "jwt" } })).status).toBe(200);
      const jwtFor = (secret: string) => new jose.SignJWT({ iat: Math.floor(Date.now() / 1000), jti: crypto.randomUUID(), email: `jwt.${EMAIL}`, name: `${MARK} Jay` }).setProtectedHeader({ alg: "HS256" }).sign(new TextEncoder().encode(secret));
      const jwtGet = await jwtFor(GENERATED_SECRET);
      JWTS.push(jwtGet);
      expect((await t.request({ method: "GET", path: `/access/jwt?jwt=${jwtGet}&return_to=${encodeURIComponent(`/${MARK}`)}`, host: a.host })).status).toBe(303);
      expect((await t.request({ method: "GET", path: `/access/jwt?jwt=${jwtGet}`, host: a.host })).status).toBe(401);
      const jwtPost = await jwtFor(JWT_SECRET);
      JWTS.push(jwtPost);
      expect((await t.request({ method: "POST", path: "/access/jwt", host: a.host, rawBody: `jwt=${jwtPost}`, headers: { "content-type": "application/x-www-form-urlencoded" } })).status).toBe(303);
      const jwtWrong = await jwtFor(`${JWT_SECRET}-not`);
      JWTS.push(jwtWrong);
      expect((await t.request({ method: "POST", path: "/access/jwt", host: a.host, rawBody: `jwt=${jwtWrong}`, headers: { "content-type": "application/x-www-form-urlencoded" } })).status).toBe(401);
      expect((await a.api("PUT", "/api/v2/sso/oidc.json", { oidc: { enabled: true, issuer: rogue.issuer, client_id: "vaultdesk-logs", client_secret: OIDC_SECRET } })).status).toBe(200);
      expect((await a.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { staff_provider: "oidc", role_attribute: "groups", role_map: { agent: ["staff"] } } })).status).toBe(200);
      const started = await t.request({ method: "GET", path: "/access/oidc/login", host: a.host });
      expect(started.status).toBe(303);
      const authUrl = new URL(started.headers.location!);
      STATE = authUrl.searchParams.get("state")!;
      NONCE = authUrl.searchParams.get("nonce")!;
      rogue.expectNonce(NONCE);
      rogue.forge(async ({ issuer, nonce, key }) => (ID_TOKEN = await new jose.SignJWT({ iss: issuer, aud: "vaultdesk-logs", sub: `${MARK}-sub`, nonce, email: `oidc.${EMAIL}`, email_verified: true, name: `${MARK} Oidc`, groups: ["staff"] }).setProtectedHeader({ alg: "RS256", kid: "rogue-1" }).setIssuedAt().setExpirationTime("5m").sign(key)));
      const binding = (started.headers["set-cookie"] ?? []).find((c) => c.startsWith("vd_oidc="))!.split(";")[0]!;
      const done = await t.request({ method: "GET", path: `/access/oidc/callback?code=${CODE}&state=${STATE}`, host: a.host, headers: { cookie: binding } });
      expect(done.status, done.text).toBe(303);
      expect((await t.request({ method: "GET", path: `/access/oidc/callback?code=${CODE}&state=${STATE}`, host: a.host, headers: { cookie: binding } })).status).toBe(401);
    }
    {
      // SAML single sign-on: settings with a certificate, a sign-in started with the marker as its
      // return path, a signed response naming the marker's address accepted, then replayed and
      // tampered with (refused).
      const idpKeys = makeKeyPair("log IdP");
      const idpEntity = `https://idp.${MARK.toLowerCase()}.test/entity`;
      const saml = await a.api("PUT", "/api/v2/sso/saml.json", { saml: { enabled: true, idp_entity_id: idpEntity, idp_sso_url: `https://idp.${MARK.toLowerCase()}.test/sso`, idp_certificates: [idpKeys.cert] } });
      expect(saml.status, saml.text).toBe(200);
      expect((await a.api("PUT", "/api/v2/sso_settings.json", { sso_settings: { end_user_provider: "saml" } })).status).toBe(200);
      const started = await t.request({ method: "GET", path: `/access/saml/login?return_to=${encodeURIComponent(`/${MARK}`)}`, host: a.host });
      expect(started.status, started.text).toBe(303);
      const acsUrl = saml.body.saml.acs_url as string;
      SAML_RESPONSE = encode(
        responseXml({ issuer: idpEntity, audience: saml.body.saml.sp_entity_id, recipient: acsUrl, destination: acsUrl, inResponseTo: requestIdOf(started.headers.location!), nameId: `saml.${EMAIL}`, email: `saml.${EMAIL}`, name: `${MARK} Saml`, sign: { key: idpKeys, parts: "assertion" } }),
      );
      const postSaml = (r: string) => t.request({ method: "POST", path: "/access/saml", host: a.host, rawBody: new URLSearchParams({ SAMLResponse: r, RelayState: MARK }).toString(), headers: { "content-type": "application/x-www-form-urlencoded" } });
      const samlPosted = await postSaml(SAML_RESPONSE);
      expect(samlPosted.status, samlPosted.text).toBe(303);
      SAML_COMPLETE = samlPosted.headers.location!;
      const binding = ([] as string[]).concat(started.headers["set-cookie"] ?? []).find((c) => c.startsWith("vd_saml="))!.split(";")[0]!;
      const samlSignedIn = await t.request({ method: "GET", path: SAML_COMPLETE, host: a.host, headers: { cookie: binding } });
      expect(samlSignedIn.status, samlSignedIn.text).toBe(303);
      expect(samlSignedIn.headers.location).toBe(`/${MARK}`);
      SAML_BINDING = binding.slice("vd_saml=".length);
      expect((await postSaml(SAML_RESPONSE)).status).toBe(403);
      expect((await postSaml(encode(decode(SAML_RESPONSE).replace(`saml.${EMAIL}`, `saml2.${EMAIL}`)))).status).toBe(401);
    }

    // Every registered route, with the marker in the path, the query and the body.
    for (const r of registeredRoutes) {
      const path = `${fill(r.url)}.json?${encodeURIComponent(MARK)}=${encodeURIComponent(EMAIL)}&q=${encodeURIComponent(CARD)}`;
      const body = r.method === "GET" || r.method === "DELETE" ? undefined : { [MARK]: { name: `${MARK}`, email: EMAIL, phone: PHONE, card: CARD } };
      const res = await t.request({ method: r.method, path, host: a.host, body, headers: { authorization: `Basic ${Buffer.from(`${a.ownerEmail}/token:${a.ownerToken}`).toString("base64")}`, "x-marker": MARK } });
      expect(res.status, `${r.method} ${r.url}`).toBeLessThan(500);
    }

    const log = lines.join("");
    expect(log.length).toBeGreaterThan(1000);
    expect(log).toMatch(/"reqId":"[0-9a-f-]{36}"/); // positive control: request logs were captured
    expect(RESET_TOKEN).toMatch(/^vdr_/);
    expect(ROTATED_TOKEN).toMatch(/^vdt_/);
    expect(SESSION_COOKIE).toMatch(/^vds_/);
    expect(CHALLENGE).toMatch(/^vdc_/);
    expect(RECOVERY).toHaveLength(10);
    expect(WEBAUTHN).toHaveLength(10);
    expect(RENEWED).toHaveLength(10);
    expect(ID_TOKEN).toMatch(/^ey/);
    // Positive control: the sign-in requests were logged (by route, never by their query or body).
    expect(log).toContain('"/access/jwt"');
    expect(log).toContain('"/access/oidc/callback"');
    expect(JWTS).toHaveLength(3);
    const ssoSecrets = [JWT_SECRET, GENERATED_SECRET, OIDC_SECRET, CODE, STATE, NONCE, ID_TOKEN, ...JWTS, ...[ID_TOKEN, ...JWTS].map((x) => x.split(".")[2]!)];
    for (const secret of ssoSecrets) expect(log.includes(secret), `log contains ${secret.slice(0, 12)}…`).toBe(false);
    expect(SAML_RESPONSE.length).toBeGreaterThan(1000);
    expect(SAML_BINDING).toMatch(/^[A-Za-z0-9_-]{43}$/);
    for (const secret of [SAML_BINDING, SAML_COMPLETE.split("token=")[1]!, SAML_RESPONSE.slice(0, 40), SAML_RESPONSE.slice(400, 440), encodeURIComponent(SAML_RESPONSE.slice(400, 440)), MARK, MARK.toLowerCase(), EMAIL, PHONE, CARD, CARD.replace(/ /g, ""), a.ownerToken, a.ownerEmail, ROTATED_TOKEN, ROTATED_TOKEN.slice(4), RESET_TOKEN, RESET_TOKEN.slice(4), RESET_PASSWORD, SESSION_COOKIE, SESSION_COOKIE.slice(4), TOTP_SECRET, CHALLENGE, CHALLENGE.slice(4), ...WEBAUTHN, ...RECOVERY, ...RECOVERY.map((c) => c.replace("-", "")), ...RENEWED, ...RENEWED.map((c) => c.replace("-", ""))]) {
      expect(log.includes(secret), `log contains ${secret.slice(0, 12)}…`).toBe(false);
    }
  }, 240_000);
});
