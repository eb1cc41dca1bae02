import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { email, locale, longText } from "../../platform/schemas.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { CommitThenFail } from "../../platform/errors.ts";
import { defineRoute } from "../../platform/http/route.ts";
import { setSessionCookie } from "../identity/identity-http.ts";
import { redeemSigninLink, requestSigninLink } from "../identity/signin-links-service.ts";
import { requestView } from "../tickets/requests-types.ts";
import { requestFormFields } from "../tickets/ticket-fields-service.ts";
import * as service from "./help-center-service.ts";
import { consentRecordView, consentWithdrawalView } from "./help-center-types.ts";

/**
 * The help center's API: its public face, its consent settings (and the consent check of the
 * request form, through the requests API's hooks), one-time sign-in links, and the right of access.
 * The requests API itself (Zendesk's Requests, for end users) is the tickets module's.
 */

/** Consent texts by language tag (at most 20 languages), beside the default `consent_text`. */
const consentTexts = z.record(locale, longText(10_000).nullable()).refine((m) => Object.keys(m).length <= 20, "may hold at most 20 languages");
const settingsView = z.object({
  consent_required: z.boolean(), consent_text: z.string().nullable(), consent_texts: z.record(z.string(), z.string()), consent_version: z.number(), email_sign_in: z.boolean(), updated_at: z.string().nullable(),
});
const sessionView = z.object({ session: z.object({ user_id: z.number(), csrf_token: z.string(), must_change_password: z.boolean() }) });
const signinToken = z.string().min(1).max(200).regex(/^[A-Za-z0-9_-]+$/, "is not a valid sign-in link");

export function register(app: FastifyInstance, deps: AppDeps): void {
  const mailer = deps.mailer;
  // The request form: honeypot and consent before anything is written, the consent record after.
  deps.hooks.on("request.submitting", service.checkRequestForm);
  deps.hooks.on("request.submitted", service.recordConsent);

  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/help_center", operationId: "showHelpCenter", tag: "help_center", auth: "anonymous",
    summary: "What the help center shows before sign-in: team name, the request form's extra fields (`request_fields`: active fields editable in the portal), the consent text (in `locale` where the account has one, else the default text; `consent.locale` names its language, null for the default) when consent is required, whether e-mail sign-in works.",
    query: z.object({ locale: locale.optional() }),
    response: z.object({
      help_center: z.object({
        name: z.string().nullable(),
        consent: z.object({ required: z.boolean(), text: z.string().nullable(), locale: z.string().nullable(), version: z.number() }),
        email_sign_in: z.boolean(),
        request_fields: z.array(z.object({ id: z.number(), type: z.string(), title: z.string(), custom_field_options: z.array(z.object({ name: z.string(), value: z.string() })) })),
      }),
    }),
    handler: async (ctx, { query }) => ({ help_center: { ...(await service.showHelpCenter(ctx, mailer, query.locale)), request_fields: await requestFormFields(ctx) } }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/help_center/settings", operationId: "showHelpCenterSettings", tag: "help_center", auth: "user",
    response: z.object({ settings: settingsView }),
    handler: async (ctx) => ({ settings: await service.showSettings(ctx, mailer) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/help_center/settings", operationId: "updateHelpCenterSettings", tag: "help_center", auth: "user",
    summary: "Consent on the request form: required or not, its default text, and texts per language (`consent_texts`, replaced as a whole; a blank text removes that language) (owners and admins). A change of any text gets a new version.",
    body: z.strictObject({ settings: z.strictObject({ consent_required: z.boolean().optional(), consent_text: longText(10_000).nullable().optional(), consent_texts: consentTexts.optional() }) }),
    response: z.object({ settings: settingsView }),
    handler: async (ctx, { body: b }) => ({ settings: await service.updateSettings(ctx, mailer, b.settings) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/help_center/sign_in_links", operationId: "requestSigninLink", tag: "help_center", auth: "anonymous", rateLimit: "signin-link",
    summary: "E-mails a one-time sign-in link (15 minutes) if the address belongs to an end user. The answer is the same either way.",
    body: z.strictObject({ email, locale: locale.optional() }), status: 202,
    response: z.object({ sign_in_link: z.object({ status: z.literal("requested"), expires_in_minutes: z.number() }) }),
    handler: async (ctx, { body: b }) => {
      await requestSigninLink(deps, ctx, b);
      return { sign_in_link: { status: "requested" as const, expires_in_minutes: 15 } };
    },
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/help_center/sign_in_links/redeem", operationId: "redeemSigninLink", tag: "help_center", auth: "anonymous", rateLimit: "signin",
    summary: "Uses up a sign-in link and signs its end user in (session cookie + CSRF token).",
    body: z.strictObject({ token: signinToken }), response: sessionView,
    handler: async (ctx, { body: b, reply, req }) => {
      const r = await redeemSigninLink(deps, ctx, b.token);
      if (r instanceof CommitThenFail) return r;
      setSessionCookie(reply, req, r.session);
      return { session: { user_id: r.userNiceId, csrf_token: r.session.csrf, must_change_password: false } };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/help_center/me/personal_data", operationId: "showPersonalData", tag: "help_center", auth: "user",
    summary: "Right of access: every piece of personal data the account holds about the caller.",
    response: z.object({
      personal_data: z.object({
        generated_at: z.string(),
        profile: z.object({
          id: z.number(), name: z.string(), email: z.string().nullable(), phone: z.string().nullable(),
          organization: z.object({ id: z.number(), name: z.string() }).nullable(), role: z.string(), locale: z.string().nullable(),
          /** An IANA time zone name such as Europe/Stockholm, or null when none was set. */
          time_zone: z.string().nullable(),
          tags: z.array(z.string()), external_id: z.string().nullable(), created_at: z.string(), updated_at: z.string(), last_sign_in_at: z.string().nullable(),
          /** Vaultdesk: a new address waiting for its confirmation link. */
          pending_email: z.string().nullable(),
        }),
        identities: z.array(z.object({ type: z.literal("email"), value: z.string(), primary: z.boolean(), verified: z.boolean() })),
        requests: z.array(requestView),
        comments: z.array(z.object({ id: z.number(), request_id: z.number(), body: z.string(), created_at: z.string() })),
        consent_records: z.array(consentRecordView),
        /** Vaultdesk: the person's withdrawals of consent. */
        consent_withdrawals: z.array(consentWithdrawalView),
        sessions: z.array(z.object({ started_at: z.string(), last_seen_at: z.string(), expires_at: z.string(), ended_at: z.string().nullable(), ip: z.string().nullable(), user_agent: z.string().nullable(), browser: z.string().nullable(), os: z.string().nullable() })),
        sign_in_links: z.array(z.object({ created_at: z.string(), expires_at: z.string(), used_at: z.string().nullable(), created_by_staff: z.boolean() })),
        /** Vaultdesk: the person's passkeys, by the names they gave them. */
        passkeys: z.array(z.object({ name: z.string(), created_at: z.string(), last_used_at: z.string().nullable() })),
      }),
    }),
    handler: async (ctx) => ({ personal_data: await service.personalData(ctx) }),
  });
}
