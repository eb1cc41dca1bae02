import { z } from "zod";
import { lineText } from "../../platform/schemas.ts";
import { claimName, providerUrl } from "./sso-claims.ts";

/** OpenID Connect settings: what is stored (sealed, through the single sign-on layer) and what the API shows. */

const clientId = lineText(255).pipe(z.string().min(1, "cannot be blank"));
const clientSecret = z.string().min(1).max(1000).regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces");
const scopes = z.string().max(500).regex(/^openid( [\x21-\x7e]+)*$/, "must start with openid, space-separated");

const EMAIL_VERIFIED_REQUIRED =
  "Refuse a sign-in unless the provider says the address is verified (`email_verified: true`). Applies when the address comes from the `email` claim, which that claim is about. Default true; turn it off only for a provider that never sends it and whose addresses its organization assigns.";

/** The stored document (sealed JSON). Settings stored before `email_verified_required` existed read as true. */
export const oidcConfig = z.object({
  issuer: providerUrl,
  client_id: clientId,
  client_secret: clientSecret,
  scopes: scopes.default("openid email profile"),
  email_claim: claimName.default("email"),
  name_claim: claimName.default("name"),
  email_verified_required: z.boolean().default(true),
});
export type OidcConfig = z.infer<typeof oidcConfig>;

/** What OpenID Connect settings trust (sso-service.ts TrustChange): the issuer, and the client its tokens are for and its secret (which HS256 ID tokens are signed with). */
export const trustOfOidc = (c: OidcConfig | undefined): string[] => (c ? [`issuer:${c.issuer}`, `client:${c.client_id}`, `secret:${c.client_secret}`] : []);

/** What an admin sends: the secret only to set or change it (omitted: kept). */
export const oidcInput = z.strictObject({
  enabled: z.boolean(),
  issuer: providerUrl,
  client_id: clientId,
  client_secret: clientSecret.optional().describe("Write-only: never answered. Omit to keep the one set."),
  scopes: scopes.optional(),
  email_claim: claimName.optional(),
  name_claim: claimName.optional(),
  email_verified_required: z.boolean().optional().describe(EMAIL_VERIFIED_REQUIRED),
});
export type OidcInput = z.infer<typeof oidcInput>;

export const oidcView = z.object({
  enabled: z.boolean(),
  issuer: z.string().nullable(),
  client_id: z.string().nullable(),
  client_secret_set: z.boolean().describe("Whether a client secret is stored (it is never answered)."),
  scopes: z.string(),
  email_claim: z.string(),
  name_claim: z.string(),
  email_verified_required: z.boolean().describe(EMAIL_VERIFIED_REQUIRED),
  redirect_uri: z.string().describe("The address to register at the identity provider as this client's redirect URI."),
});
export type OidcView = z.infer<typeof oidcView>;
