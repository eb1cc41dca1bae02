import crypto from "node:crypto";
import { actorUser, type RequestContext } from "../../platform/context.ts";
import { OpenedCache } from "../../platform/crypto/opened-cache.ts";
import { refsOf } from "../../platform/crypto/sealed-columns.ts";
import { AppError, forbidden, invalid, notFound, type FieldDetail } from "../../platform/errors.ts";
import { audit } from "../audit/audit-service.ts";
import { listGroups } from "../groups/groups-service.ts";
import { loadFields } from "../tickets/field-defs.ts";
import { isAdmin } from "../users/users-policy.ts";
import { listAssignableUsers } from "../users/users-service.ts";
import { AUTOMATION_OPERATORS, checkConditions, compile, conditionDefinitions, options, type Choices, type CompiledConditions, type RuleRules } from "../triggers/rules-conditions.ts";
import type { Conditions } from "../triggers/rules-types.ts";
import * as repo from "./sla-repo.ts";
import { MAX_TARGET, SLA_METRICS, SLA_PRIORITIES, type PolicyMetricInput, type PolicyMetricView, type SlaPolicyInput, type SlaPolicyView } from "./sla-types.ts";

/**
 * The account's SLA policies (Zendesk's SLA Policies API): list, show, definitions, create,
 * update, delete and reorder, owners and admins only, title, description and filter sealed at
 * rest, every write audited by ids only. The filter holds the ticket-property conditions the
 * business rules read (rules-conditions.ts, as automations hold them without the time
 * conditions); a condition about an update or a time answers 422 on its row.
 */

/** The conditions a filter holds: the ticket as it is (never the update, never a time). */
const SLA_OPERATORS: Record<string, readonly string[]> = Object.fromEntries(
  ["status", "priority", "type", "assignee_id", "group_id", "requester_id", "organization_id", "current_tags", "via"].map((f) => [f, AUTOMATION_OPERATORS[f]!]),
);
export const SLA_RULES: RuleRules = { one: "sla_policy", many: "sla_policies", operators: SLA_OPERATORS, currentUser: false, close: false };

/** Most policies an account keeps (every ticket write matches them all). */
export const MAX_POLICIES = 100;
/** Most a policy holds (its filter and metric rows as JSON, UTF-8 bytes): Zendesk's 65 kb a business rule. */
export const MAX_POLICY_BYTES = 65_536;

/**
 * The account's policies' filters together hold at most this many stored bytes (about 1 MB, as the
 * active triggers): every ticket write matches them all, and opens those its process has not opened
 * at their version (a change, a new process, every 5 minutes: policiesToApply); 100 policies of
 * 64 KB made each write of the account (an anonymous request's too) cost over a second of CPU.
 */
export const MAX_FILTERS_BYTES = 1_048_576;

const ref = refsOf("sla_policies");

/** Refuses a filter that would take the account's policies' filters past MAX_FILTERS_BYTES (call under the policies' lock). */
async function checkFiltersTotal(ctx: RequestContext, except: string | null, adding: number): Promise<void> {
  const n = (await repo.filterBytes(ctx.tx, except)) + adding;
  if (n > MAX_FILTERS_BYTES) {
    throw invalid("filter", `Filter: the SLA policies of an account hold at most ${MAX_FILTERS_BYTES} bytes of filters together (with this one, ${n}); make some smaller`, "TooLarge");
  }
}

function requireAdmin(ctx: RequestContext): void {
  const a = actorUser(ctx);
  if (!isAdmin(a.role)) throw forbidden("SLA policies are managed by owners and admins.");
}

export const filterOf = (ctx: RequestContext, r: Pick<repo.PolicyRow, "id" | "filter_sealed">): Conditions => ctx.sealer.openJson<Conditions>(r.filter_sealed, ref(r.id, "filter"));
export const titleOf = (ctx: RequestContext, r: Pick<repo.PolicyRow, "id" | "title_sealed">): string => ctx.sealer.open(r.title_sealed, ref(r.id, "title"));
export const descriptionOf = (ctx: RequestContext, r: Pick<repo.PolicyRow, "id" | "description_sealed">): string | null => (r.description_sealed ? ctx.sealer.open(r.description_sealed, ref(r.id, "description")) : null);
/** The metric rows as stored (jsonb: an array, or its text on some drivers). */
export const metricsOf = (r: Pick<repo.PolicyRow, "policy_metrics">): PolicyMetricView[] => (typeof r.policy_metrics === "string" ? JSON.parse(r.policy_metrics) : r.policy_metrics) as PolicyMetricView[];

