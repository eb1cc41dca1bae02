import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeContext, type RequestContext } from "../src/platform/context.ts";
import { policiesToApply } from "../src/modules/sla/sla-service.ts";
import { matchesCompiled, PROBE, PROBE_UPDATE } from "../src/modules/triggers/rules-conditions.ts";
import { activeRules } from "../src/modules/triggers/rules-service.ts";
import { TRIGGERS } from "../src/modules/triggers/triggers-service.ts";
import { buildTenant, startTestApp, type TestApp, type TestTenant } from "./support/harness.ts";

/**
 * The conditions every ticket write matches (active triggers, SLA policies' filters) are compiled
 * once with the opened rule, in the same cache entry (platform/crypto/opened-cache.ts): a second
 * read of an unchanged rule gives the very compiled form of the first; a rule changed through the
 * API is compiled again and the new form follows its new conditions. Another account's rule is
 * compiled in its own entry.
 */

let t: TestApp;
let a: TestTenant;
let b: TestTenant;

beforeAll(async () => {
  t = await startTestApp();
  a = await buildTenant(t, "rulescompiled");
  b = await buildTenant(t, "rulescompiledb");
});
afterAll(async () => {
  await t?.close();
});

async function ok(r: Promise<{ status: number; text: string; body: any }>, status = 200): Promise<any> {
  const x = await r;
  expect(x.status, x.text).toBe(status);
  return x.body;
}
const inTenant = <T>(x: TestTenant, fn: (ctx: RequestContext) => Promise<T>) =>
  t.db.tenant(x.tenantId, async (tx) => fn(makeContext({ tx, sealer: await t.keyring.sealerFor(tx), actor: { kind: "system" }, now: () => new Date(), apiBase: `http://${x.host}/api/v2` })));
const tagged = (tag: string) => ({ all: [{ field: "current_tags", operator: "includes", value: `${tag} other_tag` }] });
const withTags = (...tags: string[]) => ({ ...PROBE, tags });

describe("compiled conditions", () => {
  it("a trigger's compiled conditions are reused while it is unchanged, compiled again once changed, and kept apart per account", async () => {
    const made = await ok(a.api("POST", "/api/v2/triggers.json", { trigger: { title: "Gold", conditions: tagged("gold"), actions: [{ field: "priority", value: "high" }] } }), 201);
    await ok(b.api("POST", "/api/v2/triggers.json", { trigger: { title: "Gold", conditions: tagged("silver"), actions: [{ field: "priority", value: "high" }] } }), 201);
    const [first] = await inTenant(a, (ctx) => activeRules(TRIGGERS, ctx));
    const [again] = await inTenant(a, (ctx) => activeRules(TRIGGERS, ctx));
    expect(again!.compiled).toBe(first!.compiled);
    expect(matchesCompiled(first!.compiled, withTags("gold"), PROBE_UPDATE)).toBe(true);
    expect(matchesCompiled(first!.compiled, withTags("silver"), PROBE_UPDATE)).toBe(false);

    // The other account's trigger: its own entry, its own conditions.
    const [inB] = await inTenant(b, (ctx) => activeRules(TRIGGERS, ctx));
    expect(inB!.compiled).not.toBe(first!.compiled);
    expect(matchesCompiled(inB!.compiled, withTags("silver"), PROBE_UPDATE)).toBe(true);

    await ok(a.api("PUT", `/api/v2/triggers/${made.trigger.id}.json`, { trigger: { conditions: tagged("platinum") } }));
    const [changed] = await inTenant(a, (ctx) => activeRules(TRIGGERS, ctx));
    expect(changed!.compiled).not.toBe(first!.compiled);
    expect(matchesCompiled(changed!.compiled, withTags("gold"), PROBE_UPDATE)).toBe(false);
    expect(matchesCompiled(changed!.compiled, withTags("platinum"), PROBE_UPDATE)).toBe(true);
    const [later] = await inTenant(a, (ctx) => activeRules(TRIGGERS, ctx));
    expect(later!.compiled).toBe(changed!.compiled);
  });

  it("an SLA policy's compiled filter is reused while it is unchanged and compiled again once changed", async () => {
    const FRT = [{ priority: "urgent", metric: "first_reply_time", target: 30, business_hours: false }];
    const made = await ok(a.api("POST", "/api/v2/slas/policies.json", { sla_policy: { title: "Gold", filter: tagged("gold"), policy_metrics: FRT } }), 201);
    const [first] = await inTenant(a, (ctx) => policiesToApply(ctx));
    const [again] = await inTenant(a, (ctx) => policiesToApply(ctx));
    expect(again!.compiled).toBe(first!.compiled);
    expect(matchesCompiled(first!.compiled, withTags("gold"), PROBE_UPDATE)).toBe(true);

    await ok(a.api("PUT", `/api/v2/slas/policies/${made.sla_policy.id}.json`, { sla_policy: { filter: tagged("platinum") } }));
    const [changed] = await inTenant(a, (ctx) => policiesToApply(ctx));
    expect(changed!.compiled).not.toBe(first!.compiled);
    expect(matchesCompiled(changed!.compiled, withTags("gold"), PROBE_UPDATE)).toBe(false);
    expect(matchesCompiled(changed!.compiled, withTags("platinum"), PROBE_UPDATE)).toBe(true);
  });
});
