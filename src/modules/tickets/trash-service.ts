import { actorUser, makeContext, type RequestContext } from "../../platform/context.ts";
import { refsOf } from "../../platform/crypto/sealed-columns.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { AppError, forbidden, notFound } from "../../platform/errors.ts";
import type { Page } from "../../platform/http/pagination.ts";
import type { MaintenanceTask } from "../../platform/jobs/job-runner.ts";
import { forEachTenant } from "../tenants/tenants-service.ts";
import { contactsByIds } from "../users/users-service.ts";
import { deleteBlobs } from "./attachments-service.ts";
import { deleteTicket, purgeTickets, restoreTicket } from "./conversation.ts";
import { ticketPolicy } from "./tickets-policy.ts";
import * as repo from "./tickets-repo.ts";
import type { DeletedTicketView } from "./tickets-types.ts";

/**
 * The trash (Zendesk's deleted tickets): a deleted ticket leaves every list, view, search and count
 * at once, and for TRASH_DAYS (or the tenant's retention policy's trash days) it can be restored
 * (with its search entries) or deleted for good by staff whose role may delete tickets, within
 * their ticket access. Then the upkeep deletes it for good (conversation.ts purgeTickets: every row
 * about it; its files after the commit). A ticket under a legal hold is never deleted for good.
 * Retention (the privacy module's policy) moves old solved tickets here, by the system.
 */

export const TRASH_DAYS = 30;

/** Most ids one restore_many or destroy_many takes. */
export const TRASH_MANY_MAX = 100;

const tref = refsOf("tickets");

function trashUser(ctx: RequestContext) {
  const actor = actorUser(ctx);
  if (!ticketPolicy.useWorkspace(actor) || !ticketPolicy.delete(actor)) throw forbidden("Deleted tickets are for staff whose role may delete tickets.");
  return actor;
}

export async function listDeleted(ctx: RequestContext, page: Page): Promise<{ views: DeletedTicketView[]; count: number | undefined }> {
  const actor = trashUser(ctx);
  const { rows, count } = await repo.listDeleted(ctx.tx, page, ticketPolicy.scope(actor));
  const people = await contactsByIds(ctx, rows.flatMap((r) => (r.deleted_by ? [r.deleted_by] : [])));
  const views = rows.map((r): DeletedTicketView => {
    const by = r.deleted_by ? people.get(r.deleted_by) : undefined;
    return {
      id: r.nice_id,
      subject: ctx.sealer.open(r.subject_sealed, tref(r.id, "subject")),
      description: ctx.sealer.open(r.description_sealed, tref(r.id, "description")),
      actor: by ? { id: by.niceId, name: by.name } : null,
      deleted_at: r.deleted_at!.toISOString(),
      previous_state: r.status,
    };
  });
  return { views, count };
}

async function deletedTicket(ctx: RequestContext, niceId: number) {
  const t = await repo.findDeletedForUpdate(ctx.tx, niceId, ticketPolicy.scope(trashUser(ctx)));
  if (!t) throw notFound();
  return t;
}

/** Restores deleted tickets (all or nothing: an id not in the trash answers 404 and restores none). */
export async function restore(ctx: RequestContext, niceIds: readonly number[]): Promise<void> {
  const found = [];
  for (const id of new Set(niceIds)) found.push(await deletedTicket(ctx, id));
  for (const t of found) await restoreTicket(ctx, t);
}

/**
 * Deletes deleted tickets for good (all or nothing, as restore). Their files are deleted once the
 * transaction commits (`afterCommit`).
 */
export async function destroy(deps: Pick<AppDeps, "blobs">, ctx: RequestContext, niceIds: readonly number[], afterCommit: (fn: () => Promise<void>) => void): Promise<void> {
  const found = [];
  for (const id of new Set(niceIds)) found.push(await deletedTicket(ctx, id));
  for (const t of found) if (await repo.isHeld(ctx.tx, t.id)) throw new AppError("Conflict", { description: `Ticket ${t.nice_id} is under a legal hold: it cannot be deleted for good until the hold is released.` });
  const files = (await purgeTickets(ctx, found)).attachmentIds;
  const tenantId = ctx.tx.tenantId;
  if (files.length) afterCommit(() => deleteBlobs(deps, tenantId, files));
}

const BATCH = 50;

/**
 * Deletes for good, in every tenant, tickets in the trash for longer than its trash days (TRASH_DAYS
 * unless the tenant's retention policy says otherwise), except held ones; audited by the system.
 */
export async function purgeExpiredTrash(deps: Pick<AppDeps, "db" | "keyring" | "blobs" | "hooks">, now: Date): Promise<number> {
  let purged = 0;
  await forEachTenant(deps.db, async (tenantId) => {
    for (;;) {
      const r = await deps.db.tenant(tenantId, async (tx) => {
        const ctx = makeContext({ tx, sealer: await deps.keyring.sealerFor(tx), actor: { kind: "system" }, now: () => now, hooks: deps.hooks });
        const before = new Date(now.getTime() - (await repo.trashDays(tx, TRASH_DAYS)) * 86_400_000);
        const old = await repo.expiredDeleted(tx, before, BATCH);
        const files = (await purgeTickets(ctx, old)).attachmentIds;
        return { n: old.length, files };
      });
      await deleteBlobs(deps, tenantId, r.files).catch(() => undefined); // a file left here is the attachments upkeep's
      purged += r.n;
      if (r.n < BATCH) break;
    }
  });
  return purged;
}

export function trashUpkeep(deps: Pick<AppDeps, "db" | "keyring" | "blobs" | "hooks">): MaintenanceTask[] {
  return [{ name: "tickets.trash", everyMs: 3600_000, shared: true, run: (now) => purgeExpiredTrash(deps, now).then(() => undefined) }];
}

// ---- Retention (the privacy module's policy decides; these do it) ----------------------------------

export type RetentionRule = { before: Date; excludedTags: readonly string[] };

/** What a retention run would move to the trash now: a capped count and the first tickets (a dry run). */
export async function retentionPreview(ctx: RequestContext, rule: RetentionRule, cap: number, shown: number) {
  const q = repo.retentionCandidates(ctx.tx, rule.before, rule.excludedTags);
  const counted = await ctx.tx.db.selectFrom(q.select("t.id").limit(cap + 1).as("c")).select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
  const rows = await q.select(["t.id", "t.nice_id", "t.subject_sealed", "t.status", "t.solved_at", "t.tags"]).orderBy("t.solved_at").orderBy("t.nice_id").limit(shown).execute();
  const n = Number(counted.n);
  return {
    count: Math.min(n, cap),
    capped: n > cap,
    tickets: rows.map((r) => ({ id: r.nice_id, subject: ctx.sealer.open(r.subject_sealed, tref(r.id, "subject")), status: r.status, solved_at: r.solved_at!.toISOString(), tags: r.tags })),
  };
}

/** Moves up to `limit` of retention's candidates to the trash, as the system (each deletion audited). Returns how many. */
export async function retentionBatch(ctx: RequestContext, rule: RetentionRule, limit: number): Promise<number> {
  const rows = await repo.retentionCandidates(ctx.tx, rule.before, rule.excludedTags).select(["t.id", "t.nice_id"]).orderBy("t.solved_at").limit(limit).forUpdate("t").skipLocked().execute();
  for (const t of rows) await deleteTicket(ctx, t);
  return rows.length;
}
