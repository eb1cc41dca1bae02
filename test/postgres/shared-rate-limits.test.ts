import { describe, expect, it } from "vitest";
import { openDatabase } from "../../src/platform/db/database.ts";
import { createSharedRateLimiter } from "../../src/platform/rate-limiter.ts";
import { buildTenant, startTestApp } from "../support/harness.ts";
import { freshPostgresDatabase } from "../support/postgres-database.ts";

/**
 * The API rate limit holds across server processes that share a PostgreSQL database: two servers,
 * each with connections and a shared rate limiter of its own, together let through no more than
 * the limit (test/sessions-and-limits.test.ts covers the limits of one server).
 */

describe("rate limits on PostgreSQL", () => {
  it("holds across two server processes sharing PostgreSQL", async () => {
    const database = await freshPostgresDatabase({ migrated: true });
    try {
      const db1 = await openDatabase({ kind: "postgres", url: database.url, poolSize: 20 });
      const db2 = await openDatabase({ kind: "postgres", url: database.url, poolSize: 20 });
      const l1 = createSharedRateLimiter(db1, 50);
      const l2 = createSharedRateLimiter(db2, 50);
      const s1 = await startTestApp({ db: db1, rateLimiter: l1, env: { VAULTDESK_RATE_LIMIT_PER_MINUTE: "20" } });
      const s2 = await startTestApp({ db: db2, rateLimiter: l2, env: { VAULTDESK_RATE_LIMIT_PER_MINUTE: "20" } });
      try {
        const a = await buildTenant(s1, "rlshared");
        const auth = { authorization: "Basic " + Buffer.from(`${a.ownerEmail}/token:${a.ownerToken}`).toString("base64") };
        // A window's turn midway changes nothing: in the sliding window the requests before it
        // still weigh after it (test/rate-limits-across-processes.test.ts turns windows on purpose).
        const results: number[] = [];
        for (let i = 0; i < 30; i++) {
          const app = i % 2 === 0 ? s1 : s2;
          results.push((await app.request({ method: "GET", path: "/api/v2/users/me.json", host: a.host, headers: auth })).status);
          await new Promise((r) => setTimeout(r, 20));
        }
        const ok = results.filter((s) => s === 200).length;
        expect(ok, `statuses on ${database.where}: ${results.join(" ")}`).toBeLessThanOrEqual(24);
        expect(results.filter((s) => s === 429).length).toBeGreaterThan(0);
      } finally {
        l1.stop();
        l2.stop();
        await s1.close();
        await s2.close();
        await db1.close();
        await db2.close();
      }
    } finally {
      await database.drop();
    }
  });
});
