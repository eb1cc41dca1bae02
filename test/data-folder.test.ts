import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { apiTokenFrom, call, cli, cliWith, startServer, type ServerProcess } from "./support/process.ts";

/**
 * The data folder, with real processes: it is private to the account that runs Vaultdesk (a
 * folder open to others is fixed at start, with a warning; new files are private), and only
 * `serve` and `init` create one — every other command run where there is none says so and exits
 * non-zero, creating nothing. With DATABASE_URL no command needs a data folder: the PostgreSQL
 * server suite, test/postgres/cli-database-url.test.ts.
 */

const dirs: string[] = [];
const servers: ServerProcess[] = [];
function tmp(prefix = "vd-df-"): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const s of servers.splice(0)) if (s.child.exitCode === null) s.child.kill("SIGKILL");
});
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

/** Every entry (links aside) under `dir` whose mode lets group or others in. */
function openEntries(dir: string): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = fs.lstatSync(p);
    if (st.isSymbolicLink()) return;
    if (st.mode & 0o077) out.push(`${path.relative(dir, p) || "."} ${(st.mode & 0o777).toString(8)}`);
    if (st.isDirectory()) for (const n of fs.readdirSync(p)) walk(path.join(p, n));
  };
  walk(dir);
  return out;
}
function widen(dir: string): void {
  const walk = (p: string) => {
    const st = fs.lstatSync(p);
    fs.chmodSync(p, st.isDirectory() ? 0o777 : 0o666);
    if (st.isDirectory()) for (const n of fs.readdirSync(p)) walk(path.join(p, n));
  };
  walk(dir);
  fs.chmodSync(dir, 0o755);
}

/** Waits for the server's startup lines (it answers /healthz a moment before it prints them). */
async function startedUp(s: ServerProcess): Promise<void> {
  for (let i = 0; i < 200 && !/^Vaultdesk is listening/m.test(s.output()); i++) await new Promise((r) => setTimeout(r, 50));
}

/** No data folder in `cwd`, no DATABASE_URL: what an operator gets in the wrong folder. */
const bare = { VAULTDESK_DATA_DIR: "", DATABASE_URL: "", VAULTDESK_MASTER_KEY: "" };

describe("data folder permissions", () => {
  it("creates everything private, and fixes (with a warning) a folder left open to others", async () => {
    const dir = path.join(tmp(), "data");
    const s1 = await startServer(dir);
    servers.push(s1);
    const token = apiTokenFrom((await cli(dir, "tenant", "create", "--subdomain", "acme", "--owner-email", "owner@acme.test")).stdout);
    for (let i = 0; i < 5; i++) expect((await call(s1.port, "acme.localhost", token, "POST", "/api/v2/tickets.json", { ticket: { subject: `t${i}`, comment: { body: "b" } } })).status).toBe(201);
    // A new folder: no warning, and nothing in it open to others, while the server runs and after.
    await startedUp(s1);
    expect(s1.output()).not.toMatch(/Warning: the data folder/);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(dir, "master.key")).mode & 0o777).toBe(0o600);
    expect(openEntries(dir)).toEqual([]);
    s1.child.kill("SIGTERM");
    expect(await s1.exited).toBe(0);
    expect(openEntries(dir)).toEqual([]);

    // An existing folder open to everyone (made by hand, or files written 0666 by an older version).
    widen(dir);
    expect(openEntries(dir).length).toBeGreaterThan(100);
    const s2 = await startServer(dir);
    servers.push(s2);
    await startedUp(s2);
    expect(s2.output()).toMatch(new RegExp(`Warning: the data folder ${dir} was open to other users of this machine; removed their access from \\d+ entries \\(\\. 0755→0700, `));
    expect(openEntries(dir)).toEqual([]);
    expect(fs.statSync(path.join(dir, "master.key")).mode & 0o777).toBe(0o600);
    // The data survived, and what the server writes now is private too.
    expect((await call(s2.port, "acme.localhost", token, "GET", "/api/v2/tickets/5.json")).body.ticket.subject).toBe("t4");
    await cli(dir, "tenant", "create", "--subdomain", "beta", "--owner-email", "owner@beta.test");
    expect(openEntries(dir)).toEqual([]);
    s2.child.kill("SIGTERM");
    expect(await s2.exited).toBe(0);
    expect(openEntries(dir)).toEqual([]);

    // The CLI fixes and warns as well when it opens the folder itself.
    fs.chmodSync(path.join(dir, "master.key"), 0o644);
    const listed = await cli(dir, "tenant", "list");
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stderr).toMatch(/Warning: the data folder .* held 1 entry with permissions for other users .*master\.key 0644→0600/);
    expect(listed.stdout).toMatch(/^acme\tactive/m);
    expect(openEntries(dir)).toEqual([]);
  }, 120_000);
});

