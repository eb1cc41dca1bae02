import crypto from "node:crypto";
import type { RequestContext, UserActor } from "../../platform/context.ts";
import type { AppDeps } from "../../platform/deps.ts";
import type { MaintenanceTask } from "../../platform/jobs/job-runner.ts";
import { forEachTenant } from "../tenants/tenants-service.ts";
import { USAGE_KEPT_MS } from "./macros-usage.ts";
import { refsOf } from "../../platform/crypto/sealed-columns.ts";
import { AppError, invalid, type FieldDetail } from "../../platform/errors.ts";
import { lineText, longText, tag } from "../../platform/schemas.ts";
import { audit } from "../audit/audit-service.ts";
import { groupIdsOfUser, presentGroupsByIds, resolveGroup } from "../groups/groups-service.ts";
import { presentOrgsByIds } from "../organizations/organizations-service.ts";
import { loadFields, readerOf } from "../tickets/field-defs.ts";
import { commentBodies, fieldAccess } from "../tickets/tickets-fns.ts";
import { ticketPolicy } from "../tickets/tickets-policy.ts";
import { mergeCustomFields, showTicket } from "../tickets/tickets-service.ts";
import { isAdmin, isStaff } from "../users/users-policy.ts";
import { presentUsersByIds, resolveUser } from "../users/users-service.ts";
import { accessMatches, audienceFor as audienceOfInput, audienceOf, requireUse as requireStaff, requireWrite, restrictionChange, restrictionOf, seenRows, titleOf, visibleItem, withinLimit as refuseBeyond, type Noun } from "../audience/audience.ts";
import type { Audience } from "../audience/audience-policy.ts";
import { MAX_RENDERED, renderBudget, renderTemplate, templateProblem } from "./macros-render.ts";
import * as repo from "./macros-repo.ts";
import type { ActionInput, ActionView, MacroInput, MacroView, RestrictionInput } from "./macros-types.ts";

/**
 * Macros: a saved set of ticket changes and a reply an agent applies to a ticket with one click.
 * Applying one writes nothing: it answers what the ticket would look like (the workspace fills its
 * pending update with it); the agent's "Update ticket" goes through the ticket API as any change.
 */

const ref = refsOf("macros");
/** Most actions a macro holds. */
export const MAX_ACTIONS = 30;
/** Most personal macros one person keeps, and most shared macros an account keeps: every list reads them all. */
export const MAX_PERSONAL_MACROS = 500;
export const MAX_SHARED_MACROS = 1_000;
/** Most tags a ticket holds (as the ticket API). */
export const MAX_TAGS = 100;

const NOUN: Noun = { one: "macro", many: "macros" };
const requireUse = (ctx: RequestContext): UserActor => requireStaff(ctx, "Macros are for staff of the agent workspace.");
const audienceFor = (ctx: RequestContext, actor: UserActor, r: RestrictionInput) => audienceOfInput(ctx, actor, r, NOUN);
const withinLimit = (ctx: RequestContext, audience: Audience) => refuseBeyond(audience, (userId) => repo.countMacros(ctx.tx, userId), { personal: MAX_PERSONAL_MACROS, shared: MAX_SHARED_MACROS }, NOUN);

const actionsOf = (ctx: RequestContext, m: repo.MacroRow): ActionView[] => ctx.sealer.openJson<ActionView[]>(m.actions_sealed, ref(m.id, "actions"));

function present(ctx: RequestContext, actor: UserActor, m: repo.MacroRow): MacroView {
  return {
    id: m.nice_id,
    url: `${ctx.apiBase}/macros/${m.nice_id}.json`,
    title: ctx.sealer.open(m.title_sealed, ref(m.id, "title")),
    description: m.description_sealed ? ctx.sealer.open(m.description_sealed, ref(m.id, "description")) : null,
    active: m.active,
    position: m.position,
    // A personal macro is seen by its owner alone: the caller.
    restriction: restrictionOf(actor, m),
    actions: actionsOf(ctx, m),
    created_at: m.created_at.toISOString(),
    updated_at: m.updated_at.toISOString(),
  };
}

/** A macro the caller sees, or 404 (another tenant's, another person's personal macro, a group's they are not in). */
const visible = async (ctx: RequestContext, actor: UserActor, niceId: number): Promise<repo.MacroRow> => visibleItem(ctx, actor, await repo.findMacro(ctx.tx, niceId));

// ---- actions

