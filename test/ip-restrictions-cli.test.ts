import fs from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { seededDataDir } from "./support/data-dir-template.ts";
import { apiTokenFrom, call, cli, startServer, type ServerProcess } from "./support/process.ts";

/**
 * The operator's way back in: an account whose owner shut everyone out with IP restrictions
 * (confirmed) is opened again by `vaultdesk tenant lift-ip-restrictions`, through the running
 * server's operator socket; the command line itself is never bound by the ranges.
 */

let server: ServerProcess | undefined;

const dataDirs: string[] = [];
afterAll(async () => {
  if (server && server.child.exitCode === null) {
    server.child.kill("SIGTERM");
    await server.exited;
  }
  for (const d of dataDirs) fs.rmSync(d, { recursive: true, force: true });
});

describe("lifting IP restrictions from the command line", () => {
  it("turns them off for a tenant whose admins are shut out, keeping the ranges", async () => {
    // A data folder with its database already made (data-dir-template.ts): the first start is not what this is about.
    const data = await seededDataDir("vd-iprcli-");
    dataDirs.push(data);
    server = await startServer(data);
    const token = apiTokenFrom((await cli(data, "tenant", "create", "--subdomain", "acme", "--owner-email", "owner@acme.test")).stdout);
    const put = await call(server.port, "acme.localhost", token, "PUT", "/api/v2/ip_restrictions.json", { ip_restriction: { enabled: true, allowed_ips: "192.0.2.0/24" }, confirm_lockout: true });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect((await call(server.port, "acme.localhost", token, "GET", "/api/v2/users/me.json")).status).toBe(403);

    const lifted = await cli(data, "tenant", "lift-ip-restrictions", "--tenant", "acme");
    expect(lifted.code, lifted.stderr).toBe(0);
    expect(lifted.stdout).toMatch(/IP restrictions of tenant 'acme' turned off/);
    const shown = await call(server.port, "acme.localhost", token, "GET", "/api/v2/ip_restrictions.json");
    expect(shown.status).toBe(200);
    expect(shown.body.ip_restriction).toMatchObject({ enabled: false, allowed_ips: "192.0.2.0/24" });
    expect((await cli(data, "tenant", "lift-ip-restrictions", "--tenant", "acme")).stdout).toMatch(/nothing to lift/);
    expect((await cli(data, "tenant", "lift-ip-restrictions", "--tenant", "nope")).code).not.toBe(0);
  }, 120_000);
});
