import { makeContext, type RequestContext } from "../../platform/context.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { AppError } from "../../platform/errors.ts";
import type { MaintenanceTask } from "../../platform/jobs/job-runner.ts";
import { findTenant, forEachTenant } from "../tenants/tenants-service.ts";
import { SYSTEM_WRITER } from "../tickets/conversation.ts";
import { ruleStateOf, ticketForAutomations, ticketsForAutomations, type RuleSources, type RuleState, type TicketTimes } from "../tickets/rule-write.ts";
import { applyActions, writeRule } from "./rules-actions.ts";
import { matches, sqlFilter, type RuleUpdate } from "./rules-conditions.ts";
import { activeRules } from "./rules-service.ts";
import { AUTOMATIONS } from "./automations-service.ts";
import type { TriggerMail } from "./triggers-mail.ts";

/**
 * Running automations (Zendesk's hourly cycle): in every open account, its active automations in
 * position order; for each, the tickets neither closed nor deleted whose times pass its time
 * conditions and its status and tag ones let through (SQL on clear columns), then its conditions in
 * full in code, at most AUTOMATION_TICKET_CAP of them a run, reading at most AUTOMATION_READ_CAP
 * (an automation whose SQL filters let most tickets through costs a bounded read an hour; the next
 * run reads on from where it stopped). Each ticket is written in a transaction of its own, as the
 * system, read and checked again there (an earlier automation of the run or a person may have
 * changed it): one write through the conversation writer on the channel `rule` naming the
 * automation, then the triggers (an automation's write runs them, their own write none), then
 * the mail its actions ask for. A ticket that fails is logged by ids only and stops nothing.
 */

/** Most tickets one automation updates in one run (Zendesk's cap). */
export const AUTOMATION_TICKET_CAP = 1000;
/** Most tickets one automation reads (those its SQL filters let through) in one run. */
export const AUTOMATION_READ_CAP = 10_000;
/** How many tickets one read of candidates holds. */
const PAGE = 500;
/** Where the next run of an automation that stopped on its read cap reads on (`tenant:automation` → the last public id read). */
const resumeAt = new Map<string, number>();

type Log = { warn(obj: object, msg: string): void };
export type AutomationDeps = Pick<AppDeps, "db" | "keyring" | "hooks" | "mailer" | "config" | "urls"> & { logger?: Log | undefined };
type Automation = Awaited<ReturnType<typeof activeRules>>[number];

/** A ticket as an automation reads it: no update, its own channel, the clock of the run. */
const readAt = (row: { via: string }, times: TicketTimes, now: Date): RuleUpdate => ({
  create: false,
  channel: row.via,
  by: SYSTEM_WRITER,
  previous: undefined,
  comment: undefined,
  hasWord: () => false,
  clock: { now, times },
});

const errorName = (err: unknown) => (err instanceof AppError ? err.code : err instanceof Error ? err.name : "Error");

/**
 * Runs every open account's automations at `now` (the hourly upkeep, and tests at a time of their
 * choosing). `cap`: most tickets an automation updates in the run; `read`: most it reads. Answers
 * how many tickets were written and how many failed.
 */
export async function runAutomations(deps: AutomationDeps, now: Date, opts: { cap?: number; read?: number } = {}): Promise<{ written: number; failed: number }> {
  const total = { written: 0, failed: 0 };
  const caps = { cap: opts.cap ?? AUTOMATION_TICKET_CAP, read: opts.read ?? AUTOMATION_READ_CAP };
  await forEachTenant(deps.db, async (tenantId) => {
    const r = await runTenant(deps, tenantId, now, caps);
    total.written += r.written;
    total.failed += r.failed;
  });
  return total;
}

