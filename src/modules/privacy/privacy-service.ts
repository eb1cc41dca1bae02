import crypto from "node:crypto";
import { actorUser, makeContext, type RequestContext } from "../../platform/context.ts";
import { refsOf } from "../../platform/crypto/sealed-columns.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { forbidden, invalid, notFound } from "../../platform/errors.ts";
import type { Page } from "../../platform/http/pagination.ts";
import type { MaintenanceTask } from "../../platform/jobs/job-runner.ts";
import { adminPolicy } from "../admin/admin-policy.ts";
import { audit } from "../audit/audit-service.ts";
import { resolveOrganization } from "../organizations/organizations-service.ts";
import { forEachTenant } from "../tenants/tenants-service.ts";
import { findTicketIdAnyState } from "../tickets/tickets-service.ts";
import { retentionBatch, retentionPreview, TRASH_DAYS } from "../tickets/trash-service.ts";
import { resolveUser } from "../users/users-service.ts";
import * as repo from "./privacy-repo.ts";
import type { LegalHoldView, RetentionPolicyView } from "./privacy-types.ts";

/**
 * Legal holds and retention (GDPR's storage limitation, and its exception: a legal claim).
 *  - A legal hold on a ticket, a person (the tickets they requested) or an organization (its
 *    tickets) keeps the trash's purge, retention runs and erasure away from what it covers,
 *    until an admin releases it. Holds are admins' only, audited, and never deleted.
 *  - A retention policy moves tickets solved or closed more than N days ago to the trash (except
 *    those with an excluded tag or under a hold), once an hour across all server processes, and
 *    sets how long the trash keeps them. A preview (dry run) says what would go.
 */

const hrefOf = refsOf("legal_holds");

function admin(ctx: RequestContext) {
  const actor = actorUser(ctx);
  if (!adminPolicy.manage(actor)) throw forbidden("Legal holds and retention are for owners and admins.");
  return actor;
}

function holdView(ctx: RequestContext, h: repo.HoldRow): LegalHoldView {
  return {
    id: Number(h.nice_id),
    target_type: h.target_kind,
    target_id: h.target_nice === null ? null : Number(h.target_nice),
    reason: ctx.sealer.open(h.reason_sealed, hrefOf(h.id, "reason")),
    active: h.released_at === null,
    created_by_id: h.created_by_nice === null ? null : Number(h.created_by_nice),
    created_at: h.created_at.toISOString(),
    released_by_id: h.released_by_nice === null ? null : Number(h.released_by_nice),
    released_at: h.released_at?.toISOString() ?? null,
  };
}

export async function listHolds(ctx: RequestContext, page: Page, activeOnly: boolean) {
  admin(ctx);
  const { rows, count } = await repo.listHolds(ctx.tx, page, activeOnly);
  return { views: rows.map((h) => holdView(ctx, h)), count };
}

export async function showHold(ctx: RequestContext, niceId: number): Promise<LegalHoldView> {
  admin(ctx);
  const h = await repo.findHold(ctx.tx, niceId);
  if (!h) throw notFound();
  return holdView(ctx, h);
}

/** The internal id of a hold's target, inside the tenant (a deleted ticket can be held: its purge waits). */
async function targetOf(ctx: RequestContext, kind: repo.HoldKind, niceId: number): Promise<string> {
  const missing = () => invalid("target_id", `Target: no such ${kind}`);
  switch (kind) {
    case "ticket":
      return (await findTicketIdAnyState(ctx, niceId)) ?? Promise.reject(missing());
    case "user":
      return (await resolveUser(ctx, niceId).catch(() => Promise.reject(missing()))).id;
    case "organization":
      return (await resolveOrganization(ctx, niceId).catch(() => Promise.reject(missing()))).id;
  }
}

export async function createHold(ctx: RequestContext, input: { target_type: repo.HoldKind; target_id: number; reason: string }): Promise<LegalHoldView> {
  const actor = admin(ctx);
  const targetId = await targetOf(ctx, input.target_type, input.target_id);
  const existing = await repo.activeHoldOn(ctx.tx, input.target_type, targetId);
  if (existing) throw invalid("target_id", `Target: already under legal hold ${existing.nice_id}`);
  const id = crypto.randomUUID();
  const niceId = await repo.insertHold(ctx.tx, { id, target_kind: input.target_type, target_id: targetId, reason_sealed: ctx.sealer.seal(input.reason, hrefOf(id, "reason")), created_by: actor.userId });
  audit(ctx, { action: "legal_hold.created", resourceType: "legal_hold", resourceId: niceId, fields: ["target_type", "target_id", "reason"] });
  return showHold(ctx, niceId);
}

/** Releases a hold (a released one answers as it is, unchanged). */
export async function releaseHold(ctx: RequestContext, niceId: number): Promise<LegalHoldView> {
  const actor = admin(ctx);
  const h = await repo.findHold(ctx.tx, niceId);
  if (!h) throw notFound();
  if (await repo.releaseHold(ctx.tx, h.id, actor.userId, ctx.now())) audit(ctx, { action: "legal_hold.released", resourceType: "legal_hold", resourceId: niceId });
  return showHold(ctx, niceId);
}

// ---- Retention ----------------------------------------------------------------------------------

