/**
 * A single word's relevance page, pruned by bounds (search-repo.ts prunedMatch, 0052) against
 * every match scored, on a kept search benchmark database (`BENCH_KEEP_DATABASES=1 npm run bench
 * -- --search …` prints its DATABASE_URL and VAULTDESK_MASTER_KEY):
 *
 *   DATABASE_URL=… VAULTDESK_MASTER_KEY=… node --import tsx bench/search-prune.ts bench/results/search.json [kinds]
 *
 * In one process, for each query of each kind (default: one_common,one_stopword,one_cjk) in the
 * results file, the page's statement as the route runs it (the tickets joined to the match, best
 * 26), pruned and not, alternating, five times each (the first left out), as the big tenant's
 * owner; prints the medians and whether the pruned page came back full (bench/README.md, "Bounds").
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { loadConfig } from "../src/platform/config.ts";
import { openRuntime } from "../src/platform/runtime.ts";
import { makeContext } from "../src/platform/context.ts";
import { textMatch } from "../src/modules/search/search-index.ts";
import { pruneTop } from "../src/modules/search/search-service.ts";
import { relevancePage } from "./search.ts";

type Results = { postgres: { queries: Record<string, string[]> } };

async function main() {
  const file = process.argv[2];
  if (!file || !process.env.DATABASE_URL) throw new Error("usage: DATABASE_URL=… VAULTDESK_MASTER_KEY=… node --import tsx bench/search-prune.ts <results.json> [kinds]");
  const results = JSON.parse(fs.readFileSync(file, "utf8")) as Results;
  const kinds = (process.argv[3] ?? "one_common,one_stopword,one_cjk").split(",");
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "vd-prune-"));
  const rt = await openRuntime(loadConfig({ ...process.env, VAULTDESK_DATA_DIR: dataDir, LOG_LEVEL: "silent" }), { migrate: false });
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
  try {
    const big = await rt.db.system(async (db) => (await sql<{ id: string }>`SELECT id FROM tenants WHERE subdomain = 'big'`.execute(db)).rows[0]?.id);
    if (!big) throw new Error("no tenant 'big': not a search benchmark database");
    for (const kind of kinds) {
      const pruned: number[] = [];
      const all: number[] = [];
      const lines: string[] = [];
      for (const q of results.postgres.queries[kind] ?? []) {
        const times = { pruned: [] as number[], all: [] as number[] };
        let rows = 0;
        let prunable = false;
        for (let round = 0; round < 5; round++) {
          for (const mode of ["pruned", "all"] as const) {
            await rt.db.tenant(big, async (tx) => {
              const ctx = makeContext({ tx, sealer: await rt.keyring.sealerFor(tx), actor: { kind: "operator" }, requestId: "bench", now: () => new Date() });
              const parts = [...q.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
              const t0 = performance.now();
              const match = await textMatch(ctx, parts, true, undefined);
              if (!match) throw new Error(`no words in ${q}`);
              prunable = match.prunable(pruneTop(26));
              const hit = match(true, mode === "pruned" && prunable ? pruneTop(26) : undefined);
              const page = await relevancePage(tx, big, hit).execute();
              if (round > 0) times[mode].push(performance.now() - t0);
              if (mode === "pruned") rows = page.length;
            });
          }
        }
        pruned.push(median(times.pruned));
        all.push(median(times.all));
        lines.push(`  ${q.padEnd(40)} ${prunable ? `pruned, ${rows === 26 ? "full" : `${rows} rows: asked again in use`}` : "not pruned"}: ${median(times.pruned).toFixed(1)} ms; every match: ${median(times.all).toFixed(1)} ms`);
      }
      console.log(`${kind}: median of the queries' medians, pruned ${median(pruned).toFixed(1)} ms, every match ${median(all).toFixed(1)} ms\n${lines.join("\n")}`);
    }
  } finally {
    await rt.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
