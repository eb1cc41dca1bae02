import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SetupToken } from "../src/platform/setup-token.ts";
import { chainQueued } from "../src/modules/audit/audit-service.ts";
import { openEmptyDatabase, startTestApp, type TestApp } from "./support/harness.ts";

let t: TestApp;
let empty: Awaited<ReturnType<typeof openEmptyDatabase>>;
const gate = new SetupToken();

beforeAll(async () => {
  empty = await openEmptyDatabase();
  t = await startTestApp({ db: empty.db, setup: gate });
});
afterAll(async () => {
  await t?.close();
  await empty?.drop();
});

const body = (token: string, password = "Correct horse battery 9") => ({
  token,
  account: { name: "Acme Support", subdomain: "acme" },
  owner: { name: "Ann Owner", email: "ann@acme.test", password },
});

describe("first-run setup", () => {
  it("says setup is needed on an empty install, and no account answers on the bare host", async () => {
    const s = await t.request({ method: "GET", path: "/api/v2/setup.json", host: "localhost" });
    expect(s.body).toEqual({ setup: { needed: true } });
    expect((await t.request({ method: "GET", path: "/api/v2/users/me.json", host: "localhost" })).status).toBe(404);
  });

  it("refuses a wrong token and a weak password, creating nothing", async () => {
    const wrong = await t.request({ method: "POST", path: "/api/v2/setup.json", host: "localhost", body: body("not-the-token") });
    expect(wrong.status).toBe(403);
    const weak = await t.request({ method: "POST", path: "/api/v2/setup.json", host: "localhost", body: body(gate.token, "short") });
    expect(weak.status).toBe(422);
    expect((await t.request({ method: "GET", path: "/api/v2/setup.json", host: "localhost" })).body.setup.needed).toBe(true);
  });

  it("creates the first account with the console token, then the owner can sign in; setup is then gone", async () => {
    const ok = await t.request({ method: "POST", path: "/api/v2/setup.json", host: "localhost", body: body(gate.token) });
    expect(ok.status).toBe(201);
    expect(ok.body.account.subdomain).toBe("acme");
    const signIn = await t.request({ method: "POST", path: "/api/v2/session.json", host: "localhost", body: { email: "ann@acme.test", password: "Correct horse battery 9" } });
    expect(signIn.status).toBe(201);
    expect(signIn.body.session.must_change_password).toBe(false);
    const again = await t.request({ method: "POST", path: "/api/v2/setup.json", host: "localhost", body: body(gate.token) });
    expect(again.status).toBe(404);
    // The audit trail credits the person at the setup page (with their address), not the command
    // line, and no API token was made that nobody would ever see.
    const tenantId = (await t.db.owner.selectFrom("tenants").select("id").where("subdomain", "=", "acme").executeTakeFirstOrThrow()).id;
    const { entries, tokens } = await t.db.tenant(tenantId, async (tx) => {
      await chainQueued(tx);
      return {
        entries: await tx.db.selectFrom("audit_log").select(["actor_kind", "action", "ip_sealed"]).where("action", "in", ["tenant.created", "user.created"]).execute(),
        tokens: await tx.db.selectFrom("api_tokens").select("id").execute(),
      };
    });
    expect(entries.map((e) => [e.action, e.actor_kind]).sort()).toEqual([["tenant.created", "setup"], ["user.created", "setup"]]);
    expect(entries.every((e) => e.ip_sealed !== null)).toBe(true);
    expect(tokens).toEqual([]);
    expect((await t.request({ method: "GET", path: "/api/v2/setup.json", host: "localhost" })).body.setup.needed).toBe(false);
  });
});
