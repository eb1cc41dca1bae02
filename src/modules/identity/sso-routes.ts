import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { AppDeps } from "../../platform/deps.ts";
import { defineRoute } from "../../platform/http/route.ts";
import { sessionCookieOf } from "./identity-http.ts";
import { sessionHashOf } from "./identity-service.ts";
import { MAPPABLE_ROLES, showSsoSettings, signInOptions, ssoUpkeep, updateSsoSettings, type SsoSettings } from "./sso-service.ts";

const kind = z.enum(["saml", "oidc", "jwt"]);
const roleValues = z.array(z.string().min(1).max(200)).max(50);
const roleMap = z.strictObject(Object.fromEntries(MAPPABLE_ROLES.map((r) => [r, roleValues.optional()])) as Record<(typeof MAPPABLE_ROLES)[number], z.ZodOptional<typeof roleValues>>);

const settingsFields = {
  staff_provider: kind.nullable().describe("The identity provider staff sign in with (`saml`, `oidc`, `jwt`), or null for none. It must be set up and enabled."),
  end_user_provider: kind.nullable().describe("The identity provider end users sign in with, or null for none."),
  staff_sso_only: z.boolean().describe("Staff sign in only through the provider: password sign-in and reset are off for them. Account owners keep their password with a second factor (required before this can be turned on)."),
  end_users_sso_only: z.boolean().describe("End users sign in only through the provider: passwords, password reset and e-mailed sign-in links are off for them."),
  jit_users: z.boolean().describe("A person the provider vouches for and this account does not know yet is created at first sign-in (as an end user, or the mapped role)."),
  role_attribute: z.string().max(200).nullable().describe("The attribute or claim whose value gives the role, through `role_map`; null leaves roles to Vaultdesk."),
  role_map: roleMap.describe("For each role, the attribute values that give it (the first role in the order admin, agent, light_agent, end_user that matches wins). Owners are never changed by a mapping."),
};
const settingsView = z.object({
  ...settingsFields,
  role_map: z.record(z.string(), z.array(z.string())),
  providers: z.array(z.object({ kind: z.string(), enabled: z.boolean(), updated_at: z.string() })).describe("The providers set up, enabled or not."),
});
const ssoChoice = z
  .object({
    kind: z.string(),
    start_path: z.string(),
    sign_out_url: z.string().nullable().describe("JWT's remote logout URL, where the pages send the group after signing out (null: none, or another protocol)."),
  })
  .nullable();
const optionsView = z.object({
  sign_in_options: z.object({
    staff: z.object({ password: z.boolean(), sso: ssoChoice }),
    end_users: z.object({ password: z.boolean(), sign_in_links: z.boolean(), sso: ssoChoice }),
  }),
});

export function registerSsoRoutes(app: FastifyInstance, deps: AppDeps): void {
  for (const task of ssoUpkeep(deps)) deps.jobs.maintain(task);
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/sso_settings", operationId: "showSsoSettings", tag: "sso", auth: "user",
    summary: "Vaultdesk: who signs in through which identity provider, SSO only, just-in-time users and role mapping (admins).",
    response: z.object({ sso_settings: settingsView }),
    handler: async (ctx) => ({ sso_settings: await showSsoSettings(ctx) }),
  });
  defineRoute(app, deps, {
    method: "PUT", url: "/api/v2/sso_settings", operationId: "updateSsoSettings", tag: "sso", auth: "user",
    // A provider (or a JWT secret) signs in as anyone it serves: an old or stolen admin cookie must not make itself one.
    recentSignIn: "change single sign-on",
    summary: "Vaultdesk: changes the single sign-on settings (admins; audited).",
    body: z.strictObject({ sso_settings: z.strictObject(settingsFields).partial() }),
    response: z.object({ sso_settings: settingsView }),
    handler: async (ctx, { body, req }) => ({ sso_settings: await updateSsoSettings(ctx, body.sso_settings as Partial<SsoSettings>, sessionHashOf(deps, ctx, sessionCookieOf(req))) }),
  });
  defineRoute(app, deps, {
    method: "GET", url: "/api/v2/sign_in_options", operationId: "showSignInOptions", tag: "sso", auth: "anonymous",
    summary: "Vaultdesk: the ways in the sign-in pages offer, for staff and for end users (password, e-mailed links, the identity provider and its start path).",
    response: optionsView,
    handler: async (ctx) => ({ sign_in_options: await signInOptions(ctx) }),
  });
}
