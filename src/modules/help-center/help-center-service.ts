import crypto from "node:crypto";
import { refsOf } from "../../platform/crypto/sealed-columns.ts";
import { actorUser, type RequestContext } from "../../platform/context.ts";
import { AppError, forbidden, invalid, notFound } from "../../platform/errors.ts";
import type { z } from "zod";
import type { Mailer } from "../../platform/mail.ts";
import { audit } from "../audit/audit-service.ts";
import { teamName } from "../admin/account-service.ts";
import { passkeysForAccess } from "../identity/passkeys-service.ts";
import { signinHistoryOf } from "../identity/signin-links-service.ts";
import { presentOrgsByIds, resolveOrganization } from "../organizations/organizations-service.ts";
import { requestsForAccess, type RequestForm, type RequestSubmitted } from "../tickets/requests-service.ts";
import { pendingEmailOf } from "../users/users-email.ts";
import { presentUsersByIds, resolveUser, userLocale } from "../users/users-service.ts";
import { consentTextFor, normalizeConsentTexts, sameTexts, type ConsentTexts } from "./help-center-fns.ts";
import { helpCenterPolicy } from "./help-center-policy.ts";
import * as repo from "./help-center-repo.ts";
import type { consentRecordView, consentWithdrawalView } from "./help-center-types.ts";

/**
 * The help center: its public face (team name, consent text, whether e-mail sign-in works), the
 * consent settings, requests from the form with their consent records, and the right of access.
 *
 * Invariants:
 *  - when consent is required, no request is created without an acceptance of the version of the
 *    text currently in force, and every accepted request has a consent record (same transaction);
 *  - consent records are never changed or removed (the app role may only insert and re-seal them);
 *  - a request whose honeypot field is filled creates nothing.
 */

const textRef = (tenantId: string) => refsOf("tenant_settings")(tenantId, "consent_text");
const textsRef = (tenantId: string) => refsOf("tenant_settings")(tenantId, "consent_texts");
const recRef = refsOf("consent_records");

/** `text` is the default text; `texts` the texts per language (0012), which fall back to it. */
type Consent = { required: boolean; text: string | null; texts: ConsentTexts; version: number };

async function consentOf(ctx: RequestContext): Promise<Consent & { updatedAt: Date | null }> {
  const s = await repo.findConsentSettings(ctx.tx);
  return {
    required: s?.consent_required ?? false,
    text: s?.consent_text_sealed ? ctx.sealer.open(s.consent_text_sealed, textRef(ctx.tx.tenantId)) : null,
    texts: s?.consent_texts_sealed ? ctx.sealer.openJson<ConsentTexts>(s.consent_texts_sealed, textsRef(ctx.tx.tenantId)) : {},
    version: s?.consent_version ?? 0,
    updatedAt: s ? new Date(s.updated_at) : null,
  };
}

/** What the help center's pages need before anyone signs in; the consent text in the visitor's language where there is one. */
export async function showHelpCenter(ctx: RequestContext, mailer: Pick<Mailer, "available">, locale?: string) {
  const c = await consentOf(ctx);
  const shown = consentTextFor(c.texts, c.text, locale);
  return {
    name: await teamName(ctx),
    consent: { required: c.required, text: c.required ? shown.text : null, locale: c.required ? shown.locale : null, version: c.version },
    email_sign_in: mailer.available,
  };
}

export type SettingsView = { consent_required: boolean; consent_text: string | null; consent_texts: ConsentTexts; consent_version: number; email_sign_in: boolean; updated_at: string | null };

export async function showSettings(ctx: RequestContext, mailer: Pick<Mailer, "available">): Promise<SettingsView> {
  if (!helpCenterPolicy.manageSettings(actorUser(ctx))) throw forbidden("Only owners and admins can change the help center's settings.");
  const c = await consentOf(ctx);
  return { consent_required: c.required, consent_text: c.text, consent_texts: c.texts, consent_version: c.version, email_sign_in: mailer.available, updated_at: c.updatedAt?.toISOString() ?? null };
}

/**
 * Changes the consent settings. `consent_texts`, when given, replaces the texts per language. A
 * change of any text gets a new version; records keep the version (and language) they accepted.
 */