/** A policy as a ticket write applies it: its id, filter (and the filter compiled: rules-conditions.ts compile) and metric rows, opened. */
export type OpenedPolicy = { readonly id: string; readonly filter: Conditions; readonly compiled: CompiledConditions; readonly metrics: readonly PolicyMetricView[] };

/**
 * The policies opened in this process (platform/crypto/opened-cache.ts), by tenant, id and row
 * version, with their filters compiled (a changed policy, at a new version, is opened and compiled
 * again): 32 MB of filters (about 30 accounts at the 1 MB bound; the compiled filter, which holds
 * the filter's words again, counted as the sealed filter once more), each kept at most 5 minutes.
 */
export const openedPolicies = new OpenedCache<OpenedPolicy>({ maxBytes: 32 * 1_048_576, maxAgeMs: 5 * 60_000 });

/**
 * The account's policies in the order they apply (by position and id), opened: every ticket write
 * asks. The ids and versions are read each time; only policies this process has not opened at
 * their version (new, changed, expired) are read whole and opened. A policy deleted between the
 * two reads is left out, as if the write had come after the deletion.
 */
export async function policiesToApply(ctx: RequestContext): Promise<OpenedPolicy[]> {
  const tenant = ctx.tx.tenantId;
  const list = await repo.policyVersions(ctx.tx);
  const out = list.map((r) => openedPolicies.get(tenant, r.id, r.version));
  const missing = list.filter((_, i) => !out[i]).map((r) => r.id);
  if (missing.length) {
    const rows = new Map((await repo.policyContents(ctx.tx, missing)).map((r) => [r.id, r]));
    for (const [i, v] of list.entries()) {
      const r = out[i] ? undefined : rows.get(v.id);
      if (!r) continue;
      const filter = filterOf(ctx, r);
      const p: OpenedPolicy = { id: r.id, filter, compiled: compile(filter), metrics: metricsOf(r) };
      openedPolicies.set(tenant, r.id, r.version, p, 2 * r.filter_sealed.length + JSON.stringify(p.metrics).length);
      out[i] = p;
    }
  }
  return out.filter((p) => p !== undefined);
}

function present(ctx: RequestContext, r: repo.PolicyRow): SlaPolicyView {
  return {
    id: r.nice_id,
    url: `${ctx.apiBase}/slas/policies/${r.nice_id}.json`,
    title: titleOf(ctx, r),
    description: descriptionOf(ctx, r),
    position: r.position,
    filter: filterOf(ctx, r),
    policy_metrics: metricsOf(r),
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  };
}

/** The policy, or 404; `lock`: its row locked for a change or a deletion (sla-repo.ts, lockPolicy): one met at once finds it gone (404), never a 500. */
async function found(ctx: RequestContext, niceId: number, lock?: "edit" | "delete"): Promise<repo.PolicyRow> {
  const r = await (lock ? repo.lockPolicy(ctx.tx, niceId, lock) : repo.findPolicy(ctx.tx, niceId));
  if (!r) throw notFound();
  return r;
}

/** Conditions checked as the rules code checks them, their problems named `filter.all[i]`. */
async function checkFilter(ctx: RequestContext, input: NonNullable<SlaPolicyInput["filter"]>): Promise<Conditions> {
  const rename = (s: string) => s.replace(/^conditions/, "filter").replace(/conditions\.(all|any)/g, "filter.$1").replace(/^Conditions: a sla_policy needs at least one condition/, "Filter: a policy needs at least one condition");
  try {
    return await checkConditions(ctx, input, SLA_RULES);
  } catch (e) {
    if (!(e instanceof AppError) || !e.details) throw e;
    const details: Record<string, FieldDetail[]> = {};
    for (const [k, list] of Object.entries(e.details)) details[rename(k)] = list.map((d) => ({ ...d, description: rename(d.description) }));
    throw new AppError(e.code, { description: e.description, details });
  }
}

