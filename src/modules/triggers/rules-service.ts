import crypto from "node:crypto";
import { actorUser, type RequestContext, type UserActor } from "../../platform/context.ts";
import { OpenedCache } from "../../platform/crypto/opened-cache.ts";
import { refsOf } from "../../platform/crypto/sealed-columns.ts";
import { forbidden, invalid, notFound } from "../../platform/errors.ts";
import { audit } from "../audit/audit-service.ts";
import { listGroups } from "../groups/groups-service.ts";
import type { RuleKind } from "../tickets/conversation.ts";
import { loadFields } from "../tickets/field-defs.ts";
import { isAdmin } from "../users/users-policy.ts";
import { listAssignableUsers } from "../users/users-service.ts";
import { actionDefinitions, checkRuleActions } from "./rules-actions.ts";
import { capitalised, checkConditions, compile, conditionDefinitions, options, type Choices, type CompiledConditions, type RuleRules } from "./rules-conditions.ts";
import * as repo from "./rules-repo.ts";
import type { ActionView, Conditions, DefinitionView, RuleInput, RuleView } from "./rules-types.ts";

/**
 * The account's business rules, as one service for each kind (triggers, automations: a RuleSpec):
 * list, show, definitions, create, update, delete and reorder, sealed at rest, owners and admins
 * only (their conditions and mail texts may name customers), every write audited by ids only.
 */

export type RuleSpec = RuleRules & {
  one: RuleKind;
  many: repo.RuleTable;
  /** What a kind of rule requires of its conditions and actions together (automations: Zendesk's validity rules); throws a 422. */
  check?: ((conditions: Conditions, actions: readonly ActionView[]) => void) | undefined;
};

/** Most rules of a kind an account keeps (every run reads them all). */
export const MAX_RULES = 500;
/**
 * Most a rule's conditions and actions hold together, as JSON in UTF-8 bytes (Zendesk's 65 kb a
 * business rule). Every ticket write opens all of the account's active triggers, every hourly run
 * all its automations: 500 rules of a megabyte each (a request's limit) made each write of the
 * account, an anonymous request's too, open half a gigabyte (40 s of one process).
 */
export const MAX_RULE_BYTES = 65_536;

function checkSize(spec: RuleSpec, conditions: Conditions, actions: readonly ActionView[]): void {
  const n = Buffer.byteLength(JSON.stringify({ conditions, actions }));
  if (n > MAX_RULE_BYTES) throw invalid(spec.one, `${capitalised(spec.one)}: its conditions and actions hold at most ${MAX_RULE_BYTES} bytes together (these ${n})`, "TooLarge");
}

/**
 * The active rules of a kind together hold at most this many stored bytes of conditions and actions
 * (about 1 MB): every ticket write matches them all and opens those its process has not opened at
 * their version (activeRules), so one account's rules cannot make its writes (an anonymous
 * request's too) open tens of megabytes.
 */
export const MAX_ACTIVE_BYTES = 1_048_576;

/** Refuses a rule that would take the active rules of its kind past MAX_ACTIVE_BYTES (call under the rules' lock). */
async function checkActiveTotal(spec: RuleSpec, ctx: RequestContext, except: string | null, adding: number): Promise<void> {
  const n = (await repo.activeBytes(ctx.tx, spec.many, except)) + adding;
  if (n > MAX_ACTIVE_BYTES) {
    throw invalid(spec.one, `${capitalised(spec.many)}: the active ${spec.many} of an account hold at most ${MAX_ACTIVE_BYTES} bytes of conditions and actions together (with this one, ${n}); make some inactive or smaller`, "TooLarge");
  }
}

const refs = (spec: RuleSpec) => refsOf(spec.many);

function requireAdmin(spec: RuleSpec, ctx: RequestContext): UserActor {
  const a = actorUser(ctx);
  if (!isAdmin(a.role)) throw forbidden(`${capitalised(spec.many)} are managed by owners and admins.`);
  return a;
}

export const conditionsOf = (spec: RuleSpec, ctx: RequestContext, r: repo.RuleRow): Conditions => ctx.sealer.openJson<Conditions>(r.conditions_sealed, refs(spec)(r.id, "conditions"));
export const actionsOf = (spec: RuleSpec, ctx: RequestContext, r: repo.RuleRow): ActionView[] => ctx.sealer.openJson<ActionView[]>(r.actions_sealed, refs(spec)(r.id, "actions"));
export const titleOfRow = (spec: RuleSpec, ctx: RequestContext, r: repo.RuleRow): string => ctx.sealer.open(r.title_sealed, refs(spec)(r.id, "title"));

