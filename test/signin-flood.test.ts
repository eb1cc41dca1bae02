import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, startTestApp, type TestApp } from "./support/harness.ts";

/**
 * A flood of password sign-ins cannot queue without bound: password hashes run at most
 * VAULTDESK_PASSWORD_CHECKS at once with at most VAULTDESK_PASSWORD_CHECK_QUEUE waiting; the rest
 * are answered 503 with Retry-After at once, and the API keeps answering token requests.
 */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ env: { VAULTDESK_PASSWORD_CHECKS: "1", VAULTDESK_PASSWORD_CHECK_QUEUE: "2" } });
});
afterAll(async () => t?.close());

describe("a flood of sign-ins", () => {
  it("is answered 503 with Retry-After past the bounded queue, while the rest of the API answers", async () => {
    const a = await buildTenant(t, "flood");
    const attempts = Array.from({ length: 24 }, (_, i) =>
      t.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email: `nobody${i}@flood.test`, password: "Not the password 1!" } }),
    );
    const during = a.api("GET", "/api/v2/tickets.json");
    const results = await Promise.all(attempts);
    const statuses = results.map((r) => r.status);
    // 1 running + 2 waiting: the others are turned away at once (some may meet the sign-in rate limit first).
    expect(statuses.every((s) => s === 401 || s === 503 || s === 429), statuses.join(",")).toBe(true);
    expect(statuses.filter((s) => s === 401).length).toBeGreaterThanOrEqual(3);
    const refused = results.filter((r) => r.status === 503);
    expect(refused.length, statuses.join(",")).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.headers["retry-after"]).toBe("1");
      expect(r.body.description).toMatch(/Too many sign-ins at once/);
    }
    expect((await during).status).toBe(200);
    // Once the flood is over, sign-ins are checked again.
    const after = await t.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email: a.ownerEmail, password: a.ownerPassword } });
    expect(after.status, after.text).toBe(201);
  });
});

describe("the wrong-password budget", () => {
  it("turns wrong passwords away past its rate, before anything is read, while right passwords do not spend it", async () => {
    // A queue long enough that only the budget can refuse.
    const b = await startTestApp({ env: { VAULTDESK_PASSWORD_CHECKS: "1", VAULTDESK_PASSWORD_CHECK_QUEUE: "1000", VAULTDESK_PASSWORD_FAILURES_PER_SECOND: "4" } });
    try {
      const a = await buildTenant(b, "budget");
      // Right passwords, more than the budget's size, one after another: none is refused.
      for (let i = 0; i < 6; i++) {
        const ok = await b.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email: a.ownerEmail, password: a.ownerPassword } });
        expect(ok.status, ok.text).toBe(201);
      }
      const wrong = await Promise.all(
        Array.from({ length: 12 }, (_, i) => b.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email: `nobody${i}@budget.test`, password: "Not the password 1!" } })),
      );
      const statuses = wrong.map((r) => r.status);
      // At most the budget's second's worth were checked (and maybe one more refilled meanwhile).
      expect(statuses.filter((s) => s === 401).length, statuses.join(",")).toBeGreaterThanOrEqual(4);
      expect(statuses.filter((s) => s === 401).length, statuses.join(",")).toBeLessThanOrEqual(6);
      for (const r of wrong.filter((x) => x.status === 503)) {
        expect(r.headers["retry-after"]).toBe("1");
        expect(r.body.description).toMatch(/Too many sign-ins at once/);
      }
      // A refused attempt is not a failed sign-in: nothing was read or written for it.
      const failures = await a.api("GET", "/api/v2/audit_logs.json?filter[action]=user.signin_failed");
      expect(failures.body.audit_logs.length).toBe(statuses.filter((s) => s === 401).length);
      // The budget refills: a second later, a sign-in is checked again.
      await new Promise((r) => setTimeout(r, 1100));
      const later = await b.request({ method: "POST", path: "/api/v2/session.json", host: a.host, body: { email: a.ownerEmail, password: a.ownerPassword } });
      expect(later.status, later.text).toBe(201);
    } finally {
      await b.close();
    }
  });
});
