import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../../platform/deps.ts";
import { CommitThenFail } from "../../platform/errors.ts";
import { defineRoute, Redirect } from "../../platform/http/route.ts";
import { sessionCookieOf, setSessionCookie } from "./identity-http.ts";
import { sessionHashOf } from "./identity-service.ts";
import { OIDC_BINDING_COOKIE, OIDC_CALLBACK_PATH, prepareOidcCallback, prepareOidcLogin, showOidcSettings, startOidcLogin, updateOidcSettings, type OidcCallbackPrepared, type OidcLoginPrepared } from "./sso-oidc-service.ts";
import { oidcInput, oidcView } from "./sso-oidc-types.ts";
import { completeProviderSignIn, reauth, redirected, refuseSignIn, returnTo } from "./sso-signin.ts";

/**
 * OpenID Connect sign-in: the browser flow under /access/oidc and the admins' settings under
 * /api/v2/sso/oidc. Refusals answer 4xx with a short reason code and are audited; the flow's
 * secrets (code, state) travel only in query strings, which the request log never records.
 */

function setBinding(reply: FastifyReply, req: FastifyRequest, value: string, minutes: number): void {
  reply.setCookie(OIDC_BINDING_COOKIE, value, { httpOnly: true, sameSite: "lax", secure: req.protocol === "https", path: "/access/oidc", maxAge: minutes * 60 });
}

export function registerOidcRoutes(app: FastifyInstance, deps: AppDeps): void {
  defineRoute<z.ZodUndefined, z.ZodObject<{ return_to: typeof returnTo; reauth: typeof reauth }>, z.ZodUndefined, OidcLoginPrepared>(app, deps, {
    method: "GET", url: "/access/oidc/login", operationId: "startOidcSignIn", tag: "sso", auth: "anonymous", rateLimit: "sso", status: 303,
    summary: "Vaultdesk: starts an OpenID Connect sign-in: sends the browser to the identity provider (authorization code with PKCE, state and nonce). 404 when it is not set up. The session counts as a recent sign-in from the provider's `auth_time` (none stated: never).",
    query: z.object({ return_to: returnTo, reauth }), response: redirected,
    prepare: ({ inTenant, tenant }) => prepareOidcLogin(inTenant, tenant.id),
    handler: async (ctx, { prepared, tenant, query, reply, req }) => {
      const r = await startOidcLogin(deps, ctx, tenant, prepared, query.return_to, query.reauth === "1");
      setBinding(reply, req, r.binding, r.minutes);
      return new Redirect(r.location);
    },
  });
  const callbackQuery = z.object({
    state: z.string().max(512).optional(),
    code: z.string().max(4096).optional(),
    error: z.string().max(200).optional(),
    error_description: z.string().max(2000).optional(),
    iss: z.string().max(2000).optional(),
  });
  defineRoute<z.ZodUndefined, typeof callbackQuery, z.ZodUndefined, OidcCallbackPrepared>(app, deps, {
    method: "GET", url: OIDC_CALLBACK_PATH, operationId: "completeOidcSignIn", tag: "sso", auth: "anonymous", rateLimit: "sso", status: 303,
    summary: "Vaultdesk: the identity provider's answer: the state (single use, this browser's), the code exchanged, the ID token checked; then the session cookie and the workspace or help center. A refusal answers 401 with a reason code.",
    query: callbackQuery, response: redirected,
    prepare: ({ inTenant, tenant, req }) =>
      prepareOidcCallback(deps, inTenant, tenant.id, deps.urls.requestUrl(tenant, req.originalUrl), req.query as z.output<typeof callbackQuery>, req.cookies[OIDC_BINDING_COOKIE]),
    handler: async (ctx, { prepared, reply, req }) => {
      reply.clearCookie(OIDC_BINDING_COOKIE, { path: "/access/oidc" });
      if ("refused" in prepared) return refuseSignIn(ctx, "oidc", prepared.refused);
      const r = await completeProviderSignIn(deps, ctx, "oidc", prepared.identity, prepared.returnTo);
      if (r instanceof CommitThenFail) return r;
      setSessionCookie(reply, req, r.session);
      return new Redirect(r.location);
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/sso/oidc", operationId: "showOidcSettings", tag: "sso", auth: "user",
    summary: "Vaultdesk: the OpenID Connect settings (admins). The client secret is never answered, only whether one is set.",
    response: z.object({ oidc: oidcView }),
    handler: async (ctx, { tenant }) => ({ oidc: await showOidcSettings(deps, ctx, tenant) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/sso/oidc", operationId: "updateOidcSettings", tag: "sso", auth: "user",
    // A provider (or a JWT secret) signs in as anyone it serves: an old or stolen admin cookie must not make itself one.
    recentSignIn: "change single sign-on",
    summary: "Vaultdesk: saves the OpenID Connect settings (admins; audited without values). The client secret is write-only; omit it to keep the one set.",
    body: z.strictObject({ oidc: oidcInput }), response: z.object({ oidc: oidcView }),
    handler: async (ctx, { tenant, body, req }) => ({ oidc: await updateOidcSettings(deps, ctx, tenant, body.oidc, sessionHashOf(deps, ctx, sessionCookieOf(req))) }),
  });
}
