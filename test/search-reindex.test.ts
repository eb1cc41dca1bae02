import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chainQueued } from "../src/modules/audit/audit-service.ts";
import { reindexByOperator, reindexHandler, reindexStatusForOperator, REINDEX_JOB } from "../src/modules/search/search-reindex-service.ts";
import { JobRunner, type StepsHandler } from "../src/platform/jobs/job-runner.ts";
import { buildTenant, buildUser, startTestApp, waitForJob, type TestApp, type TestTenant } from "./support/harness.ts";
import { apiTokenFrom, call, cli, startServer, type ServerProcess } from "./support/process.ts";

/**
 * The tenant's search languages and the search index's rebuild: stemming follows the tenant's
 * languages on both the index and the query side; a change of languages rebuilds the index in a
 * job; the job resumes after a crash from the last batch that committed; a rebuilt index equals
 * the one the writes built; other tenants are untouched; the command line runs it with and
 * without a server.
 */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ env: { VAULTDESK_JOB_WORKERS: "1" } });
});
afterAll(async () => {
  await t?.close();
});

async function open(a: TestTenant, subject: string, body: string, extra: Record<string, unknown> = {}): Promise<number> {
  const r = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject, comment: { body }, ...extra } });
  expect(r.status, r.text).toBe(201);
  return r.body.ticket.id as number;
}
async function comment(a: TestTenant, id: number, body: string, isPublic: boolean): Promise<void> {
  const r = await a.api("PUT", `/api/v2/tickets/${id}.json`, { ticket: { comment: { body, public: isPublic } } });
  expect(r.status, r.text).toBe(200);
}
const ids = async (a: TestTenant, query: string) => {
  const r = await a.api("GET", `/api/v2/search.json?query=${encodeURIComponent(query)}`);
  expect(r.status, `${query}: ${r.text}`).toBe(200);
  return r.body.results.map((x: { id: number }) => x.id).sort((x: number, y: number) => x - y);
};
async function setLanguages(a: TestTenant, languages: string[]) {
  const r = await a.api("PUT", "/api/v2/account/search_settings.json", { search_settings: { languages } });
  expect(r.status, r.text).toBe(200);
  return r.body.search_settings;
}
/** Every posting and document of a tenant, as comparable text, in a stable order. */
async function indexRows(a: TestTenant): Promise<{ postings: string[]; documents: string[] }> {
  return t.db.tenant(a.tenantId, async (tx) => ({
    postings: (await tx.db.selectFrom("search_postings").select(["term", "ticket_id", "internal", "tf"]).execute()).map((r) => `${Buffer.from(r.term).toString("hex")} ${r.ticket_id} ${r.internal} ${r.tf}`).sort(),
    documents: (await tx.db.selectFrom("search_documents").select(["ticket_id", "internal", "length"]).execute()).map((r) => `${r.ticket_id} ${r.internal} ${r.length}`).sort(),
  }));
}
async function auditActions(a: TestTenant): Promise<string[]> {
  return t.db.tenant(a.tenantId, async (tx) => {
    await chainQueued(tx);
    return (await sql<{ action: string }>`SELECT action FROM audit_log ORDER BY seq`.execute(tx.db)).rows.map((r) => r.action);
  });
}
const deps = () => ({ db: t.db, keyring: t.keyring });
async function reindexAndWait(a: TestTenant) {
  const job = await reindexByOperator(deps(), a.tenantId);
  for (;;) {
    const s = (await reindexStatusForOperator(deps(), a.tenantId, job.id))!;
    if (s.status === "completed" || s.status === "failed") return s;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("the search languages", () => {
  it("stem each tenant's text with its own languages, on the index and the query side", async () => {
    const sv = await buildTenant(t, "srsv");
    const en = await buildTenant(t, "sren");
    const svSettings = await setLanguages(sv, ["swedish"]);
    expect(svSettings.languages).toEqual(["swedish"]);
    await waitForJob(sv, svSettings.reindex.id);
    await waitForJob(en, (await setLanguages(en, ["english"])).reindex.id);
    const s1 = await open(sv, "Skrivaren är trasig", "The printers are offline.");
    const e1 = await open(en, "Skrivaren är trasig", "The printers are offline.");
    // Swedish: skrivare and skrivaren share the stem skriv; English leaves skrivaren as it is.
    expect(await ids(sv, "skrivare")).toEqual([s1]);
    expect(await ids(en, "skrivare")).toEqual([]);
    expect(await ids(en, "skrivaren")).toEqual([e1]);
    // English: printer and printers share the stem printer; Swedish stems printer to print.
    expect(await ids(en, "printer")).toEqual([e1]);
    expect(await ids(sv, "printer")).toEqual([]);
  });

  it("rebuild the index when they change, and queries use the new stems", async () => {
    const a = await buildTenant(t, "srch");
    await waitForJob(a, (await setLanguages(a, ["english"])).reindex.id);
    const n = await open(a, "Skrivaren på tredje våningen", "Fungerar inte sedan i går.");
    await comment(a, n, "Internal: skrivarna byttes förra veckan.", false);
    expect(await ids(a, "skrivare")).toEqual([]);
    const changed = await setLanguages(a, ["swedish", "english"]);
    expect(changed.languages).toEqual(["swedish", "english"]);
    expect(changed.reindex).toMatchObject({ job_type: REINDEX_JOB });
    const done = await waitForJob(a, changed.reindex.id);
    expect(done).toMatchObject({ status: "completed", progress: 1, total: 1 });
    expect(await ids(a, "skrivare")).toEqual([n]);
    expect(await ids(a, "skrivarnas")).toEqual([n]);
    // The same languages in another order change nothing to the stems: no new job.
    const same = await setLanguages(a, ["english", "swedish"]);
    expect(same.reindex.id).toBe(changed.reindex.id);
    // Shown to admins, with what is on offer; audited.
    const shown = await a.api("GET", "/api/v2/account/search_settings.json");
    expect(shown.status).toBe(200);
    expect(shown.body.search_settings.available_languages).toEqual(expect.arrayContaining(["english", "swedish", "russian", "german", "finnish"]));
    const actions = await auditActions(a);
    expect(actions.filter((x) => x === "search_settings.updated")).toHaveLength(3);
    expect(actions).toContain("search_index.reindex_started");
    expect(actions).toContain("search_index.reindexed");
  });

  it("start with the three defaults", async () => {
    const a = await buildTenant(t, "srdf");
    const r = await a.api("GET", "/api/v2/account/search_settings.json");
    expect(r.body.search_settings).toMatchObject({ languages: ["english", "swedish", "russian"], reindex: null });
  });

  it("are for owners and admins only", async () => {
    const a = await buildTenant(t, "srpm");
    const admin = await buildUser(t, a, "admin");
    const agent = await buildUser(t, a, "agent");
    const body = { search_settings: { languages: ["english"] } };
    expect((await a.api("GET", "/api/v2/account/search_settings.json", undefined, { email: agent.email, token: agent.token! })).status).toBe(403);
    expect((await a.api("PUT", "/api/v2/account/search_settings.json", body, { email: agent.email, token: agent.token! })).status).toBe(403);
    expect((await a.api("GET", "/api/v2/account/search_settings.json", undefined, null)).status).toBe(401);
    expect((await a.api("PUT", "/api/v2/account/search_settings.json", body, { email: admin.email, token: admin.token! })).status).toBe(200);
    const r = await a.api("GET", "/api/v2/account/search_settings.json");
    expect(r.body.search_settings.languages).toEqual(["english"]);
  });

  it("refuse unknown languages, an empty list and a list without a Latin-script language (422, nothing written)", async () => {
    const a = await buildTenant(t, "srbad");
    for (const languages of [["klingon"], [], ["russian"], ["russian", "arabic"], ["English"], ["english", 3], "english", Array(40).fill("english")]) {
      const r = await a.api("PUT", "/api/v2/account/search_settings.json", { search_settings: { languages } });
      expect(r.status, `${JSON.stringify(languages)}: ${r.text}`).toBe(422);
      expect(r.body.error).toBe("RecordInvalid");
    }
    for (const body of [{}, { search_settings: {} }, { search_settings: { languages: ["english"], extra: 1 } }, { languages: ["english"] }]) {
      expect((await a.api("PUT", "/api/v2/account/search_settings.json", body)).status).toBe(422);
    }
    const r = await a.api("GET", "/api/v2/account/search_settings.json");
    expect(r.body.search_settings).toMatchObject({ languages: ["english", "swedish", "russian"], reindex: null });
    expect(await auditActions(a)).not.toContain("search_settings.updated");
  });
});

describe("the rebuild", () => {
  let a: TestTenant;
  let other: TestTenant;
  let built: { postings: string[]; documents: string[] };
  let otherBuilt: { postings: string[]; documents: string[] };
  beforeAll(async () => {
    a = await buildTenant(t, "srre");
    other = await buildTenant(t, "srot");
    const n1 = await open(a, "Printers offline in the café", "There is a paper jam in tray 2 again.");
    await comment(a, n1, "Ordered a new drum; it arrives Tuesday.", false);
    await comment(a, n1, "The printer works again, thanks!", true);
    await comment(a, n1, "Closing this one now.", true);
    const n2 = await open(a, "Skrivarna är trasiga", "Skrivaren på tredje våningen fungerar inte.", { comment: { body: "Intern anteckning om skrivaren", public: false } });
    await comment(a, n2, "印刷機が壊れました 프린터가 고장났어요", true);
    for (let i = 0; i < 5; i++) await open(a, `Invoice ${i} question`, `Where is invoice number ${i}? Billing says paper copies went out.`);
    const gone = await open(a, "Delete me", "Words of a deleted ticket");
    expect((await a.api("DELETE", `/api/v2/tickets/${gone}.json`)).status).toBe(204);
    await open(other, "Printers offline in the café", "There is a paper jam in tray 2 again.");
    built = await indexRows(a);
    otherBuilt = await indexRows(other);
    expect(built.postings.length).toBeGreaterThan(50);
  });

  it("equals the index the writes built, and leaves other tenants alone", async () => {
    const s = await reindexAndWait(a);
    expect(s).toMatchObject({ status: "completed", progress: 8, total: 8 });
    expect(await indexRows(a)).toEqual(built);
    expect(await indexRows(other)).toEqual(otherBuilt);
    expect(await ids(a, "invoice")).toHaveLength(5);
  });

  it("rebuilds an index that was lost", async () => {
    await t.db.tenant(a.tenantId, async (tx) => {
      await tx.db.deleteFrom("search_postings").where("tenant_id", "=", a.tenantId).execute();
      await tx.db.deleteFrom("search_documents").where("tenant_id", "=", a.tenantId).execute();
    });
    expect(await ids(a, "printer")).toEqual([]);
    await reindexAndWait(a);
    expect(await indexRows(a)).toEqual(built);
    expect(await ids(a, "printer")).toHaveLength(1);
  });

  it("joins a rebuild under way instead of starting a second one", async () => {
    const [x, y] = await Promise.all([reindexByOperator(deps(), a.tenantId), reindexByOperator(deps(), a.tenantId)]);
    // Either the second request found the first job unfinished (joined), or the first had ended already.
    if (y.joined || x.joined) expect(x.id).toBe(y.id);
    await reindexAndWait(a);
    expect(await indexRows(a)).toEqual(built);
  });
});

describe("resuming", () => {
  let app: TestApp;
  beforeAll(async () => {
    // An app that runs no jobs: the test's own runners do, one of them "crashing".
    app = await startTestApp({ env: { VAULTDESK_JOB_WORKERS: "0" } });
    process.env.VAULTDESK_REINDEX_BATCH = "2";
  });
  afterAll(async () => {
    delete process.env.VAULTDESK_REINDEX_BATCH;
    await app?.close();
  });

  it("goes on from the last batch that committed after a crash, and ends with the index a fresh build makes", async () => {
    const a = await buildTenant(app, "srres");
    const api = (method: string, p: string, body?: unknown) => a.api(method, p, body);
    for (let i = 0; i < 5; i++) {
      const r = await api("POST", "/api/v2/tickets.json", { ticket: { subject: `Printer ${i} is jammed`, comment: { body: `Tray ${i} holds crumpled paper; skrivaren ${i}.` } } });
      expect(r.status).toBe(201);
    }
    const rows = () =>
      app.db.tenant(a.tenantId, async (tx) => ({
        postings: (await tx.db.selectFrom("search_postings").select(["term", "ticket_id", "internal", "tf"]).execute()).map((r) => `${Buffer.from(r.term).toString("hex")} ${r.ticket_id} ${r.internal} ${r.tf}`).sort(),
        documents: (await tx.db.selectFrom("search_documents").select(["ticket_id", "internal", "length"]).execute()).map((r) => `${r.ticket_id} ${r.internal} ${r.length}`).sort(),
      }));
    const fresh = await rows();
    // The index is lost; a rebuild is asked for.
    await app.db.tenant(a.tenantId, async (tx) => {
      await tx.db.deleteFrom("search_postings").where("tenant_id", "=", a.tenantId).execute();
      await tx.db.deleteFrom("search_documents").where("tenant_id", "=", a.tenantId).execute();
    });
    const job = await reindexByOperator({ db: app.db, keyring: app.keyring }, a.tenantId);
    const log = { warn: () => undefined };

    // The first runner does one batch, then "crashes" inside the second: its transaction rolls back.
    let steps = 0;
    let crash!: () => void;
    const crashed = new Promise<void>((r) => (crash = r));
    let inSecond!: () => void;
    const second = new Promise<void>((r) => (inSecond = r));
    const crashing: StepsHandler<unknown, unknown> = {
      ...reindexHandler,
      async step(ctx, input, state) {
        const out = await (reindexHandler as StepsHandler<unknown, unknown>).step(ctx, input, state);
        if (++steps === 2) {
          inSecond();
          await crashed;
          throw new Error("crash");
        }
        return out;
      },
    };
    const first = new JobRunner(app.db, app.keyring, log, { workers: 1, pollMs: 60_000, leaseMs: 200 });
    first.define(crashing);
    first.start();
    first.wake(a.tenantId);
    await second;
    const stopping = first.stop();
    crash();
    await stopping;
    const halfway = (await reindexStatusForOperator({ db: app.db, keyring: app.keyring }, a.tenantId, job.id))!;
    expect(halfway).toMatchObject({ status: "working", progress: 2, total: 5 });
    expect((await rows()).documents).toHaveLength(2);

    // A second runner (a restart) takes the job over and goes on from ticket 3.
    const seen: unknown[] = [];
    const watching: StepsHandler<unknown, unknown> = {
      ...reindexHandler,
      async step(ctx, input, state) {
        seen.push(state);
        return (reindexHandler as StepsHandler<unknown, unknown>).step(ctx, input, state);
      },
    };
    const next = new JobRunner(app.db, app.keyring, log, { workers: 1, pollMs: 100, leaseMs: 60_000 });
    next.define(watching);
    next.start();
    let s;
    for (;;) {
      next.wake(a.tenantId);
      s = (await reindexStatusForOperator({ db: app.db, keyring: app.keyring }, a.tenantId, job.id))!;
      if (s.status === "completed" || s.status === "failed") break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await next.stop();
    expect(s).toMatchObject({ status: "completed", progress: 5, total: 5 });
    expect(seen[0]).toMatchObject({ phase: 0, done: 2, total: 5 });
    expect(seen).toHaveLength(3);
    expect(await rows()).toEqual(fresh);
  });
});

describe("the command line", () => {
  let server: ServerProcess | undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vd-reindex-"));
  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill("SIGTERM");
      await server.exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("rebuilds a tenant's index through a running server and without one", async () => {
    const data = path.join(dir, "data");
    server = await startServer(data, { VAULTDESK_REINDEX_BATCH: "2" });
    const token = apiTokenFrom((await cli(data, "tenant", "create", "--subdomain", "acme", "--owner-email", "owner@acme.test")).stdout);
    for (let i = 0; i < 3; i++) {
      const r = await call(server.port, "acme.localhost", token, "POST", "/api/v2/tickets.json", { ticket: { subject: `Printer ${i}`, comment: { body: "Paper jam" } } });
      expect(r.status).toBe(201);
    }
    const through = await cli(data, "search", "reindex", "--tenant", "acme");
    expect(through.code, through.stderr).toBe(0);
    expect(through.stdout).toMatch(/Search index of tenant 'acme' rebuilt: 3 rows\./);
    const queued = await cli(data, "search", "reindex", "--tenant", "acme", "--no-wait");
    expect(queued.code, queued.stderr).toBe(0);
    expect(queued.stdout).toMatch(/(queued|Joined the search index rebuild under way) for tenant 'acme'/);
    expect((await cli(data, "search", "reindex", "--tenant", "nope")).code).not.toBe(0);
    const jobs = await call(server.port, "acme.localhost", token, "GET", "/api/v2/job_statuses.json");
    expect(jobs.body.job_statuses.some((j: { job_type: string }) => j.job_type === REINDEX_JOB)).toBe(true);

    server.child.kill("SIGTERM");
    await server.exited;
    const alone = await cli(data, "search", "reindex", "--tenant", "acme");
    expect(alone.code, alone.stderr).toBe(0);
    expect(alone.stdout).toMatch(/completed: 3 of 3 rows/);
    expect(alone.stdout).toMatch(/rebuilt: 3 rows\./);
    const verified = await cli(data, "audit", "verify", "--tenant", "acme");
    expect(verified.stdout).toMatch(/audit chain OK/);
  }, 180_000);
});
