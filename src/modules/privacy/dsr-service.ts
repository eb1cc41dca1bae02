import crypto from "node:crypto";
import { actorUser, makeContext, type RequestContext } from "../../platform/context.ts";
import { refsOf } from "../../platform/crypto/sealed-columns.ts";
import type { DsrKind, DsrRegime, DsrStatus, DsrVerificationMethod } from "../../platform/db/schema.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { forbidden, invalid, notFound } from "../../platform/errors.ts";
import type { Page } from "../../platform/http/pagination.ts";
import type { MaintenanceTask } from "../../platform/jobs/job-runner.ts";
import { queueMail } from "../../platform/jobs/mail-job.ts";
import { audit } from "../audit/audit-service.ts";
import { isRecentSignIn } from "../../platform/recent-sign-in.ts";
import { currentTenant, forEachTenant } from "../tenants/tenants-service.ts";
import { adminContacts, findUserByEmail, resolveUser } from "../users/users-service.ts";
import { dsrReminderMail } from "./dsr-mail.ts";
import { dsrPolicy } from "./dsr-policy.ts";
import * as repo from "./dsr-repo.ts";
import type { DsrEvidence, DsrSettingsView, DsrView, OwnDsrView } from "./dsr-types.ts";

/**
 * Data subject requests (GDPR articles 15–21; CCPA's requests to know, delete and correct): the
 * record of a person's request about their data and of how it was answered, against the deadline
 * of its regime. The request records the work; exports and erasure are done by their own features.
 *  - Owners and admins record requests (for a person of the account, or an address not known yet),
 *    verify the person, move the request through its workflow (dsr-policy.ts) and download the
 *    evidence: every step with what, when and who. Every write is audited and appended as a step.
 *  - A signed-in person asks for themselves; being signed in is their verification.
 *  - due_at = created_at + the regime's days in the account's settings at creation (a later change
 *    of the settings does not move existing deadlines).
 *  - Once a day, owners and admins get a content-free reminder when requests are overdue or due
 *    within three days.
 * The person's address and every note are sealed (personal data).
 */

const ref = refsOf("data_subject_requests");
const eventRef = refsOf("data_subject_request_events");
const DAY = 86_400_000;
export const DEFAULT_SETTINGS = { gdpr_days: 30, ccpa_days: 45, default_regime: "gdpr" as DsrRegime };
/** Requests due within this many days are in the reminder (with the overdue ones). */
export const REMIND_SOON_DAYS = 3;

function admin(ctx: RequestContext) {
  const actor = actorUser(ctx);
  if (!dsrPolicy.manage(actor)) throw forbidden("Data subject requests are for owners and admins.");
  return actor;
}

const iso = (d: Date | null) => d?.toISOString() ?? null;
const num = (n: number | string | null) => (n === null ? null : Number(n));
const openOrNull = (ctx: RequestContext, v: Uint8Array | null, r: ReturnType<typeof ref>) => (v ? ctx.sealer.open(v, r) : null);
const isOpen = (s: DsrStatus) => s === "new" || s === "verifying" || s === "in_progress";

function view(ctx: RequestContext, r: repo.RequestRow): DsrView {
  return {
    id: Number(r.nice_id),
    type: r.kind,
    regime: r.regime,
    status: r.status,
    source: r.source,
    user_id: num(r.subject_nice),
    email: openOrNull(ctx, r.subject_email_sealed, ref(r.id, "subject_email")),
    note: openOrNull(ctx, r.note_sealed, ref(r.id, "note")),
    resolution_note: openOrNull(ctx, r.resolution_sealed, ref(r.id, "resolution")),
    assignee_id: num(r.assignee_nice),
    verified: r.verified_at !== null,
    verification_method: r.verification_method,
    verified_by_id: num(r.verified_by_nice),
    verified_at: iso(r.verified_at),
    created_by_id: num(r.created_by_nice),
    created_at: r.created_at.toISOString(),
    due_at: r.due_at.toISOString(),
    overdue: isOpen(r.status) && r.due_at.getTime() < ctx.now().getTime(),
    closed_at: iso(r.closed_at),
    updated_at: r.updated_at.toISOString(),
  };
}

const ownView = (ctx: RequestContext, r: repo.RequestRow): OwnDsrView => ({
  id: Number(r.nice_id),
  type: r.kind,
  regime: r.regime,
  status: r.status,
  note: openOrNull(ctx, r.note_sealed, ref(r.id, "note")),
  created_at: r.created_at.toISOString(),
  due_at: r.due_at.toISOString(),
  closed_at: iso(r.closed_at),
});

