import fs from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { seededDataDir } from "./support/data-dir-template.ts";
import { apiTokenFrom, call, cli, startServer, type ServerProcess } from "./support/process.ts";

/**
 * `vaultdesk upkeep list|run`: the operator runs one of the server's upkeep tasks now (the hourly
 * automations after downtime, say), through the running server's operator socket, or in the
 * command's own process when no server holds the data folder.
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

// Tags a ticket solved within the hour, once (the tag condition is what the action nullifies).
const automation = {
  title: "Tag just solved",
  conditions: { all: [{ field: "status", operator: "is", value: "solved" }, { field: "SOLVED", operator: "less_than", value: 1 }, { field: "current_tags", operator: "not_includes", value: "upkeep_ran" }], any: [] },
  actions: [{ field: "current_tags", value: "upkeep_ran" }],
};

describe("running an upkeep task from the command line", () => {
  it("runs the automations now, in the server and without one; an unknown task is refused", async () => {
    const data = await seededDataDir("vd-upkeep-");
    dataDirs.push(data);
    server = await startServer(data);
    const token = apiTokenFrom((await cli(data, "tenant", "create", "--subdomain", "acme", "--owner-email", "owner@acme.test")).stdout);
    const api = (method: string, path: string, body?: unknown) => call(server!.port, "acme.localhost", token, method, path, body);
    const made = await api("POST", "/api/v2/automations.json", { automation });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const solvedTicket = async (subject: string): Promise<number> => {
      const r = await api("POST", "/api/v2/tickets.json", { ticket: { subject, comment: { body: "The printer jams." }, requester: { name: "Ann", email: "ann@example.test" }, status: "solved" } });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.ticket.id as number;
    };
    const tagsOf = async (id: number): Promise<string[]> => (await api("GET", `/api/v2/tickets/${id}.json`)).body.ticket.tags as string[];

    const listed = await cli(data, "upkeep", "list");
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain("automations.run");

    // Through the running server.
    const first = await solvedTicket("First");
    expect(await tagsOf(first)).not.toContain("upkeep_ran");
    const ran = await cli(data, "upkeep", "run", "automations.run");
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toMatch(/Ran upkeep task 'automations\.run'/);
    expect(await tagsOf(first)).toContain("upkeep_ran");

    const unknown = await cli(data, "upkeep", "run", "no.such.task");
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr + unknown.stdout).toMatch(/no upkeep task 'no\.such\.task'/);
    expect((await cli(data, "upkeep", "run", "Automations; DROP")).code).not.toBe(0);

    // In the command's own process, the server stopped.
    const second = await solvedTicket("Second");
    server.child.kill("SIGTERM");
    await server.exited;
    const alone = await cli(data, "upkeep", "run", "automations.run");
    expect(alone.code, alone.stderr).toBe(0);
    server = await startServer(data);
    expect(await tagsOf(second)).toContain("upkeep_ran");
    // The first ticket was not tagged again: its audit trail holds one automation update.
    const audits = (await api("GET", `/api/v2/tickets/${first}/audits.json`)).body.audits as Array<{ via: { source: { rel: string | null } } }>;
    expect(audits.filter((a) => a.via?.source?.rel === "automation")).toHaveLength(1);
  }, 180_000);
});
