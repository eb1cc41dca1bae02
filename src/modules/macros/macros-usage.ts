import type { RequestContext, UserActor } from "../../platform/context.ts";
import { refsOf } from "../../platform/crypto/sealed-columns.ts";
import { AppError, invalid } from "../../platform/errors.ts";
import { visibleItem } from "../audience/audience.ts";
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

/** A macro a ticket write names, as its audit records it (Zendesk's AgentMacroReference event). */
export type AppliedMacro = { id: string; niceId: number; title: string };

/**
 * The macros `ids` names, each one the caller sees (and so may apply), or 422 naming `macro_ids`:
 * another account's macro, another person's personal one or a group's they are not in is refused
 * alike, before the write changes anything.
 */
export async function appliedMacros(ctx: RequestContext, actor: UserActor, ids: readonly number[] | undefined): Promise<AppliedMacro[]> {
  if (!ids?.length) return [];
  const out: AppliedMacro[] = [];
  for (const niceId of [...new Set(ids)]) {
    const m = await visibleItem(ctx, actor, await repo.findMacro(ctx.tx, niceId)).catch((e: unknown) => {
      if (e instanceof AppError && e.code === "RecordNotFound") throw invalid("macro_ids", `Macro ids: macro ${niceId} not found`);
      throw e;
    });
    out.push({ id: m.id, niceId: m.nice_id, title: ctx.sealer.open(m.title_sealed, ref(m.id, "title")) });
  }
  return out;
}

/** The ticket audit's events naming `macros` (their ids renumbered by the writer). */
export const macroEvents = (macros: readonly AppliedMacro[]) =>
  macros.map((m) => ({ id: 0, type: "AgentMacroReference" as const, macro_id: m.niceId, macro_title: m.title, macro_deleted: false }));

/** Counts one use of each of `macros` now, in the caller's transaction. */
export const countUses = (ctx: RequestContext, macros: readonly AppliedMacro[]): Promise<void> => repo.recordUses(ctx.tx, macros.map((m) => m.id), ctx.now());
