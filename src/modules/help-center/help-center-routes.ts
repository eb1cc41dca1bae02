import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { email, lineText, longText, name, pageQuery, publicIdParam } from "../../platform/schemas.ts";
import { listEnvelope, pageEnvelope, parsePage } from "../../platform/http/pagination.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { defineRoute } from "../../platform/http/route.ts";
import { setSessionCookie } from "../identity/identity-http.ts";
import { createSigninLinkFor, redeemSigninLink, requestSigninLink } from "../identity/signin-links-service.ts";
import { listMyRequestComments, listMyRequests, replyToMyRequest, showMyRequest } from "../tickets/requests-service.ts";
import * as service from "./help-center-service.ts";

/**
 * The help center's API: Zendesk's Requests API for end users (anonymous submission through the
 * form, then their own requests, public comments only, replies), the help center's public face,
 * its consent settings, one-time sign-in links, consent records for staff, and the right of access.
 */

const locale = z.string().max(35).regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, "is not a language tag such as ja or zh-CN");
const requestStatus = z.enum(["new", "open", "pending", "solved", "closed"]);
const requestView = z.object({
  id: z.number(), url: z.string(), subject: z.string(), description: z.string(), status: requestStatus,
  priority: z.string().nullable(), type: z.string().nullable(), requester_id: z.number().nullable(), organization_id: z.number().nullable(),
  assignee_id: z.number().nullable(), group_id: z.number().nullable(), via: z.object({ channel: z.string() }), is_public: z.boolean(),
  solved: z.boolean(), can_be_solved_by_me: z.boolean(), collaborator_ids: z.array(z.number()), email_cc_ids: z.array(z.number()),
  custom_fields: z.array(z.object({ id: z.number(), value: z.unknown() })), due_at: z.string().nullable(), created_at: z.string(), updated_at: z.string(),
});
const commentView = z.object({
  id: z.number(), type: z.literal("Comment"), request_id: z.number(), body: z.string(), html_body: z.string(), plain_body: z.string(),
  public: z.literal(true), author_id: z.number(), attachments: z.array(z.never()), created_at: z.string(),
});
const requestUserView = z.object({ id: z.number(), name: z.string(), agent: z.boolean(), organization_id: z.null(), photo: z.null() });
const body = longText(65_536).pipe(z.string().trim().min(1, "cannot be blank"));
const consentRecordView = z.object({ id: z.number(), request_id: z.number().nullable(), text: z.string(), text_version: z.number(), text_sha256: z.string(), accepted_at: z.string(), ip: z.string().nullable() });
const settingsView = z.object({ consent_required: z.boolean(), consent_text: z.string().nullable(), consent_version: z.number(), email_sign_in: z.boolean(), updated_at: z.string().nullable() });
const sessionView = z.object({ session: z.object({ user_id: z.number(), csrf_token: z.string(), must_change_password: z.boolean() }) });
const signinToken = z.string().min(1).max(200).regex(/^[A-Za-z0-9_-]+$/, "is not a valid sign-in link");

