import crypto from "node:crypto";
import { actorUser, type RequestContext } from "../../platform/context.ts";
import { isAdmin } from "../users/users-policy.ts";
import type { AppDeps, ResolvedTenant } from "../../platform/deps.ts";
import { audit } from "../audit/audit-service.ts";
import { AppError, CommitThenFail, forbidden, invalid } from "../../platform/errors.ts";
import { beginRequest, finishRequest, readProvider, safeReturnTo, saveProvider, signInWithProvider, useOnce } from "./sso-service.ts";
import { type Session } from "./identity-service.ts";
import { authnRequest, CLOCK_SKEW_MS, REASON_SENTENCES, SamlRefusal, spEndpoints, spMetadata, verifyResponse, type SamlReason, type SpEndpoints, type VerifiedAssertion } from "./sso-saml-fns.ts";
import { describeCertificate, samlConfigStored, trustOfSaml, type SamlConfigStored, type SamlSettingsView, type samlSettingsInput } from "./sso-saml-types.ts";
import type { z } from "zod";

/**
 * SAML single sign-on for a tenant: its settings (admins), the SP metadata, the start of a sign-in
 * (an AuthnRequest whose id is kept as a pending request, bound to the browser), the assertion
 * consumer service, and the last step in the browser that started the sign-in.
 * The protocol checks are in sso-saml-fns.ts; what needs the database (the pending request, the
 * replay record, the person and the session) is here, through the shared single sign-on layer.
 *
 * IdP-initiated sign-in (a Response that answers no request of ours) is refused unless the tenant
 * turns `allow_idp_initiated` on: such a response cannot be tied to a sign-in started in this
 * browser, so anyone holding one (a stolen or leaked response) gets one use of it in its few minutes.
 */

const SAML = "saml" as const;
/** How long a sign-in sent to the IdP may take to come back. */
const REQUEST_MINUTES = 10;

type TenantAddress = Pick<ResolvedTenant, "subdomain" | "isDefault">;
const endpointsOf = (deps: Pick<AppDeps, "urls">, tenant: TenantAddress): SpEndpoints => spEndpoints(deps.urls.tenantOrigin(tenant));

async function storedConfig(ctx: RequestContext): Promise<{ enabled: boolean; config: SamlConfigStored; updatedAt: Date } | undefined> {
  const p = await readProvider(ctx, SAML);
  if (!p) return undefined;
  const parsed = samlConfigStored.safeParse(p.config);
  return parsed.success ? { enabled: p.enabled, config: parsed.data, updatedAt: p.updatedAt } : undefined;
}

export async function showSamlSettings(deps: Pick<AppDeps, "urls">, ctx: RequestContext, tenant: TenantAddress): Promise<SamlSettingsView> {
  requireAdmin(ctx);
  const sp = endpointsOf(deps, tenant);
  const p = await storedConfig(ctx);
  const c = p?.config;
  return {
    enabled: p?.enabled ?? false,
    configured: Boolean(c),
    idp_entity_id: c?.idp_entity_id ?? null,
    idp_sso_url: c?.idp_sso_url ?? null,
    idp_certificates: c?.idp_certificates ?? [],
    certificates: (c?.idp_certificates ?? []).map(describeCertificate),
    email_attribute: c?.email_attribute ?? null,
    name_attribute: c?.name_attribute ?? null,
    signed: c?.signed ?? "assertion",
    allow_idp_initiated: c?.allow_idp_initiated ?? false,
    sp_entity_id: sp.entityId,
    acs_url: sp.acsUrl,
    metadata_url: sp.metadataUrl,
  };
}

function requireAdmin(ctx: RequestContext): void {
  if (!isAdmin(actorUser(ctx).role)) throw forbidden("Only admins see and change single sign-on.");
}

