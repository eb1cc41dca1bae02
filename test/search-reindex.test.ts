import fs from "node:fs";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chainQueued } from "../src/modules/audit/audit-service.ts";
import { reindexByOperator, reindexHandler, reindexStatusForOperator, REINDEX_JOB } from "../src/modules/search/search-reindex-service.ts";
import { JobRunner, type StepsHandler } from "../src/platform/jobs/job-runner.ts";
import { buildTenant, buildUser, startTestApp, waitForJob, type TestApp, type TestTenant, openTicket as open } from "./support/harness.ts";
import { seededDataDir } from "./support/data-dir-template.ts";
import { apiTokenFrom, call, cli, startServer, type ServerProcess } from "./support/process.ts";
import { movePairsToPostings, pairRows } from "./support/search-pairs.ts";

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
  const r = await a.api("PUT", "/api/v2/search_settings.json", { search_settings: { languages } });
  expect(r.status, r.text).toBe(200);
  return r.body.search_settings;
}
/** Every posting and document of a tenant, as comparable text, in a stable order. */
async function indexRows(a: TestTenant): Promise<{ postings: string[]; pairs: string[]; documents: string[] }> {
  return t.db.tenant(a.tenantId, async (tx) => ({
    postings: (await tx.db.selectFrom("search_postings").select(["term", "nice_id", "internal", "tf"]).execute()).map((r) => `${Buffer.from(r.term).toString("hex")} ${r.nice_id} ${r.internal} ${r.tf}`).sort(),
    pairs: (await pairRows(tx.db)).map((r) => `${r.term.toString("hex")} ${r.nice_id} ${r.internal} ${r.tf}`).sort(),
    documents: (await tx.db.selectFrom("search_documents").select(["ticket_id", "nice_id", "internal", "length"]).execute()).map((r) => `${r.ticket_id} ${r.nice_id} ${r.internal} ${r.length}`).sort(),
  }));
}
async function auditActions(a: TestTenant): Promise<string[]> {
  return t.db.tenant(a.tenantId, async (tx) => {
    await chainQueued(tx);
    return (await sql<{ action: string }>`SELECT action FROM audit_log ORDER BY seq`.execute(tx.db)).rows.map((r) => r.action);
  });
}
const deps = () => ({ db: t.db, keyring: t.keyring });
/** The people (active) and organizations a tenant holds: the rebuild goes over their names after the tickets. */
const namedIn = (app: TestApp, a: TestTenant) =>
  app.db.tenant(a.tenantId, async (tx) => {
    const users = await tx.db.selectFrom("users").select((eb) => eb.fn.countAll<string>().as("n")).where("tenant_id", "=", a.tenantId).where("active", "=", true).executeTakeFirstOrThrow();
    const orgs = await tx.db.selectFrom("organizations").select((eb) => eb.fn.countAll<string>().as("n")).where("tenant_id", "=", a.tenantId).executeTakeFirstOrThrow();
    return Number(users.n) + Number(orgs.n);
  });
