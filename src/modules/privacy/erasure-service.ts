import crypto from "node:crypto";
import { actorUser, makeContext, type RequestContext } from "../../platform/context.ts";
import { refsOf } from "../../platform/crypto/sealed-columns.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { AppError, forbidden, notFound, statusOf } from "../../platform/errors.ts";
import { parsePage, type Page } from "../../platform/http/pagination.ts";
import type { MaintenanceTask } from "../../platform/jobs/job-runner.ts";
import { audit } from "../audit/audit-service.ts";
import { forgetPersonExports } from "../exports/exports-service.ts";
import { forgetSenderMail } from "../mail/mail-retention.ts";
import { indexUser } from "../search/people-index.ts";
import { searchTickets } from "../search/search-service.ts";
import { forEachTenant } from "../tenants/tenants-service.ts";
import { deleteBlobs } from "../tickets/attachments-service.ts";
import { eraseTicketsOf, ticketsErasurePreview } from "../tickets/person-erasure.ts";
import { userPolicy } from "../users/users-policy.ts";
import * as repo from "./erasure-repo.ts";
import { requireRecentSignInOnSession } from "../../platform/recent-sign-in.ts";
import type { DeletedUserView, ErasurePreviewView, ErasureReceiptView } from "./erasure-types.ts";

/**
 * Deleted people and erasure (GDPR art. 17; Zendesk's deleted users API).
 *  - `DELETE /users/{id}` deactivates a person (users-admin.ts): they are listed in
 *    `/deleted_users` and can be restored for DELETED_USER_DAYS.
 *  - Erasure (`DELETE /deleted_users/{id}`, or the upkeep once those days are over) destroys every
 *    row about the person: tickets where they are the only party, their comments in shared tickets
 *    (end users), their files, the mail they sent, sessions, tokens, second factors, passkeys,
 *    consent records, memberships and their search entries. The users row stays as a tombstone
 *    named only by a random pseudonym, so audit entries, staff replies and shared tickets keep a
 *    reference that identifies nobody; the audit chain is not touched and still verifies.
 *  - A legal hold on the person or on a ticket they are a party to refuses the erasure (409).
 *  - Each erasure leaves a receipt: what was deleted and what was kept under which legal basis,
 *    bound to the audit entry that records it (its sequence number and chain hash).
 */

export const DELETED_USER_DAYS = 30;

const uref = refsOf("users");

function admin(ctx: RequestContext) {
  const actor = actorUser(ctx);
  if (!userPolicy.manageRoles(actor)) throw forbidden("Deleted people are for owners and admins.");
  return actor;
}

function deletedView(ctx: RequestContext, u: repo.DeletedUserRow): DeletedUserView {
  const open = (v: Uint8Array | null, column: "name" | "email" | "phone") => (v ? ctx.sealer.open(v, uref(u.id, column)) : null);
  const deletedAt = u.deleted_at!;
  return {
    id: Number(u.nice_id),
    url: `${ctx.apiBase}/deleted_users/${u.nice_id}.json`,
    name: open(u.name_sealed, "name") ?? "",
    email: open(u.email_sealed, "email"),
    phone: open(u.phone_sealed, "phone"),
    role: u.role === "end_user" ? "end-user" : u.role === "agent" || u.role === "light_agent" ? "agent" : "admin",
    active: false,
    created_at: u.created_at.toISOString(),
    updated_at: u.updated_at.toISOString(),
    deleted_at: deletedAt.toISOString(),
    deleted_by_id: u.deleted_by_nice === null ? null : Number(u.deleted_by_nice),
    erase_after: new Date(deletedAt.getTime() + DELETED_USER_DAYS * 86_400_000).toISOString(),
  };
}

export async function listDeletedUsers(ctx: RequestContext, page: Page) {
  admin(ctx);
  const { rows, count } = await repo.listDeleted(ctx.tx, page);
  return { views: rows.map((u) => deletedView(ctx, u)), count };
}

async function deletedUser(ctx: RequestContext, niceId: number): Promise<repo.DeletedUserRow> {
  const u = await repo.findDeletedForUpdate(ctx.tx, niceId);
  if (!u || u.support) throw notFound();
  return u;
}

