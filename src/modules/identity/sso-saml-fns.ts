import crypto from "node:crypto";
import type { Profile, SAML, SamlConfig } from "@node-saml/node-saml";
import type { SamlConfigStored } from "./sso-saml-types.ts";

// node-saml, loaded at its first use (about half a second of a server's start, which only
// accounts with SAML sign-in need), with its own XML helpers (the parser and XPath it verifies
// signatures with): the Response's Destination is read from the same tree node-saml checked, not
// from a second parser.
let samlLoaded: Promise<[typeof import("@node-saml/node-saml"), typeof import("@node-saml/node-saml/lib/xml.js")]> | undefined;
const samlLib = () => (samlLoaded ??= Promise.all([import("@node-saml/node-saml"), import("@node-saml/node-saml/lib/xml.js")]));

/**
 * SAML 2.0 Web Browser SSO, service provider side, pure protocol (no database): the AuthnRequest
 * (HTTP-Redirect binding), the SP metadata, and the checks of a Response posted to the assertion
 * consumer service (HTTP-POST binding).
 *
 * What must stay true (docs/security-model.md, "SAML single sign-on"):
 * - a signature is required (the Response, the Assertion, or both, as configured; at least one
 *   always), verified against the configured IdP certificates only: never a certificate or key
 *   carried in the message (node-saml ignores KeyInfo when given `idpCert`);
 * - exactly one assertion, and only what the signature covers is read (node-saml hands back the
 *   verified XML; a wrapped or second assertion is refused);
 * - Issuer = the configured IdP entity id; Audience = the SP entity id; the bearer
 *   SubjectConfirmation's Recipient and the Response's Destination (when present) = the ACS URL;
 *   NotBefore/NotOnOrAfter of the conditions and of the confirmation hold, with CLOCK_SKEW_MS;
 * - no comment, DOCTYPE or processing instruction anywhere in the message (a comment inside a
 *   NameID is how an attacker truncates a signed value in parsers that read one text node).
 * The caller then checks InResponseTo against its pending requests and records the assertion id
 * (replays), both in the database.
 */

/** How far the IdP's clock and ours may disagree (NotBefore / NotOnOrAfter). */
export const CLOCK_SKEW_MS = 3 * 60_000;
/** A SAMLResponse is a few kilobytes; anything much larger is refused before it is parsed. */
export const MAX_RESPONSE_BASE64 = 200_000;
const BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
const EMAIL_FORMAT = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";

export type SpEndpoints = { entityId: string; acsUrl: string; metadataUrl: string };

/** The SP's entity id and ACS URL, from the tenant's configured origin (never from a request's headers). */
export function spEndpoints(tenantOrigin: string): SpEndpoints {
  return { entityId: `${tenantOrigin}/access/saml/metadata`, acsUrl: `${tenantOrigin}/access/saml`, metadataUrl: `${tenantOrigin}/access/saml/metadata` };
}

/** Why a response was refused: a short code (in the answer and the audit trail) and a sentence. */
export class SamlRefusal extends Error {
  constructor(
    readonly reason: SamlReason,
    readonly sentence: string,
  ) {
    super(reason);
    this.name = "SamlRefusal";
  }
}

export type SamlReason =
  | "saml_not_configured"
  | "saml_malformed"
  | "saml_forbidden_xml"
  | "saml_idp_error"
  | "saml_signature"
  | "saml_multiple_assertions"
  | "saml_issuer"
  | "saml_audience"
  | "saml_recipient"
  | "saml_destination"
  | "saml_expired"
  | "saml_not_yet_valid"
  | "saml_no_subject"
  | "saml_no_email"
  | "saml_unsolicited"
  | "saml_unknown_request"
  | "saml_replayed"
  | "saml_other_browser";

