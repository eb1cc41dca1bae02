import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryRateLimiter } from "../src/platform/rate-limiter.ts";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, cookieOf, jobsSettled, PASSWORD, signIn, signInByMail, staffWithPassword, type Session } from "./support/people.ts";
import { linkTo, startSmtpPeer, type SmtpPeer } from "./support/smtp-peer.ts";

/**
 * People and their credentials, as an attacker with accounts would try them: taking over an
 * e-mail address, editing what is not theirs, keeping tokens through a role change, keeping other
 * sessions through a password change, learning or blocking addresses through sign-in links,
 * choosing the request id the audit trail records; and staff added without a password.
 */

let t: TestApp;
let smtp: SmtpPeer;

beforeAll(async () => {
  smtp = await startSmtpPeer();
  // Behind a proxy, so tests can speak from several client addresses (X-Forwarded-For). The
  // limiter's clock stands still a second into an hour, so no window turns during a test and a
  // count up to a limit lands on it exactly.
  const limiterClock = Math.floor(Date.now() / 3_600_000) * 3_600_000 + 1000;
  t = await startTestApp({ env: { VAULTDESK_SMTP_URL: smtp.url, VAULTDESK_TRUST_PROXY: "127.0.0.1", VAULTDESK_JOB_POLL_SECONDS: "0.1" }, rateLimiter: createMemoryRateLimiter(() => limiterClock) });
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

const anon = (a: TestTenant, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => t.request({ method, path, host: a.host, body, headers });
const sentTo = (m: { to?: unknown }, address: string) => JSON.stringify(m.to ?? "").toLowerCase().includes(address.toLowerCase());
const unique = (name: string) => `${name}.${Date.now()}.${Math.random().toString(36).slice(2, 6)}@example.test`;

async function endUserWithSession(a: TestTenant, name = "Customer"): Promise<{ id: number; email: string; session: Session }> {
  const email = unique(name.toLowerCase());
  const u = await a.api("POST", "/api/v2/users.json", { user: { name, email } });
  expect(u.status, u.text).toBe(201);
  return { id: u.body.user.id, email, session: await signInByMail(t, smtp, a, email) };
}

describe("e-mail address changes", () => {
  it("take effect only once the link sent to the new address is used, and tell the old address", async () => {
    const a = await buildTenant(t, "idmail");
    const me = await endUserWithSession(a);
    const next = unique("new");
    const since = smtp.messages.length;
    const r = await asSession(t, a, me.session, "PUT", `/api/v2/users/${me.id}.json`, { user: { email: next } });
    expect(r.status, r.text).toBe(200);
    expect(r.body.user.email).toBe(me.email);
    const notice = await smtp.waitFor(me.email, { since });
    expect(notice.subject).toMatch(/being changed/);
    const confirm = await smtp.waitFor(next, { since });
    const token = new URL(linkTo(confirm, "/confirm-email")).searchParams.get("token")!;
    // Tickets filed under the new address before the change do not go to this person.
    const other = await anon(a, "POST", "/api/v2/requests.json", { request: { subject: "hello", comment: { body: "x" }, requester: { name: "Stranger", email: next } } });
    expect(other.status).toBe(201);
    expect((await asSession(t, a, me.session, "GET", "/api/v2/requests.json")).body.requests).toEqual([]);
    // The address now belongs to the stranger who wrote from it: the change cannot complete.
    const taken = await anon(a, "POST", "/api/v2/email_changes/confirm.json", { token });
    expect(taken.status).toBe(422);
    expect(taken.body.details.email[0].error).toBe("DuplicateValue");
    // A fresh address, confirmed: it changes, is verified, and the person's sessions end.
    const third = unique("third");
    const since2 = smtp.messages.length;
    await asSession(t, a, me.session, "PUT", `/api/v2/users/${me.id}.json`, { user: { email: third } });
    const token2 = new URL(linkTo(await smtp.waitFor(third, { since: since2 }), "/confirm-email")).searchParams.get("token")!;
    const ok = await anon(a, "POST", "/api/v2/email_changes/confirm.json", { token: token2 });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.email_change).toEqual({ status: "confirmed", email: third });
    expect(ok.headers["set-cookie"]).toBeUndefined();
    expect((await asSession(t, a, me.session, "GET", "/api/v2/users/me.json")).status).toBe(401);
    const u = (await a.api("GET", `/api/v2/users/${me.id}.json`)).body.user;
    expect(u).toMatchObject({ email: third, verified: true });
    // The link works once.
    expect((await anon(a, "POST", "/api/v2/email_changes/confirm.json", { token: token2 })).body.details.token[0].error).toBe("AlreadyUsed");
  });

  it("never lets staff who move a customer to their own mailbox sign in as the customer", async () => {
    const a = await buildTenant(t, "idtake");
    const customer = await endUserWithSession(a, "Victim");
    const agent = await buildUser(t, a, "agent");
    const mallory = unique("mallory");
    const since = smtp.messages.length;
    const r = await a.api("PUT", `/api/v2/users/${customer.id}.json`, { user: { email: mallory } }, { email: agent.email, token: agent.token! });
    expect(r.status, r.text).toBe(200);
    const token = new URL(linkTo(await smtp.waitFor(mallory, { since }), "/confirm-email")).searchParams.get("token")!;
    expect((await anon(a, "POST", "/api/v2/email_changes/confirm.json", { token })).status).toBe(200);
    const moved = (await a.api("GET", `/api/v2/users/${customer.id}.json`)).body.user;
    expect(moved).toMatchObject({ email: mallory, verified: false });
    // Asking for a sign-in link answers as always, and sends nothing to the staff-set address.
    const since2 = smtp.messages.length;
    const ask = await anon(a, "POST", "/api/v2/help_center/sign_in_links.json", { email: mallory });
    expect(ask.status).toBe(202);
    await jobsSettled(t, a.tenantId);
    expect(smtp.messages.slice(since2).filter((m) => sentTo(m, mallory))).toEqual([]);
    // An agent cannot vouch for it; an admin can, after which links reach it.
    expect((await a.api("PUT", `/api/v2/users/${customer.id}.json`, { user: { verified: true } }, { email: agent.email, token: agent.token! })).status).toBe(403);
    expect((await a.api("PUT", `/api/v2/users/${customer.id}.json`, { user: { verified: true } })).body.user.verified).toBe(true);
    await signInByMail(t, smtp, a, mallory);
  });

  it("a change staff asked for ends when the person's role changes, and cannot finish once the asker may not make it", async () => {
    const a = await buildTenant(t, "idpromo");
    const agent = await buildUser(t, a, "agent");
    const asAgent = { email: agent.email, token: agent.token! };
    const confirmLinkTo = async (address: string, since: number) => new URL(linkTo(await smtp.waitFor(address, { since }), "/confirm-email")).searchParams.get("token")!;
    // Moved towards the agent's mailbox, then made staff before the link is used: the link is dead.
    const promoted = await buildUser(t, a, "end-user", "Soon Staff");
    const mallory = unique("mallory");
    let since = smtp.messages.length;
    expect((await a.api("PUT", `/api/v2/users/${promoted.id}.json`, { user: { email: mallory } }, asAgent)).status).toBe(200);
    const dead = await confirmLinkTo(mallory, since);
    expect((await a.api("PUT", `/api/v2/users/${promoted.id}/role.json`, { role: "agent" })).status).toBe(200);
    const late = await anon(a, "POST", "/api/v2/email_changes/confirm.json", { token: dead });
    expect(late.status).toBe(422);
    expect(late.body.details.token[0].error).toBe("Cancelled");
    expect((await a.api("GET", `/api/v2/users/${promoted.id}.json`)).body.user.email).toBe(promoted.email);
    // Asked for by an agent who has since been made an end user: the link no longer works.
    const customer = await buildUser(t, a, "end-user", "Customer");
    const trudy = unique("trudy");
    since = smtp.messages.length;
    expect((await a.api("PUT", `/api/v2/users/${customer.id}.json`, { user: { email: trudy } }, asAgent)).status).toBe(200);
    const orphan = await confirmLinkTo(trudy, since);
    expect((await a.api("PUT", `/api/v2/users/${agent.id}/role.json`, { role: "end_user" })).status).toBe(200);
    const refused = await anon(a, "POST", "/api/v2/email_changes/confirm.json", { token: orphan });
    expect(refused.status, refused.text).toBe(422);
    expect(refused.body.details.token[0].description).toMatch(/no longer/);
    expect((await a.api("GET", `/api/v2/users/${customer.id}.json`)).body.user.email).toBe(customer.email);
    // Suspending a person ends their pending change too.
    const other = await buildUser(t, a, "end-user", "Other");
    since = smtp.messages.length;
    expect((await a.api("PUT", `/api/v2/users/${other.id}.json`, { user: { email: unique("elsewhere") } })).status).toBe(200);
    expect((await a.api("PUT", `/api/v2/users/${other.id}.json`, { user: { suspended: true } })).status).toBe(200);
    expect(await t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("email_changes").select("id").where("cancelled_at", "is", null).where("used_at", "is", null).where("user_id", "=", sql<string>`(SELECT id FROM users WHERE nice_id = ${other.id})`).execute())).toEqual([]);
  });

  it("never sends an invitation to a staff-set address nobody vouched for", async () => {
    const a = await buildTenant(t, "idinvsc");
    const agent = await buildUser(t, a, "agent");
    // An end user moved by an agent to an address, then made staff (an agent never signed in).
    const person = await buildUser(t, a, "end-user", "Person");
    const moved = unique("moved");
    const since = smtp.messages.length;
    expect((await a.api("PUT", `/api/v2/users/${person.id}.json`, { user: { email: moved } }, { email: agent.email, token: agent.token! })).status).toBe(200);
    const token = new URL(linkTo(await smtp.waitFor(moved, { since }), "/confirm-email")).searchParams.get("token")!;
    expect((await anon(a, "POST", "/api/v2/email_changes/confirm.json", { token })).status).toBe(200);
    expect((await a.api("PUT", `/api/v2/users/${person.id}/role.json`, { role: "agent" })).status).toBe(200);
    const inv = await a.api("POST", "/api/v2/invitations.json", { invitation: { email: moved, role: "agent" } });
    expect(inv.status, inv.text).toBe(422);
    expect(inv.body.details.email[0].description).toMatch(/vouched/);
    // Once an admin vouches for the address, the invitation goes.
    expect((await a.api("PUT", `/api/v2/users/${person.id}.json`, { user: { verified: true } })).status).toBe(200);
    expect((await a.api("POST", "/api/v2/invitations.json", { invitation: { email: moved, role: "agent" } })).status).toBe(201);
  });

  it("a person asking for an address someone else has is answered as for any other, and the owner is told", async () => {
    const a = await buildTenant(t, "idtaken");
    const me = await endUserWithSession(a);
    const owner = await buildUser(t, a, "end-user", "Owner");
    const since = smtp.messages.length;
    const r = await asSession(t, a, me.session, "PUT", `/api/v2/users/${me.id}.json`, { user: { email: owner.email } });
    expect(r.status, r.text).toBe(200);
    expect(r.body.user.email).toBe(me.email);
    const pd = await asSession(t, a, me.session, "GET", "/api/v2/help_center/me/personal_data.json");
    expect(pd.body.personal_data.profile.pending_email).toBe(owner.email);
    const told = await smtp.waitFor(owner.email, { since });
    expect(told.subject).toMatch(/tried to use your e-mail address/);
    expect(told.text).not.toMatch(/confirm-email|token=/);
    expect((await smtp.waitFor(me.email, { since })).subject).toMatch(/being changed/);
    // Staff, who can list people anyway, are told plainly.
    const byStaff = await a.api("PUT", `/api/v2/users/${me.id}.json`, { user: { email: owner.email } });
    expect(byStaff.status).toBe(422);
    expect(byStaff.body.details.email[0].error).toBe("DuplicateValue");
  });

  it("are limited per person: five an hour, whoever asks", async () => {
    const a = await buildTenant(t, "idchlim");
    const me = await endUserWithSession(a);
    const answers: number[] = [];
    for (let i = 0; i < 6; i++) answers.push((await asSession(t, a, me.session, "PUT", `/api/v2/users/${me.id}.json`, { user: { email: unique(`n${i}`) } })).status);
    expect(answers).toEqual([200, 200, 200, 200, 200, 429]);
    // An admin asking for the same person counts towards the same limit.
    const byAdmin = await a.api("PUT", `/api/v2/users/${me.id}.json`, { user: { email: unique("admin") } });
    expect(byAdmin.status).toBe(429);
    expect(Number(byAdmin.headers["retry-after"])).toBeGreaterThan(0);
  });

  it("without a mail server: a person cannot change their own address, and an admin's change gives no sign-in", async () => {
    const noMail = await startTestApp();
    try {
      const a = await buildTenant(noMail, "idnomail");
      const agent = await buildUser(noMail, a, "agent");
      const eu = await buildUser(noMail, a, "end-user");
      const byAgent = await a.api("PUT", `/api/v2/users/${eu.id}.json`, { user: { email: unique("x") } }, { email: agent.email, token: agent.token! });
      expect(byAgent.status).toBe(422);
      expect(byAgent.body.details.email[0].error).toBe("Unavailable");
      const next = unique("y");
      const byAdmin = await a.api("PUT", `/api/v2/users/${eu.id}.json`, { user: { email: next } });
      expect(byAdmin.body.user).toMatchObject({ email: next, verified: false });
    } finally {
      await noMail.close();
    }
  });
});

describe("what end users may change of themselves", () => {
  it("only name, phone, time zone and language, with the same refusal whatever an id refers to", async () => {
    const a = await buildTenant(t, "idself");
    const me = await endUserWithSession(a);
    const org = await a.api("POST", "/api/v2/organizations.json", { organization: { name: "Real Org" } });
    const put = (user: Record<string, unknown>) => asSession(t, a, me.session, "PUT", `/api/v2/users/${me.id}.json`, { user });
    const real = await put({ organization_id: org.body.organization.id });
    const fake = await put({ organization_id: 999_999 });
    expect(real.status).toBe(403);
    expect(fake.status).toBe(403);
    expect(real.body).toEqual(fake.body);
    for (const user of [{ tags: ["vip"] }, { external_id: "crm-1" }, { role: "agent" }, { suspended: false }, { verified: true }]) {
      expect((await put(user)).status, JSON.stringify(user)).toBe(403);
    }
    const ok = await put({ name: "New Name", phone: "+46 70 123 45 67", time_zone: "Europe/Stockholm", locale: "sv" });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.user).toMatchObject({ name: "New Name", phone: "+46 70 123 45 67", time_zone: "Europe/Stockholm", iana_time_zone: "Europe/Stockholm", locale: "sv", organization_id: null, tags: [] });
    expect((await put({ time_zone: "Mars/Olympus" })).status).toBe(422);
  });
});

