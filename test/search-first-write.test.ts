import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reindexByOperator, reindexStatusForOperator } from "../src/modules/search/search-reindex-service.ts";
import { buildTenant, startTestApp, type TestApp, type TestTenant, openTicket as open } from "./support/harness.ts";
import { pairRows } from "./support/search-pairs.ts";

/**
 * A document's first write inserts its postings without ON CONFLICT (search-repo.ts addTerms), told
 * from a later write by the document's row (`xmax = 0`). Wherever the two could be confused, the
 * index must still equal the one a rebuild makes, and no write may fail on a duplicate key: first
 * internal notes written at once (on PostgreSQL, concurrent transactions on one document's key), a
 * ticket deleted and restored (its entries gone, then written anew), a ticket created with an
 * internal note (two first writes in one transaction) and more writes in that transaction's wake.
 */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ env: { VAULTDESK_JOB_WORKERS: "1" } });
});
afterAll(async () => {
  await t?.close();
});

const ids = async (a: TestTenant, query: string) => {
  const r = await a.api("GET", `/api/v2/search.json?query=${encodeURIComponent(query)}`);
  expect(r.status, `${query}: ${r.text}`).toBe(200);
  return r.body.results.map((x: { id: number }) => x.id).sort((x: number, y: number) => x - y);
};
/** Every posting, pair set and document of a tenant, as comparable text, in a stable order. */
const indexRows = (a: TestTenant) =>
  t.db.tenant(a.tenantId, async (tx) => ({
    postings: (await tx.db.selectFrom("search_postings").select(["term", "nice_id", "internal", "tf"]).execute()).map((r) => `${Buffer.from(r.term).toString("hex")} ${r.nice_id} ${r.internal} ${r.tf}`).sort(),
    pairs: (await pairRows(tx.db)).map((r) => `${r.term.toString("hex")} ${r.nice_id} ${r.internal} ${r.tf}`).sort(),
    documents: (await tx.db.selectFrom("search_documents").select(["nice_id", "internal", "length"]).execute()).map((r) => `${r.nice_id} ${r.internal} ${r.length}`).sort(),
  }));
async function rebuilt(a: TestTenant) {
  const deps = { db: t.db, keyring: t.keyring };
  const job = await reindexByOperator(deps, a.tenantId);
  for (;;) {
    const s = (await reindexStatusForOperator(deps, a.tenantId, job.id))!;
    if (s.status === "failed") throw new Error(`reindex failed: ${JSON.stringify(s)}`);
    if (s.status === "completed") return indexRows(a);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("a search document's first write", () => {
  it("holds under concurrent first notes, a delete and restore, and a note in the create, equal to a rebuild", async () => {
    const a = await buildTenant(t, "firstw");

    // Eight first internal notes on one ticket at once, each with a word of its own and one shared.
    const busy = await open(a, "Router keeps dropping", "The office router drops every hour.");
    const words = ["copper", "brass", "nickel", "cobalt", "zinc", "tin", "iron", "silver"];
    const notes = await Promise.all(
      words.map((w) => a.api("PUT", `/api/v2/tickets/${busy}.json`, { ticket: { comment: { body: `Zephyrwing checked the ${w} cabling`, public: false } } })),
    );
    expect(notes.map((r) => r.status), notes.map((r) => r.text).join("\n")).toEqual(words.map(() => 200));
    for (const w of words) expect(await ids(a, w), w).toEqual([busy]);

    // Deleted (its entries go), restored (written anew), then written to again.
    const back = await open(a, "Quarterly invoice missing", "The quarterly invoice never arrived.", { comment: { body: "Billing says resent", public: false } });
    expect((await a.api("DELETE", `/api/v2/tickets/${back}.json`)).status).toBe(204);
    expect(await ids(a, "quarterly")).toEqual([]);
    const restored = await a.api("PUT", `/api/v2/deleted_tickets/${back}/restore`);
    expect(restored.status, restored.text).toBeLessThan(300);
    expect(await ids(a, "quarterly")).toEqual([back]);
    expect(await ids(a, "resent")).toEqual([back]);
    const again = await a.api("PUT", `/api/v2/tickets/${back}.json`, { ticket: { comment: { body: "Quarterly invoice found in spam", public: true } } });
    expect(again.status, again.text).toBe(200);

    // Created with an internal note (both documents' first writes in one transaction), then notes and replies at once.
    const both = await open(a, "Badge reader broken", "The badge reader at the back door is dead.", { comment: { body: "Facilities ticket raised for the badge reader", public: false } });
    const mixed = await Promise.all([
      a.api("PUT", `/api/v2/tickets/${both}.json`, { ticket: { comment: { body: "Badge reader replaced", public: true } } }),
      a.api("PUT", `/api/v2/tickets/${both}.json`, { ticket: { comment: { body: "Facilities invoice for the reader", public: false } } }),
      a.api("PUT", `/api/v2/tickets/${busy}.json`, { ticket: { comment: { body: "Router firmware updated", public: true } } }),
    ]);
    expect(mixed.map((r) => r.status), mixed.map((r) => r.text).join("\n")).toEqual([200, 200, 200]);

    expect(await ids(a, "zephyrwing")).toEqual([busy]);
    expect(await ids(a, "\"badge reader\"")).toEqual([both]);
    expect(await ids(a, "invoice")).toEqual([back, both]);

    const written = await indexRows(a);
    // One document per ticket and visibility: the public ones, and the internal notes' of the three tickets.
    expect(written.documents).toHaveLength(6);
    expect(written.postings.length).toBeGreaterThan(40);
    // Every posting's count too: a word in all eight notes is one posting counted eight times in both.
    expect(await rebuilt(a)).toEqual(written);
  });
});
