import formbody from "@fastify/formbody";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../../platform/deps.ts";
import { CommitThenFail } from "../../platform/errors.ts";
import { defineRoute, Redirect } from "../../platform/http/route.ts";
import { sessionCookieOf, setSessionCookie } from "./identity-http.ts";
import { sessionHashOf } from "./identity-service.ts";
import { generateJwtSecret, remoteLoginLocation, showJwtSettings, signInWithJwt, updateJwtSettings } from "./sso-jwt-service.ts";
import { jwtInput, jwtSignInInput, jwtView } from "./sso-jwt-types.ts";
import { redirected, returnTo } from "./sso-signin.ts";

/**
 * JWT single sign-on (Zendesk's paths): /access/jwt takes the token by GET or form POST,
 * /access/jwt/login sends the browser to the customer's application, and the admins' settings are
 * under /api/v2/sso/jwt. Refusals answer 4xx with a short reason code and are audited; the token
 * travels only in a query string or form body, which the request log never records.
 */

export async function registerJwtRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  // The sign-in itself takes form posts from the customer's application: a form parser in a
  // context of its own, so that no other route ever accepts a cross-site form (nor JSON here).
  await app.register(async (scoped) => {
    scoped.removeAllContentTypeParsers();
    await scoped.register(formbody, { bodyLimit: 16_384 });
    for (const method of ["GET", "POST"] as const) {
      defineRoute(scoped, deps, {
        method, url: "/access/jwt", operationId: method === "GET" ? "signInWithJwt" : "signInWithJwtForm", tag: "sso", auth: "anonymous", rateLimit: "sso", status: 303,
        summary: `Vaultdesk (Zendesk's JWT SSO): a token signed by the customer's application (HS256, the shared secret) opens a session, then the browser goes to return_to (a path of this site, or an address on it) or the landing page. ${method === "POST" ? "Form-encoded body." : "Query string."} A refusal answers 401 with a reason code.`,
        ...(method === "GET" ? { query: jwtSignInInput } : { body: jwtSignInInput }),
        response: redirected,
        handler: async (ctx, { query, body, reply, req, tenant }) => {
          const input = (method === "GET" ? query : body) as z.output<typeof jwtSignInInput> | undefined;
          const r = await signInWithJwt(deps, ctx, tenant, input?.jwt, input?.return_to);
          if (r instanceof CommitThenFail) return r;
          setSessionCookie(reply, req, r.session);
          return new Redirect(r.location);
        },
      });
    }
  });
  defineRoute(app, deps, {
    method: "GET", url: "/access/jwt/login", operationId: "startJwtSignIn", tag: "sso", auth: "anonymous", rateLimit: "sso", status: 303,
    summary: "Vaultdesk: sends the browser to the customer's remote login URL with `return_to` (an address of this site). 404 when JWT sign-in is not set up.",
    query: z.object({ return_to: returnTo }), response: redirected,
    handler: async (ctx, { tenant, query }) => new Redirect(await remoteLoginLocation(deps, ctx, tenant, query.return_to)),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/sso/jwt", operationId: "showJwtSettings", tag: "sso", auth: "user",
    summary: "Vaultdesk: the JWT single sign-on settings (admins). Secrets are never answered, only whether they are set.",
    response: z.object({ jwt: jwtView }),
    handler: async (ctx, { tenant }) => ({ jwt: await showJwtSettings(deps, ctx, tenant) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/sso/jwt", operationId: "updateJwtSettings", tag: "sso", auth: "user",
    // A provider (or a JWT secret) signs in as anyone it serves: an old or stolen admin cookie must not make itself one.
    recentSignIn: "change single sign-on",
    summary: "Vaultdesk: saves the JWT single sign-on settings (admins; audited without values). The shared secret is write-only; `remove_rotation_secret` ends a rotation.",
    body: z.strictObject({ jwt: jwtInput }), response: z.object({ jwt: jwtView }),
    handler: async (ctx, { tenant, body, req }) => ({ jwt: await updateJwtSettings(deps, ctx, tenant, body.jwt, sessionHashOf(deps, ctx, sessionCookieOf(req))) }),
  });
  defineRoute(app, deps, {
    method: "POST", url: "/api/v2/sso/jwt/secret", operationId: "generateJwtSecret", tag: "sso", auth: "user",
    // A provider (or a JWT secret) signs in as anyone it serves: an old or stolen admin cookie must not make itself one.
    recentSignIn: "change single sign-on",
    summary: "Vaultdesk: generates a new shared secret (256 bits), answered only now; the current one stays accepted as the rotation secret until removed.",
    response: z.object({ shared_secret: z.string().describe("Shown once."), jwt: jwtView }),
    handler: async (ctx, { tenant, req }) => {
      const r = await generateJwtSecret(deps, ctx, tenant, sessionHashOf(deps, ctx, sessionCookieOf(req)));
      return { shared_secret: r.shared_secret, jwt: r.settings };
    },
  });
}