describe("role changes and password changes", () => {
  it("end the person's sessions and API tokens whichever route changes the role", async () => {
    const a = await buildTenant(t, "idrole");
    const agent = await staffWithPassword(t, a, "agent");
    const token = (await asSession(t, a, agent.session, "POST", "/api/v2/api_tokens.json", { api_token: { name: "script" } })).body.api_token.token as string;
    const r = await a.api("PUT", `/api/v2/users/${agent.id}.json`, { user: { role: "light-agent" } });
    expect(r.status, r.text).toBe(200);
    expect(r.body.user.vaultdesk_role).toBe("light_agent");
    expect((await a.api("GET", "/api/v2/users/me.json", undefined, { email: agent.email, token })).status).toBe(401);
    expect((await asSession(t, a, agent.session, "GET", "/api/v2/users/me.json")).status).toBe(401);
    const changes = (await a.api("GET", "/api/v2/audit_logs.json?filter[action]=user.role_changed")).body.audit_logs;
    expect(changes).toHaveLength(1);
  });

  it("a new password ends every other session and keeps the one that changed it", async () => {
    const a = await buildTenant(t, "idpw");
    const agent = await staffWithPassword(t, a, "agent");
    const other = await signIn(t, a, agent.email, PASSWORD);
    const next = "Another long passphrase 42";
    const r = await asSession(t, a, agent.session, "PUT", "/api/v2/users/me/password.json", { previous_password: PASSWORD, password: next });
    expect(r.status, r.text).toBe(204);
    expect((await asSession(t, a, agent.session, "GET", "/api/v2/users/me.json")).status).toBe(200);
    expect((await asSession(t, a, other, "GET", "/api/v2/users/me.json")).status).toBe(401);
    await signIn(t, a, agent.email, next);
  });
});