/** A public id sent as a number or a string of digits. */
export const idOf = (v: string): number | undefined => {
  const n = /^\d{1,16}$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) && n >= 1 ? n : undefined;
};

/** Tags separated by spaces, each a valid ticket tag, without repeats (lower case); undefined when one is not. */
export function tagWords(v: string): string[] | undefined {
  const out: string[] = [];
  for (const w of v.split(/\s+/).filter(Boolean)) {
    const r = tag.safeParse(w);
    if (!r.success) return undefined;
    if (!out.includes(r.data)) out.push(r.data);
  }
  return out.length > MAX_TAGS ? undefined : out;
}

export const CUSTOM = /^custom_fields_(\d{1,16})$/;
const FIELD_NAMES = ["status", "priority", "type", "assignee_id", "group_id", "set_tags", "current_tags", "remove_tags", "subject", "comment_value", "comment_mode_is_public", "custom_fields_<field id>"];

/**
 * A custom field's value as the ticket API takes it: "true"/"false" for a checkbox. A field the
 * caller may not edit (read-only or hidden for their role) is refused whatever the value, clearing
 * included (the ticket API checks only a change from the ticket's value).
 */
async function customValue(ctx: RequestContext, fieldId: number, value: string) {
  const { defs } = await loadFields(ctx);
  const def = defs.get(fieldId);
  if (def && fieldAccess(def, readerOf(ctx)) !== "edit") throw invalid(`custom_fields.${fieldId}`, "is not an active ticket field you may edit");
  const v = def?.type === "checkbox" && (value === "true" || value === "false") ? value === "true" : value;
  const r = await mergeCustomFields(ctx, {}, [{ id: fieldId, value: v }]);
  return r.values[String(fieldId)] ?? null;
}

/**
 * One action as sent, checked: its value normalised to a string, or a sentence saying what the
 * value must be. Ids are looked up inside the tenant (another tenant's answers like a missing one).
 * Shared with triggers (modules/triggers), whose property actions are the same.
 */
export async function checkAction(ctx: RequestContext, field: string, raw: ActionInput["value"]): Promise<{ value: string } | { problem: string }> {
  const v = raw === null ? "" : typeof raw === "string" ? raw : String(raw);
  const bad = (problem: string) => ({ problem });
  switch (field) {
    case "status":
      return ["new", "open", "pending", "hold", "solved"].includes(v) ? { value: v } : bad("the value of status must be one of new, open, pending, hold, solved");
    case "priority":
      return ["", "low", "normal", "high", "urgent"].includes(v) ? { value: v } : bad('the value of priority must be one of low, normal, high, urgent or "" (clear)');
    case "type":
      return ["", "question", "incident", "problem", "task"].includes(v) ? { value: v } : bad('the value of type must be one of question, incident, problem, task or "" (clear)');
    case "assignee_id": {
      if (v === "" || v === "current_user") return { value: v };
      const id = idOf(v);
      const u = id === undefined ? undefined : await resolveUser(ctx, id).catch(() => undefined);
      return u && u.active && !u.support && isStaff(u.role) && ticketPolicy.assignable(u.role) ? { value: String(id) } : bad('the value of assignee_id must be a staff member\'s id, "current_user" or "" (unassign)');
    }
    case "group_id": {
      if (v === "") return { value: v };
      const id = idOf(v);
      const g = id === undefined ? undefined : await resolveGroup(ctx, id).catch(() => undefined);
      return g ? { value: String(id) } : bad('the value of group_id must be a group\'s id or "" (no group)');
    }
    case "set_tags":
    case "current_tags":
    case "remove_tags": {
      const words = tagWords(v);
      if (!words || (field !== "set_tags" && words.length === 0)) return bad(`the value of ${field} must be tags separated by spaces (letters, digits and _ - : . / only; at most ${MAX_TAGS})`);
      return { value: words.join(" ") };
    }
    case "subject": {
      const s = v.trim();
      if (!lineText(255).safeParse(s).success || s.length === 0) return bad("the value of subject must be one line of 1 to 255 characters");
      const p = templateProblem(s);
      return p ? bad(`subject: ${p}`) : { value: s };
    }
    case "comment_value": {
      if (!longText(MAX_RENDERED).safeParse(v).success || v.trim().length === 0) return bad(`the value of comment_value must be text of 1 to ${MAX_RENDERED} characters without control characters`);
      const p = templateProblem(v);
      return p ? bad(`comment_value: ${p}`) : { value: v };
    }
    case "comment_mode_is_public":
      return v === "true" || v === "false" ? { value: v } : bad('the value of comment_mode_is_public must be "true" or "false"');
    default: {
      const m = CUSTOM.exec(field);
      if (!m) return bad(`unknown field "${field.slice(0, 64)}" (one of ${FIELD_NAMES.join(", ")})`);
      try {
        const value = await customValue(ctx, Number(m[1]), v);
        return { value: value === null ? "" : String(value) };
      } catch (e) {
        if (e instanceof AppError) return bad(`the value of ${field} must be a value of an active ticket field you may edit (${e.details ? Object.values(e.details).flat()[0]?.description ?? "invalid" : "invalid"})`);
        throw e;
      }
    }
  }
}