export async function updateSettings(
  ctx: RequestContext,
  mailer: Pick<Mailer, "available">,
  input: { consent_required?: boolean | undefined; consent_text?: string | null | undefined; consent_texts?: Record<string, string | null> | undefined },
): Promise<SettingsView> {
  if (!helpCenterPolicy.manageSettings(actorUser(ctx))) throw forbidden("Only owners and admins can change the help center's settings.");
  const c = await consentOf(ctx);
  const text = input.consent_text === undefined ? c.text : input.consent_text === null || input.consent_text.trim() === "" ? null : input.consent_text.trim();
  const texts = input.consent_texts === undefined ? c.texts : normalizeConsentTexts(input.consent_texts);
  const required = input.consent_required ?? c.required;
  if (required && !text) throw invalid("consent_text", "Consent text: cannot be blank while consent is required", "Blank");
  const fields: string[] = [];
  if (required !== c.required) fields.push("consent_required");
  if (text !== c.text) fields.push("consent_text");
  if (!sameTexts(texts, c.texts)) fields.push("consent_texts");
  if (fields.length) {
    const textsChanged = fields.includes("consent_text") || fields.includes("consent_texts");
    await repo.upsertConsentSettings(ctx.tx, {
      consent_required: required,
      consent_text_sealed: text === null ? null : ctx.sealer.seal(text, textRef(ctx.tx.tenantId)),
      consent_texts_sealed: Object.keys(texts).length === 0 ? null : ctx.sealer.sealJson(texts, textsRef(ctx.tx.tenantId)),
      consent_version: textsChanged ? c.version + 1 : c.version,
    });
    audit(ctx, { action: "help_center.settings_updated", resourceType: "help_center", resourceId: "settings", fields });
  }
  return showSettings(ctx, mailer);
}

/**
 * A request from the help center's form (or any client of POST /requests), before anything is
 * written: the honeypot and the consent (the requests API's `request.submitting` hook).
 */
export async function checkRequestForm(ctx: RequestContext, input: RequestForm): Promise<void> {
  if (input.website !== undefined && input.website.trim() !== "") {
    throw invalid("website", "Your request was not sent: a field meant to stay empty was filled in, as automated spam does. If you are a person, reload the page and send it again.", "Spam");
  }
  const c = await consentOf(ctx);
  if (c.required) {
    if (!input.consent?.accepted) throw invalid("consent", "Consent: you must accept the terms to send a request", "Required");
    if (input.consent.version !== c.version) {
      throw invalid("consent", "Consent: the text has changed since the page was loaded. Read it again and accept it.", "Outdated");
    }
  }
}

/**
 * After the request is written, in its transaction: the consent record (the `request.submitted`
 * hook). It keeps the text the form showed in the visitor's language, its version and language.
 */
export async function recordConsent(ctx: RequestContext, { form: input, created }: RequestSubmitted): Promise<void> {
  const c = await consentOf(ctx);
  const accepted = consentTextFor(c.texts, c.text, input.locale);
  if (c.required && accepted.text !== null && input.consent?.accepted) {
    const id = crypto.randomUUID();
    const nice = await repo.insertConsentRecord(ctx.tx, {
      id,
      user_id: created.requester.id,
      ticket_id: created.ticketId,
      text_version: c.version,
      text_locale: accepted.locale,
      text_sha256: crypto.createHash("sha256").update(accepted.text, "utf8").digest(),
      text_sealed: ctx.sealer.seal(accepted.text, recRef(id, "text")),
      ip_sealed: ctx.ip ? ctx.sealer.seal(ctx.ip, recRef(id, "ip")) : null,
    });
    audit(ctx, { action: "consent.recorded", resourceType: "consent_record", resourceId: nice, fields: ["text_version", "text_locale"] });
  }
}

export type ConsentRecordView = z.infer<typeof consentRecordView>;
export type ConsentWithdrawalView = z.infer<typeof consentWithdrawalView>;

async function consentRecordsOf(ctx: RequestContext, userId: string): Promise<ConsentRecordView[]> {
  const rows = await repo.listConsentRecordsOf(ctx.tx, userId);
  return rows.map((r) => ({
    id: r.nice_id,
    kind: "consent" as const,
    request_id: r.ticket_nice,
    text: ctx.sealer.open(r.text_sealed, recRef(r.id, "text")),
    text_version: r.text_version,
    text_locale: r.text_locale,
    text_sha256: Buffer.from(r.text_sha256).toString("hex"),
    accepted_at: r.accepted_at.toISOString(),
    ip: r.ip_sealed ? ctx.sealer.open(r.ip_sealed, recRef(r.id, "ip")) : null,
    withdrawn_at: r.withdrawn_at?.toISOString() ?? null,
  }));
}

async function withdrawalsOf(ctx: RequestContext, userId: string): Promise<ConsentWithdrawalView[]> {
  const rows = await repo.listWithdrawalsOf(ctx.tx, userId);
  return rows.map((w) => ({ id: w.nice_id, kind: "withdrawal" as const, consent_record_id: w.record_nice, withdrawn_at: w.withdrawn_at.toISOString(), via: w.via, withdrawn_by_id: w.by_nice }));
}

/**
 * Withdraws one of a person's consents: a withdrawal record (never changed or removed, like the
 * consent), audited. The consent record stays: it is the evidence of what was agreed until then.
 * A consent withdrawn already answers 422.
 */
