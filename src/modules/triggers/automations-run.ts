import { makeContext, type RequestContext } from "../../platform/context.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { AppError } from "../../platform/errors.ts";
import type { MaintenanceTask } from "../../platform/jobs/job-runner.ts";
import { findTenant, forEachTenant } from "../tenants/tenants-service.ts";
import { SYSTEM_WRITER } from "../tickets/conversation.ts";
import { allowRuleMails, RULE_MAILS_PER_WRITE, ruleMailsLeft } from "../tickets/notifications-service.ts";
import { ruleStateOf, ticketForAutomations, ticketsForAutomations, type RuleSources, type RuleState, type TicketTimes } from "../tickets/rule-write.ts";
import type { Clock as BusinessClock } from "../sla/business-time.ts";
import { loadDefaultClock } from "../sla/schedules-service.ts";
import { applyActions, writeRule } from "./rules-actions.ts";
import { countsBusinessHours, matchesCompiled, readsSlaBreaches, sqlFilter, type RuleUpdate } from "./rules-conditions.ts";
import { findRule, ruleState } from "./rules-repo.ts";
import { activeRules, opened } from "./rules-service.ts";
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
 *
 * The run is shared by every account, one after another: what one account's automations may cost
 * in a run is bounded (RunBudget: tickets read as candidates, tickets acted on, mail), whatever its
 * 500 automations and its tickets, so that the accounts after it still run within the hour. What
 * is left is for the next run (Zendesk's "greater than" conditions still hold then), which starts
 * at the automation the share ran out on.
 */

/** Most tickets one automation updates in one run (Zendesk's cap). */
export const AUTOMATION_TICKET_CAP = 1000;
/** Most tickets one automation reads (those its SQL filters let through) in one run. */
export const AUTOMATION_READ_CAP = 10_000;
/**
 * What one account's automations may do in one run, all of them together: `examined`, candidate
 * tickets read (and checked in code); `tickets`, tickets acted on, each in a transaction of its own
 * that runs the triggers and the mail (a failure counts too); `mails`, mails queued by them and by
 * the triggers after them (each may render Liquid for its whole limit: RULE_MAILS_PER_WRITE).
 */
export type RunBudget = { examined: number; tickets: number; mails: number };
export const ACCOUNT_RUN_BUDGET: RunBudget = { examined: 50_000, tickets: 5_000, mails: 2_000 };
/** How many tickets one read of candidates holds. */
const PAGE = 500;
/** Where the next run of an automation that stopped on its read cap reads on (`tenant:automation` → the last public id read). */
const resumeAt = new Map<string, number>();
/**
 * Where an account's next run starts when its share of a run was spent (`tenant` → the automation
 * it was spent on): its later automations get their turn, rather than the first ones spending
 * every run's share.
 */
const startAt = new Map<string, number>();

type Log = { warn(obj: object, msg: string): void };
export type AutomationDeps = Pick<AppDeps, "db" | "keyring" | "hooks" | "mailer" | "config" | "urls" | "rateLimiter"> & { logger?: Log | undefined };
type Automation = Awaited<ReturnType<typeof activeRules>>[number];

/** A ticket as an automation reads it: no update, its own channel, the clock of the run. */
const readAt = (row: { via: string }, times: TicketTimes, now: Date, hours?: BusinessClock): RuleUpdate => ({
  create: false,
  channel: row.via,
  by: SYSTEM_WRITER,
  previous: undefined,
  comment: undefined,
  hasWord: () => false,
  clock: { now, times, hours },
});

/** The account's default schedule when the automation counts business hours (one read a transaction). */
const hoursFor = async (ctx: RequestContext, a: Automation): Promise<BusinessClock | undefined> => (countsBusinessHours(a.conditions) ? loadDefaultClock(ctx) : undefined);

const errorName = (err: unknown) => (err instanceof AppError ? err.code : err instanceof Error ? err.name : "Error");

/** What a run did in one account: tickets written, failed, and read as candidates. */
export type AccountRun = { written: number; failed: number; examined: number };

/**
 * Runs every open account's automations at `now` (the hourly upkeep, and tests at a time of their
 * choosing). `cap`: most tickets an automation updates in the run, `read` most it reads; `budget`:
 * what one account's automations may do in it (ACCOUNT_RUN_BUDGET). Answers the totals and each
 * account's.
 */
export async function runAutomations(deps: AutomationDeps, now: Date, opts: { cap?: number; read?: number; budget?: Partial<RunBudget> } = {}): Promise<AccountRun & { byTenant: Map<string, AccountRun> }> {
  const total = { written: 0, failed: 0, examined: 0, byTenant: new Map<string, AccountRun>() };
  const caps = { cap: opts.cap ?? AUTOMATION_TICKET_CAP, read: opts.read ?? AUTOMATION_READ_CAP };
  const budget = { ...ACCOUNT_RUN_BUDGET, ...opts.budget };
  await forEachTenant(deps.db, async (tenantId) => {
    const r = await runTenant(deps, tenantId, now, caps, budget);
    total.written += r.written;
    total.failed += r.failed;
    total.examined += r.examined;
    total.byTenant.set(tenantId, r);
  });
  return total;
}

async function runTenant(deps: AutomationDeps, tenantId: string, now: Date, caps: Caps, budget: RunBudget): Promise<AccountRun> {
  const out: AccountRun = { written: 0, failed: 0, examined: 0 };
  const tenant = await findTenant(deps.db, { id: tenantId });
  if (!tenant || tenant.status !== "active") return out;
  const apiBase = deps.urls.apiBase({ subdomain: tenant.subdomain, isDefault: tenant.isDefault });
  const inTenant = <T>(fn: (ctx: RequestContext) => Promise<T>) =>
    deps.db.tenant(tenantId, async (tx) => fn(makeContext({ tx, sealer: await deps.keyring.sealerFor(tx), actor: { kind: "system" }, now: () => now, hooks: deps.hooks, apiBase })));
  const failed = (automation: number, ticket: number, err: unknown) => {
    out.failed++;
    deps.logger?.warn({ tenant: tenantId, automation, ticket, err: errorName(err) }, "automations: a ticket was not updated; trying again at the next run");
  };
  const all = await inTenant((ctx) => activeRules(AUTOMATIONS, ctx));
  const from = all.findIndex((x) => x.id === startAt.get(tenantId));
  startAt.delete(tenantId);
  const automations = from > 0 ? [...all.slice(from), ...all.slice(0, from)] : all;
  let acted = 0;
  let mailed = 0;
  const spent = (a: Automation) => {
    if (out.examined < budget.examined && acted < budget.tickets && mailed < budget.mails) return false;
    deps.logger?.warn({ tenant: tenantId, automation: a.id, examined: out.examined, tickets: acted, mails: mailed }, "automations: the account's share of this run is spent; its other automations and tickets wait for the next run");
    startAt.set(tenantId, a.id);
    return true;
  };
  run: for (const a of automations) {
    if (spent(a)) break;
    const mine = { cap: Math.min(caps.cap, budget.tickets - acted), read: Math.min(caps.read, budget.examined - out.examined) };
    const due = await dueTickets(inTenant, `${tenantId}:${a.id}`, a, now, mine, (ticket, err) => failed(a.id, ticket, err));
    out.examined += due.examined;
    for (const niceId of due.tickets) {
      if (spent(a)) break run;
      acted++;
      const mails = budget.mails - mailed;
      try {
        const r = await inTenant((ctx) => runOn(deps, ctx, a, niceId, now, mails));
        mailed += r.mails;
        if (r.result === "written") out.written++;
        // Switched off or deleted since the run began: none of its other tickets.
        if (r.result === "gone") break;
      } catch (err) {
        mailed += Math.min(mails, RULE_MAILS_PER_WRITE);
        failed(a.id, niceId, err);
      }
    }
  }
  return out;
}

type Caps = { cap: number; read: number };

/**
 * The public ids of up to `caps.cap` tickets an automation's conditions hold for now: those its SQL
 * filters let through, page by page (from where its last run stopped on its read cap or its
 * account's share), then all of them in code; at most `caps.read` read.
 */
async function dueTickets(inTenant: <T>(fn: (ctx: RequestContext) => Promise<T>) => Promise<T>, key: string, a: Automation, now: Date, caps: Caps, failed: (ticket: number, err: unknown) => void): Promise<{ tickets: number[]; examined: number }> {
  const filters = a.conditions.all.flatMap((c) => sqlFilter(c, now) ?? []);
  const due: number[] = [];
  let after = resumeAt.get(key) ?? 0;
  resumeAt.delete(key);
  let read = 0;
  while (due.length < caps.cap) {
    if (read >= caps.read) {
      resumeAt.set(key, after);
      break;
    }
    const limit = Math.min(PAGE, caps.read - read);
    const page = await inTenant(async (ctx) => {
      const rows = await ticketsForAutomations(ctx, filters, after, limit, { sla: readsSlaBreaches(a.conditions) });
      const hours = await hoursFor(ctx, a);
      const held: number[] = [];
      for (const r of rows) {
        try {
          if (matchesCompiled(a.compiled, ruleStateOf(ctx, r.row), readAt(r.row, r.times, now, hours))) held.push(r.row.nice_id);
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
  return { tickets: due, examined: read };
}

/**
 * One automation on one ticket, in its own transaction: the automation and the ticket read and
 * checked again (an admin may have switched it off, deleted or changed it since the run began: a
 * run of 1,000 tickets must stop when told to), its actions applied and written.
 */
async function runOn(deps: AutomationDeps, ctx: RequestContext, loaded: Automation, niceId: number, now: Date, mails: number): Promise<{ result: "written" | "unchanged" | "gone"; mails: number }> {
  // The mail of this write and of the triggers after it, within the account's share left.
  const allowed = allowRuleMails(ctx.tx, mails);
  const result = await actOn(deps, ctx, loaded, niceId, now);
  return { result, mails: allowed - ruleMailsLeft(ctx.tx) };
}

async function actOn(deps: AutomationDeps, ctx: RequestContext, loaded: Automation, niceId: number, now: Date): Promise<"written" | "unchanged" | "gone"> {
  // Its state only (nothing sealed opened) unless it changed since the run opened it.
  const state = await ruleState(ctx.tx, AUTOMATIONS.many, loaded.id);
  if (!state || !state.active) return "gone";
  let a = loaded;
  if (state.updated_at.getTime() !== loaded.updatedAt.getTime()) {
    const row = await findRule(ctx.tx, AUTOMATIONS.many, loaded.id);
    if (!row || !row.active) return "gone";
    a = opened(AUTOMATIONS, ctx, row);
  }
  const t = await ticketForAutomations(ctx, niceId);
  if (!t || t.row.status === "closed" || !matchesCompiled(a.compiled, t.state, readAt(t.row, t.times, now, await hoursFor(ctx, a)))) return "unchanged";
  const w: RuleState = { ...t.state, tags: [...t.state.tags], custom: { ...t.state.custom } };
  const sources: RuleSources = new Map();
  const mails: TriggerMail[] = [];
  await applyActions(ctx, a.actions, w, SYSTEM_WRITER, { id: a.id, title: a.title }, sources, mails);
  return (await writeRule(deps, ctx, t, w, sources, mails, SYSTEM_WRITER, "automation")) ? "written" : "unchanged";
}

/** The hourly run, once across the installation's processes. */
export function automationsUpkeep(deps: AutomationDeps): MaintenanceTask[] {
  return [{ name: "automations.run", everyMs: 3600_000, shared: true, run: (now) => runAutomations(deps, now).then(() => undefined) }];
}
