import formbody from "@fastify/formbody";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../../platform/deps.ts";
import { defineRoute, Redirect } from "../../platform/http/route.ts";
import { lineText } from "../../platform/schemas.ts";
import { sessionCookieOf, setSessionCookie } from "./identity-http.ts";
import { sessionHashOf } from "./identity-service.ts";
import { MAX_RESPONSE_BASE64 } from "./sso-saml-fns.ts";
import { BINDING_PATTERN, checkSamlResponse, completeSamlSignIn, consumeSamlResponse, newBinding, samlMetadata, showSamlSettings, startSamlSignIn, updateSamlSettings } from "./sso-saml-service.ts";

/** The browser's binding secret for SAML sign-ins (HttpOnly, SameSite=Lax, only under /access/saml). */
const BINDING_COOKIE = "vd_saml";
import { samlSettingsInput, samlSettingsView } from "./sso-saml-types.ts";
import { reauth } from "./sso-signin.ts";

/**
 * SAML routes: the admin settings under /api/v2/sso/saml, and the browser flow under
 * /access/saml (Zendesk's paths): metadata, start, and the assertion consumer service.
 *
 * Form bodies (application/x-www-form-urlencoded) are parsed only inside the encapsulated plugin
 * that holds the ACS: a cross-site HTML form can send that content type without a CORS preflight,
 * so a global form parser would let such forms reach every JSON route.
 */
export async function register(app: FastifyInstance, deps: AppDeps): Promise<void> {
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/sso/saml", operationId: "showSamlSettings", tag: "sso", auth: "user",
    summary: "Vaultdesk: the SAML identity provider's settings and this account's service provider addresses (entity id, ACS URL, metadata URL) (admins).",
    response: z.object({ saml: samlSettingsView }),
    handler: async (ctx, { tenant }) => ({ saml: await showSamlSettings(deps, ctx, tenant) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/sso/saml", operationId: "updateSamlSettings", tag: "sso", auth: "user",
    // A provider (or a JWT secret) signs in as anyone it serves: an old or stolen admin cookie must not make itself one.
    recentSignIn: "change single sign-on",
    summary: "Vaultdesk: sets the SAML identity provider (admins; stored sealed; audited without the values). Which group signs in with it is chosen in sso_settings.",
    body: samlSettingsInput, response: z.object({ saml: samlSettingsView }),
    handler: async (ctx, { body, tenant, req }) => ({ saml: await updateSamlSettings(deps, ctx, tenant, body.saml, sessionHashOf(deps, ctx, sessionCookieOf(req))) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/access/saml/metadata", operationId: "showSamlMetadata", tag: "sso", auth: "anonymous",
    summary: "The service provider's SAML metadata (entity id, ACS URL), from the account's configured address.",
    response: z.string().describe("SAML metadata (XML)"),
    handler: async (_ctx, { tenant, reply }) => {
      reply.header("content-type", "application/samlmetadata+xml; charset=utf-8");
      reply.header("cache-control", "no-cache");
      return Buffer.from(await samlMetadata(deps, tenant), "utf8");
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/access/saml/login", operationId: "startSamlSignIn", tag: "sso", auth: "anonymous", rateLimit: "sso", status: 303,
    summary: "Starts a SAML sign-in: sends the browser to the identity provider with an AuthnRequest (HTTP-Redirect binding). `return_to`: a path of this account to land on. The session counts as a recent sign-in from the assertion's `AuthnInstant`.",
    query: z.object({ return_to: lineText(2000).optional(), reauth }),
    response: z.undefined(),
    handler: async (ctx, { query, tenant, req, reply }) => {
      // One binding secret per browser, kept while it lasts: two tabs signing in at once both finish.
      const existing = req.cookies[BINDING_COOKIE];
      const binding = existing !== undefined && BINDING_PATTERN.test(existing) ? existing : newBinding();
      const location = await startSamlSignIn(deps, ctx, tenant, query.return_to, binding, query.reauth === "1");
      reply.setCookie(BINDING_COOKIE, binding, { httpOnly: true, sameSite: "lax", secure: req.protocol === "https", path: "/access/saml", maxAge: 15 * 60 });
      return new Redirect(location);
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/access/saml/complete", operationId: "completeSamlSignIn", tag: "sso", auth: "anonymous", rateLimit: "sso", status: 303,
    summary: "The last step of a SAML sign-in, where the assertion consumer service sends the browser: only the browser that started the sign-in (its cookie) finishes it; sets the session cookie and sends the browser on.",
    query: z.object({ token: z.string().max(100).regex(/^[A-Za-z0-9_-]+$/, "is not a sign-in token") }),
    response: z.undefined(),
    handler: async (ctx, { query, req, reply }) => {
      const r = await completeSamlSignIn(deps, ctx, query.token, req.cookies[BINDING_COOKIE]);
      if (!("session" in r)) return r;
      setSessionCookie(reply, req, r.session);
      reply.clearCookie(BINDING_COOKIE, { path: "/access/saml" });
      return new Redirect(r.location);
    },
  });
  await app.register(async (scoped) => {
    await scoped.register(formbody, { bodyLimit: MAX_RESPONSE_BASE64 + 10_000 });
    defineRoute(scoped, deps, {
      method: "POST", url: "/access/saml", operationId: "consumeSamlResponse", tag: "sso", auth: "anonymous", rateLimit: "sso", status: 303,
      summary: "The SAML assertion consumer service (HTTP-POST binding): checks the identity provider's signed answer and sends the browser to /access/saml/complete, where the browser that started the sign-in finishes it.",
      body: z.object({ SAMLResponse: z.string().min(1).max(MAX_RESPONSE_BASE64), RelayState: z.string().max(2000).optional() }),
      response: z.undefined(),
      // Signatures are checked before the transaction opens (XML canonicalisation and RSA).
      prepare: ({ body, inTenant, tenant }) => checkSamlResponse(deps, inTenant, tenant, body.SAMLResponse),
      handler: async (ctx, { prepared }) => {
        const r = await consumeSamlResponse(deps, ctx, prepared);
        return "location" in r ? new Redirect(r.location) : r;
      },
    });
  });
}