/** Metric rows checked: each problem named by its place (`policy_metrics[2]`) in one 422; one row per (priority, metric). */
function checkMetrics(input: readonly PolicyMetricInput[]): PolicyMetricView[] {
  if (input.length > SLA_PRIORITIES.length * SLA_METRICS.length) throw invalid("policy_metrics", `Policy metrics: at most ${SLA_PRIORITIES.length * SLA_METRICS.length} (one per priority and metric)`, "TooMany");
  const problems: Record<string, FieldDetail[]> = {};
  const out: PolicyMetricView[] = [];
  const seen = new Set<string>();
  for (const [i, m] of input.entries()) {
    const at = `policy_metrics[${i}]`;
    const wrong = (p: string) => (problems[at] = [{ description: `${at}: ${p}`, error: "InvalidValue" }]);
    if (!(SLA_PRIORITIES as readonly string[]).includes(m.priority)) wrong(`priority must be one of ${SLA_PRIORITIES.join(", ")}`);
    else if (!(SLA_METRICS as readonly string[]).includes(m.metric)) wrong(`metric must be one of ${SLA_METRICS.join(", ")}`);
    else if (!Number.isInteger(m.target) || m.target < 1 || m.target > MAX_TARGET) wrong(`target must be whole minutes, 1 to ${MAX_TARGET}`);
    else if (seen.has(`${m.priority} ${m.metric}`)) wrong(`a second row for ${m.priority} ${m.metric} (one per priority and metric)`);
    else {
      seen.add(`${m.priority} ${m.metric}`);
      out.push({ priority: m.priority as PolicyMetricView["priority"], metric: m.metric as PolicyMetricView["metric"], target: m.target, business_hours: m.business_hours ?? false });
    }
  }
  if (Object.keys(problems).length) throw new AppError("RecordInvalid", { details: problems });
  return out;
}

function checkSize(filter: Conditions, metrics: readonly PolicyMetricView[], title: string, description: string | null): void {
  const n = Buffer.byteLength(JSON.stringify({ filter, metrics, title, description }));
  if (n > MAX_POLICY_BYTES) throw invalid("sla_policy", `SLA policy: holds at most ${MAX_POLICY_BYTES} bytes (this one ${n})`, "TooLarge");
}

function titleText(t: string): string {
  const s = t.trim();
  if (!s) throw invalid("title", "Title: cannot be blank");
  return s;
}

// ---- reads

export async function listPolicies(ctx: RequestContext): Promise<SlaPolicyView[]> {
  requireAdmin(ctx);
  return (await repo.allPolicies(ctx.tx)).map((r) => present(ctx, r));
}

export async function showPolicy(ctx: RequestContext, niceId: number): Promise<SlaPolicyView> {
  requireAdmin(ctx);
  return present(ctx, await found(ctx, niceId));
}

/** What the editor offers (Zendesk's GET /slas/policies/definitions): the filter's conditions with their operators and values, the metrics and priorities. */
export async function policyDefinitions(ctx: RequestContext) {
  requireAdmin(ctx);
  const all = { mode: "offset" as const, page: 1, perPage: 1000, limit: 1000, offset: 0, desc: false };
  const groups = (await listGroups(ctx, all)).rows.map((g) => ({ value: String(g.id), title: g.name }));
  const agents = (await listAssignableUsers(ctx, all)).rows.map((u) => ({ value: String(u.id), title: u.name }));
  const { defs } = await loadFields(ctx);
  const custom = [...defs.values()].filter((d) => d.active).sort((a, b) => a.niceId - b.niceId);
  const choices: Choices = {
    groups,
    agents,
    custom: custom.map((d) => ({
      subject: `custom_fields_${d.niceId}`,
      title: d.title,
      type: d.options.length || d.type === "checkbox" ? "list" : "text",
      ...(d.options.length ? { values: d.options.map((o) => ({ value: o.value, title: o.value })) } : d.type === "checkbox" ? { values: options(["true", "false"]) } : {}),
    })),
  };
  const conditions = conditionDefinitions(SLA_RULES, choices);
  const titled = (list: readonly string[]) => list.map((v) => ({ value: v, title: v.charAt(0).toUpperCase() + v.slice(1).replace(/_/g, " ") }));
  return { all: conditions, any: conditions, metrics: titled(SLA_METRICS), priorities: titled(SLA_PRIORITIES) };
}

// ---- writes