export const REASON_SENTENCES: Record<SamlReason, string> = {
  saml_not_configured: "SAML single sign-on is not set up for this account.",
  saml_malformed: "The identity provider's answer could not be read.",
  saml_forbidden_xml: "The identity provider's answer contains XML comments, a DOCTYPE or processing instructions, which are refused.",
  saml_idp_error: "The identity provider did not sign you in.",
  saml_signature: "The identity provider's answer is not signed as required by a certificate configured here.",
  saml_multiple_assertions: "The identity provider's answer carries more than one assertion.",
  saml_issuer: "The answer comes from another identity provider than the one configured.",
  saml_audience: "The answer was meant for another service provider.",
  saml_recipient: "The answer was sent for another address than this account's sign-in address.",
  saml_destination: "The answer was addressed to another address than this account's sign-in address.",
  saml_expired: "The answer has expired; sign in again.",
  saml_not_yet_valid: "The answer is not valid yet; check the identity provider's clock.",
  saml_no_subject: "The answer names nobody (no NameID in a bearer subject confirmation).",
  saml_no_email: "The answer carries no e-mail address.",
  saml_unsolicited: "Sign-in started at the identity provider is not allowed here; start from the sign-in page.",
  saml_unknown_request: "This answer does not match a sign-in started here, or that sign-in was already used or has expired; sign in again.",
  saml_replayed: "This answer was already used; sign in again.",
  saml_other_browser: "This sign-in was started in another browser; start it again here.",
};

const refuse = (reason: SamlReason): SamlRefusal => new SamlRefusal(reason, REASON_SENTENCES[reason]);

async function samlFor(config: SamlConfigStored, sp: SpEndpoints): Promise<SAML> {
  const [{ SAML, ValidateInResponseTo }] = await samlLib();
  const options: SamlConfig = {
    issuer: sp.entityId,
    callbackUrl: sp.acsUrl,
    audience: sp.entityId,
    entryPoint: config.idp_sso_url,
    idpCert: config.idp_certificates,
    wantAuthnResponseSigned: config.signed !== "assertion",
    wantAssertionsSigned: config.signed !== "response",
    acceptedClockSkewMs: CLOCK_SKEW_MS,
    // InResponseTo is checked against the database by the caller (sso_requests), not node-saml's memory.
    validateInResponseTo: ValidateInResponseTo.never,
    identifierFormat: null,
    disableRequestedAuthnContext: true,
    signatureAlgorithm: "sha256",
    generateUniqueId: () => `_${crypto.randomBytes(20).toString("hex")}`,
  };
  return new SAML(options);
}

/**
 * A new AuthnRequest: its id (kept for InResponseTo) and the IdP URL to send the browser to
 * (HTTP-Redirect binding). `reauth`: ForceAuthn, the IdP authenticates the person anew rather than
 * answer from a sign-in of its own (SAML core 3.4.1).
 */
export async function authnRequest(config: SamlConfigStored, sp: SpEndpoints, relayState: string, reauth = false): Promise<{ id: string; location: string }> {
  const id = `_${crypto.randomBytes(20).toString("hex")}`;
  const saml = await samlFor(config, sp);
  saml.options.generateUniqueId = () => id;
  saml.options.forceAuthn = reauth;
  const location = await saml.getAuthorizeUrlAsync(relayState, undefined, {});
  return { id, location };
}

/** The SP's metadata document (unsigned: it carries no secret, and the IdP admin loads it once). */
export async function spMetadata(sp: SpEndpoints): Promise<string> {
  const [{ SAML }] = await samlLib();
  const saml = new SAML({ issuer: sp.entityId, callbackUrl: sp.acsUrl, idpCert: "unused", wantAssertionsSigned: true, identifierFormat: null });
  return saml.generateServiceProviderMetadata(null, null);
}

export type VerifiedAssertion = {
  assertionId: string;
  /** When the assertion stops being valid (the earliest NotOnOrAfter): the replay record lives until then plus the skew. */
  notOnOrAfter: Date;
  /** The request it answers (signed, from the bearer confirmation), or undefined for IdP-initiated sign-in. */
  inResponseTo: string | undefined;
  subject: string;
  email: string;
  name: string | undefined;
  /** When the IdP authenticated the person (AuthnStatement's AuthnInstant): a recent sign-in counts from it. */
  authnInstant: Date | undefined;
  attributes: Record<string, readonly string[]>;
};

