import crypto from "node:crypto";
import { z } from "zod";
import { lineText } from "../../platform/schemas.ts";

/**
 * The SAML settings of a tenant (stored sealed, one JSON document, through the shared single
 * sign-on layer) and their API shapes.
 */

const httpUrl = z
  .string()
  .trim()
  .max(2000)
  .refine((s) => {
    try {
      const u = new URL(s);
      return (u.protocol === "https:" || u.protocol === "http:") && !u.username && !u.password;
    } catch {
      return false;
    }
  }, "must be an http(s) URL");

/** An entity id: a URL or a URN, one line. */
const entityId = lineText(1024).pipe(z.string().trim().min(1, "cannot be blank"));

/** An X.509 certificate, PEM or bare base64 (as IdP metadata carries it); stored as PEM. */
const certificate = z
  .string()
  .max(20_000)
  .transform((s, ctx) => {
    const b64 = s.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, "");
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
      ctx.addIssue({ code: "custom", message: "is not a certificate (PEM or base64)" });
      return z.NEVER;
    }
    try {
      new crypto.X509Certificate(Buffer.from(b64, "base64"));
    } catch {
      ctx.addIssue({ code: "custom", message: "is not a valid X.509 certificate" });
      return z.NEVER;
    }
    return `-----BEGIN CERTIFICATE-----\n${b64.replace(/(.{64})/g, "$1\n").replace(/\n$/, "")}\n-----END CERTIFICATE-----\n`;
  });

const attributeName = lineText(512).pipe(z.string().trim().min(1, "cannot be blank"));

/** What the IdP must sign: the Response, the Assertion, or both. There is no "nothing". */
export const signedParts = z.enum(["response", "assertion", "both"]);

export const samlConfigStored = z.strictObject({
  idp_entity_id: entityId,
  idp_sso_url: httpUrl,
  idp_certificates: z.array(certificate).min(1).max(2),
  email_attribute: attributeName.nullable(),
  name_attribute: attributeName.nullable(),
  signed: signedParts,
  allow_idp_initiated: z.boolean(),
});

/** What SAML settings trust (sso-service.ts TrustChange): the IdP's entity id and each certificate its signatures are checked with (adding one for a rollover withdraws nothing). */
export const trustOfSaml = (c: z.infer<typeof samlConfigStored> | undefined): string[] => (c ? [`entity:${c.idp_entity_id}`, ...c.idp_certificates.map((pem) => `certificate:${pem}`)] : []);
export type SamlConfigStored = z.output<typeof samlConfigStored>;

export const samlSettingsInput = z.strictObject({
  saml: z.strictObject({
    enabled: z.boolean().describe("Whether SAML sign-in is on (which group uses it is chosen in sso_settings)."),
    idp_entity_id: entityId.describe("The identity provider's entity id (its Issuer)."),
    idp_sso_url: httpUrl.describe("The identity provider's single sign-on URL (HTTP-Redirect binding)."),
    idp_certificates: z.array(certificate).min(1).max(2).describe("The IdP's signing certificate(s), PEM or base64; two while the IdP rotates its key."),
    email_attribute: attributeName.nullable().optional().describe("The attribute holding the e-mail address; null: the NameID (an e-mail address)."),
    name_attribute: attributeName.nullable().optional().describe("The attribute holding the person's name; null: none."),
    signed: signedParts.optional().describe("What the IdP must sign: response, assertion (the default) or both."),
    allow_idp_initiated: z.boolean().optional().describe("Accept sign-in started at the IdP (no InResponseTo). Off by default: it cannot be tied to a sign-in started here."),
  }),
});

const certificateView = z.object({ subject: z.string(), fingerprint_sha256: z.string(), valid_from: z.string(), valid_to: z.string() });

export const samlSettingsView = z.object({
  enabled: z.boolean(),
  configured: z.boolean(),
  idp_entity_id: z.string().nullable(),
  idp_sso_url: z.string().nullable(),
  idp_certificates: z.array(z.string()),
  certificates: z.array(certificateView),
  email_attribute: z.string().nullable(),
  name_attribute: z.string().nullable(),
  signed: signedParts,
  allow_idp_initiated: z.boolean(),
  sp_entity_id: z.string(),
  acs_url: z.string(),
  metadata_url: z.string(),
});
export type SamlSettingsView = z.output<typeof samlSettingsView>;

export function describeCertificate(pem: string): z.output<typeof certificateView> {
  const c = new crypto.X509Certificate(pem);
  return { subject: c.subject, fingerprint_sha256: c.fingerprint256, valid_from: new Date(c.validFrom).toISOString(), valid_to: new Date(c.validTo).toISOString() };
}