/** Checks actions as sent: every problem named by its place (`actions[1]`), or the normalised actions. Nothing is written on a problem. */
const actionsFor = (ctx: RequestContext, list: readonly ActionInput[]): Promise<ActionView[]> =>
  checkActions(list, "macro", async (field, a) => await checkAction(ctx, field, a.value), () => true);

/**
 * A list of actions as sent, checked (macros' and triggers'): one to MAX_ACTIONS of them; a custom
 * field's id in one spelling (custom_fields_07 is custom_fields_7), and each field that `once`
 * names at most once; every problem named by its place (`actions[1]`) in one 422, so nothing is
 * written on a problem. `check` answers one action's normalised value, or its problem.
 */
export async function checkActions<A extends { field: string }, V>(
  list: readonly A[],
  noun: string,
  check: (field: string, a: A) => Promise<{ value: V } | { problem: string; error?: string }>,
  once: (field: string) => boolean,
): Promise<Array<{ field: string; value: V }>> {
  if (list.length === 0) throw invalid("actions", `Actions: a ${noun} needs at least one action`);
  if (list.length > MAX_ACTIONS) throw invalid("actions", `Actions: at most ${MAX_ACTIONS}`, "TooMany");
  const problems: Record<string, FieldDetail[]> = {};
  const out: Array<{ field: string; value: V }> = [];
  const seen = new Set<string>();
  for (const [i, a] of list.entries()) {
    const at = `actions[${i}]`;
    const custom = CUSTOM.exec(a.field);
    const field = custom ? `custom_fields_${Number(custom[1])}` : a.field;
    if (once(field)) {
      if (seen.has(field)) {
        problems[at] = [{ description: `${at}: the field ${field.slice(0, 64)} is set twice (each field at most once)`, error: "Duplicate" }];
        continue;
      }
      seen.add(field);
    }
    const r = await check(field, a);
    if ("problem" in r) problems[at] = [{ description: `${at}: ${r.problem}`, error: r.error ?? "InvalidValue" }];
    else out.push({ field, value: r.value });
  }
  if (Object.keys(problems).length) throw new AppError("RecordInvalid", { details: problems });
  return out;
}

// ---- reads

export type UsageKey = keyof repo.Usage;
export const USAGE_KEYS = Object.keys(repo.USAGE_WINDOWS) as UsageKey[];
export type MacroFilter = { access?: "personal" | "shared" | undefined; active?: boolean | undefined; category?: string | undefined };
/** Zendesk's `sort_by` values for macros: a usage window, or a field of the macro. */
export type MacroSortKey = "alphabetical" | "created_at" | "updated_at" | "position" | UsageKey;
/** What a list adds and how it is ordered: `include` usage windows (sideloaded on each macro), `sort_by` a window or a field. */
export type MacroListing = { include?: readonly UsageKey[] | undefined; sortBy?: MacroSortKey | undefined; sortOrder?: "asc" | "desc" | undefined };
const isUsageKey = (k: MacroSortKey): k is UsageKey => (USAGE_KEYS as readonly string[]).includes(k);

type Seen = { row: repo.MacroRow; view: MacroView };

async function seenBy(ctx: RequestContext, actor: UserActor): Promise<Seen[]> {
  return (await seenRows(ctx, actor, (groups, admin) => repo.visibleMacros(ctx.tx, actor.userId, groups, admin))).map((row) => ({ row, view: present(ctx, actor, row) }));
}

const byTitle = (a: MacroView, b: MacroView) => a.title.toLowerCase().localeCompare(b.title.toLowerCase(), "en") || a.id - b.id;