export async function showDeletedUser(ctx: RequestContext, niceId: number): Promise<DeletedUserView> {
  admin(ctx);
  return deletedView(ctx, await deletedUser(ctx, niceId));
}

/** Brings a deleted person back (active again; their sessions and tokens stay ended). */
export async function restoreDeletedUser(ctx: RequestContext, niceId: number): Promise<DeletedUserView> {
  const actor = admin(ctx);
  const u = await deletedUser(ctx, niceId);
  if ((u.role === "owner" || u.role === "admin") && actor.role !== "owner") throw forbidden("Only an owner can restore an owner or an admin.");
  // Deleting took the person's passkeys (and sessions); a restored staff member signs in with their
  // password alone. Deleting and restoring must not be a way round resetting a second factor,
  // which needs a recent sign-in (two-factor-service.ts resetByAdmin): so does this.
  // Nor by an application (OAuth), which is refused those routes (platform/http/scopes.ts).
  if (u.role !== "end_user") {
    if (actor.via === "oauth") throw forbidden("An application cannot restore a staff member.");
    requireRecentSignInOnSession(ctx, "restore a staff member");
  }
  await repo.undelete(ctx.tx, u.id);
  const name = ctx.sealer.open(u.name_sealed, uref(u.id, "name"));
  const email = u.email_sealed ? ctx.sealer.open(u.email_sealed, uref(u.id, "email")) : null;
  await indexUser(ctx, { id: u.id, name, email });
  audit(ctx, { action: "user.restored", resourceType: "user", resourceId: u.nice_id, fields: ["active"] });
  return { ...deletedView(ctx, u), active: true };
}

/** Quoted phrase for the search syntax (quotes inside dropped). */
const phrase = (s: string) => `"${s.replace(/["\\]/g, " ").trim()}"`;

/**
 * What erasing a deleted person would do, without doing it: the tickets deleted, the comments
 * erased, the rows deleted, the holds in the way, and mentions of their name, address or phone in
 * other tickets (found through the search index, offered for redaction: erasure cannot tell a
 * mention from a namesake).
 */