describe("sign-in links", () => {
  it("ask does the same work for every address: one job, no link in the request", async () => {
    const a = await buildTenant(t, "idtime");
    const known = unique("known");
    await a.api("POST", "/api/v2/users.json", { user: { name: "Known", email: known } });
    await jobsSettled(t, a.tenantId);
    const count = () => t.db.tenant(a.tenantId, async (tx) => ({
      jobs: (await sql<{ n: number }>`SELECT count(*)::int AS n FROM job_statuses WHERE job_type = 'signin_link'`.execute(tx.db)).rows[0]!.n,
      links: (await sql<{ n: number }>`SELECT count(*)::int AS n FROM signin_links`.execute(tx.db)).rows[0]!.n,
    }));
    // What each request writes is the same: one job (the link, if any, comes from the job).
    for (const email of [known, unique("nobody")]) {
      const before = await count();
      const r = await anon(a, "POST", "/api/v2/help_center/sign_in_links.json", { email });
      expect(r.status).toBe(202);
      expect(r.body).toEqual({ sign_in_link: { status: "requested", expires_in_minutes: 15 } });
      const after = await count();
      expect(after.jobs - before.jobs, email).toBe(1);
    }
  });

  it("a stranger cannot use up a person's links, and the answer never changes", async () => {
    const a = await buildTenant(t, "idflood");
    const email = unique("flooded");
    await a.api("POST", "/api/v2/users.json", { user: { name: "Flooded", email } });
    const from = (ip: string) => ({ "x-forwarded-for": ip });
    const since = smtp.messages.length;
    const answers: number[] = [];
    // From one IPv4 address, from addresses across one IPv6 /64, and claiming another client in
    // front of the real one (only the proxy's own entry, the last, is believed): five asks each,
    // as many as the form's per-minute limit lets one network make.
    const stranger = [
      ...Array.from({ length: 5 }, () => "203.0.113.9"),
      ...Array.from({ length: 5 }, (_, i) => `2001:db8:5:6::${(i + 1).toString(16)}`),
      ...Array.from({ length: 5 }, (_, i) => `198.51.100.${(i % 3) + 1}, 203.0.113.10`),
    ];
    for (const ip of stranger) answers.push((await anon(a, "POST", "/api/v2/help_center/sign_in_links.json", { email }, from(ip))).status);
    expect(new Set(answers)).toEqual(new Set([202]));
    // The sixth from the /64 meets the form's own limit, which counts networks too.
    expect((await anon(a, "POST", "/api/v2/help_center/sign_in_links.json", { email }, from("2001:db8:5:6::ff"))).status).toBe(429);
    await jobsSettled(t, a.tenantId);
    // Three mails per stranger's network, no more.
    expect(smtp.messages.slice(since).filter((m) => sentTo(m, email) && m.text?.includes("/signin?token="))).toHaveLength(9);
    // The person, from their own network, still gets a link at once.
    await signInByMail(t, smtp, a, email, from("198.51.100.7"));
  });

  it("prove the address of the person who uses one", async () => {
    const a = await buildTenant(t, "idproof");
    const me = await endUserWithSession(a);
    expect((await a.api("GET", `/api/v2/users/${me.id}.json`)).body.user.verified).toBe(true);
  });
});