async function find(ctx: RequestContext, niceId: number): Promise<repo.RequestRow> {
  const r = await repo.findRequest(ctx.tx, niceId);
  if (!r) throw notFound();
  return r;
}

async function settingsOf(ctx: RequestContext) {
  const s = await repo.findSettings(ctx.tx);
  return s ? { gdpr_days: s.gdpr_days, ccpa_days: s.ccpa_days, default_regime: s.default_regime, updated_at: s.updated_at } : { ...DEFAULT_SETTINGS, updated_at: null };
}

async function step(ctx: RequestContext, requestId: string, e: { action: "created" | "verified" | "status_changed" | "assigned" | "noted"; from?: DsrStatus; to?: DsrStatus; detail?: string; note?: string | undefined }) {
  const id = crypto.randomUUID();
  await repo.insertEvent(ctx.tx, {
    id,
    request_id: requestId,
    action: e.action,
    from_status: e.from ?? null,
    to_status: e.to ?? null,
    detail: e.detail ?? null,
    note_sealed: e.note ? ctx.sealer.seal(e.note, eventRef(id, "note")) : null,
    actor_id: ctx.actor.kind === "user" ? ctx.actor.userId : null,
    at: ctx.now(),
  });
}

export async function listRequests(ctx: RequestContext, page: Page, f: { status?: DsrStatus | undefined; overdue?: boolean }) {
  admin(ctx);
  const { rows, count } = await repo.listRequests(ctx.tx, page, { status: f.status, overdueAt: f.overdue ? ctx.now() : undefined });
  return { views: rows.map((r) => view(ctx, r)), count };
}

export async function showRequest(ctx: RequestContext, niceId: number): Promise<DsrView> {
  admin(ctx);
  return view(ctx, await find(ctx, niceId));
}

type NewRequest = {
  kind: DsrKind;
  regime: DsrRegime;
  source: "staff" | "self";
  subjectUserId: string | null;
  email: string | null;
  note: string | undefined;
  verifiedAs?: DsrVerificationMethod;
};

async function insert(ctx: RequestContext, n: NewRequest): Promise<number> {
  const actorId = actorUser(ctx).userId;
  const s = await settingsOf(ctx);
  const now = ctx.now();
  const id = crypto.randomUUID();
  const days = n.regime === "gdpr" ? s.gdpr_days : s.ccpa_days;
  const niceId = await repo.insertRequest(ctx.tx, {
    id,
    kind: n.kind,
    regime: n.regime,
    source: n.source,
    subject_user_id: n.subjectUserId,
    subject_email_sealed: n.email === null ? null : ctx.sealer.seal(n.email, ref(id, "subject_email")),
    note_sealed: n.note ? ctx.sealer.seal(n.note, ref(id, "note")) : null,
    verification_method: n.verifiedAs ?? null,
    verified_by: n.verifiedAs ? actorId : null,
    verified_at: n.verifiedAs ? now : null,
    created_by: actorId,
    created_at: now,
    due_at: new Date(now.getTime() + days * DAY),
    updated_at: now,
  });
  await step(ctx, id, { action: "created", to: "new", detail: n.source });
  if (n.verifiedAs) await step(ctx, id, { action: "verified", detail: n.verifiedAs });
  const fields = ["type", "regime", n.subjectUserId ? "user_id" : "email", ...(n.note ? ["note"] : []), ...(n.verifiedAs ? ["verification_method"] : [])];
  audit(ctx, { action: "data_subject_request.created", resourceType: "data_subject_request", resourceId: niceId, fields });
  return niceId;
}

/** An admin records a request for a person of the account (`user_id`) or an address (a person known by it is linked). */
export async function createRequest(
  ctx: RequestContext,
  input: { type: DsrKind; regime?: DsrRegime | undefined; user_id?: number | undefined; email?: string | undefined; note?: string | undefined },
): Promise<DsrView> {
  admin(ctx);
  let subjectUserId: string | null = null;
  let email: string | null = null;
  if (input.user_id !== undefined) {
    subjectUserId = (await resolveUser(ctx, input.user_id).catch(() => Promise.reject(invalid("user_id", "User: no such person in this account")))).id;
  } else if (input.email !== undefined) {
    const known = await findUserByEmail(ctx, input.email);
    if (known) subjectUserId = known.id;
    else email = input.email;
  }
  const regime = input.regime ?? (await settingsOf(ctx)).default_regime;
  const niceId = await insert(ctx, { kind: input.type, regime, source: "staff", subjectUserId, email, note: input.note || undefined });
  return showRequest(ctx, niceId);
}

