import crypto from "node:crypto";
import zlib from "node:zlib";
// node-saml's own signing (xml-crypto underneath), reached through the dependency tree already installed.
import { signXml } from "@node-saml/node-saml/lib/xml.js";
import type { KeyPair } from "./simplesamlphp.ts";

/**
 * SAML Responses written by the test (an attacker, or an IdP that got something wrong), signed
 * with xml-crypto through node-saml's `signXml` — or not signed at all. Each field can be set
 * wrong on purpose.
 */

export type ForgeOptions = {
  issuer: string;
  audience: string;
  recipient: string;
  destination?: string | undefined;
  inResponseTo?: string | undefined;
  nameId: string;
  email: string;
  name?: string;
  notBefore?: Date;
  notOnOrAfter?: Date;
  assertionId?: string;
  /** The AuthnStatement's AuthnInstant (default: now; a string is written as it is); null: no AuthnStatement at all. */
  authnInstant?: Date | string | null;
  /** What to sign, and with which key (undefined: nothing signed). */
  sign?: { key: KeyPair; parts: "assertion" | "response" | "both" } | undefined;
};

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/"/g, "&quot;");

export function assertionXml(o: ForgeOptions): string {
  const now = new Date();
  const notBefore = o.notBefore ?? new Date(now.getTime() - 30_000);
  const notOnOrAfter = o.notOnOrAfter ?? new Date(now.getTime() + 5 * 60_000);
  const id = o.assertionId ?? `_a${crypto.randomBytes(16).toString("hex")}`;
  const irt = o.inResponseTo ? ` InResponseTo="${esc(o.inResponseTo)}"` : "";
  return (
    `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${id}" Version="2.0" IssueInstant="${iso(now)}">` +
    `<saml:Issuer>${esc(o.issuer)}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">${esc(o.nameId)}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${iso(notOnOrAfter)}" Recipient="${esc(o.recipient)}"${irt}/></saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${iso(notBefore)}" NotOnOrAfter="${iso(notOnOrAfter)}"><saml:AudienceRestriction><saml:Audience>${esc(o.audience)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    (o.authnInstant === null
      ? ""
      : `<saml:AuthnStatement AuthnInstant="${typeof o.authnInstant === "string" ? esc(o.authnInstant) : iso(o.authnInstant ?? now)}" SessionIndex="_s${crypto.randomBytes(8).toString("hex")}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>`) +
    `<saml:AttributeStatement>` +
    `<saml:Attribute Name="email" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic"><saml:AttributeValue>${esc(o.email)}</saml:AttributeValue></saml:Attribute>` +
    (o.name ? `<saml:Attribute Name="displayName" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:basic"><saml:AttributeValue>${esc(o.name)}</saml:AttributeValue></saml:Attribute>` : "") +
    `</saml:AttributeStatement></saml:Assertion>`
  );
}

const signOpts = (k: KeyPair) => ({ privateKey: k.key, publicCert: k.cert, signatureAlgorithm: "sha256" as const, digestAlgorithm: "sha256" as const });

export function signAssertion(xml: string, key: KeyPair): string {
  return signXml(xml, "//*[local-name(.)='Assertion']", { reference: "//*[local-name(.)='Assertion']/*[local-name(.)='Issuer']", action: "after" }, signOpts(key));
}

export function responseXml(o: ForgeOptions, assertion?: string): string {
  let a = assertion ?? assertionXml(o);
  if (!assertion && o.sign && o.sign.parts !== "response") a = signAssertion(a, o.sign.key);
  const irt = o.inResponseTo ? ` InResponseTo="${esc(o.inResponseTo)}"` : "";
  const dest = o.destination === undefined ? "" : ` Destination="${esc(o.destination)}"`;
  let xml =
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r${crypto.randomBytes(16).toString("hex")}" Version="2.0" IssueInstant="${iso(new Date())}"${dest}${irt}>` +
    `<saml:Issuer>${esc(o.issuer)}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
    a +
    `</samlp:Response>`;
  if (o.sign && o.sign.parts !== "assertion") {
    xml = signXml(xml, "/*[local-name(.)='Response']", { reference: "/*[local-name(.)='Response']/*[local-name(.)='Issuer']", action: "after" }, signOpts(o.sign.key));
  }
  return xml;
}

export const encode = (xml: string): string => Buffer.from(xml, "utf8").toString("base64");
export const decode = (b64: string): string => Buffer.from(b64, "base64").toString("utf8");

/** The AuthnRequest's ID from an HTTP-Redirect binding URL (SAMLRequest is deflated, base64). */
export function requestIdOf(location: string): string {
  const req = new URL(location).searchParams.get("SAMLRequest");
  if (!req) throw new Error(`no SAMLRequest in ${location}`);
  const xml = zlib.inflateRawSync(Buffer.from(req, "base64")).toString("utf8");
  const m = /\bID="([^"]+)"/.exec(xml);
  if (!m) throw new Error(`no ID in ${xml}`);
  return m[1]!;
}