/** node-saml reports by message only; this maps its messages to our reason codes (anything else: a signature failure). */
function reasonOfLibraryError(err: unknown): SamlReason {
  const m = err instanceof Error ? err.message : "";
  if (err instanceof Error && err.name === "SamlStatusError") return "saml_idp_error";
  if (/multiple assertions/i.test(m)) return "saml_multiple_assertions";
  if (/audience|AudienceRestriction/i.test(m)) return "saml_audience";
  if (/not yet valid/i.test(m)) return "saml_not_yet_valid";
  if (/expired/i.test(m)) return "saml_expired";
  if (/Missing SAML assertion|Unknown SAML response|NotBefore|NotOnOrAfter|Invalid date|non-whitespace|unclosed|parse|xml/i.test(m) && !/signature/i.test(m)) return "saml_malformed";
  return "saml_signature";
}

const text = (v: unknown): string | undefined => {
  if (typeof v === "string") return v;
  if (v && typeof v === "object" && "_" in v && typeof (v as { _: unknown })._ === "string") return (v as { _: string })._;
  return undefined;
};
/** xml2js objects of node-saml's parsed assertion (an untyped tree). */
type Node = { $?: Record<string, string>; _?: string } & Record<string, unknown>;
const first = (v: unknown): Node | undefined => (Array.isArray(v) ? (v[0] as Node | undefined) : undefined);
const all = (v: unknown): Node[] => (Array.isArray(v) ? (v as Node[]) : []);

/**
 * SAML's times are xs:dateTime in UTC with the "Z" (SAML 2.0 Core, 1.3.3). Anything else (a time
 * without a zone, which `Date.parse` would read in the server's own zone; a bare number; a date
 * alone) is refused as malformed rather than guessed at. Fractions beyond milliseconds are dropped.
 */
const SAML_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/;
function timeOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = SAML_TIME.exec(value);
  const t = m ? Date.parse(`${m[1]}.${(m[2] ?? "").padEnd(3, "0").slice(0, 3)}Z`) : NaN;
  // Date.parse rolls some impossible days over (31 April is 1 May): those are refused too.
  if (!m || !Number.isFinite(t) || new Date(t).toISOString().slice(0, 19) !== m[1]) throw refuse("saml_malformed");
  return t;
}

/**
 * Checks a posted SAMLResponse (base64) and returns the identity it proves, or throws a
 * SamlRefusal. `now` is the server's clock (node-saml reads the same system clock for the
 * conditions it checks).
 */