/** A title's parts between `::` separators, trimmed ("Billing :: Refunds::Partial" → 3 parts). */
export const titleParts = (title: string): string[] => title.split("::").map((p) => p.trim());
/** The category a title puts its macro in (Zendesk's): its first part, when the title has a `::`; else none. */
export const categoryOf = (title: string): string | undefined => {
  const parts = titleParts(title);
  return parts.length > 1 && parts[0] ? parts[0] : undefined;
};
/** Whether `title` is in `category`: a category, or a path of them ("Billing::Refunds"), its first parts, ignoring case. */
export function inCategory(title: string, category: string): boolean {
  const want = titleParts(category.toLowerCase());
  const have = titleParts(title.toLowerCase());
  return have.length > want.length && want.every((p, i) => p === have[i]);
}

/** The usage windows asked for (and the one sorted by), added to each view: 0 for a macro with no use. */
async function withUsage(ctx: RequestContext, seen: Seen[], listing: MacroListing): Promise<Map<number, repo.Usage>> {
  const keys = new Set([...(listing.include ?? []), ...(listing.sortBy && isUsageKey(listing.sortBy) ? [listing.sortBy] : [])]);
  const byNice = new Map<number, repo.Usage>();
  if (keys.size === 0) return byNice;
  const usage = await repo.usageOf(ctx.tx, seen.map((m) => m.row.id), ctx.now());
  const none: repo.Usage = { usage_1h: 0, usage_24h: 0, usage_7d: 0, usage_30d: 0 };
  for (const m of seen) {
    const u = usage.get(m.row.id) ?? none;
    byNice.set(m.view.id, u);
    for (const k of listing.include ?? []) m.view[k] = u[k];
  }
  return byNice;
}

type Order = (a: MacroView, b: MacroView) => number;
/** How each `sort_by` compares two macros, lowest first. Titles ignore case; timestamps are ISO strings of one length. */
const orderOf = (key: MacroSortKey, usage: Map<number, repo.Usage>): Order => {
  if (isUsageKey(key)) return (a, b) => (usage.get(a.id)?.[key] ?? 0) - (usage.get(b.id)?.[key] ?? 0);
  if (key === "alphabetical") return byTitle;
  if (key === "position") return (a, b) => a.position - b.position;
  return (a, b) => (a[key] < b[key] ? -1 : a[key] > b[key] ? 1 : 0);
};

/**
 * Orders `seen` by `sort_by`, then as `fallback`. As in Zendesk, `sort_order` is `asc` by default
 * for `alphabetical` and `position` and `desc` for the others (most used, newest first).
 */
function ordered(seen: Seen[], usage: Map<number, repo.Usage>, listing: MacroListing, fallback: Order): MacroView[] {
  const views = seen.map((m) => m.view);
  const key = listing.sortBy;
  if (!key) return views.sort(fallback);
  const asc = listing.sortOrder ? listing.sortOrder === "asc" : key === "alphabetical" || key === "position";
  const by = orderOf(key, usage);
  return views.sort((a, b) => (asc ? 1 : -1) * by(a, b) || fallback(a, b));
}

/** The macros the caller sees, by position, title (ignoring case) and id, or by a usage window. */
export async function listMacros(ctx: RequestContext, page: { page: number; perPage: number }, filter: MacroFilter, listing: MacroListing = {}) {
  const actor = requireUse(ctx);
  const seen = (await seenBy(ctx, actor))
    .filter((m) => accessMatches(filter.access, m.view.restriction))
    .filter((m) => filter.active === undefined || m.view.active === filter.active)
    .filter((m) => filter.category === undefined || inCategory(m.view.title, filter.category));
  const usage = await withUsage(ctx, seen, listing);
  const macros = ordered(seen, usage, listing, (a, b) => a.position - b.position || byTitle(a, b));
  const from = (page.page - 1) * page.perPage;
  return { rows: macros.slice(from, from + page.perPage), count: macros.length };
}

/** The active macros the caller sees, by title (or a usage window): all of them (at most the limits' sum). */
export async function listActiveMacros(ctx: RequestContext, listing: MacroListing = {}): Promise<MacroView[]> {
  const actor = requireUse(ctx);
  const seen = (await seenBy(ctx, actor)).filter((m) => m.view.active);
  return ordered(seen, await withUsage(ctx, seen, listing), listing, byTitle);
}