export async function erasurePreview(ctx: RequestContext, niceId: number): Promise<ErasurePreviewView> {
  admin(ctx);
  const u = await deletedUser(ctx, niceId);
  const t = await ticketsErasurePreview(ctx, { id: u.id, endUser: u.role === "end_user" });
  const own = await repo.countOwnRows(ctx.tx, u.id);
  const holds = await repo.holdsAgainst(ctx.tx, u.id);
  const found = new Map<number, Set<"name" | "email" | "phone">>();
  const looks: Array<["name" | "email" | "phone", string | null]> = [
    ["name", ctx.sealer.open(u.name_sealed, uref(u.id, "name"))],
    ["email", u.email_sealed ? ctx.sealer.open(u.email_sealed, uref(u.id, "email")) : null],
    ["phone", u.phone_sealed ? ctx.sealer.open(u.phone_sealed, uref(u.id, "phone")) : null],
  ];
  const deleted = new Set(t.tickets);
  for (const [kind, value] of looks) {
    if (!value || value.replace(/["\\\s]/g, "").length < 3) continue;
    // A name the query syntax cannot take as a phrase (punctuation only, say) finds nothing.
    const r = await searchTickets(ctx, phrase(value), parsePage({ per_page: 100 })).catch((e: unknown) => {
      if (e instanceof AppError && statusOf[e.code] === 422) return { views: [] as Array<{ id: number }> };
      throw e;
    });
    for (const v of r.views) {
      if (deleted.has(v.id)) continue;
      const kinds = found.get(v.id) ?? new Set();
      kinds.add(kind);
      found.set(v.id, kinds);
    }
  }
  return {
    user_id: Number(u.nice_id),
    tickets_deleted: t.tickets,
    comments_erased: t.comments,
    rows_deleted: own,
    legal_hold_ids: holds,
    mentions: [...found].sort((a, b) => a[0] - b[0]).map(([ticket_id, kinds]) => ({ ticket_id, found_by: [...kinds].sort() })),
  };
}

type After = (fn: () => Promise<void>) => void;

/** Erases a deleted person for good (admins; refused with 409 under a legal hold). */
export async function eraseDeletedUser(deps: Pick<AppDeps, "blobs">, ctx: RequestContext, niceId: number, afterCommit: After): Promise<ErasureReceiptView> {
  const actor = admin(ctx);
  const u = await deletedUser(ctx, niceId);
  if ((u.role === "owner" || u.role === "admin") && actor.role !== "owner") throw forbidden("Only an owner can erase an owner or an admin.");
  const holds = await repo.holdsAgainst(ctx.tx, u.id);
  if (holds.length) throw new AppError("Conflict", { description: `This person's data is under legal hold ${holds.join(", ")}: it cannot be erased until the hold is released.` });
  const receipt = await erase(deps, ctx, u, "request", afterCommit);
  return receipt;
}

async function erase(deps: Pick<AppDeps, "blobs">, ctx: RequestContext, u: repo.DeletedUserRow, cause: "request" | "expiry", afterCommit: After): Promise<ErasureReceiptView> {
  const endUser = u.role === "end_user";
  const ratings = await repo.deleteRatingsGiven(ctx.tx, u.id);
  const tickets = await eraseTicketsOf(ctx, { id: u.id, endUser });
  const mail = await forgetSenderMail(deps, ctx, u.email_bidx ? Buffer.from(u.email_bidx) : null, tickets.commentIds, afterCommit);
  const exports = await forgetPersonExports(deps, ctx, u.id, afterCommit);
  const own = await repo.deleteOwnRows(ctx.tx, u.id);
  const requests = await repo.requestsAbout(ctx.tx, u.id);
  await indexUser(ctx, { id: u.id, removed: true });
  const pseudonym = crypto.randomBytes(6).toString("hex");
  const at = ctx.now();
  await repo.tombstone(ctx.tx, u.id, ctx.sealer.seal(`Deleted user ${pseudonym}`, uref(u.id, "name")), pseudonym, at);
  const entryId = audit(ctx, { action: "user.erased", resourceType: "user", resourceId: u.nice_id });
  const erasedBy = ctx.actor.kind === "user" ? ctx.actor.niceId : null;
  const body: ReceiptBody = {
    schema: "vaultdesk.erasure-receipt",
    version: 1,
    deleted: {
      profile: ["name", "email", "phone", "external_id", "tags", "organization", "password", "locale", "time_zone"],
      tickets: tickets.tickets,
      comments_erased: tickets.comments,
      attachments: tickets.attachmentIds.length + own.attachmentIds.length,
      mail_messages: mail.messages,
      suspended_tickets: mail.suspended,
      data_exports: exports,
      ...own.counts,
      satisfaction_ratings: ratings,
      search_entries: "all",
    },
    kept: [
      { what: "audit_trail", detail: "Audit entries about the person's actions keep their number, which now names only the pseudonym: no name, address or other personal value is left to link it to.", basis: "GDPR art. 5(2) and 17(3)(b), (e): records kept to show compliance and for legal claims." },
      ...(tickets.sharedTickets > 0 ? [{ what: "shared_tickets", count: tickets.sharedTickets, detail: "Tickets the person requested that other people take part in stay, with the requester shown as the pseudonym; the person's own comments in them are erased.", basis: "GDPR art. 17 reaches the person's data, not the other parties'." }] : []),
      ...(!endUser ? [{ what: "staff_contributions", detail: "Replies and notes written as staff stay, attributed to the pseudonym.", basis: "GDPR art. 6(1)(f): the customers' record of their conversations." }] : []),
      ...(requests > 0 ? [{ what: "data_subject_requests", count: requests, detail: "The person's requests about their data and how they were answered stay, with staff's notes, naming the pseudonym.", basis: "GDPR art. 5(2) and 12: the record that the person's rights were answered." }] : []),
      { what: "mentions", detail: "Mentions of the person's name, address or phone in other people's tickets are not removed automatically; the erasure preview lists them for redaction.", basis: "A mention cannot be told from a namesake without a person's judgement." },
    ],
  };
  const receiptNice = await repo.insertReceipt(ctx.tx, { id: crypto.randomUUID(), user_nice_id: Number(u.nice_id), pseudonym, erased_at: at, erased_by_nice: erasedBy, cause, receipt: body, audit_entry_id: entryId });
  const files = [...tickets.attachmentIds, ...own.attachmentIds];
  const tenantId = ctx.tx.tenantId;
  if (files.length) afterCommit(() => deleteBlobs(deps, tenantId, files));
  return receiptView({ nice_id: receiptNice, user_nice_id: Number(u.nice_id), pseudonym, erased_at: at, erased_by_nice: erasedBy, cause, receipt: body, audit_entry_id: entryId, audit_seq: null, audit_hash: null });
}

type ReceiptBody = {
  schema: "vaultdesk.erasure-receipt";
  version: 1;
  deleted: Record<string, number | string | string[]>;
  kept: Array<{ what: string; count?: number; detail: string; basis: string }>;
};

function receiptView(r: repo.ReceiptRow | (Omit<repo.ReceiptRow, "receipt"> & { receipt: ReceiptBody })): ErasureReceiptView {
  const body = (typeof r.receipt === "string" ? JSON.parse(r.receipt) : r.receipt) as ReceiptBody;
  return {
    id: Number(r.nice_id),
    user_id: Number(r.user_nice_id),
    pseudonym: r.pseudonym,
    erased_at: r.erased_at.toISOString(),
    erased_by_id: r.erased_by_nice === null ? null : Number(r.erased_by_nice),
    cause: r.cause,
    schema: body.schema,
    version: body.version,
    deleted: body.deleted,
    kept: body.kept,
    audit_entry: { id: r.audit_entry_id, seq: r.audit_seq === null ? null : Number(r.audit_seq), hash: r.audit_hash ? Buffer.from(r.audit_hash).toString("hex") : null },
  };
}

export async function listReceipts(ctx: RequestContext, page: Page) {
  admin(ctx);
  const { rows, count } = await repo.listReceipts(ctx.tx, page);
  return { views: rows.map(receiptView), count };
}

export async function showReceipt(ctx: RequestContext, niceId: number): Promise<ErasureReceiptView> {
  admin(ctx);
  const r = await repo.findReceipt(ctx.tx, niceId);
  if (!r) throw notFound();
  return receiptView(r);
}

const BATCH = 20;

/**
 * Erases, in every tenant, people deleted more than DELETED_USER_DAYS ago (by the system, audited,
 * with a receipt), except those a legal hold covers: they wait for its release.
 */
export async function eraseExpiredDeletedUsers(deps: Pick<AppDeps, "db" | "keyring" | "blobs" | "hooks">, now: Date): Promise<number> {
  let erased = 0;
  await forEachTenant(deps.db, async (tenantId) => {
    const skipped = new Set<number>();
    for (;;) {
      const after: Array<() => Promise<void>> = [];
      const n = await deps.db.tenant(tenantId, async (tx) => {
        const ctx = makeContext({ tx, sealer: await deps.keyring.sealerFor(tx), actor: { kind: "system" }, now: () => now, hooks: deps.hooks });
        const due = (await repo.expiredDeleted(tx, new Date(now.getTime() - DELETED_USER_DAYS * 86_400_000), BATCH + skipped.size)).filter((id) => !skipped.has(id));
        let done = 0;
        for (const niceId of due.slice(0, BATCH)) {
          const u = await repo.findDeletedForUpdate(tx, niceId);
          if (!u || u.support || (await repo.holdsAgainst(tx, u.id)).length) {
            skipped.add(niceId);
            continue;
          }
          await erase(deps, ctx, u, "expiry", (fn) => after.push(fn));
          done++;
        }
        return { done, more: due.length > BATCH };
      });
      for (const fn of after) await fn().catch(() => undefined); // a file left here is the attachments upkeep's
      erased += n.done;
      if (!n.more && n.done === 0) break;
      if (!n.more) break;
    }
  });
  return erased;
}

export function erasureUpkeep(deps: Pick<AppDeps, "db" | "keyring" | "blobs" | "hooks">): MaintenanceTask[] {
  return [{ name: "users.erasure", everyMs: 3600_000, shared: true, run: (now) => eraseExpiredDeletedUsers(deps, now).then(() => undefined) }];
}