export async function verifyResponse(config: SamlConfigStored, sp: SpEndpoints, samlResponse: string, now: Date): Promise<VerifiedAssertion> {
  if (samlResponse.length > MAX_RESPONSE_BASE64 || !/^[A-Za-z0-9+/=\s]+$/.test(samlResponse)) throw refuse("saml_malformed");
  const xml = Buffer.from(samlResponse, "base64").toString("utf8");
  if (!xml.includes("Response")) throw refuse("saml_malformed");
  // Comments, DTDs and processing instructions have no place in a SAML message; refusing them
  // closes comment-injection truncation (CVE-2017-11427 family) and entity tricks at once.
  const body = xml.replace(/^\uFEFF?\s*<\?xml[^?]*\?>/, "");
  if (/<!--|<!DOCTYPE|<!ENTITY|<\?/i.test(body)) throw refuse("saml_forbidden_xml");

  let profile: Profile | null;
  try {
    ({ profile } = await (await samlFor(config, sp)).validatePostResponseAsync({ SAMLResponse: samlResponse }));
  } catch (err) {
    throw refuse(reasonOfLibraryError(err));
  }
  if (!profile) throw refuse("saml_malformed");

  // The Response's Destination: when present it must be our ACS (when the Response is signed it is covered).
  const [, { parseDomFromString, xpath }] = await samlLib();
  let doc: Awaited<ReturnType<typeof parseDomFromString>>;
  try {
    doc = await parseDomFromString(xml);
  } catch {
    throw refuse("saml_malformed");
  }
  const destination = xpath.selectAttributes(doc, "/*[local-name()='Response']/@Destination")[0]?.nodeValue ?? undefined;
  if (destination !== undefined && destination !== sp.acsUrl) throw refuse("saml_destination");
  const responseInResponseTo = xpath.selectAttributes(doc, "/*[local-name()='Response']/@InResponseTo")[0]?.nodeValue ?? undefined;

  // From here on, only the signed assertion node-saml verified.
  const assertion = (profile.getAssertion?.() as { Assertion?: Node } | undefined)?.Assertion;
  if (!assertion) throw refuse("saml_malformed");
  const assertionId = assertion.$?.ID;
  if (!assertionId || assertionId.length > 256) throw refuse("saml_malformed");
  if (text(first(assertion.Issuer)) !== config.idp_entity_id) throw refuse("saml_issuer");

  const subject = first(assertion.Subject);
  const nameIdNode = first(subject?.NameID);
  const nameId = text(nameIdNode)?.trim();
  if (!subject || !nameId) throw refuse("saml_no_subject");
  // A bearer confirmation whose Recipient is our ACS and whose window holds (SAML profiles 4.1.4.2).
  const nowMs = now.getTime();
  const bearers = all(subject.SubjectConfirmation).filter((c) => c.$?.Method === BEARER);
  if (bearers.length === 0) throw refuse("saml_no_subject");
  const datas = bearers.map((c) => first(c.SubjectConfirmationData)?.$ ?? {});
  const forUs = datas.filter((d) => d.Recipient === sp.acsUrl);
  if (forUs.length === 0) throw refuse("saml_recipient");
  let confirmation: Record<string, string> | undefined;
  let lastReason: SamlReason = "saml_expired";
  for (const d of forUs) {
    const notOnOrAfter = timeOf(d.NotOnOrAfter);
    const notBefore = timeOf(d.NotBefore);
    if (notOnOrAfter === undefined || nowMs - CLOCK_SKEW_MS >= notOnOrAfter) {
      lastReason = "saml_expired";
      continue;
    }
    if (notBefore !== undefined && nowMs + CLOCK_SKEW_MS < notBefore) {
      lastReason = "saml_not_yet_valid";
      continue;
    }
    confirmation = d;
    break;
  }
  if (!confirmation) throw refuse(lastReason);
  const conditions = first(assertion.Conditions)?.$ ?? {};
  const ends = [timeOf(confirmation.NotOnOrAfter), timeOf(conditions.NotOnOrAfter)].filter((t): t is number => t !== undefined);
  const notOnOrAfter = new Date(Math.min(...ends));

  const inResponseTo = confirmation.InResponseTo;
  // The Response's InResponseTo (signed only when the Response is) must not contradict the assertion's.
  if (responseInResponseTo !== undefined && responseInResponseTo !== inResponseTo) throw refuse("saml_unknown_request");

  const attributes: Record<string, string[]> = {};
  for (const statement of all(assertion.AttributeStatement)) {
    for (const attr of all(statement.Attribute)) {
      const name = attr.$?.Name;
      if (!name || name.length > 512) continue;
      const values = all(attr.AttributeValue).map(text).filter((v): v is string => v !== undefined);
      (attributes[name] ??= []).push(...values.slice(0, 100));
    }
  }
  const nameIdFormat = nameIdNode?.$?.Format;
  const email = (config.email_attribute ? attributes[config.email_attribute]?.[0] : undefined) ?? (nameIdFormat === EMAIL_FORMAT || /^[^\s@]+@[^\s@]+$/.test(nameId) ? nameId : undefined);
  if (!email) throw refuse("saml_no_email");
  const name = config.name_attribute ? attributes[config.name_attribute]?.[0] : undefined;
  // When the IdP authenticated the person (the latest AuthnStatement's AuthnInstant), if it says.
  const instants = all(assertion.AuthnStatement).map((s) => timeOf(s.$?.AuthnInstant)).filter((t): t is number => t !== undefined);
  const authnInstant = instants.length > 0 ? new Date(Math.max(...instants)) : undefined;
  return { assertionId, notOnOrAfter, inResponseTo, subject: nameId, email: email.trim(), name, attributes, authnInstant };
}