/** The categories of the macros the caller sees (Zendesk's GET /macros/categories): distinct, by name ignoring case. */
export async function listMacroCategories(ctx: RequestContext): Promise<string[]> {
  const actor = requireUse(ctx);
  const found = new Map<string, string>();
  // The oldest macro's spelling names a category its titles spell differently ("Billing", "billing").
  for (const m of (await seenBy(ctx, actor)).sort((x, y) => x.view.id - y.view.id)) {
    const c = categoryOf(m.view.title);
    if (c && !found.has(c.toLowerCase())) found.set(c.toLowerCase(), c);
  }
  return [...found.values()].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase(), "en") || (a < b ? -1 : 1));
}

export async function showMacro(ctx: RequestContext, niceId: number, listing: MacroListing = {}): Promise<MacroView> {
  const actor = requireUse(ctx);
  const row = await visible(ctx, actor, niceId);
  const seen = [{ row, view: present(ctx, actor, row) }];
  await withUsage(ctx, seen, listing);
  return seen[0]!.view;
}

/**
 * A person's personal macros as their data export holds them (right of access): what they named
 * them and the changes and reply they saved. Shared macros belong to the account, not to whoever made them.
 */
export async function personalMacrosForExport(ctx: RequestContext, userId: string) {
  return (await repo.personalMacros(ctx.tx, userId)).map((m) => ({
    id: m.nice_id,
    title: ctx.sealer.open(m.title_sealed, ref(m.id, "title")),
    description: m.description_sealed ? ctx.sealer.open(m.description_sealed, ref(m.id, "description")) : null,
    active: m.active,
    actions: actionsOf(ctx, m),
    created_at: m.created_at.toISOString(),
    updated_at: m.updated_at.toISOString(),
  }));
}

// ---- applying

type Comment = { body: string; html_body: string; public: boolean };

const words = (v: string) => v.split(" ").filter(Boolean);
const firstName = (name: string | undefined) => (name ?? "").trim().split(/\s+/)[0] ?? "";
const clearable = (v: string) => (v === "" ? null : v);
const assigneeOf = (actor: UserActor, v: string) => (v === "" ? null : v === "current_user" ? actor.niceId : Number(v));

/** A property action as the ticket JSON key and value it sets (status, priority, type, assignee, group), or undefined for another kind. */
function propertyOf(actor: UserActor, a: ActionView): [key: string, value: unknown] | undefined {
  switch (a.field) {
    case "status":
      return ["status", a.value];
    case "priority":
    case "type":
      return [a.field, clearable(a.value)];
    case "assignee_id":
      return ["assignee_id", assigneeOf(actor, a.value)];
    case "group_id":
      return ["group_id", a.value === "" ? null : Number(a.value)];
    default:
      return undefined;
  }
}

/** A comment's bodies as the ticket API would store them, public only for someone who may reply publicly. */
function commentOf(actor: UserActor, body: string, actions: readonly ActionView[]): Comment {
  const pub = actions.find((a) => a.field === "comment_mode_is_public")?.value !== "false";
  return { body, html_body: commentBodies({ body }).html, public: pub && ticketPolicy.replyPublicly(actor) };
}

/** What the macro sets, with no ticket: only its fields, placeholders as written (Zendesk's GET /macros/{id}/apply). */
export async function macroEffect(ctx: RequestContext, niceId: number) {
  const actor = requireUse(ctx);
  const actions = actionsOf(ctx, await visible(ctx, actor, niceId));
  const ticket: Record<string, unknown> = {};
  let comment: Comment | undefined;
  for (const a of actions) {
    const custom = CUSTOM.exec(a.field);
    if (custom) {
      // A field deleted, deactivated or not the caller's to edit is left out (as when applied to a ticket).
      const value = await customValue(ctx, Number(custom[1]), a.value).catch(() => undefined);
      if (value === undefined) continue;
      const list = (ticket.custom_fields ??= []) as Array<{ id: number; value: unknown }>;
      list.push({ id: Number(custom[1]), value });
      continue;
    }
    const property = propertyOf(actor, a);
    if (property) {
      ticket[property[0]] = property[1];
      continue;
    }
    switch (a.field) {
      case "subject":
        ticket.subject = a.value;
        break;
      case "set_tags":
        ticket.tags = words(a.value);
        break;
      case "current_tags":
        ticket.additional_tags = words(a.value);
        break;
      case "remove_tags":
        ticket.remove_tags = words(a.value);
        break;
      case "comment_value":
        comment = commentOf(actor, a.value, actions);
        break;
    }
  }
  return { result: { ticket, ...(comment ? { comment } : {}) } };
}