describe("only serve and init create a data folder", () => {
  it("refuses every other command where there is no data folder, naming it and how to point at one", async () => {
    const cwd = tmp();
    const commands = [
      ["tenant", "list"],
      ["tenant", "create", "--subdomain", "acme", "--owner-email", "owner@acme.test"],
      ["tenant", "shred", "--tenant", "acme"],
      ["keys", "rotate", "--tenant", "acme"],
      ["audit", "verify", "--tenant", "acme"],
      ["user", "reset-password", "--tenant", "acme", "--email", "owner@acme.test"],
      ["migrate"],
    ];
    const results = await Promise.all(commands.map((args) => cliWith(bare, args, { cwd })));
    results.forEach((r, i) => {
      const what = commands[i]!.join(" ");
      expect(r.code, what).not.toBe(0);
      expect(r.stderr, what).toContain(`There is no Vaultdesk data folder at ${path.join(cwd, "vaultdesk-data")}.`);
      expect(r.stderr, what).toMatch(/--data-dir <folder> or VAULTDESK_DATA_DIR/);
      expect(r.stderr, what).toMatch(/DATABASE_URL/);
      expect(r.stderr, what).toMatch(/vaultdesk init/);
    });
    expect(fs.readdirSync(cwd)).toEqual([]);

    // A folder that exists but holds no installation (a mistyped --data-dir) is not filled either.
    const empty = tmp();
    const r = await cli(empty, "tenant", "list");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`There is no Vaultdesk data folder at ${empty} (the folder holds no database).`);
    expect(fs.readdirSync(empty)).toEqual([]);
  }, 120_000);

  it("init creates the folder, key and database and says so; the commands then work", async () => {
    const cwd = tmp();
    const first = await cliWith(bare, ["init"], { cwd });
    const dir = path.join(cwd, "vaultdesk-data");
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`Created a Vaultdesk data folder at ${dir} (mode 0700), with its database in ${dir}/pgdata.`);
    expect(first.stdout).toContain(`A new master key was written to ${dir}/master.key (mode 0600). Back it up`);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.existsSync(path.join(dir, "pgdata", "PG_VERSION"))).toBe(true);
    expect(openEntries(dir)).toEqual([]);
    const key = fs.readFileSync(path.join(dir, "master.key"));

    const again = await cliWith(bare, ["init"], { cwd });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`${dir} holds a Vaultdesk installation already; nothing was created.`);
    expect(fs.readFileSync(path.join(dir, "master.key"))).toEqual(key);

    const created = await cliWith(bare, ["tenant", "create", "--subdomain", "acme", "--owner-email", "owner@acme.test"], { cwd });
    expect(created.code, created.stderr).toBe(0);
    expect((await cliWith(bare, ["tenant", "list"], { cwd })).stdout).toMatch(/^acme\tactive\tlocal\tdefault$/m);

    // A database whose master key is gone: no command (not even serve) makes a new key.
    fs.rmSync(path.join(dir, "master.key"));
    const listed = await cliWith(bare, ["tenant", "list"], { cwd });
    expect(listed.code).not.toBe(0);
    expect(listed.stderr).toContain(`The database in ${dir} has no master key: ${dir}/master.key is missing and VAULTDESK_MASTER_KEY is not set.`);
    await expect(startServer(dir)).rejects.toThrow(/has no master key/);
    expect(fs.existsSync(path.join(dir, "master.key"))).toBe(false);
  }, 120_000);
});