/**
 * A signed-in person asks about their own data: verified by their session when it began with a
 * recent sign-in of theirs (platform/recent-sign-in.ts isRecentSignIn). An older session, or one opened
 * by a link staff made, files the request unverified: staff verify the person another way before
 * acting on it (an old or stolen cookie must not ask, verified, for the account's erasure).
 */
export async function createOwnRequest(ctx: RequestContext, input: { type: DsrKind; note?: string | undefined }): Promise<OwnDsrView> {
  const actor = actorUser(ctx);
  if (!dsrPolicy.askForSelf(actor)) throw forbidden("Only the person themselves can ask about their data.");
  const regime = (await settingsOf(ctx)).default_regime;
  const verified = actor.via === "session" && isRecentSignIn(ctx);
  const niceId = await insert(ctx, { kind: input.type, regime, source: "self", subjectUserId: actor.userId, email: null, note: input.note || undefined, ...(verified ? { verifiedAs: "signed_in_session" as const } : {}) });
  return ownView(ctx, await find(ctx, niceId));
}

/** The caller's own requests, newest first. */
export async function listOwnRequests(ctx: RequestContext, page: Page) {
  const actor = actorUser(ctx);
  const { rows, count } = await repo.listRequests(ctx.tx, page, { subjectUserId: actor.userId });
  return { views: rows.map((r) => ownView(ctx, r)), count };
}

/** Changes the status (the workflow's rules), the assignee (an owner or admin) and/or records a note. */
export async function updateRequest(ctx: RequestContext, niceId: number, input: { status?: DsrStatus | undefined; note?: string | undefined; assignee_id?: number | null | undefined }): Promise<DsrView> {
  admin(ctx);
  const r = await find(ctx, niceId);
  const note = input.note || undefined;
  const change: repo.RequestChange = {};
  const fields: string[] = [];
  const toStatus = input.status !== undefined && input.status !== r.status ? input.status : undefined;
  if (toStatus) {
    const d = dsrPolicy.transition(r.status, toStatus, r.verified_at !== null, note !== undefined);
    if (!d.ok) throw invalid(d.reason.startsWith("Note") ? "note" : "status", d.reason);
    change.status = toStatus;
    if (toStatus === "completed" || toStatus === "rejected") {
      change.closed_at = ctx.now();
      change.resolution_sealed = ctx.sealer.seal(note!, ref(r.id, "resolution"));
    }
    fields.push("status");
  }
  let assignee: string | null | undefined;
  if (input.assignee_id !== undefined) {
    if (input.assignee_id === null) assignee = null;
    else {
      const u = await resolveUser(ctx, input.assignee_id).catch(() => Promise.reject(invalid("assignee_id", "Assignee: no such person in this account")));
      if (u.role !== "owner" && u.role !== "admin") throw invalid("assignee_id", "Assignee: must be an owner or admin");
      assignee = u.id;
    }
    const before = r.assignee_nice === null ? null : Number(r.assignee_nice);
    if ((assignee === null ? null : input.assignee_id) !== before) {
      change.assignee_id = assignee;
      fields.push("assignee_id");
    }
  }
  if (note) fields.push("note");
  if (fields.length === 0) return view(ctx, r);
  if (!isOpen(r.status) && fields.some((f) => f !== "note")) throw invalid("status", `Status: a ${r.status} request cannot change`);
  if (Object.keys(change).length > 0 && !(await repo.updateRequest(ctx.tx, r.id, r.status, change, ctx.now()))) throw invalid("status", "Status: the request changed meanwhile; reload it");
  if (change.assignee_id !== undefined) await step(ctx, r.id, { action: "assigned", detail: input.assignee_id === null ? "none" : `user_${input.assignee_id}` });
  if (toStatus) await step(ctx, r.id, { action: "status_changed", from: r.status, to: toStatus, note });
  else if (note) await step(ctx, r.id, { action: "noted", note });
  audit(ctx, { action: "data_subject_request.updated", resourceType: "data_subject_request", resourceId: niceId, fields });
  return showRequest(ctx, niceId);
}