/** What placeholders may read about a ticket: only what the caller sees of its people, group and organization. */
async function placeholderContext(ctx: RequestContext, actor: UserActor, row: Awaited<ReturnType<typeof showTicket>>["row"], subject: string, status: string, priority: string | null) {
  const people = await presentUsersByIds(ctx, [row.requester_id, ...(row.assignee_id ? [row.assignee_id] : []), actor.userId]);
  const byNice = new Map(people.map((p) => [p.id, p]));
  const requester = byNice.get(row.requester_nice);
  const assignee = row.assignee_nice ? byNice.get(row.assignee_nice) : undefined;
  const me = byNice.get(actor.niceId);
  const group = row.group_id ? (await presentGroupsByIds(ctx, [row.group_id]))[0] : undefined;
  const org = row.organization_id ? (await presentOrgsByIds(ctx, [row.organization_id]))[0] : undefined;
  const origin = ctx.apiBase ? new URL(ctx.apiBase).origin : "";
  return {
    ticket: {
      id: row.nice_id,
      title: subject,
      status,
      priority: priority ?? "",
      requester: { name: requester?.name ?? "", first_name: firstName(requester?.name), email: requester?.email ?? "" },
      assignee: { name: assignee?.name ?? "", first_name: firstName(assignee?.name) },
      group: { name: group?.name ?? "" },
      organization: { name: org?.name ?? "" },
      url: origin ? `${origin}/agent/tickets/${row.nice_id}` : "",
    },
    current_user: { name: me?.name ?? "", first_name: firstName(me?.name), email: me?.email ?? "" },
  };
}

/**
 * The ticket as GET /tickets/{id} shows it with the macro's changes applied, and the reply with
 * its placeholders rendered. A ticket the caller cannot see answers 404 (the ticket policy's
 * scope). Nothing is written.
 */
export async function applyMacroToTicket(ctx: RequestContext, ticketNiceId: number, niceId: number) {
  const actor = requireUse(ctx);
  const { view, row } = await showTicket(ctx, ticketNiceId);
  const actions = actionsOf(ctx, await visible(ctx, actor, niceId));
  const context = await placeholderContext(ctx, actor, row, view.subject, view.status, view.priority);
  const ticket: Record<string, unknown> = { ...view };
  const changed = new Set<string>();
  let tags = [...view.tags];
  let comment: Comment | undefined;
  let custom = [...view.custom_fields];
  // Someone who may not change a ticket's properties (a light agent) is given the reply alone: the
  // update would refuse the rest.
  const properties = ticketPolicy.editProperties(actor);
  for (const a of actions) {
    if (!properties && a.field !== "comment_value") continue;
    const cf = CUSTOM.exec(a.field);
    if (cf) {
      const id = Number(cf[1]);
      // A field deleted, deactivated or hidden since the macro was saved is left alone.
      const value = await customValue(ctx, id, a.value).catch(() => undefined);
      if (value === undefined) continue;
      custom = custom.some((f) => f.id === id) ? custom.map((f) => (f.id === id ? { id, value } : f)) : [...custom, { id, value }];
      changed.add("custom_fields");
      continue;
    }
    const property = propertyOf(actor, a);
    if (property) {
      ticket[property[0]] = property[1];
      changed.add(property[0]);
      continue;
    }
    switch (a.field) {
      case "set_tags":
        tags = words(a.value);
        break;
      case "current_tags":
        for (const w of words(a.value)) if (!tags.includes(w)) tags.push(w);
        break;
      case "remove_tags":
        tags = tags.filter((w) => !words(a.value).includes(w));
        break;
      case "subject": {
        const s = renderTemplate(a.value, context, renderBudget(ctx.tx)).replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]+/g, " ").trim().slice(0, 255);
        ticket.subject = s;
        ticket.raw_subject = s;
        break;
      }
      case "comment_value":
        comment = commentOf(actor, renderTemplate(a.value, context, renderBudget(ctx.tx)), actions);
        continue;
      default:
        continue;
    }
    changed.add(a.field === "set_tags" || a.field === "current_tags" || a.field === "remove_tags" ? "tags" : a.field);
  }
  if (changed.has("tags")) ticket.tags = tags.slice(0, MAX_TAGS);
  if (changed.has("custom_fields")) {
    ticket.custom_fields = custom;
    ticket.fields = custom;
  }
  if (comment) changed.add("comment");
  return { result: { ticket, ...(comment ? { comment } : {}), changed_fields: [...changed] } };
}

