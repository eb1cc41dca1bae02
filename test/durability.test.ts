import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { seededDataDir } from "./support/data-dir-template.ts";
import { apiTokenFrom, call, cli, startServer, type ServerProcess } from "./support/process.ts";

/**
 * The real server as a child process on the embedded database: a SIGKILL in the middle of a write
 * load loses no answered write and leaves a verifiable audit chain; SIGTERM drains requests; a
 * second process cannot open the same data folder.
 */

const dirs: string[] = [];
const servers: ServerProcess[] = [];
/** A data folder with its database already made (data-dir-template.ts): these tests are about what happens after the first start. */
async function dataDir(): Promise<string> {
  const d = await seededDataDir("vd-dur-");
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const s of servers.splice(0)) if (s.child.exitCode === null) s.child.kill("SIGKILL");
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe("durability of the embedded database", () => {
  it("keeps every answered ticket and a valid audit chain across SIGKILL", async () => {
    const dir = await dataDir();
    const s1 = await startServer(dir);
    servers.push(s1);
    const token = apiTokenFrom((await cli(dir, "tenant", "create", "--subdomain", "acme", "--owner-email", "owner@acme.test")).stdout);
    const answered = new Map<number, string>();
    let stop = false;
    const worker = async (w: number) => {
      for (let i = 0; i < 500 && !stop; i++) {
        const subject = `w${w}-${i}`;
        try {
          const r = await call(s1.port, "acme.localhost", token, "POST", "/api/v2/tickets.json", { ticket: { subject, comment: { body: "durable" } } });
          if (r.status === 201) answered.set(r.body.ticket.id as number, subject);
        } catch {
          return; // the server died under us: unanswered requests may or may not have committed
        }
      }
    };
    const load = Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
    const started = Date.now();
    while (answered.size < 40 && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 50));
    s1.child.kill("SIGKILL");
    stop = true;
    await load;
    await s1.exited;
    expect(answered.size).toBeGreaterThanOrEqual(40);

    // The lock of the killed process is stale and is taken over at once.
    const s2 = await startServer(dir);
    servers.push(s2);
    for (const [id, subject] of answered) {
      const r = await call(s2.port, "acme.localhost", token, "GET", `/api/v2/tickets/${id}.json`);
      expect(r.status, `ticket ${id}`).toBe(200);
      expect(r.body.ticket.subject).toBe(subject);
    }
    const verify = await cli(dir, "audit", "verify", "--tenant", "acme");
    expect(verify.stdout).toMatch(/^audit chain OK: \d+ entries/);
    s2.child.kill("SIGTERM");
    expect(await s2.exited).toBe(0);
  }, 120_000);

  it("drains on SIGTERM: every answered request is complete, nothing half-done, lock and socket removed", async () => {
    const dir = await dataDir();
    const s = await startServer(dir);
    servers.push(s);
    const token = apiTokenFrom((await cli(dir, "tenant", "create", "--subdomain", "acme", "--owner-email", "owner@acme.test")).stdout);
    expect(fs.existsSync(path.join(dir, "server.lock"))).toBe(true);
    expect(fs.existsSync(path.join(dir, "operator.sock"))).toBe(true);
    expect(fs.statSync(path.join(dir, "operator.sock")).mode & 0o777).toBe(0o600);
    const inflight = Array.from({ length: 30 }, (_, i) =>
      call(s.port, "acme.localhost", token, "POST", "/api/v2/tickets.json", { ticket: { subject: `drain ${i}`, comment: { body: "b" } } }).then(
        (r) => ({ status: r.status, id: r.body?.ticket?.id as number | undefined }),
        (e: NodeJS.ErrnoException) => ({ status: 0, error: e.code }),
      ),
    );
    await Promise.race(inflight);
    s.child.kill("SIGTERM");
    const results = await Promise.all(inflight);
    expect(await s.exited).toBe(0);
    // Answered requests succeeded or were refused as new (503); connections the server never
    // accepted before it stopped listening fail without an answer. Nothing else.
    for (const r of results) expect([201, 503, 0]).toContain(r.status);
    for (const r of results) if (r.status === 0) expect(["ECONNRESET", "ECONNREFUSED", "EPIPE"]).toContain((r as { error?: string }).error);
    const created = results.filter((r) => r.status === 201);
    expect(created.length).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(dir, "server.lock"))).toBe(false);
    expect(fs.existsSync(path.join(dir, "operator.sock"))).toBe(false);
    // Exactly the answered tickets exist: no lost answer, no write without an answer.
    const s2 = await startServer(dir);
    servers.push(s2);
    const list = await call(s2.port, "acme.localhost", token, "GET", "/api/v2/tickets.json?per_page=100");
    expect(list.body.count).toBe(created.length);
    expect(new Set(list.body.tickets.map((x: { id: number }) => x.id))).toEqual(new Set(created.map((r) => (r as { id?: number }).id)));
  }, 120_000);

  it("refuses a second process on the same data folder, and the CLI goes through the running server", async () => {
    const dir = await dataDir();
    const s = await startServer(dir);
    servers.push(s);
    await expect(startServer(dir)).rejects.toThrow(/in use|another Vaultdesk process/);
    const created = await cli(dir, "tenant", "create", "--subdomain", "beta", "--owner-email", "o@beta.test", "--team-name", "Beta Support");
    expect(created.code).toBe(0);
    expect(created.stdout).toContain(`:${s.port}/`);
    const account = await call(s.port, "beta.localhost", apiTokenFrom(created.stdout), "GET", "/api/v2/account.json");
    expect(account.body.account).toMatchObject({ name: "Beta Support", subdomain: "beta" });
    const list = await cli(dir, "tenant", "list");
    expect(list.stdout).toMatch(/^beta\tactive/m);
  }, 120_000);

  it("rotates keys and shreds a tenant through the running server's operator socket", async () => {
    const dir = await dataDir();
    const s = await startServer(dir);
    servers.push(s);
    const token = apiTokenFrom((await cli(dir, "tenant", "create", "--subdomain", "acme", "--owner-email", "owner@acme.test")).stdout);
    const created = await call(s.port, "acme.localhost", token, "POST", "/api/v2/tickets.json", { ticket: { subject: "before rotation", comment: { body: "b" } } });
    expect(created.status).toBe(201);
    const rotated = await cli(dir, "keys", "rotate", "--tenant", "acme");
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(/data-key version 2; \d+ rows re-sealed/);
    const shown = await call(s.port, "acme.localhost", token, "GET", `/api/v2/tickets/${created.body.ticket.id}.json`);
    expect(shown.body.ticket.subject).toBe("before rotation");
    const shredded = await cli(dir, "tenant", "shred", "--tenant", "acme");
    expect(shredded.code).toBe(0);
    const gone = await call(s.port, "acme.localhost", token, "GET", `/api/v2/tickets/${created.body.ticket.id}.json`);
    expect(gone.status).toBe(410);
    const unknown = await cli(dir, "tenant", "shred", "--tenant", "nosuch");
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/nosuch/);
  }, 120_000);
});
