import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { whileRowsHeld } from "./support/held-rows.ts";
import { jobsSettled, PASSWORD, staffWithPassword } from "./support/people.ts";
import { startSmtpPeer, type SmtpPeer } from "./support/smtp-peer.ts";

/**
 * Wrong passwords for one account sent at once count one by one: on PostgreSQL several sign-in
 * transactions run together under read committed, and a count read by each, then written back
 * plus one, would lose attempts (an attacker guessing in parallel would get more tries than the
 * policy's) and could lock, audit and mail the lockout more than once; a right password read
 * before another attempt's lockout was written would pass it and end it. Here the person's row is
 * held locked by the test while the attempts come in, so that every one of them has read the
 * account before any writes (the interleaving that loses counts), then let go. On the embedded
 * database one transaction runs at a time, and the same test shows the sequential answer.
 */

let t: TestApp;
let smtp: SmtpPeer;
beforeAll(async () => {
  smtp = await startSmtpPeer();
  t = await startTestApp({ env: { VAULTDESK_SMTP_URL: smtp.url, VAULTDESK_JOB_POLL_SECONDS: "0.1" } });
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

const WRONG = "Not the password 1!";
const ATTEMPTS = 5;

/** A custom staff policy: ATTEMPTS wrong passwords in a row lock the account for 10 minutes. */
const policy = { level: "custom", rules: { min_length: 12, mixed_case: true, digit: true, symbol: true, not_like_email: true, min_strength: 3, history: 0, expiry_days: null, lockout_attempts: ATTEMPTS, lockout_minutes: 10, max_sequence: null } };

const signInRaw = (a: TestTenant, email: string, password: string) => t.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email, password } });

const counts = (a: TestTenant, niceId: number) =>
  t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("users").select(["failed_signins", "lockouts", "locked_until"]).where("nice_id", "=", niceId).executeTakeFirstOrThrow());

/**
 * Sends the sign-ins (passwords) at once: on PostgreSQL the person's row is held until all of them
 * wait on it (each has read the account by then: the reads do not wait), so they all write one
 * after the other on what they read before. With `inTurn`, each is sent once the one before it
 * waits, so they queue in that order.
 */
const atOnce = (a: TestTenant, niceId: number, email: string, passwords: string[], opts: { inTurn?: boolean } = {}) => {
  const sends = passwords.map((p) => () => signInRaw(a, email, p));
  return whileRowsHeld(t, a.tenantId, sql`SELECT id FROM users WHERE nice_id = ${niceId} FOR UPDATE`, opts.inTurn ? sends.map((s) => [s]) : [sends]);
};

/** Lockout notices received for the address (the peer keeps a message before it accepts it, so a settled job's is here). */
const lockMails = (email: string) =>
  smtp.messages.filter((m) => (Array.isArray(m.to) ? m.to : m.to ? [m.to] : []).some((to) => to.value.some((v) => v.address?.toLowerCase() === email.toLowerCase())) && /locked/.test(m.subject ?? "")).length;
const lockAudits = async (a: TestTenant) => ((await a.api("GET", "/api/v2/audit_logs.json?filter[action]=user.locked")).body.audit_logs as unknown[]).length;

describe("wrong passwords for one account at once", () => {
  it("the policy's number of them, at once, each count: the account locks at the last, once, with one mail", async () => {
    const a = await buildTenant(t, "racelock");
    expect((await a.api("PUT", "/api/v2/password_settings.json", { password_settings: { staff: policy } })).status).toBe(200);
    const agent = await staffWithPassword(t, a, "agent");
    const answers = await atOnce(a, agent.id, agent.email, Array.from({ length: ATTEMPTS }, () => WRONG));
    // Every one answered as a wrong password.
    expect(answers.map((r) => [r.status, r.body])).toEqual(Array.from({ length: ATTEMPTS }, () => [401, answers[0]!.body]));
    const c = await counts(a, agent.id);
    expect({ failed: c.failed_signins, lockouts: c.lockouts, locked: c.locked_until !== null && c.locked_until > new Date() }).toEqual({ failed: 0, lockouts: 1, locked: true });
    await jobsSettled(t, a.tenantId);
    expect({ lockAudits: await lockAudits(a), lockMails: lockMails(agent.email) }).toEqual({ lockAudits: 1, lockMails: 1 });
    // Locked: the right password is refused like a wrong one.
    expect((await signInRaw(a, agent.email, PASSWORD)).status).toBe(401);
  });

  it("several at once at the last attempt before the lockout: one locks (one audit, one mail), the others do not count", async () => {
    const a = await buildTenant(t, "racelast");
    expect((await a.api("PUT", "/api/v2/password_settings.json", { password_settings: { staff: policy } })).status).toBe(200);
    const agent = await staffWithPassword(t, a, "agent");
    for (let i = 0; i < ATTEMPTS - 1; i++) expect((await signInRaw(a, agent.email, WRONG)).status).toBe(401);
    expect((await counts(a, agent.id)).failed_signins).toBe(ATTEMPTS - 1);
    const answers = await atOnce(a, agent.id, agent.email, [WRONG, WRONG, WRONG]);
    expect(answers.map((r) => r.status)).toEqual([401, 401, 401]);
    const c = await counts(a, agent.id);
    // Counted after the lockout, an attempt would have started the next run (failed 1 or 2).
    expect({ failed: c.failed_signins, lockouts: c.lockouts, locked: c.locked_until !== null && c.locked_until > new Date() }).toEqual({ failed: 0, lockouts: 1, locked: true });
    await jobsSettled(t, a.tenantId);
    expect({ lockAudits: await lockAudits(a), lockMails: lockMails(agent.email) }).toEqual({ lockAudits: 1, lockMails: 1 });
    expect((await signInRaw(a, agent.email, PASSWORD)).status).toBe(401);
  });

  it("the right password at once with the wrong one that locks, after it: refused, and the lockout stays", async () => {
    const a = await buildTenant(t, "raceright");
    expect((await a.api("PUT", "/api/v2/password_settings.json", { password_settings: { staff: policy } })).status).toBe(200);
    const agent = await staffWithPassword(t, a, "agent");
    for (let i = 0; i < ATTEMPTS - 1; i++) expect((await signInRaw(a, agent.email, WRONG)).status).toBe(401);
    // The wrong one first (it locks the account), the right one read before that lockout was written.
    const [wrong, right] = await atOnce(a, agent.id, agent.email, [WRONG, PASSWORD], { inTurn: true });
    expect([wrong!.status, right!.status, right!.body]).toEqual([401, 401, wrong!.body]);
    const c = await counts(a, agent.id);
    expect({ failed: c.failed_signins, lockouts: c.lockouts, locked: c.locked_until !== null && c.locked_until > new Date() }).toEqual({ failed: 0, lockouts: 1, locked: true });
    await jobsSettled(t, a.tenantId);
    expect({ lockAudits: await lockAudits(a), lockMails: lockMails(agent.email) }).toEqual({ lockAudits: 1, lockMails: 1 });
  });
});
