import fs from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { seededDataDir } from "./support/data-dir-template.ts";
import { apiTokenFrom, call, cli, startServer, type ServerProcess } from "./support/process.ts";

/**
 * Account termination and the operator's command line, beside a running server (through its
 * operator socket): the owner closes the account, `tenant list` shows it closed with the deletion
 * date, `tenant reopen` makes it active again (the owner signs in anew), and refuses a tenant that
 * is not closed.
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


async function signIn(port: number, email: string, password: string): Promise<{ cookie: string; csrf: string }> {
  const r = await call(port, "acme.localhost", undefined, "POST", "/api/v2/session.json", { email, password });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  const cookie = (r.headers["set-cookie"] as string[]).find((c) => c.startsWith("vd_session="))!.split(";")[0]!;
  return { cookie, csrf: r.body.session.csrf_token as string };
}

describe("closed accounts on the command line", () => {
  it("lists a closed tenant with its deletion date and reopens it through the running server", async () => {
    // A data folder with its database already made (data-dir-template.ts): the first start is not what this is about.
    const data = await seededDataDir("vd-termcli-");
    dataDirs.push(data);
    server = await startServer(data);
    const port = server.port;
    const created = await cli(data, "tenant", "create", "--subdomain", "acme", "--owner-email", "owner@acme.test");
    const token = apiTokenFrom(created.stdout);
    const oneTime = /One-time password: (\S+)/.exec(created.stdout)![1]!;
    const password = "Brass lanterns 37 over the quay";
    // The one-time password is replaced first (nothing else is allowed before).
    const first = await signIn(port, "owner@acme.test", oneTime);
    expect((await call(port, "acme.localhost", first, "PUT", "/api/v2/users/me/password.json", { previous_password: oneTime, password })).status).toBe(204);
    const s = await signIn(port, "owner@acme.test", password);
    const closed = await call(port, "acme.localhost", s, "POST", "/api/v2/account/termination.json", { termination: { mode: "delete_after_grace", confirm_subdomain: "acme", password } });
    expect(closed.status, JSON.stringify(closed.body)).toBe(200);
    const deletesAt = closed.body.termination.deletes_at as string;

    const list = await cli(data, "tenant", "list");
    expect(list.stdout).toMatch(new RegExp(`^acme\\tclosed\\t.*\\tdeletes ${deletesAt.replace(/[.]/g, "\\.")}$`, "m"));
    expect((await call(port, "acme.localhost", token, "GET", "/api/v2/users/me.json")).body.error).toBe("AccountClosed");

    const reopened = await cli(data, "tenant", "reopen", "acme");
    expect(reopened.code, reopened.stderr).toBe(0);
    expect(reopened.stdout).toMatch(/Tenant 'acme' reopened/);
    const again = await signIn(port, "owner@acme.test", password);
    expect((await call(port, "acme.localhost", again, "GET", "/api/v2/account/termination.json", undefined)).body.termination.status).toBe("active");
    // Only a closed tenant is reopened (an active one: the command fails).
    expect((await cli(data, "tenant", "reopen", "--tenant", "acme")).code).not.toBe(0);
  }, 240_000);
});
