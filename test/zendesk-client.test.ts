import http from "node:http";
import { createClient } from "node-zendesk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";

/**
 * Existing Zendesk clients work unchanged: the `node-zendesk` package from npm, pointed at a
 * Vaultdesk tenant with email/token auth. The only adaptation is network plumbing: the client's
 * transport connects to 127.0.0.1 and keeps the tenant's host name in the Host header, because
 * `*.localhost` names may not resolve on a test machine.
 */

let t: TestApp;
let a: TestTenant;

type Resp = { json(): Promise<unknown>; status: number; headers: { get(k: string): string | null }; statusText: string };

function loopbackTransport(port: number) {
  return {
    transportFn(uri: string, options: { method: string; headers: Record<string, string>; body?: string }): Promise<Resp> {
      const u = new URL(uri);
      return new Promise((resolve, reject) => {
        const req = http.request(
          { host: "127.0.0.1", port, method: options.method, path: u.pathname + u.search, headers: { ...options.headers, host: u.host } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => {
              const text = Buffer.concat(chunks).toString("utf8");
              resolve({
                json: async () => JSON.parse(text),
                status: res.statusCode ?? 0,
                statusText: res.statusMessage ?? "",
                headers: { get: (k: string) => (res.headers[k.toLowerCase()] as string | undefined) ?? null },
              });
            });
          },
        );
        req.on("error", reject);
        if (options.body) req.write(options.body);
        req.end();
      });
    },
    responseAdapter: (r: Resp) => r,
  };
}

function client(tenant: TestTenant, token = tenant.ownerToken) {
  // node-zendesk's option types do not list transportConfig/endpointUri as fully as it supports them.
  return createClient({
    username: tenant.ownerEmail,
    token,
    subdomain: tenant.subdomain,
    endpointUri: `http://${tenant.host}:${t.port}/api/v2`,
    transportConfig: loopbackTransport(t.port),
    throwOriginalException: true,
  } as unknown as Parameters<typeof createClient>[0]);
}

beforeAll(async () => {
  t = await startTestApp();
  a = await buildTenant(t, "zd");
});
afterAll(async () => t?.close());

describe("node-zendesk against Vaultdesk", () => {
  it("creates, shows and updates a ticket with a comment, and reads comments", async () => {
    const z = client(a);
    const created = (await z.tickets.create({ ticket: { subject: "From node-zendesk", comment: { body: "Created by the official client" }, priority: "high" } } as never)) as unknown as { result: { id: number; subject: string; priority: string } };
    expect(created.result).toMatchObject({ subject: "From node-zendesk", priority: "high" });
    const id = created.result.id;
    const shown = (await z.tickets.show(id)) as unknown as { result: { id: number; status: string } };
    expect(shown.result).toMatchObject({ id, status: "new" });
    const updated = (await z.tickets.update(id, { ticket: { status: "open", comment: { body: "Working on it", public: false } } } as never)) as unknown as { result: { status: string } };
    expect(updated.result.status).toBe("open");
    const comments = (await z.tickets.getComments(id)) as unknown as Array<{ body: string; public: boolean }>;
    expect(comments.map((c) => [c.body, c.public])).toEqual([["Created by the official client", true], ["Working on it", false]]);
  });

  it("lists across several pages and shows many", async () => {
    const b = await buildTenant(t, "zdpages");
    const z = client(b);
    for (let i = 0; i < 105; i++) await b.api("POST", "/api/v2/tickets.json", { ticket: { subject: `page ${i}`, comment: { body: "b" } } });
    const all = (await z.tickets.list()) as unknown as Array<{ id: number }>;
    expect(all.map((x) => x.id)).toEqual(Array.from({ length: 105 }, (_, i) => i + 1));
    const many = (await z.tickets.showMany([3, 5, 7])) as unknown as { result: Array<{ id: number }> };
    expect(many.result.map((x) => x.id)).toEqual([3, 5, 7]);
  }, 120_000);

  it("searches", async () => {
    const z = client(a);
    await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: "tagged", comment: { body: "b" }, tags: ["zdsearch"] } });
    const r = (await z.search.query("type:ticket tags:zdsearch")) as unknown as { result: Array<{ subject: string }> };
    expect(r.result.map((x) => x.subject)).toEqual(["tagged"]);
  });

  it("works with users, organizations and groups", async () => {
    const z = client(a);
    const me = (await z.users.me()) as unknown as { result: { email: string } };
    expect(me.result.email).toBe(a.ownerEmail);
    const u = (await z.users.create({ user: { name: "Client User", email: "client.user@zd.test" } } as never)) as unknown as { result: { id: number } };
    const shown = (await z.users.show(u.result.id)) as unknown as { result: { name: string } };
    expect(shown.result.name).toBe("Client User");
    const users = (await z.users.list()) as unknown as Array<{ email: string }>;
    expect(users.map((x) => x.email)).toContain("client.user@zd.test");
    const org = (await z.organizations.create({ organization: { name: "Client Org" } } as never)) as unknown as { result: { id: number } };
    expect(((await z.organizations.show(org.result.id)) as unknown as { result: { name: string } }).result.name).toBe("Client Org");
    expect(((await z.organizations.list()) as unknown as Array<{ name: string }>).map((o) => o.name)).toContain("Client Org");
    const g = (await z.groups.create({ group: { name: "Client Group" } } as never)) as unknown as { result: { id: number } };
    expect(g.result.id).toBeGreaterThan(0);
    expect(((await z.groups.list()) as unknown as Array<{ name: string }>).map((x) => x.name)).toContain("Client Group");
  });

  it("surfaces Vaultdesk's error codes the way Zendesk's are surfaced", async () => {
    const z = client(a);
    await expect(z.tickets.show(999_999)).rejects.toMatchObject({ statusCode: 404 });
    await expect(z.tickets.create({ ticket: { subject: 42 } } as never)).rejects.toMatchObject({ statusCode: 422 });
    await expect(client(a, "vdt_wrong").users.me()).rejects.toMatchObject({ statusCode: 401 });
  });
});