function present(spec: RuleSpec, ctx: RequestContext, r: repo.RuleRow): RuleView {
  return {
    id: r.nice_id,
    url: `${ctx.apiBase}/${spec.many}/${r.nice_id}.json`,
    title: titleOfRow(spec, ctx, r),
    description: r.description_sealed ? ctx.sealer.open(r.description_sealed, refs(spec)(r.id, "description")) : null,
    active: r.active,
    position: r.position,
    conditions: conditionsOf(spec, ctx, r),
    actions: actionsOf(spec, ctx, r),
    created_at: r.created_at.toISOString(),
    updated_at: r.updated_at.toISOString(),
  };
}

async function found(spec: RuleSpec, ctx: RequestContext, niceId: number): Promise<repo.RuleRow> {
  const r = await repo.findRule(ctx.tx, spec.many, niceId);
  if (!r) throw notFound();
  return r;
}

/** `compiled`: the conditions compiled once (rules-conditions.ts compile), kept with them: the engines match with it. */
export type OpenedRule = { readonly id: number; readonly title: string; readonly conditions: Conditions; readonly compiled: CompiledConditions; readonly actions: readonly ActionView[]; readonly updatedAt: Date };

/**
 * The rules opened in this process (platform/crypto/opened-cache.ts), by tenant, kind and id, and
 * row version, with their conditions compiled (a changed rule, at a new version, is opened and
 * compiled again); both kinds together: 32 MB of titles, conditions and actions (about 30 accounts'
 * triggers at the 1 MB bound; the compiled conditions, which hold the conditions' words again, are
 * counted as the sealed conditions once more), each kept at most 5 minutes.
 */
export const openedRules = new OpenedCache<OpenedRule>({ maxBytes: 32 * 1_048_576, maxAgeMs: 5 * 60_000 });

/**
 * The active rules of a kind in the order they run, opened (the engines'; no caller check). The
 * ids and versions are read each time; only rules this process has not opened at their version
 * (new, changed, expired) are read whole and opened. One deleted between the two reads is left out.
 */
export async function activeRules(spec: RuleSpec, ctx: RequestContext): Promise<OpenedRule[]> {
  const tenant = ctx.tx.tenantId;
  const list = await repo.activeVersions(ctx.tx, spec.many);
  const out = list.map((r) => openedRules.get(tenant, `${spec.many}/${r.id}`, r.version));
  const missing = list.filter((_, i) => !out[i]).map((r) => r.id);
  if (missing.length) {
    const rows = new Map((await repo.activeByIds(ctx.tx, spec.many, missing)).map((r) => [r.id, r]));
    for (const [i, v] of list.entries()) {
      const r = out[i] ? undefined : rows.get(v.id);
      if (!r) continue;
      const o: OpenedRule = opened(spec, ctx, r);
      openedRules.set(tenant, `${spec.many}/${r.id}`, r.version, o, r.title_sealed.length + 2 * r.conditions_sealed.length + r.actions_sealed.length);
      out[i] = o;
    }
  }
  return out.filter((r) => r !== undefined);
}

/** A rule opened for an engine (its public id, title, conditions, compiled too, and actions, and when it last changed). */
export function opened(spec: RuleSpec, ctx: RequestContext, r: repo.RuleRow): OpenedRule {
  const conditions = conditionsOf(spec, ctx, r);
  return { id: r.nice_id, title: titleOfRow(spec, ctx, r), conditions, compiled: compile(conditions), actions: actionsOf(spec, ctx, r), updatedAt: r.updated_at };
}

// ---- reads

export type RuleSort = "position" | "title" | "updated_at" | "created_at";

