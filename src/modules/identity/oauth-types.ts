import { z } from "zod";
import { lineText, longText, name } from "../../platform/schemas.ts";

/** Schemas of the OAuth routes (oauth-routes.ts): bounded inputs and allowlisted answers. */

const uri = z.string().min(1).max(2000);

export const clientView = z.object({
  id: z.number(), url: z.string(), name: z.string(), identifier: z.string(), description: z.string(), company: z.string(),
  redirect_uri: z.array(z.string()), kind: z.enum(["public", "confidential"]), user_id: z.number(), created_at: z.string(), updated_at: z.string(),
});
export const clientWithSecret = clientView.extend({ secret: z.string().optional().describe("A confidential client's secret: in this answer once, never again.") });

const identifier = z.string().min(1).max(100).regex(/^[a-z0-9][a-z0-9_.-]*$/, "use lowercase letters, digits, dots, dashes and underscores");
const clientFields = {
  name,
  identifier,
  description: longText(2000).optional(),
  company: lineText(255).optional(),
  redirect_uri: z.array(uri).min(1).max(10),
};
export const clientInput = z.strictObject({ ...clientFields, kind: z.enum(["public", "confidential"]).default("public") });
export const clientPatch = z.strictObject(clientFields).partial();
export type ClientInput = z.output<typeof clientInput>;
export type ClientPatch = z.output<typeof clientPatch>;

const param = (max: number) => z.string().max(max).optional();
/** The parameters of an authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3), all bounded. */
export const authorizationQuery = z.object({
  response_type: param(20),
  client_id: param(100),
  redirect_uri: param(2000),
  scope: param(1000),
  state: param(500),
  code_challenge: param(128),
  code_challenge_method: param(10),
});
export type AuthorizationQuery = z.output<typeof authorizationQuery>;

export const consentInput = authorizationQuery.extend({ allowed: z.boolean() }).strict();
export const consentView = z.object({
  client: z.object({ name: z.string(), identifier: z.string(), company: z.string(), description: z.string() }),
  scopes: z.array(z.object({ scope: z.string(), description: z.string() })),
  redirect_uri: z.string(),
  remembered: z.boolean().describe("Vaultdesk: the person gave this confidential client these scopes before (a grant not revoked, its code exchanged): the page goes on without asking again. Always false for a public client."),
});

/** The token request (RFC 6749 §4.1.3, §6; RFC 7636 §4.5), form-encoded or JSON. Unknown fields are ignored, as RFC 6749 §3.2 asks. */
export const tokenRequest = z.object({
  grant_type: param(50),
  code: param(200),
  redirect_uri: param(2000),
  code_verifier: param(128),
  client_id: param(100),
  client_secret: param(200),
  refresh_token: param(200),
  scope: param(1000),
});
export type TokenRequest = z.output<typeof tokenRequest>;
export const tokenAnswer = z.object({ access_token: z.string(), token_type: z.literal("Bearer"), expires_in: z.number(), refresh_token: z.string(), scope: z.string() });

export const oauthTokenView = z.object({
  id: z.number(), url: z.string(), client_id: z.number(), client_name: z.string(), user_id: z.number(), scopes: z.array(z.string()),
  created_at: z.string(), expires_at: z.string().nullable(), used_at: z.string().nullable(),
});
