import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runOperation } from "../src/cli/operations.ts";
import { AppError } from "../src/platform/errors.ts";
import type { Runtime } from "../src/platform/runtime.ts";
import { SUPPORT_PASS_SCHEME } from "../src/platform/http/support-passes.ts";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { asSession, signIn } from "./support/people.ts";

/**
 * Temporary support access: the owner grants the operator access for 1–30 days; the operator's
 * `vaultdesk support api` acts as the tenant's support user through the server's own routing,
 * refused without a live grant (never granted, revoked, expired: the clock is injected), read-only
 * grants cannot write, the support user cannot grant itself anything or mint credentials, its
 * actions are audited as it, and grants stay in their tenant.
 */

let clock = new Date("2026-03-01T09:00:00Z");
const DAY = 86_400_000;
let t: TestApp;
let rt: Runtime;
beforeAll(async () => {
  t = await startTestApp({ now: () => clock });
  rt = { config: t.config, db: t.db, keyring: t.keyring, masterKeyCreated: false, databaseCreated: false, permissionWarning: undefined, listenPort: t.port, close: async () => undefined, app: t.app, now: () => clock };
});
afterAll(async () => t?.close());

type ApiResult = { status: number; body: string; grant: number; level: string };
const supportApi = (tenant: TestTenant, method: string, path: string, data?: unknown) =>
  runOperation(rt, "support.api", { tenant: tenant.subdomain, method, path, ...(data !== undefined ? { data: JSON.stringify(data) } : {}) }) as Promise<ApiResult>;
const refusal = async (p: Promise<unknown>) => {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
};
const grant = (tenant: TestTenant, body: unknown, as?: { email: string; token: string }) => tenant.api("POST", "/api/v2/support_access.json", { support_access: body }, as);
const auditOf = async (tenant: TestTenant, action: string) => (await tenant.api("GET", `/api/v2/audit_logs.json?filter[action]=${action}`)).body.audit_logs as Array<{ actor_type: string; actor_id: number | null; source_id: string; changed_fields: string[] }>;

