import formbody from "@fastify/formbody";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../../platform/deps.ts";
import { defineRoute, Redirect } from "../../platform/http/route.ts";
import { publicIdParam } from "../../platform/schemas.ts";
import { sessionCookieOf } from "./identity-http.ts";
import { sessionHashOf } from "./identity-service.ts";
import * as oauth from "./oauth-service.ts";
import { authorizationQuery, clientInput, clientPatch, clientView, clientWithSecret, consentInput, consentView, oauthTokenView, tokenAnswer, tokenRequest } from "./oauth-types.ts";
import { oauthUpkeep } from "./oauth-upkeep.ts";

/**
 * OAuth 2.0 for third-party clients, at Zendesk's paths: clients under /api/v2/oauth/clients
 * (admins), the authorization endpoint `GET /oauth/authorizations/new`, the token endpoint
 * `POST /oauth/tokens`, and the people's authorized apps under /api/v2/oauth/tokens. The consent
 * page of the web app reads and answers /api/v2/oauth/consent in the person's session. Every
 * /oauth and /api/v2/oauth route is a credential route (scopes.ts): OAuth tokens never reach them.
 */
export async function registerOAuthRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  for (const task of oauthUpkeep(deps)) deps.jobs.maintain(task);
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/oauth/clients", operationId: "listOAuthClients", tag: "oauth", auth: "user",
    summary: "The account's OAuth clients (admins).",
    response: z.object({ clients: z.array(clientView), count: z.number() }),
    handler: async (ctx) => {
      const clients = await oauth.listOAuthClients(ctx);
      return { clients, count: clients.length };
    },
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/oauth/clients/:id", operationId: "showOAuthClient", tag: "oauth", auth: "user",
    params: publicIdParam, response: z.object({ client: clientView }),
    handler: async (ctx, { params }) => ({ client: await oauth.showOAuthClient(ctx, params.id) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/oauth/clients", operationId: "createOAuthClient", tag: "oauth", auth: "user",
    recentSignIn: "register an OAuth client",
    summary: "Registers an OAuth client (admins; audited): unique name and identifier, exact redirect URIs (https, or http to the loopback), `kind` public (PKCE only, the default) or confidential (the secret in this answer once).",
    body: z.strictObject({ client: clientInput }), response: z.object({ client: clientWithSecret }),
    handler: async (ctx, { body }) => {
      const r = await oauth.createOAuthClient(deps, ctx, body.client);
      return { client: { ...r.client, ...(r.secret ? { secret: r.secret } : {}) } };
    },
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/oauth/clients/:id", operationId: "updateOAuthClient", tag: "oauth", auth: "user",
    summary: "Changes an OAuth client (admins; audited). The kind cannot change.",
    params: publicIdParam, body: z.strictObject({ client: clientPatch }), response: z.object({ client: clientView }),
    handler: async (ctx, { params, body }) => ({ client: await oauth.updateOAuthClient(ctx, params.id, body.client) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/oauth/clients/:id/generate_secret", operationId: "generateOAuthClientSecret", tag: "oauth", auth: "user",
    recentSignIn: "generate an OAuth client secret",
    summary: "A new secret for a confidential client (admins; audited), in this answer once; the old one stops working.",
    params: publicIdParam, response: z.object({ client: clientWithSecret }),
    handler: async (ctx, { params }) => {
      const r = await oauth.regenerateOAuthClientSecret(deps, ctx, params.id);
      return { client: { ...r.client, secret: r.secret } };
    },
  });
  defineRoute(app, deps, {
    method: "DELETE", url: "/api/v2/oauth/clients/:id", operationId: "deleteOAuthClient", tag: "oauth", auth: "user",
    summary: "Deletes an OAuth client (admins; audited): every token issued to it stops working.",
    params: publicIdParam, response: z.undefined(), status: 204,
    handler: async (ctx, { params }) => {
      await oauth.deleteOAuthClient(ctx, params.id);
    },
  });

  defineRoute(app, deps, {
    method: "GET", url: "/oauth/authorizations/new", operationId: "startOAuthAuthorization", tag: "oauth", auth: "anonymous", rateLimit: "sso", status: 302,
    summary: "The authorization endpoint (authorization code, PKCE S256 required). A known client and registered redirect URI: 302 to the consent page (or to the redirect URI with an RFC 6749 error); otherwise 400, an error page, never a redirect.",
    query: authorizationQuery, response: z.undefined().describe("302: the browser is sent on (Location)."),
    handler: async (ctx, { query }) => new Redirect(await oauth.startAuthorization(ctx, query)),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/oauth/consent", operationId: "showOAuthConsent", tag: "oauth", auth: "user",
    summary: "Vaultdesk: what the consent page shows for an authorization request (the signed-in person's session only): the client and the scopes in words.",
    query: authorizationQuery, response: z.object({ consent: consentView }),
    handler: async (ctx, { query }) => ({ consent: await oauth.showConsent(ctx, query) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/oauth/consent", operationId: "decideOAuthConsent", tag: "oauth", auth: "user", rateLimit: "sso", status: 200,
    summary: "Vaultdesk: the person allows or denies an authorization request (session and CSRF header; audited). `redirect_to` carries the code, or access_denied, to the client's redirect URI.",
    body: consentInput, response: z.object({ redirect_to: z.string() }),
    handler: async (ctx, { body, req }) => {
      const { allowed, ...q } = body;
      return { redirect_to: await oauth.decideConsent(deps, ctx, q, allowed, sessionHashOf(deps, ctx, sessionCookieOf(req))) };
    },
  });

  // The token endpoint takes form posts (RFC 6749) and JSON (Zendesk): parsers in a context of
  // their own, so that no other route accepts a form.
  await app.register(async (scoped) => {
    scoped.removeAllContentTypeParsers();
    await scoped.register(formbody, { bodyLimit: 16_384 });
    scoped.addContentTypeParser("application/json", { parseAs: "string", bodyLimit: 16_384 }, scoped.getDefaultJsonParser("error", "error"));
    defineRoute(scoped, deps, {
      method: "POST", url: "/oauth/tokens", operationId: "createOAuthToken", tag: "oauth", auth: "anonymous", rateLimit: "sso", status: 200,
      summary: "The token endpoint: grant_type authorization_code (with code_verifier) or refresh_token (rotated; a used one presented again revokes every token of its authorization). Form-encoded or JSON; a confidential client authenticates with HTTP Basic or client_secret. Errors answer RFC 6749 §5.2 bodies.",
      body: tokenRequest, response: tokenAnswer,
      handler: async (ctx, { body, req, reply }) => {
        reply.header("Cache-Control", "no-store");
        return oauth.exchangeToken(deps, ctx, body, req.headers.authorization);
      },
    });
  });

  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/oauth/tokens", operationId: "listOAuthTokens", tag: "oauth", auth: "user",
    summary: "Authorized apps: the live OAuth authorizations (one per consent, however often its tokens were refreshed) — everyone's for admins, one's own for anyone else.",
    response: z.object({ tokens: z.array(oauthTokenView), count: z.number() }),
    handler: async (ctx) => {
      const tokens = await oauth.listOAuthTokens(ctx);
      return { tokens, count: tokens.length };
    },
  });
  defineRoute(app, deps, {
    method: "DELETE", url: "/api/v2/oauth/tokens/:id", operationId: "revokeOAuthToken", tag: "oauth", auth: "user",
    summary: "Revokes an authorization (audited): its access and refresh tokens stop working at once.",
    params: publicIdParam, response: z.undefined(), status: 204,
    handler: async (ctx, { params }) => {
      await oauth.revokeOAuthToken(ctx, params.id);
    },
  });
}
