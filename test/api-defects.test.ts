import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, buildUser, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";
import { hasSigninLink, linkIn, startSmtpPeer, type SmtpPeer } from "./support/smtp-peer.ts";

/**
 * Addresses the server writes come from configuration, never from the Host header; bad hosts
 * are refused; empty JSON bodies are no bodies; and the API behaviours a team switching from
 * Zendesk relies on: search operators, group names, organization domains and members.
 */

let t: TestApp;
let smtp: SmtpPeer;

beforeAll(async () => {
  smtp = await startSmtpPeer();
  t = await startTestApp({ env: { VAULTDESK_SMTP_URL: smtp.url, VAULTDESK_PUBLIC_URL: "https://help.example.com", VAULTDESK_BASE_DOMAIN: "help.example.com" } });
});
afterAll(async () => {
  await t?.close();
  await smtp?.close();
});

const auth = (a: TestTenant) => ({ authorization: "Basic " + Buffer.from(`${a.ownerEmail}/token:${a.ownerToken}`).toString("base64") });
/** A request with any Host header at all (http.request would refuse some). */
function rawRequest(host: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port: t.port, path, method: "GET", setHost: false, headers: { ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8"), headers: res.headers }));
    });
    req.setHeader("host", host);
    req.on("error", reject);
    req.end();
  });
}

describe("generated URLs", () => {
  it("come from VAULTDESK_PUBLIC_URL and the tenant's subdomain, whatever the Host header says", async () => {
    const a = await buildTenant(t, "urlcfg");
    const host = `${a.subdomain}.help.example.com`;
    await t.request({ method: "POST", path: "/api/v2/tickets.json", host, headers: auth(a), body: { ticket: { subject: "one", comment: { body: "x" } } } });
    await t.request({ method: "POST", path: "/api/v2/tickets.json", host, headers: auth(a), body: { ticket: { subject: "two", comment: { body: "x" } } } });
    // The same tenant reached with its host in upper case and another port.
    const r = await t.request({ method: "GET", path: "/api/v2/tickets.json?per_page=1", host: `${a.subdomain.toUpperCase()}.HELP.EXAMPLE.COM:9999`, headers: auth(a) });
    expect(r.status, r.text).toBe(200);
    const origin = `https://${a.subdomain}.help.example.com`;
    // The default tenant (the database's first) is served on the bare domain, and its links say so.
    const isDefault = (await t.db.owner.selectFrom("tenants").select("is_default").where("id", "=", a.tenantId).executeTakeFirstOrThrow()).is_default;
    const expected = isDefault ? "https://help.example.com" : origin;
    expect(r.body.tickets[0].url.startsWith(`${expected}/api/v2/tickets/`)).toBe(true);
    expect(r.body.next_page.startsWith(`${expected}/api/v2/tickets.json?`)).toBe(true);
    expect(r.text).not.toContain(":9999");
    expect(r.text).not.toMatch(/HELP\.EXAMPLE/);
  });

  it("refuses a Host header that is not a plain host name, before it selects anything", async () => {
    const a = await buildTenant(t, "urlbad");
    for (const bad of [`evil.test@${a.subdomain}.help.example.com`, `${a.subdomain}.help.example.com evil`, `${a.subdomain}.help.example.com/x`, "x".repeat(300), `${a.subdomain}.help.example.com:99999999`, "[::1"]) {
      const r = await rawRequest(bad, "/api/v2/users/me.json", auth(a));
      expect(r.status, bad).toBe(400);
      expect(JSON.parse(r.body).error, bad).toBe("BadRequest");
      expect(r.headers["content-security-policy"], bad).toBeTruthy();
    }
    expect((await rawRequest(`${a.subdomain}.help.example.com`, "/api/v2/users/me.json", auth(a))).status).toBe(200);
  });

  it("put the configured address in mailed sign-in links, even when the Host header differs", async () => {
    const a = await buildTenant(t, "urlmail");
    const email = `linked.${Date.now()}@example.test`;
    await t.request({ method: "POST", path: "/api/v2/users.json", host: `${a.subdomain}.help.example.com`, headers: auth(a), body: { user: { name: "Linked", email } } });
    const since = smtp.messages.length;
    const r = await t.request({ method: "POST", path: "/api/v2/help_center/sign_in_links.json", host: `${a.subdomain}.HELP.example.com.`, body: { email } });
    expect(r.status, r.text).toBe(202);
    const link = linkIn(await smtp.waitFor(email, { since, match: hasSigninLink }));
    expect(new URL(link).origin).toMatch(/^https:\/\/([a-z0-9]+\.)?help\.example\.com$/);
  });
});

describe("request bodies", () => {
  it("treat an empty JSON body as no body, as Zendesk clients send on DELETE", async () => {
    const a = await buildTenant(t, "body");
    const g = await t.request({ method: "POST", path: "/api/v2/groups.json", host: `${a.subdomain}.help.example.com`, headers: auth(a), body: { group: { name: "Doomed" } } });
    const del = await t.request({ method: "DELETE", path: `/api/v2/groups/${g.body.group.id}.json`, host: `${a.subdomain}.help.example.com`, headers: { ...auth(a), "content-type": "application/json" }, rawBody: "" });
    expect(del.status, del.text).toBe(204);
    const empty = await t.request({ method: "POST", path: "/api/v2/groups.json", host: `${a.subdomain}.help.example.com`, headers: { ...auth(a), "content-type": "application/json" }, rawBody: "" });
    expect(empty.status).toBeGreaterThanOrEqual(400);
    expect(empty.status).toBeLessThan(500);
  });
});