describe("granting support access", () => {
  it("is the owner's alone; admins see and revoke; days outside 1–30 and a second live grant are refused", async () => {
    const a = await buildTenant(t, "sa");
    const admin = await buildUser(t, a, "admin");
    const agent = await buildUser(t, a, "agent");
    expect((await grant(a, { days: 3, level: "read_only" }, { email: admin.email, token: admin.token! })).status).toBe(403);
    expect((await grant(a, { days: 3, level: "read_only" }, { email: agent.email, token: agent.token! })).status).toBe(403);
    for (const days of [0, 31, 2.5, -1]) expect((await grant(a, { days, level: "read_only" })).status).toBe(422);
    expect((await grant(a, { days: 3, level: "everything" })).status).toBe(422);
    expect((await grant(a, { days: 3, level: "read_only", extra: 1 })).status).toBe(422);

    const g = await grant(a, { days: 30, level: "read_only", reason: "Ticket #4411: mail import stalls" });
    expect(g.status).toBe(201);
    expect(g.body.support_access_grant).toMatchObject({ level: "read_only", status: "live", reason: "Ticket #4411: mail import stalls", granted_by_name: "Owner Person" });
    expect(new Date(g.body.support_access_grant.expires_at).getTime() - clock.getTime()).toBe(30 * DAY);
    expect((await grant(a, { days: 1, level: "read_write" })).status).toBe(422);

    const seen = await a.api("GET", "/api/v2/support_access.json", undefined, { email: admin.email, token: admin.token! });
    expect(seen.status).toBe(200);
    expect(seen.body.abilities).toEqual({ can_grant: false, can_revoke: true });
    expect(seen.body.support_access_grants[0].id).toBe(g.body.support_access_grant.id);
    expect((await a.api("GET", "/api/v2/support_access.json", undefined, { email: agent.email, token: agent.token! })).status).toBe(403);
    expect((await a.api("GET", "/api/v2/support_access.json")).body.abilities).toEqual({ can_grant: true, can_revoke: true });

    // An agent is refused as the list refuses them (403), before the id is looked up.
    expect((await a.api("DELETE", `/api/v2/support_access/${g.body.support_access_grant.id}.json`, undefined, { email: agent.email, token: agent.token! })).status).toBe(403);
    expect((await a.api("DELETE", `/api/v2/support_access/${g.body.support_access_grant.id}.json`, undefined, { email: admin.email, token: admin.token! })).status).toBe(204);
    const after = (await a.api("GET", "/api/v2/support_access.json")).body.support_access_grants[0];
    expect(after).toMatchObject({ status: "revoked", revoked_by_id: admin.id });
    const granted = await auditOf(a, "support_access.granted");
    expect(granted[0]).toMatchObject({ actor_type: "user", source_id: String(g.body.support_access_grant.id) });
    expect(granted[0]!.changed_fields).toEqual(["days", "level", "reason"]);
    expect((await auditOf(a, "support_access.revoked"))[0]).toMatchObject({ actor_id: admin.id });
  });

  it("on the owner's session, needs a sign-in within 15 minutes: an old session grants nothing, writes nothing and audits nothing", async () => {
    const a = await buildTenant(t, "sarecent");
    const session = await signIn(t, a, a.ownerEmail, a.ownerPassword);
    const asOwner = (method: string, path: string, body?: unknown) => asSession(t, a, session, method, path, body);
    const started = clock;
    try {
      clock = new Date(started.getTime() + 16 * 60_000);
      const old = await asOwner("POST", "/api/v2/support_access.json", { support_access: { days: 30, level: "read_write" } });
      expect(old.status, old.text).toBe(403);
      expect(old.body.error).toBe("RecentSignInRequired");
      // Still signed in: the session reads, and revoking (which closes a way in) needs no new sign-in.
      expect((await asOwner("GET", "/api/v2/support_access.json")).body.support_access_grants).toEqual([]);
      expect(await auditOf(a, "support_access.granted")).toEqual([]);
      await expect(refusal(supportApi(a, "GET", "/api/v2/tickets.json"))).resolves.toBeInstanceOf(AppError);

      const fresh = await signIn(t, a, a.ownerEmail, a.ownerPassword);
      const g = await asSession(t, a, fresh, "POST", "/api/v2/support_access.json", { support_access: { days: 1, level: "read_only" } });
      expect(g.status, g.text).toBe(201);
      clock = new Date(clock.getTime() + 16 * 60_000);
      expect((await asOwner("DELETE", `/api/v2/support_access/${g.body.support_access_grant.id}.json`)).status).toBe(204);
    } finally {
      clock = started;
    }
  });

  it("answers another tenant's grant id as a missing one, and a grant in one tenant opens nothing in another", async () => {
    const a = await buildTenant(t, "sb");
    const b = await buildTenant(t, "sb");
    // Ids count per tenant: a's second grant has an id b never gave.
    const first = (await grant(a, { days: 2, level: "read_only" })).body.support_access_grant;
    await a.api("DELETE", `/api/v2/support_access/${first.id}.json`);
    const g = (await grant(a, { days: 2, level: "read_write" })).body.support_access_grant;
    const gb = (await grant(b, { days: 2, level: "read_only" })).body.support_access_grant;
    expect(g.id).toBeGreaterThan(gb.id);
    expect((await b.api("DELETE", `/api/v2/support_access/${g.id}.json`)).status).toBe(404);
    expect((await a.api("GET", "/api/v2/support_access.json")).body.support_access_grants[0]).toMatchObject({ id: g.id, status: "live" });
    expect((await b.api("GET", "/api/v2/support_access.json")).body.support_access_grants.map((x: { id: number }) => x.id)).toEqual([gb.id]);
    await b.api("DELETE", `/api/v2/support_access/${gb.id}.json`);
    const err = await refusal(supportApi(b, "GET", "/api/v2/tickets.json"));
    expect(err.code).toBe("Forbidden");
    expect(err.description).toMatch(/No live support access grant.*revoked/);
    // a's grant is untouched and works in a.
    expect((await supportApi(a, "GET", "/api/v2/tickets.json")).status).toBe(200);
  });
});

