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
