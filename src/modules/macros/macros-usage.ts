import type { RequestContext, UserActor } from "../../platform/context.ts";
import { refsOf } from "../../platform/crypto/sealed-columns.ts";
import { AppError, forbidden, invalid } from "../../platform/errors.ts";
import { scopesGrant } from "../../platform/http/scopes.ts";
import { audienceOf, visibleItem } from "../audience/audience.ts";
import { audiencePolicy } from "../audience/audience-policy.ts";
import { groupIdsOfUser } from "../groups/groups-service.ts";
import { isAdmin } from "../users/users-policy.ts";
import * as repo from "./macros-repo.ts";

/**
 * Macro usage (Zendesk's `macro_ids` on a ticket write, and `usage_1h` … `usage_30d` on macros):
 * a ticket create or update names the macros the agent applied; each is recorded in that write's
 * ticket audit and counted once, in the same transaction, in the hourly row of its macro
 * (0071). The ticket module calls this file, which imports nothing of the ticket module (macros'
 * service does: the other way round would be a cycle).
 */

const ref = refsOf("macros");
/** Most macros one ticket write may name. */
export const MAX_MACRO_IDS = 20;
/** How long hourly rows are kept: the longest window (30 days). */
export const USAGE_KEPT_MS = repo.USAGE_WINDOWS.usage_30d * 3_600_000;

/** Whether `actor`'s credential may read macros (`read` or `tickets:read`: macros are filed under tickets, http/scopes.ts). */
const readsMacros = (actor: UserActor) => scopesGrant(actor.scopes, { access: "read", resource: "tickets" });

/** A macro a ticket write names, as its audit records it (Zendesk's AgentMacroReference event). */
export type AppliedMacro = { id: string; niceId: number; title: string; shared: boolean };

/**
 * The macros `ids` names, each one the caller sees (and so may apply), or 422 naming `macro_ids`:
 * another account's macro, another person's personal one or a group's they are not in is refused
 * alike, before the write changes anything.
 */
export async function appliedMacros(ctx: RequestContext, actor: UserActor, ids: readonly number[] | undefined): Promise<AppliedMacro[]> {
  if (!ids?.length) return [];
  // A token that may not read macros (a write-only one) may not learn which exist, nor their titles, by naming them.
  if (!readsMacros(actor)) throw forbidden("This token lacks the 'tickets:read' scope, which naming macros (macro_ids) needs.");
  const out: AppliedMacro[] = [];
  for (const niceId of [...new Set(ids)]) {
    const m = await visibleItem(ctx, actor, await repo.findMacro(ctx.tx, niceId)).catch((e: unknown) => {
      if (e instanceof AppError && e.code === "RecordNotFound") throw invalid("macro_ids", `Macro ids: macro ${niceId} not found`);
      throw e;
    });
    out.push({ id: m.id, niceId: m.nice_id, title: ctx.sealer.open(m.title_sealed, ref(m.id, "title")), shared: !m.user_id && !m.group_id });
  }
  return out;
}

/**
 * The ticket audit's events naming `macros` (their ids renumbered by the writer). Only a macro shared
 * with everyone keeps its title in the audit: a personal macro's or a group's title is not written
 * there (every staff member who sees the ticket reads its audits, and a personal macro's title goes
 * when its owner is erased); withMacroTitles names them to readers who see them.
 */
export const macroEvents = (macros: readonly AppliedMacro[]) =>
  macros.map((m) => ({ id: 0, type: "AgentMacroReference" as const, macro_id: m.niceId, ...(m.shared ? { macro_title: m.title } : {}), macro_deleted: false }));

type MacroRefEvent = { type: string; macro_id?: number | undefined; macro_title?: string | undefined; macro_deleted?: boolean | undefined };

/**
 * Audits' events as `actor` reads them: each AgentMacroReference says whether its macro is deleted
 * now, and one without a title in the audit (a personal or a group's macro) is named by the macro's
 * title now, only when `actor` sees that macro. One read for all the audits given.
 */
export async function withMacroTitles<E extends MacroRefEvent>(ctx: RequestContext, actor: UserActor, audits: readonly E[][]): Promise<E[][]> {
  const ids = [...new Set(audits.flatMap((events) => events.filter((e) => e.type === "AgentMacroReference" && e.macro_id !== undefined).map((e) => e.macro_id!)))];
  if (ids.length === 0) return audits.map((events) => events);
  const rows = new Map((await repo.findMacros(ctx.tx, ids)).map((r) => [r.nice_id, r]));
  const groups = [...rows.values()].some((r) => r.group_id) && !isAdmin(actor.role) ? await groupIdsOfUser(ctx, actor.userId) : [];
  return audits.map((events) =>
    events.map((e) => {
      if (e.type !== "AgentMacroReference" || e.macro_id === undefined) return e;
      const row = rows.get(e.macro_id);
      if (!row) return { ...e, macro_deleted: true };
      if (e.macro_title !== undefined || !readsMacros(actor) || !audiencePolicy.sees(actor, audienceOf(row), groups)) return { ...e, macro_deleted: false };
      return { ...e, macro_title: ctx.sealer.open(row.title_sealed, ref(row.id, "title")), macro_deleted: false };
    }),
  );
}

/** Counts one use of each of `macros` now, in the caller's transaction. */
export const countUses = (ctx: RequestContext, macros: readonly AppliedMacro[]): Promise<void> => repo.recordUses(ctx.tx, macros.map((m) => m.id), ctx.now());