async function withdraw(ctx: RequestContext, userId: string, recordNiceId: number, via: "help_center" | "staff"): Promise<ConsentWithdrawalView> {
  const r = await repo.findConsentRecordOf(ctx.tx, userId, recordNiceId);
  if (!r) throw notFound();
  if (r.withdrawal_id !== null) throw invalid("consent", "Consent: already withdrawn", "Withdrawn");
  const actor = actorUser(ctx);
  const at = ctx.now();
  const nice = await repo.insertWithdrawal(ctx.tx, { id: crypto.randomUUID(), consent_record_id: r.id, user_id: userId, via, withdrawn_by: actor.userId, withdrawn_at: at });
  audit(ctx, { action: "consent.withdrawn", resourceType: "consent_record", resourceId: r.nice_id, fields: ["via"] });
  const w = (await withdrawalsOf(ctx, userId)).find((x) => x.id === nice);
  return w ?? { id: nice, kind: "withdrawal", consent_record_id: r.nice_id, withdrawn_at: at.toISOString(), via, withdrawn_by_id: actor.niceId };
}

/** The caller withdraws one of their own consents (the help center's My information). */
export async function withdrawOwnConsent(ctx: RequestContext, recordNiceId: number): Promise<ConsentWithdrawalView> {
  if (ctx.actor.kind !== "user") throw new AppError("Unauthorized");
  return withdraw(ctx, actorUser(ctx).userId, recordNiceId, "help_center");
}

/** Staff (owners and admins) withdraw a person's consent on their behalf. */
export async function withdrawConsentFor(ctx: RequestContext, userNiceId: number, recordNiceId: number): Promise<ConsentWithdrawalView> {
  if (!helpCenterPolicy.withdrawConsentFor(actorUser(ctx))) throw forbidden("Only owners and admins withdraw consent on a person's behalf.");
  const u = await resolveUser(ctx, userNiceId);
  return withdraw(ctx, u.id, recordNiceId, "staff");
}

/** A user's withdrawals of consent, for staff. */
export async function listUserConsentWithdrawals(ctx: RequestContext, userNiceId: number): Promise<ConsentWithdrawalView[]> {
  if (!helpCenterPolicy.viewConsentRecords(actorUser(ctx))) throw forbidden();
  const u = await resolveUser(ctx, userNiceId);
  return withdrawalsOf(ctx, u.id);
}

/** A user's consent records, for staff. */
export async function listUserConsentRecords(ctx: RequestContext, userNiceId: number): Promise<ConsentRecordView[]> {
  if (!helpCenterPolicy.viewConsentRecords(actorUser(ctx))) throw forbidden();
  const u = await resolveUser(ctx, userNiceId);
  return consentRecordsOf(ctx, u.id);
}

/**
 * The right of access: every piece of personal data the account holds about the caller, from one
 * call. Internal notes agents wrote about a request are not part of the self-service answer (see
 * docs/api.md).
 */
export async function personalData(ctx: RequestContext) {
  if (ctx.actor.kind !== "user") throw new AppError("Unauthorized");
  return personalDataOf(ctx, actorUser(ctx).userId);
}

/**
 * The same for any person of the tenant (the person export, modules/exports, which decides who
 * may ask); the caller checked the permission. Throws NotFound when there is no such person.
 */
export async function personalDataOf(ctx: RequestContext, userId: string) {
  const [me] = await presentUsersByIds(ctx, [userId]);
  if (!me) throw notFound();
  let organization: { id: number; name: string } | null = null;
  if (me.organization_id !== null) {
    const o = await resolveOrganization(ctx, me.organization_id).catch(() => undefined);
    const view = o ? (await presentOrgsByIds(ctx, [o.id]))[0] : undefined;
    if (view) organization = { id: view.id, name: view.name };
  }
  const locale = await userLocale(ctx, userId);
  const history = await signinHistoryOf(ctx, userId);
  const access = await requestsForAccess(ctx, userId);
  return {
    generated_at: ctx.now().toISOString(),
    profile: {
      id: me.id,
      name: me.name,
      email: me.email,
      phone: me.phone,
      organization,
      role: me.role,
      locale,
      time_zone: me.time_zone,
      tags: me.tags,
      external_id: me.external_id,
      created_at: me.created_at,
      updated_at: me.updated_at,
      last_sign_in_at: history.last_sign_in_at,
      pending_email: (await pendingEmailOf(ctx, userId))?.email ?? null,
    },
    identities: me.email ? [{ type: "email" as const, value: me.email, primary: true, verified: true }] : [],
    requests: access.requests,
    comments: access.comments,
    consent_records: await consentRecordsOf(ctx, userId),
    consent_withdrawals: await withdrawalsOf(ctx, userId),
    sessions: history.sessions,
    sign_in_links: history.sign_in_links,
    // What a person's passkeys say about them: the names they gave and when they were used (the
    // public keys and counters are the authenticator's, not personal data about them).
    passkeys: (await passkeysForAccess(ctx, userId)).map((k) => ({ name: k.name, created_at: k.created_at, last_used_at: k.last_used_at })),
  };
}