describe("the operator acting as the support user", () => {
  it("reads tickets under a grant, is refused without one, after revocation and after expiry; each use and refusal audited", async () => {
    const a = await buildTenant(t, "sc");
    const ticket = (await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "Printer on fire", comment: { body: "smoke" } } })).body.ticket;

    const never = await refusal(supportApi(a, "GET", "/api/v2/tickets.json"));
    expect(never.code).toBe("Forbidden");
    expect(never.description).toMatch(/never granted/);
    expect((await runOperation(rt, "support.status", { tenant: a.subdomain })) as unknown).toEqual({ live: false, grant: null });

    const g = (await grant(a, { days: 2, level: "read_only" })).body.support_access_grant;
    const list = await supportApi(a, "GET", "/api/v2/tickets.json");
    expect(list.status).toBe(200);
    expect(JSON.parse(list.body).tickets.map((x: { subject: string }) => x.subject)).toContain("Printer on fire");
    const one = await supportApi(a, "GET", `/api/v2/tickets/${ticket.id}.json`);
    expect(JSON.parse(one.body).ticket.subject).toBe("Printer on fire");
    expect(await runOperation(rt, "support.status", { tenant: a.subdomain })).toMatchObject({ live: true, grant: { id: g.id, level: "read_only", status: "live" } });

    // Read-only: no write gets through, whatever the route.
    const write = await supportApi(a, "PUT", `/api/v2/tickets/${ticket.id}.json`, { ticket: { status: "solved" } });
    expect(write.status).toBe(403);
    expect(JSON.parse(write.body).description).toBe("This support access grant is read only.");
    expect((await a.api("GET", `/api/v2/tickets/${ticket.id}.json`)).body.ticket.status).not.toBe("solved");

    // Used as the support user: the audit's actor is it, the grant is the entry's source.
    const used = await auditOf(a, "support_access.used");
    expect(used.length).toBe(3);
    expect(used[0]).toMatchObject({ actor_type: "user", actor_id: g.support_user_id, source_id: String(g.id) });
    expect(used[0]!.changed_fields).toEqual(["put", "tickets"]);
    const me = JSON.parse((await supportApi(a, "GET", "/api/v2/users/me.json")).body).user;
    expect(me).toMatchObject({ id: g.support_user_id, name: "Vaultdesk support (operator)", email: null, suspended: true });

    // Expiry, by the injected clock.
    const saved = clock;
    clock = new Date(clock.getTime() + 2 * DAY + 1);
    try {
      const expired = await refusal(supportApi(a, "GET", "/api/v2/tickets.json"));
      expect(expired.description).toMatch(/expired/);
      expect(await runOperation(rt, "support.status", { tenant: a.subdomain })).toMatchObject({ live: false, grant: { id: g.id, status: "expired" } });
    } finally {
      clock = saved;
    }
    expect((await supportApi(a, "GET", "/api/v2/tickets.json")).status).toBe(200);
    await a.api("DELETE", `/api/v2/support_access/${g.id}.json`);
    expect((await refusal(supportApi(a, "GET", "/api/v2/tickets.json"))).description).toMatch(/revoked/);
    const refused = await auditOf(a, "support_access.refused");
    expect(refused.map((e) => [e.actor_type, e.changed_fields[0]])).toEqual([
      ["operator", "revoked"],
      ["operator", "expired"],
      ["operator", "none"],
    ]);
  });

  it("writes under a read-and-write grant as the support user, but cannot grant itself access, mint credentials or touch sign-in security", async () => {
    const a = await buildTenant(t, "sd");
    const g = (await grant(a, { days: 1, level: "read_write" })).body.support_access_grant;
    const created = await supportApi(a, "POST", "/api/v2/tickets.json", { ticket: { subject: "Opened by support", comment: { body: "repro steps" } } });
    expect(created.status).toBe(201);
    const id = JSON.parse(created.body).ticket.id as number;
    const ticketAudit = (await auditOf(a, "ticket.created")).find((e) => e.source_id === String(id));
    expect(ticketAudit).toMatchObject({ actor_type: "user", actor_id: g.support_user_id });

    for (const [method, path, body] of [
      ["POST", "/api/v2/support_access.json", { support_access: { days: 30, level: "read_write" } }],
      ["GET", "/api/v2/support_access.json", undefined],
      ["DELETE", `/api/v2/support_access/${g.id}.json`, undefined],
      ["POST", "/api/v2/api_tokens.json", { api_token: { name: "mine" } }],
      ["GET", "/api/v2/api_tokens.json", undefined],
      ["PUT", "/api/v2/two_factor_settings.json", { two_factor_settings: { require_staff_two_factor: false } }],
      ["PUT", `/api/v2/users/${g.support_user_id}/role.json`, { role: "admin" }],
      ["GET", "/api/v2/sessions.json", undefined],
    ] as const) {
      const r = await supportApi(a, method, path, body);
      expect([method, path, r.status]).toEqual([method, path, 403]);
    }
    // Nor can it edit itself, nor an admin unsuspend it or give it an address.
    expect((await supportApi(a, "PUT", `/api/v2/users/${g.support_user_id}.json`, { user: { name: "Someone else" } })).status).toBe(403);
    expect((await a.api("PUT", `/api/v2/users/${g.support_user_id}.json`, { user: { suspended: false } })).status).toBe(403);
    expect((await a.api("PUT", `/api/v2/users/${g.support_user_id}.json`, { user: { email: "op@example.com" } })).status).toBe(403);
    expect((await a.api("DELETE", `/api/v2/users/${g.support_user_id}.json`)).status).toBe(403);
    // The grant is as the owner left it.
    expect((await a.api("GET", "/api/v2/support_access.json")).body.support_access_grants).toHaveLength(1);

    // Nobody's assignee, and not in the assignee picker.
    const assignable = (await a.api("GET", "/api/v2/users/assignable.json")).body.users.map((u: { id: number }) => u.id);
    expect(assignable).not.toContain(g.support_user_id);
    expect((await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { assignee_id: g.support_user_id } })).status).toBe(422);
  });

  it("takes a pass once, in its own tenant only, from the server's own routing only; a forged, replayed or copied pass is refused", async () => {
    const a = await buildTenant(t, "se");
    const b = await buildTenant(t, "se");
    const g = (await grant(a, { days: 1, level: "read_only" })).body.support_access_grant;
    const { findTenant } = await import("../src/modules/tenants/tenants-service.ts");
    const ta = (await findTenant(t.db, { subdomain: a.subdomain }))!;
    // The grant's internal id, as the operator command hands it to the pass.
    const findGrantId = async () => (await t.db.tenant(ta.id, (tx) => tx.db.selectFrom("support_access_grants").select("id").where("nice_id", "=", g.id).executeTakeFirstOrThrow())).id;
    const pass = t.app.supportPasses.mint({ tenantId: ta.id, grantId: await findGrantId() });
    const auth = { authorization: `${SUPPORT_PASS_SCHEME} ${pass}` };
    // Presented to another tenant's host: refused, and spent.
    expect((await t.request({ method: "GET", path: "/api/v2/tickets.json", host: b.host, headers: auth })).status).toBe(401);
    expect((await t.request({ method: "GET", path: "/api/v2/tickets.json", host: a.host, headers: auth })).status).toBe(401);
    // The server's own routing (as the operator's command sends it): good once.
    const inProcess = (authorization: string) => t.app.inject({ method: "GET", url: "/api/v2/tickets.json", headers: { host: a.host, authorization } });
    const pass2 = `${SUPPORT_PASS_SCHEME} ${t.app.supportPasses.mint({ tenantId: ta.id, grantId: await findGrantId() })}`;
    expect((await inProcess(pass2)).statusCode).toBe(200);
    expect((await inProcess(pass2)).statusCode).toBe(401);
    // A live pass copied onto a network connection: refused, and spent by the attempt.
    const pass3 = `${SUPPORT_PASS_SCHEME} ${t.app.supportPasses.mint({ tenantId: ta.id, grantId: await findGrantId() })}`;
    expect((await t.request({ method: "GET", path: "/api/v2/tickets.json", host: a.host, headers: { authorization: pass3 } })).status).toBe(401);
    expect((await inProcess(pass3)).statusCode).toBe(401);
    expect((await t.request({ method: "GET", path: "/api/v2/tickets.json", host: a.host, headers: { authorization: `${SUPPORT_PASS_SCHEME} forged-pass` } })).status).toBe(401);
  });

  it("builds the app in its own process when no server serves it (PostgreSQL, or no server running), and grants cannot race", async () => {
    const a = await buildTenant(t, "sg");
    const both = await Promise.all([grant(a, { days: 1, level: "read_only" }), grant(a, { days: 1, level: "read_only" })]);
    expect(both.map((r) => r.status).sort()).toEqual([201, 422]);
    const alone: Runtime = { ...rt, app: undefined };
    const r = (await runOperation(alone, "support.api", { tenant: a.subdomain, method: "GET", path: "/api/v2/users/me.json" })) as ApiResult;
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).user.name).toBe("Vaultdesk support (operator)");
  });

  it("refuses unknown tenants and paths outside the API", async () => {
    const a = await buildTenant(t, "sf");
    expect((await refusal(supportApi({ ...a, subdomain: "nosuchtenant" }, "GET", "/api/v2/tickets.json"))).code).toBe("RecordNotFound");
    for (const path of ["/access/saml", "/api/v2/../setup", "https://evil.test/api/v2/tickets", "/api/v2/tickets\n.json"]) {
      expect((await refusal(supportApi(a, "GET", path))).code).toBe("RecordInvalid");
    }
    expect((await refusal(runOperation(rt, "support.api", { tenant: a.subdomain, method: "GET", path: "/api/v2/tickets.json", data: "{not json" }))).code).toBe("RecordInvalid");
  });
});
