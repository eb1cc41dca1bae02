import formbody from "@fastify/formbody";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../../platform/deps.ts";
import { defineRoute, Redirect } from "../../platform/http/route.ts";
import { lineText } from "../../platform/schemas.ts";
import { setSessionCookie } from "./identity-http.ts";
import { MAX_RESPONSE_BASE64 } from "./sso-saml-fns.ts";
import { checkSamlResponse, consumeSamlResponse, samlMetadata, showSamlSettings, startSamlSignIn, updateSamlSettings } from "./sso-saml-service.ts";
import { samlSettingsInput, samlSettingsView } from "./sso-saml-types.ts";

/**
 * SAML routes: the admin settings under /api/v2/saml_settings, and the browser flow under
 * /access/saml (Zendesk's paths): metadata, start, and the assertion consumer service.
 *
 * Form bodies (application/x-www-form-urlencoded) are parsed only inside the encapsulated plugin
 * that holds the ACS: a cross-site HTML form can send that content type without a CORS preflight,
 * so a global form parser would let such forms reach every JSON route.
 */
export async function register(app: FastifyInstance, deps: AppDeps): Promise<void> {
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/saml_settings", operationId: "showSamlSettings", tag: "sso", auth: "user",
    summary: "Vaultdesk: the SAML identity provider's settings and this account's service provider addresses (entity id, ACS URL, metadata URL) (admins).",
    response: z.object({ saml_settings: samlSettingsView }),
    handler: async (ctx, { tenant }) => ({ saml_settings: await showSamlSettings(deps, ctx, tenant) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/saml_settings", operationId: "updateSamlSettings", tag: "sso", auth: "user",
    summary: "Vaultdesk: sets the SAML identity provider (admins; stored sealed; audited without the values). Which group signs in with it is chosen in sso_settings.",
    body: samlSettingsInput, response: z.object({ saml_settings: samlSettingsView }),
    handler: async (ctx, { body, tenant }) => ({ saml_settings: await updateSamlSettings(deps, ctx, tenant, body.saml_settings) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/access/saml/metadata", operationId: "showSamlMetadata", tag: "sso", auth: "anonymous",
    summary: "The service provider's SAML metadata (entity id, ACS URL), from the account's configured address.",
    response: z.string().describe("SAML metadata (XML)"),
    handler: async (_ctx, { tenant, reply }) => {
      reply.header("content-type", "application/samlmetadata+xml; charset=utf-8");
      reply.header("cache-control", "no-cache");
      return Buffer.from(samlMetadata(deps, tenant), "utf8");
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/access/saml/login", operationId: "startSamlSignIn", tag: "sso", auth: "anonymous", rateLimit: "signin", status: 303,
    summary: "Starts a SAML sign-in: sends the browser to the identity provider with an AuthnRequest (HTTP-Redirect binding). `return_to`: a path of this account to land on.",
    query: z.object({ return_to: lineText(2000).optional() }),
    response: z.undefined(),
    handler: async (ctx, { query, tenant }) => new Redirect(await startSamlSignIn(deps, ctx, tenant, query.return_to)),
  });
  await app.register(async (scoped) => {
    await scoped.register(formbody, { bodyLimit: MAX_RESPONSE_BASE64 + 10_000 });
    defineRoute(scoped, deps, {
      method: "POST", url: "/access/saml", operationId: "consumeSamlResponse", tag: "sso", auth: "anonymous", rateLimit: "signin", status: 303,
      summary: "The SAML assertion consumer service (HTTP-POST binding): checks the identity provider's signed answer, signs the person in (session cookie) and sends the browser on.",
      body: z.object({ SAMLResponse: z.string().min(1).max(MAX_RESPONSE_BASE64), RelayState: z.string().max(2000).optional() }),
      response: z.undefined(),
      // Signatures are checked before the transaction opens (XML canonicalisation and RSA).
      prepare: ({ body, inTenant, tenant }) => checkSamlResponse(deps, inTenant, tenant, body.SAMLResponse),
      handler: async (ctx, { prepared, req, reply }) => {
        const r = await consumeSamlResponse(deps, ctx, prepared);
        if (!("session" in r)) return r;
        setSessionCookie(reply, req, r.session);
        return new Redirect(r.location);
      },
    });
  });
}