/** Saves the SAML settings (admins; audited by the shared layer without the values). */
export async function updateSamlSettings(deps: Pick<AppDeps, "urls">, ctx: RequestContext, tenant: TenantAddress, input: z.output<typeof samlSettingsInput>["saml"], keepSession?: Buffer): Promise<SamlSettingsView> {
  requireAdmin(ctx);
  const before = (await storedConfig(ctx))?.config;
  const config: SamlConfigStored = {
    idp_entity_id: input.idp_entity_id,
    idp_sso_url: input.idp_sso_url,
    idp_certificates: input.idp_certificates,
    email_attribute: input.email_attribute !== undefined ? input.email_attribute : (before?.email_attribute ?? null),
    name_attribute: input.name_attribute !== undefined ? input.name_attribute : (before?.name_attribute ?? null),
    signed: input.signed ?? before?.signed ?? "assertion",
    allow_idp_initiated: input.allow_idp_initiated ?? before?.allow_idp_initiated ?? false,
  };
  if (new Set(config.idp_certificates).size !== config.idp_certificates.length) throw invalid("idp_certificates", "IdP certificates: the same certificate is given twice", "DuplicateValue");
  await saveProvider(ctx, SAML, { enabled: input.enabled, config, trust: { before: trustOfSaml(before), after: trustOfSaml(config) } }, keepSession);
  return showSamlSettings(deps, ctx, tenant);
}

/** The SP metadata (anyone may read it: the IdP's admin loads it). */
export function samlMetadata(deps: Pick<AppDeps, "urls">, tenant: TenantAddress): Promise<string> {
  return spMetadata(endpointsOf(deps, tenant));
}

/** A browser's binding secret (the `vd_saml` cookie's value): what ties a sign-in's end to the browser that started it. */
export const BINDING_PATTERN = /^[A-Za-z0-9_-]{43}$/;
export const newBinding = (): string => crypto.randomBytes(32).toString("base64url");
const bindingHash = (deps: Pick<AppDeps, "keyring">, binding: string) => deps.keyring.hashSecret("sso-saml-binding", binding).toString("base64url");

/**
 * Starts a sign-in: keeps the AuthnRequest's id as a pending request, with where to return and
 * the hash of the browser's binding secret, and answers the IdP URL to send the browser to.
 */
export async function startSamlSignIn(deps: Pick<AppDeps, "urls" | "keyring">, ctx: RequestContext, tenant: TenantAddress, returnTo: string | undefined, binding: string, reauth = false): Promise<string> {
  const p = await storedConfig(ctx);
  if (!p?.enabled) throw new AppError("RecordNotFound", { description: REASON_SENTENCES.saml_not_configured, reason: "saml_not_configured" });
  const safe = safeReturnTo(returnTo);
  // RelayState carries nothing the answer is trusted for: where to return is kept with the request.
  const { id, location } = await authnRequest(p.config, endpointsOf(deps, tenant), "", reauth);
  await beginRequest(deps, ctx, SAML, id, { binding: bindingHash(deps, binding), ...(safe ? { return_to: safe } : {}) }, REQUEST_MINUTES);
  return location;
}

/** What the ACS's slow step (signature checks, outside any transaction) found. */
export type CheckedResponse = { ok: true; assertion: VerifiedAssertion; allowIdpInitiated: boolean; providerVersion: Date } | { ok: false; reason: SamlReason };

/** Reads the settings in a short transaction, then checks the response outside it. */
export async function checkSamlResponse(deps: Pick<AppDeps, "urls" | "now">, inTenant: <T>(fn: (ctx: RequestContext) => Promise<T>) => Promise<T>, tenant: TenantAddress, samlResponse: string): Promise<CheckedResponse> {
  const p = await inTenant((ctx) => storedConfig(ctx));
  if (!p?.enabled) return { ok: false, reason: "saml_not_configured" };
  try {
    const assertion = await verifyResponse(p.config, endpointsOf(deps, tenant), samlResponse, deps.now());
    return { ok: true, assertion, allowIdpInitiated: p.config.allow_idp_initiated, providerVersion: p.updatedAt };
  } catch (err) {
    if (err instanceof SamlRefusal) return { ok: false, reason: err.reason };
    return { ok: false, reason: "saml_malformed" };
  }
}

/** A refusal: audited (user.signin_failed, kind and reason only), committed, then answered 4xx with the reason code. */
function refusal(ctx: RequestContext, reason: SamlReason): CommitThenFail {
  audit(ctx, { action: "user.signin_failed", resourceType: "user", resourceId: "unknown", fields: [SAML, reason] });
  const code = reason === "saml_not_configured" ? "RecordNotFound" : reason === "saml_replayed" || reason === "saml_unknown_request" || reason === "saml_unsolicited" || reason === "saml_other_browser" ? "Forbidden" : "Unauthorized";
  return new CommitThenFail(new AppError(code, { description: `${REASON_SENTENCES[reason]} (${reason})`, reason }));
}

