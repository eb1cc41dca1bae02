import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { seededDataDir } from "./support/data-dir-template.ts";
import { apiTokenFrom, call, cliWith, startServer, type ServerProcess } from "./support/process.ts";
import { testBinary } from "./support/test-binary.ts";

/**
 * The other tests start the run's bundle of the sources (support/test-binary.ts); this one starts
 * `bin/vaultdesk.mjs` as `npm start` and an operator do (the sources through tsx), so the shipped
 * way of running them is tested too: a server that answers, a CLI command beside it through the
 * operator socket, and the same answer from the bundle.
 */
const SHIPPED = path.resolve("bin/vaultdesk.mjs");

let server: ServerProcess | undefined;
let dataDir: string | undefined;
afterAll(async () => {
  if (server && server.child.exitCode === null) {
    server.child.kill("SIGTERM");
    await server.exited;
  }
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

describe("the shipped binary (bin/vaultdesk.mjs through tsx)", () => {
  it("serves, and runs CLI commands beside its server as the tests' bundle does", async () => {
    dataDir = await seededDataDir("vd-shipped-");
    server = await startServer(dataDir, {}, { binary: SHIPPED });
    const created = await cliWith({}, ["tenant", "create", "--subdomain", "acme", "--owner-email", "owner@acme.test", "--data-dir", dataDir], { binary: SHIPPED });
    expect(created.code, created.stderr).toBe(0);
    const token = apiTokenFrom(created.stdout);
    const made = await call(server.port, "acme.localhost", token, "POST", "/api/v2/tickets.json", { ticket: { subject: "Printer", comment: { body: "It jams." } } });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect((await call(server.port, "acme.localhost", token, "GET", `/api/v2/tickets/${made.body.ticket.id}.json`)).body.ticket.subject).toBe("Printer");

    const shipped = await cliWith({}, ["tenant", "list", "--data-dir", dataDir], { binary: SHIPPED });
    expect(shipped.code, shipped.stderr).toBe(0);
    expect(shipped.stdout).toMatch(/\bacme\b/);
    // The bundle the other tests start (built by the suite's global setup) says the same through the same socket.
    expect(testBinary()).toMatch(/\.test-cache\/bin-\d+\/vaultdesk\.mjs$/);
    const bundled = await cliWith({}, ["tenant", "list", "--data-dir", dataDir]);
    expect(bundled.code, bundled.stderr).toBe(0);
    expect(bundled.stdout).toBe(shipped.stdout);
  }, 120_000);
});