export async function listRules(spec: RuleSpec, ctx: RequestContext, page: { page: number; perPage: number }, opts: { active?: boolean | undefined; sortBy?: RuleSort | undefined; sortOrder?: "asc" | "desc" | undefined }) {
  requireAdmin(spec, ctx);
  const all = (await repo.allRules(ctx.tx, spec.many, opts.active)).map((r) => present(spec, ctx, r));
  const by = opts.sortBy ?? "position";
  const key = (r: RuleView): number | string => (by === "position" ? r.position : by === "title" ? r.title.toLowerCase() : by === "updated_at" ? r.updated_at : r.created_at);
  const dir = opts.sortOrder === "desc" ? -1 : 1;
  all.sort((a, b) => {
    const x = key(a);
    const y = key(b);
    const c = typeof x === "number" && typeof y === "number" ? x - y : String(x).localeCompare(String(y), "en");
    return dir * (c || a.id - b.id);
  });
  const from = (page.page - 1) * page.perPage;
  return { rows: all.slice(from, from + page.perPage), count: all.length };
}

export async function listActiveRules(spec: RuleSpec, ctx: RequestContext): Promise<RuleView[]> {
  requireAdmin(spec, ctx);
  return (await repo.allRules(ctx.tx, spec.many, true)).map((r) => present(spec, ctx, r));
}

export async function showRule(spec: RuleSpec, ctx: RequestContext, niceId: number): Promise<RuleView> {
  requireAdmin(spec, ctx);
  return present(spec, ctx, await found(spec, ctx, niceId));
}

/** What the editor offers (Zendesk's GET /triggers/definitions, /automations/definitions): each condition and action with its operators and values. */
export async function ruleDefinitions(spec: RuleSpec, ctx: RequestContext): Promise<{ conditions_all: DefinitionView[]; conditions_any: DefinitionView[]; actions: DefinitionView[] }> {
  requireAdmin(spec, ctx);
  const all = { mode: "offset" as const, page: 1, perPage: 1000, limit: 1000, offset: 0, desc: false };
  const groups = (await listGroups(ctx, all)).rows.map((g) => ({ value: String(g.id), title: g.name }));
  const agents = (await listAssignableUsers(ctx, all)).rows.map((u) => ({ value: String(u.id), title: u.name }));
  const { defs } = await loadFields(ctx);
  const custom = [...defs.values()].filter((d) => d.active).sort((a, b) => a.niceId - b.niceId);
  const customValues = (d: (typeof custom)[number]) => (d.options.length ? d.options.map((o) => ({ value: o.value, title: o.value })) : d.type === "checkbox" ? options(["true", "false"]) : undefined);
  const choices: Choices = {
    groups,
    agents,
    custom: custom.map((d) => ({ subject: `custom_fields_${d.niceId}`, title: d.title, type: d.options.length || d.type === "checkbox" ? "list" : "text", ...(customValues(d) ? { values: customValues(d)! } : {}) })),
  };
  const conditions = conditionDefinitions(spec, choices);
  return { conditions_all: conditions, conditions_any: conditions, actions: actionDefinitions(spec, choices) };
}

// ---- writes

function titleOf(t: string): string {
  const s = t.trim();
  if (!s) throw invalid("title", "Title: cannot be blank");
  return s;
}

export async function createRule(spec: RuleSpec, ctx: RequestContext, input: RuleInput): Promise<RuleView> {
  requireAdmin(spec, ctx);
  if (input.title === undefined) throw invalid("title", "Title: cannot be blank");
  const title = titleOf(input.title);
  if (input.conditions === undefined) throw invalid("conditions", `Conditions: a ${spec.one} needs at least one condition`);
  if (input.actions === undefined) throw invalid("actions", `Actions: a ${spec.one} needs at least one action`);
  const conditions = await checkConditions(ctx, input.conditions, spec);
  const actions = await checkRuleActions(ctx, input.actions, spec);
  spec.check?.(conditions, actions);
  checkSize(spec, conditions, actions);
  if ((await repo.countRules(ctx.tx, spec.many)) >= MAX_RULES) throw invalid(spec.one, `${capitalised(spec.many)}: an account keeps at most ${MAX_RULES}`, "TooMany");
  const id = crypto.randomUUID();
  const ref = refs(spec);
  const description = input.description?.trim() || null;
  const conditionsSealed = ctx.sealer.sealJson(conditions, ref(id, "conditions"));
  const actionsSealed = ctx.sealer.sealJson(actions, ref(id, "actions"));
  const active = input.active ?? true;
  if (active) await checkActiveTotal(spec, ctx, null, conditionsSealed.length + actionsSealed.length);
  const niceId = await repo.insertRule(ctx.tx, spec.many, {
    id,
    title_sealed: ctx.sealer.seal(title, ref(id, "title")),
    description_sealed: description ? ctx.sealer.seal(description, ref(id, "description")) : null,
    conditions_sealed: conditionsSealed,
    actions_sealed: actionsSealed,
    active,
    position: input.position ?? Math.min((await repo.lastPosition(ctx.tx, spec.many)) + 1, 100_000),
  });
  audit(ctx, { action: `${spec.one}.created`, resourceType: spec.one, resourceId: niceId });
  return present(spec, ctx, (await repo.findRule(ctx.tx, spec.many, niceId))!);
}

