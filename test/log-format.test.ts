import fs from "node:fs";
import { Writable } from "node:stream";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { buildTenant, startTestApp, type TestApp } from "./support/harness.ts";
import { seededDataDir } from "./support/data-dir-template.ts";
import { call, startServer, type ServerProcess } from "./support/process.ts";
import { marker } from "./support/markers.ts";

/**
 * Logs for people and for collectors: readable lines on a terminal (LOG_FORMAT=pretty, the default
 * when stdout is a terminal), where successful requests stay out of the way of the startup lines,
 * and JSON lines otherwise. The serializer allowlists hold in both forms.
 */

const dirs: string[] = [];
const servers: ServerProcess[] = [];
let app: TestApp | undefined;
afterEach(() => {
  for (const s of servers.splice(0)) if (s.child.exitCode === null) s.child.kill("SIGKILL");
});
afterAll(async () => {
  await app?.close();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
/** A data folder with its database already made (data-dir-template.ts); no account in it yet. */
async function dataDir(): Promise<string> {
  const d = await seededDataDir("vd-log-");
  dirs.push(d);
  return d;
}
const MARK = marker("ZQLOGFMT");

describe("log format", () => {
  it("pretty: one readable line per failed request, successes out of the way of the startup lines", async () => {
    const dir = await dataDir();
    const s = await startServer(dir, { LOG_LEVEL: "info", LOG_FORMAT: "pretty" });
    servers.push(s);
    for (let i = 0; i < 5; i++) expect((await call(s.port, "localhost", "", "GET", `/readyz?${MARK}=1`)).status).toBe(200);
    // No account exists yet, so the API answers 404 at any address.
    expect((await call(s.port, "localhost", "", "GET", `/api/v2/tickets/987654.json?q=${MARK}`)).status).toBe(404);
    for (let i = 0; i < 200 && !/setup\?token=/.test(s.output()); i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 200));
    const out = s.output();
    const lines = out.trim().split("\n");
    // The startup lines and the setup link are there, not buried.
    expect(out).toMatch(/^Vaultdesk is listening on http:\/\/localhost:\d+ \(embedded database in /m);
    expect(out).toMatch(/^ {2}http:\/\/localhost:\d+\/setup\?token=\S+$/m);
    expect(lines.filter((l) => l.includes("/readyz"))).toEqual([]);
    expect(lines.filter((l) => /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: GET \/api\/v2\/tickets\/:id → 404 \(\d+ ms\) \{"reqId":"[0-9a-f-]{36}"\}$/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith("{"))).toEqual([]);
    expect(out).not.toContain(MARK);
  }, 60_000);

  it("json when stdout is not a terminal: every request at info, as one JSON object per line", async () => {
    const dir = await dataDir();
    const s = await startServer(dir, { LOG_LEVEL: "info" });
    servers.push(s);
    expect((await call(s.port, "localhost", "", "GET", `/readyz?${MARK}=1`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    const records = s
      .output()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { msg: string; req?: { method: string; route: string }; res?: { statusCode: number }; responseTime?: number });
    const completed = records.filter((r) => r.msg === "request completed" && r.req?.route === "/readyz");
    expect(completed).toHaveLength(1);
    expect(completed[0]).toMatchObject({ level: 30, req: { method: "GET", route: "/readyz" }, res: { statusCode: 200 } });
    expect(typeof completed[0]!.responseTime).toBe("number");
    expect(records.filter((r) => r.msg === "incoming request")).toEqual([]);
    expect(s.output()).not.toContain(MARK);
  }, 60_000);

  it("pretty at debug shows every request and still nothing sensitive", async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString("utf8"));
        cb();
      },
    });
    app = await startTestApp({ env: { LOG_FORMAT: "pretty", LOG_LEVEL: "debug" }, logStream: sink });
    const a = await buildTenant(app, "logfmt");
    const email = `${MARK.toLowerCase()}@example.test`;
    expect((await a.api("POST", "/api/v2/users.json", { user: { name: MARK, email } })).status).toBe(201);
    expect((await a.api("GET", `/api/v2/users/search.json?query=${encodeURIComponent(email)}`)).status).toBe(200);
    const log = lines.join("");
    expect(log).toMatch(/DEBUG: POST \/api\/v2\/users → 201 \(\d+ ms\)/);
    expect(log).toMatch(/DEBUG: GET \/api\/v2\/users\/search → 200 \(\d+ ms\)/);
    for (const secret of [MARK, MARK.toLowerCase(), email, a.ownerToken, a.ownerEmail]) expect(log.includes(secret), secret).toBe(false);
  });
});