describe("with a default local configuration", () => {
  let l: TestApp;
  let a: TestTenant;
  beforeAll(async () => {
    l = await startTestApp();
    a = await buildTenant(l, "api");
  });
  afterAll(async () => l?.close());

  it("searches by priority rank, group names, and either of repeated fields", async () => {
    const g = await a.api("POST", "/api/v2/groups.json", { group: { name: "Tier 2" } });
    const mk = (priority: string, extra: Record<string, unknown> = {}) => a.api("POST", "/api/v2/tickets.json", { ticket: { subject: priority, priority, comment: { body: "x" }, ...extra } });
    const low = (await mk("low", { tags: ["phone"] })).body.ticket.id;
    const normal = (await mk("normal", { tags: ["vip"], group_id: g.body.group.id })).body.ticket.id;
    const high = (await mk("high", { status: "pending" })).body.ticket.id;
    const urgent = (await mk("urgent")).body.ticket.id;
    const ids = async (q: string) => (await a.api("GET", `/api/v2/search.json?query=${encodeURIComponent(q)}`)).body.results.map((r: { id: number }) => r.id).sort((x: number, y: number) => x - y);
    expect(await ids("priority>normal")).toEqual([high, urgent]);
    expect(await ids("priority<normal")).toEqual([low]);
    expect(await ids("priority>=high")).toEqual([high, urgent]);
    expect(await ids('group:"Tier 2"')).toEqual([normal]);
    expect(await ids("group:tier")).toEqual([]);
    expect(await ids("tags:vip tags:phone")).toEqual([low, normal]);
    expect(await ids("status:new status:pending")).toEqual([low, normal, high, urgent]);
    expect(await ids("status:pending priority:high")).toEqual([high]);
    expect(await ids("status:pending priority:low")).toEqual([]);
    expect((await a.api("GET", `/api/v2/search/count.json?query=${encodeURIComponent("tags:vip tags:phone")}`)).body.count).toBe(2);
  });

  it("keeps group names unique and lets admins delete groups", async () => {
    expect((await a.api("POST", "/api/v2/groups.json", { group: { name: "Billing" } })).status).toBe(201);
    const dup = await a.api("POST", "/api/v2/groups.json", { group: { name: "billing" } });
    expect(dup.status).toBe(422);
    expect(dup.body.details.name[0].error).toBe("DuplicateValue");
    const other = await a.api("POST", "/api/v2/groups.json", { group: { name: "Sales" } });
    expect((await a.api("PUT", `/api/v2/groups/${other.body.group.id}.json`, { group: { name: "BILLING" } })).status).toBe(422);
    expect((await a.api("DELETE", `/api/v2/groups/${other.body.group.id}.json`)).status).toBe(204);
    // A deleted group's name can be used again.
    expect((await a.api("POST", "/api/v2/groups.json", { group: { name: "Sales" } })).status).toBe(201);
  });

  it("maps users to organizations by their address's domain, and lists an organization's members", async () => {
    const org = await a.api("POST", "/api/v2/organizations.json", { organization: { name: "Acme", domain_names: ["Acme.example", "acme-corp.example"] } });
    expect(org.status, org.text).toBe(201);
    expect(org.body.organization.domain_names).toEqual(["acme-corp.example", "acme.example"]);
    const id = org.body.organization.id;
    const clash = await a.api("POST", "/api/v2/organizations.json", { organization: { name: "Other", domain_names: ["acme.example"] } });
    expect(clash.status).toBe(422);
    expect((await a.api("POST", "/api/v2/organizations.json", { organization: { name: "Bad", domain_names: ["not a domain"] } })).status).toBe(422);
    // An end user created by staff, by the help center's form, or as a ticket requester joins it.
    const u1 = await a.api("POST", "/api/v2/users.json", { user: { name: "Ann", email: "ann@acme.example" } });
    expect(u1.body.user.organization_id).toBe(id);
    const form = await l.request({ method: "POST", path: "/api/v2/requests.json", host: a.host, body: { request: { subject: "Hi", comment: { body: "x" }, requester: { name: "Bo", email: "bo@ACME-corp.example" } } } });
    expect(form.status).toBe(201);
    const tk = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "For Cy", comment: { body: "x" }, requester: { name: "Cy", email: "cy@acme.example" } } });
    expect(tk.body.ticket.organization_id).toBe(id);
    // Not someone at another domain, and not staff.
    expect((await a.api("POST", "/api/v2/users.json", { user: { name: "Di", email: "di@elsewhere.example" } })).body.user.organization_id).toBeNull();
    expect((await a.api("POST", "/api/v2/users.json", { user: { name: "Ed", email: "ed@acme.example", role: "agent" } })).body.user.organization_id).toBeNull();
    const members = await a.api("GET", `/api/v2/organizations/${id}/users.json`);
    expect(members.status).toBe(200);
    expect(members.body.users.map((u: { email: string }) => u.email).sort()).toEqual(["ann@acme.example", "bo@acme-corp.example", "cy@acme.example"]);
    // Domains can be replaced; the organization answers them.
    const upd = await a.api("PUT", `/api/v2/organizations/${id}.json`, { organization: { domain_names: ["acme.example"] } });
    expect(upd.body.organization.domain_names).toEqual(["acme.example"]);
    expect((await a.api("POST", "/api/v2/organizations.json", { organization: { name: "Corp", domain_names: ["acme-corp.example"] } })).status).toBe(201);
    expect((await a.api("GET", "/api/v2/organizations/999999/users.json")).status).toBe(404);
  });

  it("lets agents read an organization's members", async () => {
    const agent = await buildUser(l, a, "agent");
    const org = (await a.api("GET", "/api/v2/organizations.json")).body.organizations[0].id;
    expect((await a.api("GET", `/api/v2/organizations/${org}/users.json`, undefined, { email: agent.email, token: agent.token! })).status).toBe(200);
  });
});