describe("one-time passwords", () => {
  it("bind password sign-ins only: a person who signs in by link is not stuck behind one", async () => {
    const a = await buildTenant(t, "idotp");
    const me = await endUserWithSession(a);
    await t.db.tenant(a.tenantId, (tx) => tx.db.updateTable("users").set({ must_change_password: true }).where("nice_id", "=", me.id).execute());
    const session = await signInByMail(t, smtp, a, me.email);
    const info = await asSession(t, a, session, "GET", "/api/v2/session.json");
    expect(info.body.session.must_change_password).toBe(false);
    expect((await asSession(t, a, session, "GET", "/api/v2/requests.json")).status).toBe(200);
  });
});

describe("invitations to an address a customer record has", () => {
  it("make staff of a record nobody ever proved, and refuse a customer who signed in", async () => {
    const a = await buildTenant(t, "idinveu");
    const email = unique("futureagent");
    // Typed into the help center's form before anyone thought of inviting them.
    const form = await anon(a, "POST", "/api/v2/requests.json", { request: { subject: "hi", comment: { body: "hello" }, requester: { name: "Future Agent", email } } });
    expect(form.status, form.text).toBe(201);
    const record = (await a.api("GET", `/api/v2/users/search.json?query=${encodeURIComponent(email)}`)).body.users[0];
    const inv = await a.api("POST", "/api/v2/invitations.json", { invitation: { email, role: "agent" } });
    expect(inv.status, inv.text).toBe(201);
    const accepted = await anon(a, "POST", "/api/v2/invitations/accept.json", { token: inv.body.invitation.token, name: "Future Agent", password: PASSWORD });
    expect(accepted.status, accepted.text).toBe(201);
    expect(accepted.body.session.user_id).toBe(record.id);
    expect((await a.api("GET", `/api/v2/users/${record.id}.json`)).body.user).toMatchObject({ vaultdesk_role: "agent", verified: true });
    // A customer who has signed in is a customer: an admin changes their role instead.
    const customer = await endUserWithSession(a);
    const refused = await a.api("POST", "/api/v2/invitations.json", { invitation: { email: customer.email, role: "agent" } });
    expect(refused.status).toBe(422);
    expect(refused.body.details.email[0].error).toBe("DuplicateValue");
  });
});