export async function updateRule(spec: RuleSpec, ctx: RequestContext, niceId: number, input: RuleInput): Promise<RuleView> {
  requireAdmin(spec, ctx);
  const r = await found(spec, ctx, niceId);
  const ref = refs(spec);
  const patch: repo.RulePatch = {};
  if (input.title !== undefined) patch.title_sealed = ctx.sealer.seal(titleOf(input.title), ref(r.id, "title"));
  const conditions = input.conditions === undefined ? undefined : await checkConditions(ctx, input.conditions, spec);
  const actions = input.actions === undefined ? undefined : await checkRuleActions(ctx, input.actions, spec);
  // The rule as it will be, whole: a change of its conditions is checked with the actions it keeps, and the other way round.
  if (conditions || actions) {
    const whole = { conditions: conditions ?? conditionsOf(spec, ctx, r), actions: actions ?? actionsOf(spec, ctx, r) };
    spec.check?.(whole.conditions, whole.actions);
    checkSize(spec, whole.conditions, whole.actions);
  }
  if (conditions) patch.conditions_sealed = ctx.sealer.sealJson(conditions, ref(r.id, "conditions"));
  if (actions) patch.actions_sealed = ctx.sealer.sealJson(actions, ref(r.id, "actions"));
  if (input.active !== undefined) patch.active = input.active;
  if (input.position !== undefined) patch.position = input.position;
  if ((input.active ?? r.active) && (conditions || actions || (input.active === true && !r.active))) {
    await repo.lockRules(ctx.tx, spec.many);
    await checkActiveTotal(spec, ctx, r.id, (patch.conditions_sealed ?? r.conditions_sealed).length + (patch.actions_sealed ?? r.actions_sealed).length);
  }
  if (input.description !== undefined) {
    const d = input.description?.trim() || null;
    patch.description_sealed = d ? ctx.sealer.seal(d, ref(r.id, "description")) : null;
  }
  if (Object.keys(patch).length) {
    await repo.updateRule(ctx.tx, spec.many, r.id, patch);
    audit(ctx, { action: `${spec.one}.updated`, resourceType: spec.one, resourceId: niceId, fields: Object.keys(input) });
  }
  return present(spec, ctx, (await repo.findRule(ctx.tx, spec.many, niceId))!);
}

export async function deleteRule(spec: RuleSpec, ctx: RequestContext, niceId: number): Promise<void> {
  requireAdmin(spec, ctx);
  const r = await found(spec, ctx, niceId);
  await repo.deleteRule(ctx.tx, spec.many, r.id);
  audit(ctx, { action: `${spec.one}.deleted`, resourceType: spec.one, resourceId: niceId });
}

/** Sets positions 1..n in the order given, which must name every rule of the kind in the account exactly once. */
export async function reorderRules(spec: RuleSpec, ctx: RequestContext, ids: readonly number[]): Promise<RuleView[]> {
  requireAdmin(spec, ctx);
  // The limit's lock: a rule created meanwhile cannot slip out of the order.
  await repo.countRules(ctx.tx, spec.many);
  const rows = await repo.allRules(ctx.tx, spec.many);
  const byNice = new Map(rows.map((r) => [r.nice_id, r]));
  if (new Set(ids).size !== ids.length || ids.length !== rows.length || ids.some((id) => !byNice.has(id))) {
    throw invalid(`${spec.one}_ids`, `${capitalised(spec.one)} ids: must name every ${spec.one} of the account exactly once`);
  }
  for (const [i, id] of ids.entries()) {
    const r = byNice.get(id)!;
    if (r.position !== i + 1) await repo.setPosition(ctx.tx, spec.many, r.id, i + 1);
  }
  audit(ctx, { action: `${spec.one}.reordered`, resourceType: spec.one, resourceId: "all", fields: ["position"] });
  return (await repo.allRules(ctx.tx, spec.many)).map((r) => present(spec, ctx, r));
}