export function register(app: FastifyInstance, deps: AppDeps): void {
  const mailer = deps.mailer;
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/requests", operationId: "createRequest", tag: "requests", auth: "optional", rateLimit: "public-form",
    summary: "Creates a request (the help center's form). Anonymous callers give requester name and e-mail; consent, honeypot and locale are Vaultdesk extras.",
    body: z.strictObject({
      request: z.strictObject({
        subject: lineText(255).pipe(z.string().trim().min(1, "cannot be blank")),
        comment: z.strictObject({ body }),
        requester: z.strictObject({ name, email, locale_id: z.number().int().optional() }).optional(),
        consent: z.strictObject({ accepted: z.boolean(), version: z.number().int().min(0).max(1_000_000_000) }).optional(),
        /** Honeypot: people never see this field, so it must stay empty. */
        website: z.string().max(1000).optional(),
        locale: locale.optional(),
      }),
    }),
    response: z.object({ request: requestView }),
    handler: async (ctx, { body: b }) => {
      const r = b.request;
      return {
        request: await service.submitRequest(ctx, {
          subject: r.subject, body: r.comment.body, requester: r.requester ? { name: r.requester.name, email: r.requester.email } : undefined,
          locale: r.locale, consent: r.consent, website: r.website,
        }),
      };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/requests", operationId: "listRequests", tag: "requests", auth: "user",
    summary: "The caller's own requests. On-hold tickets show as open, as in Zendesk.",
    query: pageQuery.extend({
      status: z.string().max(100).regex(/^[a-z]+(,[a-z]+)*$/, "must be comma-separated statuses").pipe(z.string().transform((s) => s.split(",")).pipe(z.array(requestStatus))).optional(),
      sort_by: z.enum(["updated_at", "created_at"]).optional(),
    }),
    response: listEnvelope("requests", requestView),
    handler: async (ctx, { query, url }) => {
      // Most recently updated first unless asked otherwise; 25 a page, as Zendesk's requests list.
      const page = parsePage(query, { newestFirst: true, perPage: 25 });
      const r = await listMyRequests(ctx, page, { statuses: query.status, sortBy: query.sort_by ?? "updated_at" });
      const env = pageEnvelope(page, r.views, r.count, url, r.keys);
      return { requests: env.items, ...env.extra };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/requests/:id", operationId: "showRequest", tag: "requests", auth: "user",
    params: publicIdParam, response: z.object({ request: requestView }),
    handler: async (ctx, { params }) => ({ request: await showMyRequest(ctx, params.id) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/requests/:id/comments", operationId: "listRequestComments", tag: "requests", auth: "user",
    summary: "The request's public comments, oldest first, with their authors (internal notes are never included).",
    params: publicIdParam, query: pageQuery,
    response: listEnvelope("comments", commentView, { users: z.array(requestUserView), organizations: z.array(z.never()) }),
    handler: async (ctx, { params, query, url }) => {
      const page = parsePage(query);
      const r = await listMyRequestComments(ctx, params.id, page);
      const env = pageEnvelope(page, r.comments, r.count, url);
      return { comments: env.items, users: r.users, organizations: [], ...env.extra };
    },
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/requests/:id", operationId: "updateRequest", tag: "requests", auth: "user",
    summary: "Adds the requester's public reply. A pending or solved request reopens; a closed one cannot be replied to.",
    params: publicIdParam, body: z.strictObject({ request: z.strictObject({ comment: z.strictObject({ body }) }) }),
    response: z.object({ request: requestView }),
    handler: async (ctx, { params, body: b }) => ({ request: await replyToMyRequest(ctx, params.id, b.request.comment.body) }),
  });

  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/help_center", operationId: "showHelpCenter", tag: "help_center", auth: "anonymous",
    summary: "What the help center shows before sign-in: team name, the consent text when consent is required, whether e-mail sign-in works.",
    response: z.object({ help_center: z.object({ name: z.string().nullable(), consent: z.object({ required: z.boolean(), text: z.string().nullable(), version: z.number() }), email_sign_in: z.boolean() }) }),
    handler: async (ctx) => ({ help_center: await service.showHelpCenter(ctx, mailer) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/help_center/settings", operationId: "showHelpCenterSettings", tag: "help_center", auth: "user",
    response: z.object({ settings: settingsView }),
    handler: async (ctx) => ({ settings: await service.showSettings(ctx, mailer) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/help_center/settings", operationId: "updateHelpCenterSettings", tag: "help_center", auth: "user",
    summary: "Consent on the request form: required or not, and its text (owners and admins). A new text gets a new version.",
    body: z.strictObject({ settings: z.strictObject({ consent_required: z.boolean().optional(), consent_text: longText(10_000).nullable().optional() }) }),
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
      setSessionCookie(reply, req, r.session);
      return { session: { user_id: r.userNiceId, csrf_token: r.session.csrf, must_change_password: false } };
    },
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/users/:id/sign_in_links", operationId: "createUserSigninLink", tag: "users", auth: "user",
    summary: "Creates a one-time sign-in link for an end user, to hand over (owners and admins). Shown once.",
    params: publicIdParam,
    response: z.object({ sign_in_link: z.object({ url: z.string(), token: z.string(), expires_at: z.string(), user_id: z.number() }) }),
    handler: async (ctx, { params }) => ({ sign_in_link: await createSigninLinkFor(deps, ctx, params.id) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/users/:id/consent_records", operationId: "listUserConsentRecords", tag: "users", auth: "user",
    summary: "The consent records of a user: text version and hash, the text itself, when and from which address (staff).",
    params: publicIdParam, response: z.object({ consent_records: z.array(consentRecordView) }),
    handler: async (ctx, { params }) => ({ consent_records: await service.listUserConsentRecords(ctx, params.id) }),
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
          tags: z.array(z.string()), external_id: z.string().nullable(), created_at: z.string(), updated_at: z.string(), last_sign_in_at: z.string().nullable(),
        }),
        identities: z.array(z.object({ type: z.literal("email"), value: z.string(), primary: z.boolean(), verified: z.boolean() })),
        requests: z.array(requestView),
        comments: z.array(z.object({ id: z.number(), request_id: z.number(), body: z.string(), created_at: z.string() })),
        consent_records: z.array(consentRecordView),
        sessions: z.array(z.object({ started_at: z.string(), last_seen_at: z.string(), expires_at: z.string(), ended_at: z.string().nullable(), ip: z.string().nullable() })),
        sign_in_links: z.array(z.object({ created_at: z.string(), expires_at: z.string(), used_at: z.string().nullable(), created_by_staff: z.boolean() })),
      }),
    }),
    handler: async (ctx) => ({ personal_data: await service.personalData(ctx) }),
  });
}