const named = (a: TestTenant) => namedIn(t, a);
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
    const names1 = await named(a);
    expect(done).toMatchObject({ status: "completed", progress: 1 + names1, total: 1 + names1 });
    expect(await ids(a, "skrivare")).toEqual([n]);
    expect(await ids(a, "skrivarnas")).toEqual([n]);
    // The same languages in another order change nothing to the stems: no new job.
    const same = await setLanguages(a, ["english", "swedish"]);
    expect(same.reindex.id).toBe(changed.reindex.id);
    // Shown to admins, with what is on offer; audited.
    const shown = await a.api("GET", "/api/v2/search_settings.json");
    expect(shown.status).toBe(200);
    expect(shown.body.search_settings.available_languages).toEqual(expect.arrayContaining(["english", "swedish", "russian", "german", "finnish"]));
    const actions = await auditActions(a);
    expect(actions.filter((x) => x === "search_settings.updated")).toHaveLength(3);
    expect(actions).toContain("search_index.reindex_started");
    expect(actions).toContain("search_index.reindexed");
  });

  it("start with the three defaults", async () => {
    const a = await buildTenant(t, "srdf");
    const r = await a.api("GET", "/api/v2/search_settings.json");
    expect(r.body.search_settings).toMatchObject({ languages: ["english", "swedish", "russian"], reindex: null });
  });

  it("are for owners and admins only", async () => {
    const a = await buildTenant(t, "srpm");
    const admin = await buildUser(t, a, "admin");
    const agent = await buildUser(t, a, "agent");
    const body = { search_settings: { languages: ["english"] } };
    expect((await a.api("GET", "/api/v2/search_settings.json", undefined, { email: agent.email, token: agent.token! })).status).toBe(403);
    expect((await a.api("PUT", "/api/v2/search_settings.json", body, { email: agent.email, token: agent.token! })).status).toBe(403);
    expect((await a.api("GET", "/api/v2/search_settings.json", undefined, null)).status).toBe(401);
    expect((await a.api("PUT", "/api/v2/search_settings.json", body, { email: admin.email, token: admin.token! })).status).toBe(200);
    const r = await a.api("GET", "/api/v2/search_settings.json");
    expect(r.body.search_settings.languages).toEqual(["english"]);
  });

  it("refuse unknown languages, an empty list and a list without a Latin-script language (422, nothing written)", async () => {
    const a = await buildTenant(t, "srbad");
    for (const languages of [["klingon"], [], ["russian"], ["russian", "arabic"], ["English"], ["english", 3], "english", Array(40).fill("english")]) {
      const r = await a.api("PUT", "/api/v2/search_settings.json", { search_settings: { languages } });
      expect(r.status, `${JSON.stringify(languages)}: ${r.text}`).toBe(422);
      expect(r.body.error).toBe("RecordInvalid");
    }
    for (const body of [{}, { search_settings: {} }, { search_settings: { languages: ["english"], extra: 1 } }, { languages: ["english"] }]) {
      expect((await a.api("PUT", "/api/v2/search_settings.json", body)).status).toBe(422);
    }
    const r = await a.api("GET", "/api/v2/search_settings.json");
    expect(r.body.search_settings).toMatchObject({ languages: ["english", "swedish", "russian"], reindex: null });
    expect(await auditActions(a)).not.toContain("search_settings.updated");
  });
});