/** Records how the person was verified, by whom and when (once, on an open request). */
export async function verifyRequest(ctx: RequestContext, niceId: number, input: { method: DsrVerificationMethod; note?: string | undefined }): Promise<DsrView> {
  const actor = admin(ctx);
  const r = await find(ctx, niceId);
  const d = dsrPolicy.verify(r.status, r.verified_at !== null);
  if (!d.ok) throw invalid("verification", d.reason);
  const now = ctx.now();
  if (!(await repo.updateRequest(ctx.tx, r.id, r.status, { verification_method: input.method, verified_by: actor.userId, verified_at: now }, now))) throw invalid("status", "Status: the request changed meanwhile; reload it");
  await step(ctx, r.id, { action: "verified", detail: input.method, note: input.note || undefined });
  audit(ctx, { action: "data_subject_request.verified", resourceType: "data_subject_request", resourceId: niceId, fields: ["verification_method", ...(input.note ? ["note"] : [])] });
  return showRequest(ctx, niceId);
}

/** The record of a request: every step with what, when and who, its regime and due date. */
export async function evidence(ctx: RequestContext, niceId: number): Promise<DsrEvidence> {
  admin(ctx);
  const r = await find(ctx, niceId);
  const events = await repo.listEvents(ctx.tx, r.id);
  return {
    data_subject_request_evidence: {
      generated_at: ctx.now().toISOString(),
      request: view(ctx, r),
      regime: r.regime,
      due_at: r.due_at.toISOString(),
      steps: events.map((e) => ({
        what: e.action,
        when: e.at.toISOString(),
        who_id: num(e.actor_nice),
        from_status: e.from_status,
        to_status: e.to_status,
        detail: e.detail,
        note: e.note_sealed ? ctx.sealer.open(e.note_sealed, eventRef(e.id, "note")) : null,
      })),
    },
  };
}

export async function showSettings(ctx: RequestContext): Promise<DsrSettingsView> {
  admin(ctx);
  const s = await settingsOf(ctx);
  return { gdpr_days: s.gdpr_days, ccpa_days: s.ccpa_days, default_regime: s.default_regime, updated_at: iso(s.updated_at) };
}

export async function updateSettings(ctx: RequestContext, input: Partial<{ gdpr_days: number; ccpa_days: number; default_regime: DsrRegime }>): Promise<DsrSettingsView> {
  admin(ctx);
  const s = await settingsOf(ctx);
  const next = { gdpr_days: input.gdpr_days ?? s.gdpr_days, ccpa_days: input.ccpa_days ?? s.ccpa_days, default_regime: input.default_regime ?? s.default_regime };
  await repo.saveSettings(ctx.tx, next, ctx.now());
  audit(ctx, { action: "data_subject_request_settings.updated", resourceType: "data_subject_request_settings", resourceId: "account", fields: Object.keys(input).sort() });
  return showSettings(ctx);
}

// ---- The daily reminder ---------------------------------------------------------------------------

type ReminderDeps = Pick<AppDeps, "db" | "keyring" | "hooks" | "mailer" | "config" | "urls">;

/**
 * Mails every reachable owner and admin of each account with requests overdue or due within
 * REMIND_SOON_DAYS: counts and a link only. Returns the number of messages queued.
 */
export async function remindDueRequests(deps: ReminderDeps, now: Date): Promise<number> {
  if (!deps.mailer.available) return 0;
  let queued = 0;
  await forEachTenant(deps.db, async (tenantId) => {
    queued += await deps.db.tenant(tenantId, async (tx) => {
      const counts = await repo.dueCounts(tx, now, new Date(now.getTime() + REMIND_SOON_DAYS * DAY));
      if (counts.overdue === 0 && counts.dueSoon === 0) return 0;
      const ctx = makeContext({ tx, sealer: await deps.keyring.sealerFor(tx), actor: { kind: "system" }, now: () => now, hooks: deps.hooks });
      const tenant = await currentTenant(ctx);
      if (!tenant) return 0;
      const mail = dsrReminderMail(counts, REMIND_SOON_DAYS, `${deps.urls.tenantOrigin(tenant)}/admin/data-requests`);
      const admins = await adminContacts(ctx);
      for (const a of admins) await queueMail(ctx, deps.config.mailRetryMs, { to: a.email!, ...mail, about: { userId: a.id } });
      return admins.length;
    });
  });
  return queued;
}

export function dsrUpkeep(deps: ReminderDeps): MaintenanceTask[] {
  return [{ name: "privacy.dsr_reminders", everyMs: DAY, shared: true, run: (now) => remindDueRequests(deps, now).then(() => undefined) }];
}
