import type { RequestContext } from "../../platform/context.ts";
import { refsOf } from "../../platform/crypto/sealed-columns.ts";
import type { TicketPriority, TicketStatus, TicketType } from "../../platform/db/schema.ts";
import { changeTicket, type RuleKind, type Writer } from "./conversation.ts";
import type { CustomValue } from "./tickets-fns.ts";
import * as repo from "./tickets-repo.ts";
import type { AuditEvent } from "./tickets-types.ts";

/**
 * A business rule's write (triggers and automations, modules/triggers): the ticket's properties
 * as rules read them, and the net changes they decided written once through the conversation
 * writer, on the channel `rule`, each change naming the rule that made it.
 */

const tref = refsOf("tickets");

/** What rules read and set of a ticket (ids internal, with their public ids). */
export type RuleState = {
  status: TicketStatus;
  priority: TicketPriority | null;
  type: TicketType | null;
  assignee: { id: string; niceId: number } | null;
  group: { id: string; niceId: number } | null;
  requesterNiceId: number;
  organizationNiceId: number | null;
  tags: string[];
  custom: Record<string, CustomValue>;
};

export type RuleTicket = { row: repo.TicketRow; state: RuleState };
export type { TicketFilter, TicketTimes, TimeColumn } from "./tickets-repo.ts";

/** The ticket as it is now in this transaction (undefined when deleted), locked until the transaction ends. */
export async function ticketForRules(ctx: RequestContext, niceId: number): Promise<RuleTicket | undefined> {
  const row = await repo.findTicketForUpdate(ctx.tx, niceId, { kind: "all" });
  return row ? { row, state: stateOf(ctx, row) } : undefined;
}

/**
 * Most times automations update one ticket in its life (Zendesk's cap): two automations, or an
 * automation and a trigger, that undo each other's change each pass the nullifying rule, yet would
 * update (and mail) the ticket every hour, forever.
 */
export const MAX_AUTOMATION_UPDATES = 100;

/** ticketForRules with the ticket's times (automations' time conditions); undefined once automations updated it MAX_AUTOMATION_UPDATES times. */
export async function ticketForAutomations(ctx: RequestContext, niceId: number): Promise<(RuleTicket & { times: repo.TicketTimes }) | undefined> {
  const t = await ticketForRules(ctx, niceId);
  if (!t || (await repo.automationUpdates(ctx.tx, t.row.id)) >= MAX_AUTOMATION_UPDATES) return undefined;
  const times = await repo.ticketTimes(ctx.tx, t.row.id, ctx.now());
  return times ? { ...t, times } : undefined;
}

/**
 * A page of the tickets (not closed, not deleted) that pass `filters`, after public id `after`,
 * with their times (the SLA breaches as at the context's time, when `sla`: the rule reads them): what automations then check in full (ruleStateOf each, on its own: a ticket
 * that cannot be read stops no other).
 */
export async function ticketsForAutomations(ctx: RequestContext, filters: readonly repo.TicketFilter[], after: number, limit: number, opts: { sla: boolean }): Promise<Array<{ row: repo.TicketRow; times: repo.TicketTimes }>> {
  const rows = await repo.ticketsByFilters(ctx.tx, filters, after, limit, MAX_AUTOMATION_UPDATES, opts.sla ? ctx.now() : undefined);
  return rows.map((r) => ({
    row: r,
    times: { created_at: r.created_at, updated_at: r.updated_at, due_at: r.due_at, status_updated_at: r.status_updated_at, assigned_at: r.assigned_at, requester_updated_at: r.requester_updated_at, assignee_updated_at: r.assignee_updated_at, next_sla_breach_at: r.next_sla_breach_at, last_sla_breach_at: r.last_sla_breach_at },
  }));
}

/** A ticket's properties as rules read them. */
export const ruleStateOf = (ctx: RequestContext, row: repo.TicketRow): RuleState => stateOf(ctx, row);

function stateOf(ctx: RequestContext, row: repo.TicketRow): RuleState {
  return {
      status: row.status,
      priority: row.priority,
      type: row.type,
      assignee: row.assignee_id && row.assignee_nice ? { id: row.assignee_id, niceId: row.assignee_nice } : null,
      group: row.group_id && row.group_nice ? { id: row.group_id, niceId: row.group_nice } : null,
      requesterNiceId: row.requester_nice,
      organizationNiceId: row.organization_nice,
      tags: [...row.tags],
      custom: row.custom_fields_sealed ? ctx.sealer.openJson<Record<string, CustomValue>>(row.custom_fields_sealed, tref(row.id, "custom_fields")) : {},
  };
}

