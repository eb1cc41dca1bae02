import { z } from "zod";
import { providerUrl } from "./sso-claims.ts";

/** JWT single sign-on settings (Zendesk's "JSON Web Token" SSO): stored sealed, shown without secrets. */

/** A shared secret: at least 32 printable characters (256 bits when generated here). */
const sharedSecret = z.string().min(32, "must be at least 32 characters").max(512).regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces");

export const jwtConfig = z.object({
  /** Null only before the first save (a secret generated first). */
  remote_login_url: providerUrl.nullable(),
  remote_logout_url: providerUrl.nullable().default(null),
  shared_secret: sharedSecret,
  /** The previous secret, accepted too while the customer's application moves to the new one. */
  rotation_secret: sharedSecret.nullable().default(null),
});
export type JwtConfig = z.infer<typeof jwtConfig>;

/** What JWT settings trust (sso-service.ts TrustChange): the secrets a token may be signed with. */
export const trustOfJwt = (c: JwtConfig | undefined): string[] => (c ? [c.shared_secret, ...(c.rotation_secret ? [c.rotation_secret] : [])].map((secret) => `secret:${secret}`) : []);

export const jwtInput = z.strictObject({
  enabled: z.boolean(),
  remote_login_url: providerUrl,
  remote_logout_url: providerUrl.nullable().optional(),
  shared_secret: sharedSecret.optional().describe("Write-only: never answered. Omit to keep the one set; POST /api/v2/sso/jwt/secret generates one."),
  remove_rotation_secret: z.boolean().optional().describe("Stop accepting the previous secret (end of a rotation)."),
});
export type JwtInput = z.infer<typeof jwtInput>;

export const jwtView = z.object({
  enabled: z.boolean(),
  remote_login_url: z.string().nullable(),
  remote_logout_url: z.string().nullable(),
  shared_secret_set: z.boolean().describe("Whether a shared secret is stored (it is never answered)."),
  rotation_secret_set: z.boolean().describe("Whether the previous secret is still accepted (a rotation in progress)."),
  sign_in_url: z.string().describe("Where the customer's application sends the token (GET or POST, parameter `jwt`)."),
});
export type JwtView = z.infer<typeof jwtView>;

/** The token a sign-in carries, and where to go afterwards. Bounded: a token is a few hundred bytes. */
export const jwtSignInInput = z.object({
  jwt: z.string().max(8192).regex(/^[A-Za-z0-9_\-.=]*$/, "is not a JSON Web Token").optional(),
  return_to: z.string().max(2000).optional(),
});