// ---- writes

export async function createMacro(ctx: RequestContext, input: MacroInput): Promise<MacroView> {
  const actor = requireUse(ctx);
  if (input.title === undefined) throw invalid("title", "Title: cannot be blank");
  const t = titleOf(input.title);
  const audience = await audienceFor(ctx, actor, input.restriction === undefined ? { type: "User", id: actor.niceId } : input.restriction);
  if (input.actions === undefined) throw invalid("actions", "Actions: a macro needs at least one action");
  const actions = await actionsFor(ctx, input.actions);
  await withinLimit(ctx, audience);
  const id = crypto.randomUUID();
  const admin = isAdmin(actor.role);
  const position = input.position ?? Math.min((await repo.lastPosition(ctx.tx, actor.userId, admin ? [] : await groupIdsOfUser(ctx, actor.userId), admin)) + 1, 10_000);
  const description = input.description?.trim() || null;
  const niceId = await repo.insertMacro(ctx.tx, {
    id,
    created_by: actor.userId,
    user_id: audience.kind === "user" ? audience.userId : null,
    group_id: audience.kind === "group" ? audience.groupId : null,
    title_sealed: ctx.sealer.seal(t, ref(id, "title")),
    description_sealed: description ? ctx.sealer.seal(description, ref(id, "description")) : null,
    actions_sealed: ctx.sealer.sealJson(actions, ref(id, "actions")),
    active: input.active ?? true,
    position,
  });
  audit(ctx, { action: "macro.created", resourceType: "macro", resourceId: niceId });
  return present(ctx, actor, (await repo.findMacro(ctx.tx, niceId))!);
}

export async function updateMacro(ctx: RequestContext, niceId: number, input: MacroInput): Promise<MacroView> {
  const actor = requireUse(ctx);
  const m = await visible(ctx, actor, niceId);
  requireWrite(actor, audienceOf(m), NOUN, "change");
  const patch: repo.MacroPatch = {};
  if (input.title !== undefined) patch.title_sealed = ctx.sealer.seal(titleOf(input.title), ref(m.id, "title"));
  if (input.restriction !== undefined) Object.assign(patch, await restrictionChange(ctx, actor, m, input.restriction, NOUN, (a) => withinLimit(ctx, a)));
  if (input.actions !== undefined) patch.actions_sealed = ctx.sealer.sealJson(await actionsFor(ctx, input.actions), ref(m.id, "actions"));
  if (input.active !== undefined) patch.active = input.active;
  if (input.position !== undefined) patch.position = input.position;
  if (input.description !== undefined) {
    const d = input.description?.trim() || null;
    patch.description_sealed = d ? ctx.sealer.seal(d, ref(m.id, "description")) : null;
  }
  if (Object.keys(patch).length) {
    await repo.updateMacro(ctx.tx, m.id, patch);
    audit(ctx, { action: "macro.updated", resourceType: "macro", resourceId: niceId });
  }
  return present(ctx, actor, (await repo.findMacro(ctx.tx, niceId))!);
}

export async function deleteMacro(ctx: RequestContext, niceId: number): Promise<void> {
  const actor = requireUse(ctx);
  const m = await visible(ctx, actor, niceId);
  requireWrite(actor, audienceOf(m), NOUN, "delete");
  await repo.deleteMacro(ctx.tx, m.id);
  audit(ctx, { action: "macro.deleted", resourceType: "macro", resourceId: niceId });
}

// ---- upkeep

/** Hourly usage rows older than the longest window are deleted, tenant by tenant, once an hour. */
export async function sweepMacroUsage(deps: Pick<AppDeps, "db">, now: Date): Promise<number> {
  let n = 0;
  const before = new Date(repo.hourOf(now).getTime() - USAGE_KEPT_MS + 3_600_000);
  await forEachTenant(deps.db, async (tenantId) => {
    n += await deps.db.tenant(tenantId, (tx) => repo.deleteUsageBefore(tx, before));
  });
  return n;
}

export const macroUsageUpkeep = (deps: Pick<AppDeps, "db">): MaintenanceTask[] => [{ name: "macros.usage", everyMs: 3600_000, run: (now) => sweepMacroUsage(deps, now).then(() => undefined) }];
