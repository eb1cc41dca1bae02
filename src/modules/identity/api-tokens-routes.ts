import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { isoDate, name, publicIdParam } from "../../platform/schemas.ts";
import type { AppDeps } from "../../platform/deps.ts";
import { defineRoute } from "../../platform/http/route.ts";
import { ALL_SCOPES } from "../../platform/http/scopes.ts";
import * as service from "./api-tokens-service.ts";
import { sessionCookieOf } from "./identity-http.ts";
import { sessionHashOf } from "./identity-service.ts";

const tokenView = z.object({
  id: z.number(),
  name: z.string(),
  // The vocabulary as an enum, so the OpenAPI document (and the web app's types) name every scope.
  scopes: z.array(z.enum(ALL_SCOPES as [string, ...string[]])),
  user_id: z.number(),
  created_at: z.string(),
  expires_at: z.string().nullable().describe("Vaultdesk: when the token stops working (null: never)."),
  last_used_at: z.string().nullable().describe("The last use, written at most once a minute."),
  last_used_ip: z.string().nullable().describe("Vaultdesk: the client address of the last use (stored sealed)."),
  rotated_at: z.string().nullable().describe("Vaultdesk: the last rotation."),
  previous_token_expires_at: z.string().nullable().describe("Vaultdesk: until when the secret replaced by the last rotation still works (null: it does not)."),
  active: z.boolean().describe("Neither revoked nor expired."),
  can_rotate: z.boolean().describe("Vaultdesk: whether the caller may rotate it (its own person only; admins revoke other people's)."),
});
/** A scope's name; whether it is one is checked against the vocabulary, which names an unknown one. */
const scopeName = z.string().min(1).max(64).regex(/^[\x21-\x7e]+$/, "is not a scope name");

export function registerApiTokenRoutes(app: FastifyInstance, deps: AppDeps): void {
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/api_tokens", operationId: "listApiTokens", tag: "api_tokens", auth: "user",
    summary: "Admins: every token; other staff: their own. With expiry, last use (time and address) and rotation.",
    response: z.object({ api_tokens: z.array(tokenView) }),
    handler: async (ctx) => ({ api_tokens: await service.listApiTokens(ctx) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/api_tokens", operationId: "createApiToken", tag: "api_tokens", auth: "user",
    summary: `Creates a named token; the secret is in the response once and never again. On a session, within 15 minutes of signing in (else 403 \`RecentSignInRequired\`: sign in again). \`scopes\`: any of ${ALL_SCOPES.join(", ")} (default read, write). \`expires_at\`: in the future, at most ${service.MAX_EXPIRY_DAYS} days ahead (default: never).`,
    body: z.strictObject({
      api_token: z.strictObject({ name, scopes: z.array(scopeName).min(1).max(32).optional(), expires_at: isoDate.nullable().optional() }),
    }),
    response: z.object({ api_token: tokenView.extend({ token: z.string() }) }),
    handler: async (ctx, { body, req }) => {
      const r = await service.createApiToken(deps, ctx, { name: body.api_token.name, scopes: body.api_token.scopes, expiresAt: body.api_token.expires_at }, sessionHashOf(deps, ctx, sessionCookieOf(req)));
      return { api_token: { ...r.token, token: r.secret } };
    },
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/api_tokens/:id/rotate", operationId: "rotateApiToken", tag: "api_tokens", auth: "user", status: 200,
    recentSignIn: "rotate an API token",
    summary: `Vaultdesk: a new secret for the token, in the response once (on a session, within 15 minutes of signing in, else 403 \`RecentSignInRequired\`). The replaced secret keeps working for \`overlap_hours\` (default ${service.DEFAULT_OVERLAP_HOURS}, 0 to ${service.MAX_OVERLAP_HOURS}); rotating again ends that overlap at once.`,
    params: publicIdParam,
    body: z.strictObject({ overlap_hours: z.number().int().min(0).max(service.MAX_OVERLAP_HOURS).optional() }).nullish(),
    response: z.object({ api_token: tokenView.extend({ token: z.string() }) }),
    handler: async (ctx, { params, body }) => {
      const r = await service.rotateApiToken(deps, ctx, params.id, body?.overlap_hours);
      return { api_token: { ...r.token, token: r.secret } };
    },
  });
  defineRoute(app, deps, {
    method: "DELETE", url: "/api/v2/api_tokens/:id", operationId: "revokeApiToken", tag: "api_tokens", auth: "user",
    params: publicIdParam, response: z.undefined(), status: 204,
    handler: async (ctx, { params }) => { await service.revokeApiToken(deps, ctx, params.id); },
  });

  const apiSettingsView = z.object({ password_access: z.boolean().describe("Basic `email:password` reaches the API (Zendesk's Password access); off by default.") });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/api_settings", operationId: "showApiSettings", tag: "api_tokens", auth: "user",
    summary: "Vaultdesk: the tenant's API settings (admins).",
    response: z.object({ api_settings: apiSettingsView }),
    handler: async (ctx) => ({ api_settings: await service.showApiSettings(ctx) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/api_settings", operationId: "updateApiSettings", tag: "api_tokens", auth: "user",
    // Password access opens the API to every password: only soon after a sign-in.
    recentSignIn: "change password access to the API",
    summary: "Vaultdesk: turns password access to the API on or off (admins; audited).",
    body: z.strictObject({ api_settings: apiSettingsView.partial().strict() }),
    response: z.object({ api_settings: apiSettingsView }),
    handler: async (ctx, { body }) => ({ api_settings: await service.updateApiSettings(ctx, body.api_settings) }),
  });
}