/** How long the browser has to come back from the ACS to /access/saml/complete (one redirect). */
const COMPLETE_MINUTES = 2;
const completionKey = (token: string) => `complete:${token}`;

/**
 * The assertion consumer service's step in the request's transaction: the assertion id is used
 * once (replays refused, across server processes), the pending request it answers is used up (or
 * IdP-initiated sign-in is allowed), and the proven identity is kept, sealed, for two minutes
 * under a new one-time token. The browser is sent on to /access/saml/complete?token=…
 *
 * Why a second step: the IdP's POST is cross-site, so it carries no SameSite cookie and cannot
 * show which browser started the sign-in. The GET it is redirected to is a top-level navigation,
 * which carries the `vd_saml` (SameSite=Lax) cookie set when the sign-in started; only that
 * browser can finish. Without it, an attacker could make a victim's browser post the attacker's own
 * fresh response and sign the victim in as the attacker (login CSRF).
 */
export async function consumeSamlResponse(deps: AppDeps, ctx: RequestContext, checked: CheckedResponse): Promise<{ location: string } | CommitThenFail> {
  if (!checked.ok) return refusal(ctx, checked.reason);
  const a = checked.assertion;
  if (!(await useOnce(deps, ctx, SAML, a.assertionId, new Date(a.notOnOrAfter.getTime() + CLOCK_SKEW_MS)))) return refusal(ctx, "saml_replayed");
  let pending: Record<string, string> | undefined = {};
  if (a.inResponseTo === undefined) {
    if (!checked.allowIdpInitiated) return refusal(ctx, "saml_unsolicited");
  } else {
    pending = await finishRequest(deps, ctx, SAML, a.inResponseTo);
    if (!pending) return refusal(ctx, "saml_unknown_request");
  }
  const token = newBinding();
  await beginRequest(
    deps,
    ctx,
    SAML,
    completionKey(token),
    {
      subject: a.subject,
      email: a.email,
      ...(a.name !== undefined ? { name: a.name } : {}),
      ...(a.authnInstant !== undefined ? { authn_instant: a.authnInstant.toISOString() } : {}),
      attributes: JSON.stringify(a.attributes),
      // IdP-initiated sign-in (allowed by the tenant) started in no browser: nothing to match.
      binding: pending.binding ?? "",
      // The settings it was checked against (the last step refuses it if they changed since).
      provider_version: checked.providerVersion.toISOString(),
      ...(pending.return_to ? { return_to: pending.return_to } : {}),
    },
    COMPLETE_MINUTES,
  );
  return { location: `/access/saml/complete?token=${token}` };
}

/** The last step, in the browser that started the sign-in: its binding cookie must match; then the shared layer signs the person in. */
export async function completeSamlSignIn(deps: AppDeps, ctx: RequestContext, token: string, binding: string | undefined): Promise<{ session: Session; location: string } | CommitThenFail> {
  const kept = await finishRequest(deps, ctx, SAML, completionKey(token));
  if (!kept) return refusal(ctx, "saml_unknown_request");
  if (kept.binding && (binding === undefined || !BINDING_PATTERN.test(binding) || bindingHash(deps, binding) !== kept.binding)) return refusal(ctx, "saml_other_browser");
  let attributes: Record<string, readonly string[]>;
  try {
    attributes = JSON.parse(kept.attributes ?? "{}") as Record<string, readonly string[]>;
  } catch {
    return refusal(ctx, "saml_malformed");
  }
  const r = await signInWithProvider(deps, ctx, SAML, { subject: kept.subject ?? "", email: kept.email ?? "", name: kept.name, attributes, providerVersion: new Date(kept.provider_version ?? 0), authenticatedAt: kept.authn_instant ? new Date(kept.authn_instant) : undefined });
  if (r instanceof CommitThenFail) return r;
  return { session: r.session, location: safeReturnTo(kept.return_to) ?? r.landing };
}

