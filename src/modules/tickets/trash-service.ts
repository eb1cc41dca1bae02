import { actorUser, makeContext, type RequestContext } from "../../platform/context.ts";
import { refsOf } from "../../platform/crypto/sealed-columns.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { forbidden, notFound } from "../../platform/errors.ts";
import type { Page } from "../../platform/http/pagination.ts";
import type { MaintenanceTask } from "../../platform/jobs/job-runner.ts";
import { forEachTenant } from "../tenants/tenants-service.ts";
import { contactsByIds } from "../users/users-service.ts";
import { deleteBlobs } from "./attachments-service.ts";
import { purgeTicket, restoreTicket } from "./conversation.ts";
import { ticketPolicy } from "./tickets-policy.ts";
import * as repo from "./tickets-repo.ts";
import type { DeletedTicketView } from "./tickets-types.ts";

/**
 * The trash (Zendesk's deleted tickets): a deleted ticket leaves every list, view, search and count
 * at once, and for TRASH_DAYS it can be restored (with its search entries) or deleted for good by
 * staff whose role may delete tickets, within their ticket access. Then the upkeep deletes it for
 * good (conversation.ts purgeTicket: every row about it; its files after the commit).
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
  const files: string[] = [];
  for (const t of found) files.push(...(await purgeTicket(ctx, t)).attachmentIds);
  const tenantId = ctx.tx.tenantId;
  if (files.length) afterCommit(() => deleteBlobs(deps, tenantId, files));
}

const BATCH = 50;

/** Deletes for good, in every tenant, tickets in the trash for longer than TRASH_DAYS (audited by the system). */
export async function purgeExpiredTrash(deps: Pick<AppDeps, "db" | "keyring" | "blobs" | "hooks">, now: Date): Promise<number> {
  const before = new Date(now.getTime() - TRASH_DAYS * 86_400_000);
  let purged = 0;
  await forEachTenant(deps.db, async (tenantId) => {
    for (;;) {
      const r = await deps.db.tenant(tenantId, async (tx) => {
        const ctx = makeContext({ tx, sealer: await deps.keyring.sealerFor(tx), actor: { kind: "system" }, now: () => now, hooks: deps.hooks });
        const old = await repo.expiredDeleted(tx, before, BATCH);
        const files: string[] = [];
        for (const t of old) files.push(...(await purgeTicket(ctx, t)).attachmentIds);
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
  return [{ name: "tickets.trash", everyMs: 3600_000, run: (now) => purgeExpiredTrash(deps, now).then(() => undefined) }];
}