describe("the rebuild", () => {
  let a: TestTenant;
  let other: TestTenant;
  let built: { postings: string[]; pairs: string[]; documents: string[] };
  let otherBuilt: { postings: string[]; pairs: string[]; documents: string[] };
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
    expect(built.pairs.length).toBeGreaterThan(50);
  });

  it("equals the index the writes built, and leaves other tenants alone", async () => {
    const s = await reindexAndWait(a);
    const names8 = await named(a);
    expect(s).toMatchObject({ status: "completed", progress: 8 + names8, total: 8 + names8 });
    expect(await indexRows(a)).toEqual(built);
    expect(await indexRows(other)).toEqual(otherBuilt);
    expect(await ids(a, "invoice")).toHaveLength(5);
  });

  it("moves phrase pairs indexed before 0050 (among the postings) to search_pair_sets", async () => {
    await t.db.tenant(a.tenantId, async (tx) => {
      await movePairsToPostings(tx.db, a.tenantId);
    });
    const old = await indexRows(a);
    expect(old.pairs).toEqual([]);
    expect(old.postings.length).toBe(built.postings.length + built.pairs.length);
    await reindexAndWait(a);
    expect(await indexRows(a)).toEqual(built);
  });

  it("rebuilds an index that was lost", async () => {
    await t.db.tenant(a.tenantId, async (tx) => {
      await tx.db.deleteFrom("search_postings").where("tenant_id", "=", a.tenantId).execute();
      await tx.db.deleteFrom("search_pair_sets").where("tenant_id", "=", a.tenantId).execute();
      await tx.db.deleteFrom("search_documents").where("tenant_id", "=", a.tenantId).execute();
    });
    expect(await ids(a, "printer")).toEqual([]);
    await reindexAndWait(a);
    expect(await indexRows(a)).toEqual(built);
    expect(await ids(a, "printer")).toHaveLength(1);
  });

  it("rebuilds people's and organizations' names too (an install whose people predate the name index)", async () => {
    const person = await buildUser(t, a, "end-user", "Zelda Quuxley");
    const org = (await a.api("POST", "/api/v2/organizations.json", { organization: { name: "Quuxworks Limited" } })).body.organization;
    const found = async (q: string) => ((await a.api("GET", `/api/v2/search.json?query=${encodeURIComponent(q)}`)).body.results as Array<{ id: number }>).map((r) => r.id);
    expect(await found("type:user quux*")).toEqual([person.id]);
    await t.db.tenant(a.tenantId, async (tx) => {
      await tx.db.deleteFrom("search_user_names").where("tenant_id", "=", a.tenantId).execute();
      await tx.db.deleteFrom("search_organization_names").where("tenant_id", "=", a.tenantId).execute();
    });
    expect(await found("type:user quux*")).toEqual([]);
    expect(await found("type:organization quuxw*")).toEqual([]);
    await reindexAndWait(a);
    expect(await found("type:user quux*")).toEqual([person.id]);
    expect(await found("type:organization quuxw*")).toEqual([org.id]);
    expect(await indexRows(a)).toEqual(built);
  });
});

describe("changes of languages, writes and a rebuild at once", () => {
  beforeAll(() => {
    process.env.VAULTDESK_REINDEX_BATCH = "2";
  });
  afterAll(() => {
    delete process.env.VAULTDESK_REINDEX_BATCH;
  });

  it("leave the index as a fresh build with the final languages makes (on PostgreSQL: without a deadlock or a write stemmed with the old languages left behind)", async () => {
    const a = await buildTenant(t, "srcc");
    const tickets: number[] = [];
    for (let i = 0; i < 6; i++) tickets.push(await open(a, `Skrivaren ${i} och printers`, `Pappersstopp i fack ${i}; the printer jams.`));
    const changes = (async () => {
      const answers: number[] = [];
      for (const languages of [["english"], ["swedish"], ["swedish", "english", "finnish"]]) {
        answers.push((await a.api("PUT", "/api/v2/search_settings.json", { search_settings: { languages } })).status);
      }
      return answers;
    })();
    const writes = Promise.all([
      ...tickets.map((n, i) => a.api("PUT", `/api/v2/tickets/${n}.json`, { ticket: { comment: { body: `Skrivarna ${i} byttes; printers replaced.`, public: i % 2 === 0 } } }).then((r) => r.status)),
      ...[0, 1, 2].map((i) => a.api("POST", "/api/v2/tickets.json", { ticket: { subject: `Ny skrivare ${i}`, comment: { body: "Printing again." } } }).then((r) => r.status)),
    ]);
    expect(await changes).toEqual([200, 200, 200]);
    expect((await writes).every((s) => s === 200 || s === 201)).toBe(true);
    const settings = (await a.api("GET", "/api/v2/search_settings.json")).body.search_settings;
    expect(settings.languages).toEqual(["swedish", "english", "finnish"]);
    expect(await waitForJob(a, settings.reindex.id)).toMatchObject({ status: "completed" });
    const after = await indexRows(a);
    const names9 = await named(a);
    expect(await reindexAndWait(a)).toMatchObject({ status: "completed", progress: 9 + names9, total: 9 + names9 });
    expect(await indexRows(a)).toEqual(after);
    expect(await ids(a, "skrivare")).toHaveLength(9);
  });
});

