/**
 * `node --import tsx bench/sla-phases.ts [postgres-url]`: where a ticket write's time went under
 * SLA policies at their bounds, phase by phase, in this process (no HTTP): 99 policies of ~10 KB
 * of filter (an `any` of four 42-tag lists, matching nothing) and one short one, sealed by the
 * tenant's real sealer; then, in one tenant transaction each, many times over: the read of every
 * policy with its sealed filter (what a write read before the cache), the decryption of the
 * filters, their JSON parse, the match of the parsed filters against a ticket (as conditions, and
 * compiled: as the cache keeps them, compiled once); and the read of the ids and versions alone
 * (what a write reads with the cache). PGlite in a fresh folder, or the
 * PostgreSQL server named (in a database of its own, dropped after). bench/README.md has the figures.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { Keyring } from "../src/platform/crypto/keyring.ts";
import { LocalMasterKey } from "../src/platform/crypto/master-key.ts";
import { openDatabase } from "../src/platform/db/database.ts";
import { createTenant } from "../src/modules/tenants/tenants-service.ts";
import * as repo from "../src/modules/sla/sla-repo.ts";
import { compile, matches, matchesCompiled, PROBE, PROBE_UPDATE, type CompiledConditions } from "../src/modules/triggers/rules-conditions.ts";
import type { Conditions } from "../src/modules/triggers/rules-types.ts";

const adminUrl = process.argv[2];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vd-sla-phases-"));
const name = `vd_sla_phases_${Date.now()}`;
const admin = adminUrl ? new pg.Client({ connectionString: adminUrl }) : undefined;
let url: string | undefined;
if (admin && adminUrl) {
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  url = u.toString();
}
const db = url ? await openDatabase({ kind: "postgres", url }) : await openDatabase({ kind: "pglite", dataDir: dir });
await db.migrate();
const keyring = new Keyring(new LocalMasterKey(crypto.randomBytes(32)));
const { tenantId } = await createTenant(db, keyring, { subdomain: `phases${Date.now()}`, ownerEmail: "owner@phases.test" });
const tagList = (seed: string, n: number) => Array.from({ length: n }, (_, i) => `${seed}_${i}_`.padEnd(60, "x")).join(" ");

let bytes = 0;
await db.tenant(tenantId, async (tx) => {
  const sealer = await keyring.sealerFor(tx);
  for (let i = 0; i < 100; i++) {
    const id = crypto.randomUUID();
    const filter: Conditions =
      i < 99
        ? { all: [], any: Array.from({ length: 4 }, (_, k) => ({ field: "current_tags", operator: "includes", value: tagList(`p${i}c${k}`, 42) })) }
        : { all: [{ field: "current_tags", operator: "not_includes", value: "nosla" }], any: [] };
    const filterSealed = sealer.sealJson(filter, { table: "sla_policies", column: "filter", row: id });
    bytes += filterSealed.length;
    await repo.insertPolicy(tx, { id, title_sealed: sealer.seal(`P ${i}`, { table: "sla_policies", column: "title", row: id }), description_sealed: null, filter_sealed: filterSealed, policy_metrics: "[]", position: i + 1 });
  }
});

const N = 40;
const t: Record<string, number> = { read_whole: 0, decrypt: 0, json_parse: 0, match: 0, match_compiled: 0, read_versions: 0 };
/** The filters compiled at the first write, kept for the others (as the opened cache keeps them). */
let compiled: CompiledConditions[] | undefined;
const state = { ...PROBE, status: "open" as const, tags: ["bench", "r1"] };
for (let n = 0; n < N + 5; n++) {
  await db.tenant(tenantId, async (tx) => {
    const sealer = await keyring.sealerFor(tx);
    const lap = (k: string, t0: number) => n >= 5 && (t[k]! += performance.now() - t0);
    let t0 = performance.now();
    const rows = await repo.allPolicies(tx);
    lap("read_whole", t0);
    t0 = performance.now();
    // The filter is a JSON column: opened as text here (a cast) to time the decryption apart from the parse.
    const texts = rows.map((r) => sealer.openBytes(r.filter_sealed, { table: "sla_policies", column: "filter", row: r.id } as unknown as Parameters<typeof sealer.openBytes>[1]).toString("utf8"));
    lap("decrypt", t0);
    t0 = performance.now();
    const filters = texts.map((x) => JSON.parse(x) as Conditions);
    lap("json_parse", t0);
    t0 = performance.now();
    const hit = filters.findIndex((f) => matches(f, state, PROBE_UPDATE));
    lap("match", t0);
    if (hit !== 99) throw new Error(`the last policy should apply, not ${hit}`);
    compiled ??= filters.map(compile);
    t0 = performance.now();
    const hitCompiled = compiled.findIndex((c) => matchesCompiled(c, state, PROBE_UPDATE));
    lap("match_compiled", t0);
    if (hitCompiled !== 99) throw new Error(`the last policy should apply, compiled, not ${hitCompiled}`);
    t0 = performance.now();
    await repo.policyVersions(tx);
    lap("read_versions", t0);
  });
}
const per = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Math.round((v / N) * 100) / 100]));
console.log(JSON.stringify({ database: db.kind, policies: 100, filter_bytes: bytes, ms_per_write: per }, null, 2));
await db.close();
if (admin) {
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
fs.rmSync(dir, { recursive: true, force: true });