/** Which rule set a field last (`status`, `tags`, a custom field's id...). */
export type RuleSources = Map<string, { id: number; title: string }>;

/**
 * Writes the difference between `t.state` and `next` in one ticket audit on the channel `rule`
 * (nothing when there is none), each Change naming the rule of kind `kind` that made it. The
 * audit-trail entry (`ticket.updated_by_rule`) names the fields and the rules (`trigger:<id>`,
 * `automation:<id>`) only. `writer`: whose update ran the rules (for a write nobody signed in for),
 * or the system (an automation's).
 */
export async function writeRuleChanges(ctx: RequestContext, t: RuleTicket, next: RuleState, sources: RuleSources, writer: Writer, kind: RuleKind): Promise<boolean> {
  const before = t.state;
  const patch: repo.TicketPatch = {};
  const events: AuditEvent[] = [];
  const change = (field: string, value: unknown, previous: unknown, source: string) => {
    const rule = sources.get(source);
    events.push({ id: events.length + 1, type: "Change", field_name: field, value, previous_value: previous, ...(rule ? { rule: { ...rule, rel: kind } } : {}) });
  };
  if ((next.assignee?.id ?? null) !== (before.assignee?.id ?? null)) {
    patch.assignee_id = next.assignee?.id ?? null;
    change("assignee_id", next.assignee?.niceId ?? null, before.assignee?.niceId ?? null, "assignee_id");
  }
  if (next.status !== before.status) {
    patch.status = next.status;
    if (next.status === "solved" || (next.status === "closed" && before.status !== "solved")) patch.solved_at = ctx.now();
    change("status", next.status, before.status, "status");
  }
  if (next.priority !== before.priority) {
    patch.priority = next.priority;
    change("priority", next.priority, before.priority, "priority");
  }
  if (next.type !== before.type) {
    patch.type = next.type;
    change("type", next.type, before.type, "type");
  }
  if ((next.group?.id ?? null) !== (before.group?.id ?? null)) {
    patch.group_id = next.group?.id ?? null;
    change("group_id", next.group?.niceId ?? null, before.group?.niceId ?? null, "group_id");
  }
  if (next.tags.join(" ") !== before.tags.join(" ")) {
    patch.tags = [...new Set(next.tags)];
    change("tags", patch.tags, before.tags, "tags");
  }
  const customChanged = Object.keys({ ...before.custom, ...next.custom }).filter((k) => JSON.stringify(before.custom[k] ?? null) !== JSON.stringify(next.custom[k] ?? null));
  if (customChanged.length) {
    const values = Object.fromEntries(Object.entries(next.custom).filter(([, v]) => v !== null));
    patch.custom_fields_sealed = Object.keys(values).length ? ctx.sealer.sealJson(values, tref(t.row.id, "custom_fields")) : null;
    for (const k of customChanged) change(k, next.custom[k] ?? null, before.custom[k] ?? null, k);
  }
  if (events.length === 0) return false;
  const ids = [...new Set([...sources.values()].map((r) => r.id))].sort((a, b) => a - b);
  const fields = [...new Set(events.map((e) => (/^\d+$/.test(e.field_name!) ? "custom_fields" : e.field_name!))), ...ids.map((id) => `${kind}:${id}`)];
  await changeTicket(ctx, t.row, { patch, events, action: "ticket.updated_by_rule", fields, rule: kind }, "rule", writer);
  if (kind === "automation") await repo.countAutomationUpdate(ctx.tx, t.row.id);
  const changed = ruleChanged.get(ctx) ?? new Set<string>();
  changed.add(t.row.id);
  ruleChanged.set(ctx, changed);
  return true;
}

/** The tickets rules changed in a request's transaction (the context is the request's own, so nothing outlives it). */
const ruleChanged = new WeakMap<RequestContext, Set<string>>();

/** Whether rules (triggers) changed this ticket after its write in this request: the write's answer then reads it again, to show it as they left it. */
export const changedByRules = (ctx: RequestContext, ticketId: string): boolean => ruleChanged.get(ctx)?.has(ticketId) ?? false;