async function runTenant(deps: AutomationDeps, tenantId: string, now: Date, caps: Caps): Promise<{ written: number; failed: number }> {
  const tenant = await findTenant(deps.db, { id: tenantId });
  if (!tenant || tenant.status !== "active") return { written: 0, failed: 0 };
  const apiBase = deps.urls.apiBase({ subdomain: tenant.subdomain, isDefault: tenant.isDefault });
  const inTenant = <T>(fn: (ctx: RequestContext) => Promise<T>) =>
    deps.db.tenant(tenantId, async (tx) => fn(makeContext({ tx, sealer: await deps.keyring.sealerFor(tx), actor: { kind: "system" }, now: () => now, hooks: deps.hooks, apiBase })));
  const out = { written: 0, failed: 0 };
  const failed = (automation: number, ticket: number, err: unknown) => {
    out.failed++;
    deps.logger?.warn({ tenant: tenantId, automation, ticket, err: errorName(err) }, "automations: a ticket was not updated; trying again at the next run");
  };
  const automations = await inTenant((ctx) => activeRules(AUTOMATIONS, ctx));
  for (const a of automations) {
    const due = await dueTickets(inTenant, `${tenantId}:${a.id}`, a, now, caps, (ticket, err) => failed(a.id, ticket, err));
    for (const niceId of due) {
      try {
        if (await inTenant((ctx) => runOn(deps, ctx, a, niceId, now))) out.written++;
      } catch (err) {
        failed(a.id, niceId, err);
      }
    }
  }
  return out;
}

type Caps = { cap: number; read: number };

/**
 * The public ids of up to `caps.cap` tickets an automation's conditions hold for now: those its SQL
 * filters let through, page by page (from where its last run stopped on its read cap), then all of
 * them in code; at most `caps.read` read.
 */
async function dueTickets(inTenant: <T>(fn: (ctx: RequestContext) => Promise<T>) => Promise<T>, key: string, a: Automation, now: Date, caps: Caps, failed: (ticket: number, err: unknown) => void): Promise<number[]> {
  const filters = a.conditions.all.flatMap((c) => sqlFilter(c, now) ?? []);
  const due: number[] = [];
  let after = resumeAt.get(key) ?? 0;
  resumeAt.delete(key);
  for (let read = 0; due.length < caps.cap; ) {
    if (read >= caps.read) {
      resumeAt.set(key, after);
      break;
    }
    const limit = Math.min(PAGE, caps.read - read);
    const page = await inTenant(async (ctx) => {
      const rows = await ticketsForAutomations(ctx, filters, after, limit);
      const held: number[] = [];
      for (const r of rows) {
        try {
          if (matches(a.conditions, ruleStateOf(ctx, r.row), readAt(r.row, r.times, now))) held.push(r.row.nice_id);
        } catch (err) {
          failed(r.row.nice_id, err);
        }
      }
      return { held, last: rows.at(-1)?.row.nice_id, full: rows.length === limit, read: rows.length };
    });
    read += page.read;
    due.push(...page.held.slice(0, caps.cap - due.length));
    if (!page.full || page.last === undefined) break;
    after = page.last;
  }
  return due;
}

/** One automation on one ticket, in its own transaction: read and checked again, its actions applied and written. */
async function runOn(deps: AutomationDeps, ctx: RequestContext, a: Automation, niceId: number, now: Date): Promise<boolean> {
  const t = await ticketForAutomations(ctx, niceId);
  if (!t || t.row.status === "closed" || !matches(a.conditions, t.state, readAt(t.row, t.times, now))) return false;
  const w: RuleState = { ...t.state, tags: [...t.state.tags], custom: { ...t.state.custom } };
  const sources: RuleSources = new Map();
  const mails: TriggerMail[] = [];
  await applyActions(ctx, a.actions, w, SYSTEM_WRITER, { id: a.id, title: a.title }, sources, mails);
  return await writeRule(deps, ctx, t, w, sources, mails, SYSTEM_WRITER, "automation");
}

/** The hourly run, once across the installation's processes. */
export function automationsUpkeep(deps: AutomationDeps): MaintenanceTask[] {
  return [{ name: "automations.run", everyMs: 3600_000, shared: true, run: (now) => runAutomations(deps, now).then(() => undefined) }];
}
