import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTenant, startTestApp, type TestApp, type TestTenant } from "../support/harness.ts";
import { startNginx, type Nginx } from "../support/nginx.ts";

/**
 * The client address through a real reverse proxy (Debian's nginx on loopback, adding
 * X-Forwarded-For with `$proxy_add_x_forwarded_for`): the app trusts only nginx's own address
 * (nginx connects to it from 127.0.0.5), so a client through nginx is judged by the address nginx
 * saw, a client that writes its own X-Forwarded-For through nginx is still judged by its real
 * address (the rightmost entry that is not the proxy), and one that connects directly is not
 * believed at all.
 */

const PROXY = "127.0.0.5";
let t: TestApp;
let nginx: Nginx;
let a: TestTenant;

beforeAll(async () => {
  t = await startTestApp({ env: { VAULTDESK_TRUST_PROXY: PROXY } });
  nginx = await startNginx({ upstreamPort: t.port, bindAddress: PROXY });
  a = await buildTenant(t, "ngx");
});
afterAll(async () => {
  await nginx?.close();
  await t?.close();
});

/** A request as the owner from `localAddress`, to nginx's port or the app's own. */
function get(port: number, localAddress: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: "127.0.0.1", port, localAddress, agent: false, method: "GET", path, headers: { host: `${a.host}:${port}`, authorization: "Basic " + Buffer.from(`${a.ownerEmail}/token:${a.ownerToken}`).toString("base64"), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            body = text;
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on("error", reject);
    req.end();
  });
}
const seenAs = async (port: number, from: string, headers: Record<string, string> = {}) => {
  const r = await get(port, from, "/api/v2/ip_restrictions.json", headers);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.ip_restriction.current_ip as string;
};

describe("client addresses through nginx", () => {
  it("judges a client through nginx by the address nginx saw, never by what it wrote", async () => {
    expect(await seenAs(nginx.port, "127.0.0.3")).toBe("127.0.0.3");
    // nginx appends its peer to what the client wrote: "127.0.0.2, 127.0.0.3"; the rightmost entry counts.
    expect(await seenAs(nginx.port, "127.0.0.3", { "x-forwarded-for": "127.0.0.2" })).toBe("127.0.0.3");
    // Directly to the app, the header is not believed: the app trusts only nginx's address.
    expect(await seenAs(t.port, "127.0.0.3", { "x-forwarded-for": "127.0.0.2" })).toBe("127.0.0.3");
  });

  it("applies the IP restrictions to the address nginx saw", async () => {
    const put = await a.api("PUT", "/api/v2/ip_restrictions.json", { ip_restriction: { enabled: true, allowed_ips: "127.0.0.3" }, confirm_lockout: true });
    expect(put.status, put.text).toBe(200);
    expect((await get(nginx.port, "127.0.0.3", "/api/v2/users/me.json")).status).toBe(200);
    const outside = await get(nginx.port, "127.0.0.2", "/api/v2/users/me.json");
    expect(outside.status).toBe(403);
    expect(outside.body.description).toMatch(/^Your network is not allowed/);
    // A client outside the ranges claiming an allowed address, through nginx or directly: refused.
    expect((await get(nginx.port, "127.0.0.2", "/api/v2/users/me.json", { "x-forwarded-for": "127.0.0.3" })).status).toBe(403);
    expect((await get(t.port, "127.0.0.2", "/api/v2/users/me.json", { "x-forwarded-for": "127.0.0.3" })).status).toBe(403);
  });
});
