import { invalid } from "../../platform/errors.ts";
import { DATE_RULE, parseIsoDate } from "../../platform/schemas.ts";

/**
 * Parses Zendesk search syntax into structured filters:
 *   type:ticket status:open status<solved assignee:me assignee:none tags:vip requester:ada@x.test
 *   priority:high priority>normal ticket_type:incident group:12 group:"Tier 2" organization:3
 *   organization:"Acme Inc" created>2026-01-01 updated<2026-02-01
 *   type:user ad* name:ada email:ada@x.test   type:organization acme* name:ac*
 * The same field given twice with `:` means either (`status:open status:pending`), as in Zendesk;
 * comparisons (`created>…`) and different fields all apply together.
 * Free words and "quoted phrases" search ticket content (`text` terms: every one must match; a
 * phrase's words in order), through the keyed-hash index (search-index.ts). An unknown keyword
 * (`colour:blue`) is refused rather than searched as text, so a misspelt filter never silently
 * finds nothing; quoted ("ERR:42") it is text.
 */
export type Term =
  | { kind: "type"; value: "ticket" | "user" | "organization" | "group" }
  | { kind: "status"; op: ":" | "<" | ">" | "<=" | ">="; value: string }
  | { kind: "priority"; op: ":" | "<" | ">" | "<=" | ">="; value: string }
  | { kind: "ticket_type"; value: string }
  | { kind: "assignee" | "requester" | "submitter"; value: string }
  | { kind: "tags"; value: string; negate: boolean }
  | { kind: "group" | "organization"; value: string }
  | { kind: "created" | "updated" | "solved" | "due_date"; op: ":" | "<" | ">" | "<=" | ">="; value: string }
  | { kind: "text"; value: string; phrase: boolean }
  /** `type:user` and `type:organization` only: words of a name, or of an e-mail address (`ad*`: a prefix). */
  | { kind: "name" | "email"; value: string };

const STATUSES = ["new", "open", "pending", "hold", "solved", "closed"];
/** Priorities in rank order, so that `priority>normal` means high and urgent, as in Zendesk. */
export const PRIORITIES = ["low", "normal", "high", "urgent"];
const TYPES = ["problem", "incident", "question", "task"];

export type Op = ":" | "<" | ">" | "<=" | ">=";

/** Keywords whose value may be a public id (users, groups, organizations). */
const REFERENCES = ["assignee", "requester", "submitter", "group", "organization"];

/** The values of an ordered list that `op value` selects (`status<solved` → new, open, pending, hold). */
export function valuesMatching(order: readonly string[], op: Op, value: string): string[] {
  const rank = order.indexOf(value);
  return order.filter((_, i) => (op === ":" ? i === rank : op === "<" ? i < rank : op === ">" ? i > rank : op === "<=" ? i <= rank : i >= rank));
}

export function parseQuery(q: string): Term[] {
  const terms: Term[] = [];
  const tokens = q.match(/-?[a-z_]+(?::|<=|>=|<|>)"[^"]*"|-?"[^"]*"|\S+/gi) ?? [];
  for (const raw of tokens) {
    const negate = raw.startsWith("-") && raw.length > 1;
    const tok = negate ? raw.slice(1) : raw;
    const quoted = /^"([^"]*)"$/.exec(tok);
    const m = quoted ? null : /^([a-z_]+)(:|<=|>=|<|>)(.+)$/i.exec(tok);
    if (!m) {
      if (negate) throw invalid("query", `excluding words ("${raw.slice(0, 40)}") is not supported yet; exclude by tags (-tags:spam)`, "Unsupported");
      const value = quoted ? quoted[1]! : tok.replaceAll('"', "");
      if (value.trim()) terms.push({ kind: "text", value, phrase: Boolean(quoted) });
      continue;
    }
    const key = m[1]!.toLowerCase();
    // Only tags can be excluded yet: `-status:closed` must not quietly mean `status:closed`.
    if (negate && key !== "tags" && key !== "tag") throw invalid("query", `excluding by ${key.slice(0, 40)} is not supported yet; only tags can be excluded (-tags:spam)`, "Unsupported");
    const op = m[2] as ":" | "<" | ">" | "<=" | ">=";
    const value = m[3]!.replace(/^"|"$/g, "");
    // A reference by id must be one: digits past the largest public id would fail in SQL (bigint).
    if (REFERENCES.includes(key) && /^\d+$/.test(value) && !Number.isSafeInteger(Number(value))) throw invalid("query", `not an id: ${value.slice(0, 40)}`);
    switch (key) {
      case "type":
        if (!["ticket", "user", "organization", "group"].includes(value)) throw invalid("query", `unknown type: ${value}`);
        terms.push({ kind: "type", value: value as "ticket" });
        break;
      case "status":
        if (!STATUSES.includes(value.toLowerCase())) throw invalid("query", `unknown status: ${value}`);
        terms.push({ kind: "status", op, value: value.toLowerCase() });
        break;
      case "priority":
        if (!PRIORITIES.includes(value.toLowerCase())) throw invalid("query", `unknown priority: ${value} (low, normal, high or urgent)`);
        terms.push({ kind: "priority", op, value: value.toLowerCase() });
        break;
      case "ticket_type":
        if (!TYPES.includes(value.toLowerCase())) throw invalid("query", `unknown ticket type: ${value} (problem, incident, question or task)`);
        terms.push({ kind: "ticket_type", value: value.toLowerCase() });
        break;
      case "assignee":
      case "requester":
      case "submitter":
        terms.push({ kind: key, value });
        break;
      case "tags":
      case "tag":
        terms.push({ kind: "tags", value: value.toLowerCase(), negate });
        break;
      case "group":
      case "organization":
        terms.push({ kind: key, value });
        break;
      case "name":
      case "email":
        if (value.trim()) terms.push({ kind: key, value });
        break;
      case "created":
      case "updated":
      case "solved":
      case "due_date":
        if (parseIsoDate(value) === undefined) throw invalid("query", `not a date: ${value.slice(0, 40)} (${DATE_RULE})`);
        terms.push({ kind: key, op, value });
        break;
      default:
        throw invalid("query", `unknown search keyword: ${key}`, "Unsupported");
    }
  }
  return terms;
}