describe("request ids", () => {
  it("are the server's own, in the answer and in the audit trail", async () => {
    const a = await buildTenant(t, "idreq");
    const chosen = "attacker-chosen-request-id-0001";
    const r = await t.request({ method: "POST", path: "/api/v2/groups.json", host: a.host, headers: { authorization: "Basic " + Buffer.from(`${a.ownerEmail}/token:${a.ownerToken}`).toString("base64"), "x-request-id": chosen }, body: { group: { name: "Tier 9" } } });
    expect(r.status).toBe(201);
    expect(r.headers["x-request-id"]).not.toBe(chosen);
    const logs = (await a.api("GET", "/api/v2/audit_logs.json?filter[action]=group.created")).body.audit_logs;
    expect(logs[0].request_id).toBe(r.headers["x-request-id"]);
    expect(JSON.stringify(logs)).not.toContain(chosen);
  });
});

describe("staff added without a password", () => {
  it("get an invitation by mail that lets them choose a password and sign in", async () => {
    const a = await buildTenant(t, "idstaff");
    const email = unique("newagent");
    const since = smtp.messages.length;
    const u = await a.api("POST", "/api/v2/users.json", { user: { name: "New Agent", email, role: "agent" } });
    expect(u.status, u.text).toBe(201);
    const mail = await smtp.waitFor(email, { since });
    const token = new URL(linkTo(mail, "/invite")).searchParams.get("token")!;
    expect((await a.api("GET", "/api/v2/invitations.json")).body.invitations.filter((i: { email: string; status: string }) => i.email === email && i.status === "pending")).toHaveLength(1);
    const accepted = await anon(a, "POST", "/api/v2/invitations/accept.json", { token, name: "New Agent", password: PASSWORD });
    expect(accepted.status, accepted.text).toBe(201);
    expect(accepted.body.session.user_id).toBe(u.body.user.id);
    expect(cookieOf(accepted.headers)).toMatch(/^vd_session=/);
    await signIn(t, a, email, PASSWORD);
    expect((await a.api("GET", `/api/v2/users/${u.body.user.id}.json`)).body.user).toMatchObject({ verified: true, vaultdesk_role: "agent" });
    // Once they have a password, an invitation for the address is refused as before.
    const again = await a.api("POST", "/api/v2/invitations.json", { invitation: { email, role: "agent" } });
    expect(again.status).toBe(422);
    expect(again.body.details.email[0].error).toBe("DuplicateValue");
  });
});