const DEFAULT_POLICY = { enabled: false, solved_days: 365, excluded_tags: [] as string[], trash_days: TRASH_DAYS, audit_hot_days: 90, audit_purge_days: 30 };

async function policyOf(ctx: RequestContext) {
  const p = await repo.findPolicy(ctx.tx);
  return p
    ? { enabled: p.enabled, solved_days: p.solved_days, excluded_tags: p.excluded_tags, trash_days: p.trash_days, audit_hot_days: p.audit_hot_days, audit_purge_days: p.audit_purge_days, last_run_at: p.last_run_at }
    : { ...DEFAULT_POLICY, last_run_at: null };
}

export async function showPolicy(ctx: RequestContext): Promise<RetentionPolicyView> {
  admin(ctx);
  const p = await policyOf(ctx);
  return { ...p, last_run_at: p.last_run_at?.toISOString() ?? null };
}

export async function updatePolicy(ctx: RequestContext, input: Partial<{ enabled: boolean; solved_days: number; excluded_tags: string[]; trash_days: number; audit_hot_days: number; audit_purge_days: number }>): Promise<RetentionPolicyView> {
  admin(ctx);
  const p = await policyOf(ctx);
  const next = {
    enabled: input.enabled ?? p.enabled,
    solved_days: input.solved_days ?? p.solved_days,
    excluded_tags: [...new Set(input.excluded_tags ?? p.excluded_tags)],
    trash_days: input.trash_days ?? p.trash_days,
    audit_hot_days: input.audit_hot_days ?? p.audit_hot_days,
    audit_purge_days: input.audit_purge_days ?? p.audit_purge_days,
  };
  await repo.savePolicy(ctx.tx, next, ctx.now());
  audit(ctx, { action: "retention_policy.updated", resourceType: "retention_policy", resourceId: "account", fields: Object.keys(input).sort() });
  return showPolicy(ctx);
}

/** Counted this far, at most (a preview reads no more). */
export const PREVIEW_CAP = 10_000;
const PREVIEW_SHOWN = 100;

/** What the policy (or the given overrides) would move to the trash now: a dry run, nothing changes. */
export async function previewRetention(ctx: RequestContext, overrides: { solved_days?: number | undefined; excluded_tags?: string[] | undefined }) {
  admin(ctx);
  const p = await policyOf(ctx);
  const before = new Date(ctx.now().getTime() - (overrides.solved_days ?? p.solved_days) * 86_400_000);
  const r = await retentionPreview(ctx, { before, excludedTags: overrides.excluded_tags ?? p.excluded_tags }, PREVIEW_CAP, PREVIEW_SHOWN);
  return { count: r.count, count_capped: r.capped, solved_before: before.toISOString(), tickets: r.tickets };
}

/** Tickets one retention transaction moves (each is an update, its search entries and an audit entry). */
const RUN_BATCH = 100;
/**
 * The same on a database that runs one transaction at a time (PGlite): every request waits behind
 * the batch, so it is kept to a few tens of milliseconds, with a pause after it for the requests
 * that queued meanwhile (measured: `npm run bench -- --compliance`, bench/README.md).
 */
const RUN_BATCH_SERIALIZED = 10;
const SERIALIZED_PAUSE_MS = 15;
/** Most tickets one run moves per tenant (the next run, an hour later, goes on). */
const RUN_MAX = 20_000;

/** One retention run over every tenant whose policy is on; audited per tenant (`retention.ran`). */
export async function runRetention(deps: Pick<AppDeps, "db" | "keyring" | "hooks">, now: Date): Promise<number> {
  let moved = 0;
  await forEachTenant(deps.db, async (tenantId) => {
    let done = 0;
    let serialized = false;
    for (;;) {
      const n = await deps.db.tenant(tenantId, async (tx) => {
        serialized = tx.serialized;
        const size = tx.serialized ? RUN_BATCH_SERIALIZED : RUN_BATCH;
        const ctx = makeContext({ tx, sealer: await deps.keyring.sealerFor(tx), actor: { kind: "system" }, now: () => now, hooks: deps.hooks });
        const p = await repo.findPolicy(tx);
        if (!p?.enabled) return -1;
        const k = await retentionBatch(ctx, { before: new Date(now.getTime() - p.solved_days * 86_400_000), excludedTags: p.excluded_tags }, size);
        if (k < size || done + k >= RUN_MAX) {
          await repo.markRun(tx, now);
          audit(ctx, { action: "retention.ran", resourceType: "retention_policy", resourceId: "account" });
        }
        return k;
      });
      if (n < 0) break;
      done += n;
      if (n < (serialized ? RUN_BATCH_SERIALIZED : RUN_BATCH) || done >= RUN_MAX) break;
      if (serialized) await new Promise((r) => setTimeout(r, SERIALIZED_PAUSE_MS));
    }
    moved += done;
  });
  return moved;
}

export function retentionUpkeep(deps: Pick<AppDeps, "db" | "keyring" | "hooks">): MaintenanceTask[] {
  return [{ name: "privacy.retention", everyMs: 3600_000, shared: true, run: (now) => runRetention(deps, now).then(() => undefined) }];
}

/** For other modules (closing the account): how many legal holds are in force, with no check of who asks. */
export async function countActiveHolds(ctx: RequestContext): Promise<number> {
  return repo.countActiveHolds(ctx.tx);
}
