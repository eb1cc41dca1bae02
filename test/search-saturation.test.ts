import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "kysely";
import { REBUILD_PART_CHARS } from "../src/modules/search/search-index.ts";
import { COUNT_MAX } from "../src/modules/search/search-repo.ts";
import { reindexByOperator, reindexStatusForOperator } from "../src/modules/search/search-reindex-service.ts";
import { buildTenant, startTestApp, type TestApp, type TestTenant, openTicket as open } from "./support/harness.ts";
import { pairRows } from "./support/search-pairs.ts";

/**
 * A posting's count and a document's length are int4. A ticket whose comments hold a word some 2³¹
 * times (thousands of the largest comments) would push them past it; each later write to that
 * ticket then failed with a 500 and wrote nothing. They saturate at COUNT_MAX instead
 * (search-repo.ts): writes go on, a removal leaves a saturated count alone, and a rebuild brings the
 * index back to the ticket's texts. The state of such a ticket is made here by setting its counts
 * just under the limit, as its comments would have.
 */

let t: TestApp;
let a: TestTenant;
beforeAll(async () => {
  t = await startTestApp({ env: { VAULTDESK_JOB_WORKERS: "1" } });
  a = await buildTenant(t, "satur");
});
afterAll(async () => {
  await t?.close();
});

const ids = async (query: string) => {
  const r = await a.api("GET", `/api/v2/search.json?query=${encodeURIComponent(query)}`);
  expect(r.status, `${query}: ${r.text}`).toBe(200);
  return r.body.results.map((x: { id: number }) => x.id).sort((x: number, y: number) => x - y);
};

/** A ticket's public postings' counts and its public document's length. */
const counts = (niceId: number) =>
  t.db.tenant(a.tenantId, async (tx) => ({
    tfs: (await tx.db.selectFrom("search_postings").select("tf").where("nice_id", "=", niceId).where("internal", "=", false).execute()).map((r) => r.tf).sort((x, y) => x - y),
    length: (await tx.db.selectFrom("search_documents").select("length").where("nice_id", "=", niceId).where("internal", "=", false).executeTakeFirstOrThrow()).length,
  }));

async function rebuild() {
  const deps = { db: t.db, keyring: t.keyring };
  const job = await reindexByOperator(deps, a.tenantId);
  for (let i = 0; ; i++) {
    const s = (await reindexStatusForOperator(deps, a.tenantId, job.id))!;
    if (s.status === "failed") throw new Error(`reindex failed: ${JSON.stringify(s)}`);
    if (s.status === "completed") return;
    if (i > 3000) throw new Error("reindex did not finish");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("a long conversation's rebuild", () => {
  it("writes its phrase pairs in parts of bounded size, equal to what its writes made", async () => {
    const words = ["amber", "basalt", "cobalt", "dune", "ember", "fjord", "glacier", "harbor", "island", "jetty"];
    // Comments as long as they may be (65,536 characters), enough of them for more than one part.
    const long = (seed: number) => Array.from({ length: 9_500 }, (_, i) => words[(i * 7 + seed) % words.length]).join(" ");
    const comments = Math.ceil(REBUILD_PART_CHARS / long(0).length) + 2;
    const x = await open(a, "Long log", long(0));
    for (let seed = 1; seed < comments; seed++) expect((await a.api("PUT", `/api/v2/tickets/${x}.json`, { ticket: { comment: { body: long(seed) } } })).status).toBe(200);
    const total = comments * long(0).length;
    expect(total).toBeGreaterThan(REBUILD_PART_CHARS);
    const pairsOf = () => t.db.tenant(a.tenantId, (tx) => pairRows(tx.db, sql`s.nice_id = ${x}`));
    const rowsOf = () => t.db.tenant(a.tenantId, async (tx) => (await sql<{ n: number }>`SELECT octet_length(pairs) AS n FROM search_pair_sets WHERE nice_id = ${x}`.execute(tx.db)).rows.map((r) => Number(r.n)));
    const live = await pairsOf();
    expect(live.length).toBeGreaterThan(0);
    await rebuild();
    expect(await pairsOf()).toEqual(live);
    const rows = await rowsOf();
    // Two parts at least; none holds more pairs than a part's text has words.
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(Math.max(...rows)).toBeLessThanOrEqual((REBUILD_PART_CHARS / 2) * 16);
  });
});

describe("a ticket's counts at int4's limit", () => {
  it("saturate on a write, stay on a removal, and are rebuilt from the texts", async () => {
    const x = await open(a, "Pressure gauge", "The gauge reads zero");
    const other = await open(a, "Spare gauge", "Order a spare");
    // As if the ticket's comments held each of its words nearly 2³¹ times.
    await t.db.tenant(a.tenantId, async (tx) => {
      await sql`UPDATE search_postings SET tf = ${COUNT_MAX - 1} WHERE nice_id = ${x} AND NOT internal`.execute(tx.db);
      await sql`UPDATE search_documents SET length = ${COUNT_MAX - 1} WHERE nice_id = ${x} AND NOT internal`.execute(tx.db);
    });
    const before = await counts(x);
    expect(before.tfs.length).toBeGreaterThan(3);
    expect(new Set(before.tfs)).toEqual(new Set([COUNT_MAX - 1]));

    // Two more of "gauge" and a new word: int4 overflowed here and the reply was refused with a 500.
    const reply = await a.api("PUT", `/api/v2/tickets/${x}.json`, { ticket: { comment: { body: "Gauge swapped, new gauge calibrated" } } });
    expect(reply.status, reply.text).toBe(200);
    const after = await counts(x);
    expect(after.length).toBe(COUNT_MAX);
    expect(Math.max(...after.tfs)).toBe(COUNT_MAX);
    expect(after.tfs).toContain(1); // "calibrated", new to the ticket
    expect(await ids("gauge")).toEqual([x, other].sort((p, q) => p - q));
    expect(await ids("calibrated")).toEqual([x]);
    // Ranked first: BM25's weight of a saturated count is at its ceiling.
    const ranked = await a.api("GET", `/api/v2/search.json?query=gauge`);
    expect(ranked.body.results[0].id).toBe(x);

    // A rename takes "pressure" (not saturated: one less) and "gauge" (saturated: stays) out.
    const rename = await a.api("PUT", `/api/v2/tickets/${x}.json`, { ticket: { subject: "Relief valve" } });
    expect(rename.status, rename.text).toBe(200);
    const renamed = await counts(x);
    expect(renamed.length).toBe(COUNT_MAX);
    expect(Math.max(...renamed.tfs)).toBe(COUNT_MAX);
    expect(renamed.tfs).toContain(COUNT_MAX - 2); // "pressure": one less
    expect(await ids("valve")).toEqual([x]);
    expect(await ids("gauge")).toEqual([x, other].sort((p, q) => p - q));

    // Another ticket's writes are untouched by it; a rebuild brings the ticket back to its texts.
    expect((await a.api("PUT", `/api/v2/tickets/${other}.json`, { ticket: { comment: { body: "Spare gauge ordered" } } })).status).toBe(200);
    await rebuild();
    const rebuilt = await counts(x);
    expect(Math.max(...rebuilt.tfs)).toBeLessThan(10);
    expect(rebuilt.length).toBeLessThan(20);
    expect(await ids("gauge")).toEqual([x, other].sort((p, q) => p - q));
    expect(await ids("valve")).toEqual([x]);
    expect(await ids("calibrated")).toEqual([x]);
  });
});
