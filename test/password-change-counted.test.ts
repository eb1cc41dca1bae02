import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, startTestApp, type TestApp } from "./support/harness.ts";
import { asSession, signIn } from "./support/people.ts";

/**
 * The password-change form (`PUT /users/me/password`) checks `previous_password` like every other
 * password check on a session (verifyCurrentPassword): a wrong one counts toward the lockout and
 * is audited (`user.password_change_refused`), and a locked account is refused before argon2, the
 * right password included. From a session left open, it is no way to guess the password unnoticed.
 */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => t?.close());

type Json = Record<string, any>;

describe("the password-change form's check of the previous password", () => {
  it("wrong previous passwords count toward the lockout and are audited, like the counted check", async () => {
    const a = await buildTenant(t, "atkpw1");
    const s = await signIn(t, a, a.ownerEmail, a.ownerPassword);
    const counted = async () => t.db.tenant(a.tenantId, (tx) => tx.db.selectFrom("users").select(["failed_signins", "locked_until"]).where("role", "=", "owner").executeTakeFirstOrThrow());
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await asSession(t, a, s, "PUT", "/api/v2/users/me/password.json", { previous_password: `Guess number ${i} Wrong!`, password: "A brand new passphrase 99" });
      statuses.push(r.status);
    }
    expect(statuses).toEqual([422, 422, 422]);
    const c = await counted();
    const actions = ((await a.api("GET", "/api/v2/audit_logs.json?per_page=100")).body.audit_logs as Json[]).map((l) => l.action as string);
    // The counted check (POST /account/termination) would show failed_signins 3 and an audit of each.
    expect({ failed: c.failed_signins, audited: actions.filter((x) => x === "user.password_change_refused").length }).toEqual({ failed: 3, audited: 3 });
  });

  it("once the owner is locked (here by closing-the-account guesses), refuses the right previous password too", async () => {
    const a = await buildTenant(t, "atkpw2");
    const s = await signIn(t, a, a.ownerEmail, a.ownerPassword);
    const errors: string[] = [];
    for (let i = 0; i < 12 && !errors.includes("Locked"); i++) {
      const r = await asSession(t, a, s, "POST", "/api/v2/account/termination.json", { termination: { mode: "delete_after_grace", confirm_subdomain: a.subdomain, password: `Guess number ${i} Wrong!` } });
      expect(r.status, r.text).toBe(422);
      errors.push(r.body.details.password[0].error as string);
    }
    expect(errors.at(-1)).toBe("Locked");
    // Locked: the termination refuses even the right password...
    const right = await asSession(t, a, s, "POST", "/api/v2/account/termination.json", { termination: { mode: "delete_after_grace", confirm_subdomain: a.subdomain, password: a.ownerPassword } });
    expect(right.body.details?.password?.[0]?.error).toBe("Locked");
    // ...and so does the password form, before any check of the guess.
    const viaChange = await asSession(t, a, s, "PUT", "/api/v2/users/me/password.json", { previous_password: a.ownerPassword, password: "Taken over passphrase 42" });
    expect([viaChange.status, viaChange.body.details?.previous_password?.[0]?.error], viaChange.text).toEqual([422, "Locked"]);
    expect(((await a.api("GET", "/api/v2/audit_logs.json?per_page=100")).body.audit_logs as Json[]).some((l) => l.action === "user.password_changed")).toBe(false);
  });
});
