import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, PASSWORD, staffWithPassword } from "./support/people.ts";

/**
 * verifyCurrentPassword (change password, two-factor set-up proof, closing the account) reads the
 * lock, runs argon2 outside any transaction, then reads the lock again holding the person's row
 * before a right password passes, and answers Locked to a wrong one another guess's lockout kept
 * from being counted. Guesses sent at once from a session all pass the first read before any is
 * counted: without the second, every guess got a verdict and a right one changed the password and
 * ended the lockout the wrong ones had set.
 */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

const ATTEMPTS = 5;
const policy = { level: "custom", rules: { min_length: 12, mixed_case: true, digit: true, symbol: true, not_like_email: true, min_strength: 3, history: 0, expiry_days: null, lockout_attempts: ATTEMPTS, lockout_minutes: 10, max_sequence: null } };
const counts = (a: TestTenant, niceId: number) =>
  t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("users").select(["failed_signins", "lockouts", "locked_until"]).where("nice_id", "=", niceId).executeTakeFirstOrThrow());

describe("guesses of the current password at once, from a session", () => {
  it("beyond the lockout, no guess gets a verdict and the right one is refused", async () => {
    const a = await buildTenant(t, "atkverify");
    expect((await a.api("PUT", "/api/v2/password_settings.json", { password_settings: { staff: policy } })).status).toBe(200);
    const agent = await staffWithPassword(t, a, "agent");
    const guesses = [...Array.from({ length: 2 * ATTEMPTS - 1 }, (_, i) => `Wrong guess number ${i}!A`), PASSWORD];
    const answers = await Promise.all(
      guesses.map((g, i) => asSession(t, a, agent.session, "PUT", "/api/v2/users/me/password.json", { previous_password: g, password: `Brand new passphrase ${i} Zz!` })),
    );
    const c = await counts(a, agent.id);
    const locked = c.locked_until !== null && new Date(c.locked_until) > new Date();
    const told = answers.map((r) => (r.status === 204 ? "changed" : JSON.stringify(r.body).includes("Locked") ? "locked" : JSON.stringify(r.body).includes("not correct") ? "wrong" : `${r.status}`));
    // Observed at 33cbc94 (PGlite): 9 answered "is not correct" (policy: 5), the right one answered 204
    // and changed the password, and the lockout the wrong ones had set is gone (locked false, lockouts 0).
    // Expected: at most the policy's wrong attempts get a verdict; the right one, judged after the
    // lockout was set, is refused "Locked" and the lockout stays.
    expect({ judgedWrong: told.filter((x) => x === "wrong").length, rightOne: told.at(-1), locked }).toEqual({ judgedWrong: ATTEMPTS, rightOne: "locked", locked: true });
  });
});