describe("resuming and restarting", () => {
  let app: TestApp;
  let a: TestTenant;
  let fresh: { postings: string[]; pairs: string[]; documents: string[] };
  const log = { warn: () => undefined };
  const opDeps = () => ({ db: app.db, keyring: app.keyring });
  const rows = () =>
    app.db.tenant(a.tenantId, async (tx) => ({
      postings: (await tx.db.selectFrom("search_postings").select(["term", "nice_id", "internal", "tf"]).execute()).map((r) => `${Buffer.from(r.term).toString("hex")} ${r.nice_id} ${r.internal} ${r.tf}`).sort(),
      pairs: (await pairRows(tx.db)).map((r) => `${r.term.toString("hex")} ${r.nice_id} ${r.internal} ${r.tf}`).sort(),
      documents: (await tx.db.selectFrom("search_documents").select(["ticket_id", "nice_id", "internal", "length"]).execute()).map((r) => `${r.ticket_id} ${r.nice_id} ${r.internal} ${r.length}`).sort(),
    }));
  const loseIndex = () =>
    app.db.tenant(a.tenantId, async (tx) => {
      await tx.db.deleteFrom("search_postings").where("tenant_id", "=", a.tenantId).execute();
      await tx.db.deleteFrom("search_pair_sets").where("tenant_id", "=", a.tenantId).execute();
      await tx.db.deleteFrom("search_documents").where("tenant_id", "=", a.tenantId).execute();
    });
  const status = async (id: string) => (await reindexStatusForOperator(opDeps(), a.tenantId, id))!;

  /** Runs the job with a runner whose handler "crashes" inside its second step (that step's transaction rolls back). */
  async function crashInSecondStep(): Promise<void> {
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
    const runner = new JobRunner(app.db, app.keyring, log, { workers: 1, pollMs: 60_000, leaseMs: 200 });
    runner.define(crashing);
    runner.start();
    runner.wake(a.tenantId);
    await second;
    // Stopped while the step is under way: the step then fails, and nobody puts the job back (a crash).
    const stopping = runner.stop();
    crash();
    await stopping;
  }

  /** Runs the job to its end with a new runner (a restarted process), answering the state each step began with. */
  async function runToEnd(id: string): Promise<unknown[]> {
    const seen: unknown[] = [];
    const watching: StepsHandler<unknown, unknown> = {
      ...reindexHandler,
      async step(ctx, input, state) {
        seen.push(state);
        return (reindexHandler as StepsHandler<unknown, unknown>).step(ctx, input, state);
      },
    };
    const runner = new JobRunner(app.db, app.keyring, log, { workers: 1, pollMs: 100, leaseMs: 60_000 });
    runner.define(watching);
    runner.start();
    try {
      for (;;) {
        runner.wake(a.tenantId);
        const s = await status(id);
        if (s.status === "completed" || s.status === "failed") return seen;
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await runner.stop();
    }
  }

  beforeAll(async () => {
    // An app that runs no jobs: the test's own runners do, one of them "crashing".
    app = await startTestApp({ env: { VAULTDESK_JOB_WORKERS: "0" } });
    process.env.VAULTDESK_REINDEX_BATCH = "2";
    a = await buildTenant(app, "srres");
    for (let i = 0; i < 5; i++) {
      const r = await a.api("POST", "/api/v2/tickets.json", { ticket: { subject: `Printer ${i} is jammed`, comment: { body: `Tray ${i} holds crumpled paper; skrivaren ${i}.` } } });
      expect(r.status).toBe(201);
    }
    fresh = await rows();
  });
  afterAll(async () => {
    delete process.env.VAULTDESK_REINDEX_BATCH;
    await app?.close();
  });

  it("goes on from the last batch that committed after a crash, and ends with the index a fresh build makes", async () => {
    await loseIndex();
    const job = await reindexByOperator(opDeps(), a.tenantId);
    expect(job.joined).toBe(false);
    // A second request while it is queued joins it.
    expect(await reindexByOperator(opDeps(), a.tenantId)).toMatchObject({ id: job.id, joined: true });
    await crashInSecondStep();
    const total = 5 + (await namedIn(app, a));
    expect(await status(job.id)).toMatchObject({ status: "working", progress: 2, total });
    expect((await rows()).documents).toHaveLength(2);
    // A request while it is under way joins it too.
    expect(await reindexByOperator(opDeps(), a.tenantId)).toMatchObject({ id: job.id, joined: true });

    const seen = await runToEnd(job.id);
    expect(await status(job.id)).toMatchObject({ status: "completed", progress: total, total });
    // It began where the first runner's last committed batch left it: after two tickets.
    expect(seen[0]).toMatchObject({ phase: 0, done: 2, total });
    // Then the other three tickets (two batches of at most two), then the names.
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(await rows()).toEqual(fresh);
  });

  it("starts a rebuild under way over when the languages change", async () => {
    const job = await reindexByOperator(opDeps(), a.tenantId);
    await crashInSecondStep();
    expect(await status(job.id)).toMatchObject({ status: "working", progress: 2 });
    const put = await a.api("PUT", "/api/v2/search_settings.json", { search_settings: { languages: ["swedish"] } });
    expect(put.status, put.text).toBe(200);
    expect(put.body.search_settings.reindex).toMatchObject({ id: job.id, progress: 0, message: "Restarted" });
    const seen = await runToEnd(job.id);
    expect(seen[0]).toBeUndefined();
    const total = 5 + (await namedIn(app, a));
    expect(await status(job.id)).toMatchObject({ status: "completed", progress: total, total });
    const search = async (q: string) => (await a.api("GET", `/api/v2/search.json?query=${encodeURIComponent(q)}`)).body.count as number;
    expect(await search("skrivare")).toBe(5);
    expect(await search("printers")).toBe(0);
    const actions = await app.db.tenant(a.tenantId, async (tx) => {
      await chainQueued(tx);
      return (await sql<{ action: string }>`SELECT action FROM audit_log ORDER BY seq`.execute(tx.db)).rows.map((r) => r.action);
    });
    expect(actions).toContain("search_index.reindex_restarted");
  });
});

describe("the command line", () => {
  let server: ServerProcess | undefined;
  const dataDirs: string[] = [];
  afterAll(async () => {
    if (server && server.child.exitCode === null) {
      server.child.kill("SIGTERM");
      await server.exited;
    }
    for (const d of dataDirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it("rebuilds a tenant's index through a running server and without one", async () => {
    // A data folder with its database already made (data-dir-template.ts): the first start is not what this is about.
    const data = await seededDataDir("vd-reindex-");
    dataDirs.push(data);
    server = await startServer(data, { VAULTDESK_REINDEX_BATCH: "2" });
    const token = apiTokenFrom((await cli(data, "tenant", "create", "--subdomain", "acme", "--owner-email", "owner@acme.test")).stdout);
    for (let i = 0; i < 3; i++) {
      const r = await call(server.port, "acme.localhost", token, "POST", "/api/v2/tickets.json", { ticket: { subject: `Printer ${i}`, comment: { body: "Paper jam" } } });
      expect(r.status).toBe(201);
    }
    const through = await cli(data, "search", "reindex", "--tenant", "acme");
    expect(through.code, through.stderr).toBe(0);
    expect(through.stdout).toMatch(/Search index of tenant 'acme' rebuilt: 4 rows\./); // 3 tickets and the owner's name
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
    expect(alone.stdout).toMatch(/completed: 4 of 4 rows/);
    expect(alone.stdout).toMatch(/rebuilt: 4 rows\./);
    const verified = await cli(data, "audit", "verify", "--tenant", "acme");
    expect(verified.stdout).toMatch(/audit chain OK/);
  }, 180_000);
});