export async function createPolicy(ctx: RequestContext, input: SlaPolicyInput): Promise<SlaPolicyView> {
  requireAdmin(ctx);
  if (input.title === undefined) throw invalid("title", "Title: cannot be blank");
  const title = titleText(input.title);
  if (input.filter === undefined) throw invalid("filter", "Filter: a policy needs at least one condition");
  const filter = await checkFilter(ctx, input.filter);
  const metrics = checkMetrics(input.policy_metrics ?? []);
  const description = input.description?.trim() || null;
  checkSize(filter, metrics, title, description);
  if ((await repo.countPolicies(ctx.tx)) >= MAX_POLICIES) throw invalid("sla_policy", `SLA policies: an account keeps at most ${MAX_POLICIES}`, "TooMany");
  const id = crypto.randomUUID();
  const filterSealed = ctx.sealer.sealJson(filter, ref(id, "filter"));
  await checkFiltersTotal(ctx, null, filterSealed.length);
  const niceId = await repo.insertPolicy(ctx.tx, {
    id,
    title_sealed: ctx.sealer.seal(title, ref(id, "title")),
    description_sealed: description ? ctx.sealer.seal(description, ref(id, "description")) : null,
    filter_sealed: filterSealed,
    policy_metrics: JSON.stringify(metrics),
    position: input.position ?? Math.min((await repo.lastPosition(ctx.tx)) + 1, 100_000),
  });
  audit(ctx, { action: "sla_policy.created", resourceType: "sla_policy", resourceId: niceId });
  return present(ctx, (await repo.findPolicy(ctx.tx, niceId))!);
}

export async function updatePolicy(ctx: RequestContext, niceId: number, input: SlaPolicyInput): Promise<SlaPolicyView> {
  requireAdmin(ctx);
  const r = await found(ctx, niceId, "edit");
  const patch: repo.PolicyPatch = {};
  const title = input.title === undefined ? titleOf(ctx, r) : titleText(input.title);
  const filter = input.filter === undefined ? filterOf(ctx, r) : await checkFilter(ctx, input.filter);
  const metrics = input.policy_metrics === undefined ? metricsOf(r) : checkMetrics(input.policy_metrics);
  const description = input.description === undefined ? descriptionOf(ctx, r) : input.description?.trim() || null;
  checkSize(filter, metrics, title, description);
  if (input.title !== undefined) patch.title_sealed = ctx.sealer.seal(title, ref(r.id, "title"));
  if (input.filter !== undefined) {
    patch.filter_sealed = ctx.sealer.sealJson(filter, ref(r.id, "filter"));
    // The limit's lock: policies changed at once cannot pass the total together.
    await repo.countPolicies(ctx.tx);
    await checkFiltersTotal(ctx, r.id, patch.filter_sealed.length);
  }
  if (input.policy_metrics !== undefined) patch.policy_metrics = JSON.stringify(metrics);
  if (input.description !== undefined) patch.description_sealed = description ? ctx.sealer.seal(description, ref(r.id, "description")) : null;
  if (input.position !== undefined) patch.position = input.position;
  if (Object.keys(patch).length) {
    await repo.updatePolicy(ctx.tx, r.id, patch);
    audit(ctx, { action: "sla_policy.updated", resourceType: "sla_policy", resourceId: niceId, fields: Object.keys(input) });
  }
  return present(ctx, (await repo.findPolicy(ctx.tx, niceId))!);
}

export async function deletePolicy(ctx: RequestContext, niceId: number): Promise<void> {
  requireAdmin(ctx);
  const r = await found(ctx, niceId, "delete");
  await repo.deletePolicy(ctx.tx, r.id);
  audit(ctx, { action: "sla_policy.deleted", resourceType: "sla_policy", resourceId: niceId });
}

/** Sets positions 1..n in the order given, which must name every policy of the account exactly once. */
export async function reorderPolicies(ctx: RequestContext, ids: readonly number[]): Promise<SlaPolicyView[]> {
  requireAdmin(ctx);
  // The limit's lock: a policy created meanwhile cannot slip out of the order.
  await repo.countPolicies(ctx.tx);
  const rows = await repo.allPolicies(ctx.tx);
  const byNice = new Map(rows.map((r) => [r.nice_id, r]));
  if (new Set(ids).size !== ids.length || ids.length !== rows.length || ids.some((id) => !byNice.has(id))) {
    throw invalid("sla_policy_ids", "SLA policy ids: must name every SLA policy of the account exactly once");
  }
  for (const [i, id] of ids.entries()) {
    const r = byNice.get(id)!;
    if (r.position !== i + 1) await repo.setPosition(ctx.tx, r.id, i + 1);
  }
  audit(ctx, { action: "sla_policy.reordered", resourceType: "sla_policy", resourceId: "all", fields: ["position"] });
  return (await repo.allPolicies(ctx.tx)).map((r) => present(ctx, r));
}
