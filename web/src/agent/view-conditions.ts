import type { ViewCondition, ViewConditions } from "../api-schema.ts";

/**
 * How a list becomes a saved view's conditions ("Save as view"): a built-in view's own conditions
 * with the list's filters, or a search of filters only. No browser or network here (addresses are
 * resolved by the caller's function), so it is tested as it is.
 */

/** The list filters from the URL (as model.ts's `Filters`). */
type Filters = Partial<Record<"status" | "priority" | "assignee" | "group" | "tag" | "requester", string>>;

/**
 * The conditions of a built-in view narrowed by the list's filters, or null when a filter cannot
 * be said as a condition (a tag with spaces, an unknown requester address, a name instead of an
 * id). `requesterId` resolves an address to a person's id (null: nobody has it).
 */
export async function conditionsFor(base: readonly ViewCondition[], filters: Filters, requesterId: (email: string) => Promise<number | null>): Promise<ViewConditions | null> {
  const all: ViewCondition[] = [...base];
  const STATUSES = ["new", "open", "pending", "hold", "solved", "closed"];
  const PRIORITIES = ["low", "normal", "high", "urgent"];
  if (filters.status) {
    if (!STATUSES.includes(filters.status)) return null;
    all.push({ field: "status", operator: "is", value: filters.status });
  }
  if (filters.priority) {
    if (!PRIORITIES.includes(filters.priority)) return null;
    all.push({ field: "priority", operator: "is", value: filters.priority });
  }
  if (filters.assignee) {
    const a = filters.assignee;
    if (a === "me") all.push({ field: "assignee_id", operator: "is", value: "current_user" });
    else if (a === "none") all.push({ field: "assignee_id", operator: "is", value: null });
    else if (/^\d+$/.test(a)) all.push({ field: "assignee_id", operator: "is", value: Number(a) });
    else return null;
  }
  if (filters.group) {
    if (filters.group === "none") all.push({ field: "group_id", operator: "is", value: null });
    else if (/^\d+$/.test(filters.group)) all.push({ field: "group_id", operator: "is", value: Number(filters.group) });
    else return null;
  }
  if (filters.tag) {
    if (/[\s"]/.test(filters.tag)) return null;
    all.push({ field: "current_tags", operator: "includes", value: filters.tag });
  }
  if (filters.requester) {
    const id = await requesterId(filters.requester);
    if (id === null) return null;
    all.push({ field: "requester_id", operator: "is", value: id });
  }
  return { all, any: [] };
}

const STATUS_ORDER = ["new", "open", "pending", "hold", "solved", "closed"];
const PRIORITY_ORDER = ["low", "normal", "high", "urgent"];

/**
 * A comparison of an ordered field as a condition: `<=X` is "less than the value after X", `>=X`
 * "greater than the value before X"; undefined when it holds for every value (nothing to add).
 */
function compare(field: "status" | "priority", order: readonly string[], op: string, value: string): ViewCondition | undefined | null {
  const i = order.indexOf(value);
  if (i < 0) return null;
  if (op === ":") return { field, operator: "is", value };
  if (op === "<") return { field, operator: "less_than", value };
  if (op === ">") return { field, operator: "greater_than", value };
  if (op === "<=") return i + 1 < order.length ? { field, operator: "less_than", value: order[i + 1]! } : undefined;
  return i > 0 ? { field, operator: "greater_than", value: order[i - 1]! } : undefined;
}

/**
 * A search of filters only (`status<solved tags:vip assignee:me`, no words) as view conditions, or
 * null when some part cannot be one (dates, organizations, words, a name the pickers do not hold,
 * a keyword twice where the search would take either value). The search ORs repeated
 * `status:`/`assignee:` terms, so those are refused rather than guessed.
 */
export async function conditionsOfQuery(query: string, groups: ReadonlyArray<{ id: number; name: string }>, requesterId: (email: string) => Promise<number | null>): Promise<ViewConditions | null> {
  const tokens = query.match(/-?[a-z_]+(?::|<=|>=|<|>)"[^"]*"|-?"[^"]*"|\S+/gi) ?? [];
  const all: ViewCondition[] = [];
  const seen = new Set<string>();
  const once = (key: string) => (seen.has(key) ? false : (seen.add(key), true));
  const tags: string[] = [];
  const notTags: string[] = [];
  for (const raw of tokens) {
    const negate = raw.startsWith("-");
    const m = /^([a-z_]+)(:|<=|>=|<|>)(.+)$/i.exec(negate ? raw.slice(1) : raw);
    if (!m) return null;
    const key = m[1]!.toLowerCase();
    const op = m[2]!;
    const value = m[3]!.replace(/^"|"$/g, "");
    if (negate && key !== "tags" && key !== "tag") return null;
    if (op !== ":" && key !== "status" && key !== "priority") return null;
    switch (key) {
      case "type":
        if (value !== "ticket") return null;
        break;
      case "status":
      case "priority": {
        if (op === ":" && !once(key)) return null;
        const c = compare(key, key === "status" ? STATUS_ORDER : PRIORITY_ORDER, op, value.toLowerCase());
        if (c === null) return null;
        if (c) all.push(c);
        break;
      }
      case "ticket_type":
        if (!once(key) || !["question", "incident", "problem", "task"].includes(value.toLowerCase())) return null;
        all.push({ field: "type", operator: "is", value: value.toLowerCase() });
        break;
      case "assignee":
        if (!once(key)) return null;
        if (value === "me") all.push({ field: "assignee_id", operator: "is", value: "current_user" });
        else if (value === "none") all.push({ field: "assignee_id", operator: "is", value: null });
        else if (/^\d+$/.test(value)) all.push({ field: "assignee_id", operator: "is", value: Number(value) });
        else return null;
        break;
      case "requester": {
        if (!once(key)) return null;
        const id = value === "me" ? "current_user" : /^\d+$/.test(value) ? Number(value) : value.includes("@") ? await requesterId(value) : null;
        if (id === null) return null;
        all.push({ field: "requester_id", operator: "is", value: id });
        break;
      }
      case "group": {
        if (!once(key)) return null;
        const g = value.toLowerCase() === "none" ? null : /^\d+$/.test(value) ? Number(value) : groups.find((x) => x.name.toLowerCase() === value.toLowerCase())?.id;
        if (g === undefined) return null;
        all.push({ field: "group_id", operator: "is", value: g });
        break;
      }
      case "tags":
      case "tag":
        (negate ? notTags : tags).push(value.toLowerCase());
        break;
      default:
        return null;
    }
  }
  // Several tags: the search takes a ticket with any of them, and leaves out one with any excluded tag.
  if (tags.length) all.push({ field: "current_tags", operator: "includes", value: tags.join(" ") });
  if (notTags.length) all.push({ field: "current_tags", operator: "not_includes", value: notTags.join(" ") });
  return all.length ? { all, any: [] } : null;
}

