import zlib from "node:zlib";
import { describe, expect, it } from "vitest";
import { makeKeyPair } from "./support/simplesamlphp.ts";
import { assertionXml, encode, responseXml, signAssertion, type ForgeOptions } from "./support/saml-forge.ts";
import { authnRequest, spEndpoints, verifyResponse, type SamlReason } from "../src/modules/identity/sso-saml-fns.ts";
import type { SamlConfigStored } from "../src/modules/identity/sso-saml-types.ts";

/**
 * The protocol checks alone (no server, no IdP): each refusal answers its reason. The same attacks
 * run end to end against SimpleSAMLphp in test/peers/saml.test.ts.
 */

const idpKeys = makeKeyPair("unit IdP");
const otherKeys = makeKeyPair("unit attacker");
const sp = spEndpoints("http://acme.localhost:3000");
const config = (over: Partial<SamlConfigStored> = {}): SamlConfigStored => ({
  idp_entity_id: "https://idp.example/entity",
  idp_sso_url: "https://idp.example/sso",
  idp_certificates: [idpKeys.cert],
  email_attribute: "email",
  name_attribute: "displayName",
  signed: "both",
  allow_idp_initiated: false,
  ...over,
});
const base = (over: Partial<ForgeOptions> = {}): ForgeOptions => ({
  issuer: "https://idp.example/entity",
  audience: sp.entityId,
  recipient: sp.acsUrl,
  destination: sp.acsUrl,
  inResponseTo: "_req1",
  nameId: "alice@acme.test",
  email: "alice@acme.test",
  name: "Alice",
  sign: { key: idpKeys, parts: "both" },
  ...over,
});
async function reasonOf(xml: string, c = config()): Promise<SamlReason | "accepted"> {
  try {
    await verifyResponse(c, sp, encode(xml), new Date());
    return "accepted";
  } catch (err) {
    return (err as { reason: SamlReason }).reason;
  }
}

describe("SAML response checks", () => {
  it("accepts a well-formed signed response and reads the identity from the signed assertion", async () => {
    const v = await verifyResponse(config(), sp, encode(responseXml(base())), new Date());
    expect(v).toMatchObject({ subject: "alice@acme.test", email: "alice@acme.test", name: "Alice", inResponseTo: "_req1" });
    expect(v.assertionId).toMatch(/^_a/);
    expect(v.notOnOrAfter.getTime()).toBeGreaterThan(Date.now());
  });

  it("reads when the IdP authenticated the person (AuthnInstant), for a recent sign-in to count from; none without an AuthnStatement", async () => {
    const hourAgo = new Date(Math.floor(Date.now() / 1000) * 1000 - 3600_000);
    expect((await verifyResponse(config(), sp, encode(responseXml(base({ authnInstant: hourAgo }))), new Date())).authnInstant).toEqual(hourAgo);
    expect((await verifyResponse(config(), sp, encode(responseXml(base({ authnInstant: null }))), new Date())).authnInstant).toBeUndefined();
    // xs:dateTime in UTC with its "Z" (fractions allowed); anything looser is malformed, not guessed at.
    const at = (value: string) => verifyResponse(config(), sp, encode(responseXml(base({ authnInstant: value }))), new Date()).then((v) => v.authnInstant?.toISOString());
    const stamp = hourAgo.toISOString().slice(0, 19);
    expect(await at(`${stamp}Z`)).toBe(`${stamp}.000Z`);
    expect(await at(`${stamp}.5Z`)).toBe(`${stamp}.500Z`);
    expect(await at(`${stamp}.123456789Z`)).toBe(`${stamp}.123Z`);
    for (const loose of [stamp, "1", String(Date.now()), stamp.slice(0, 10), `${stamp}+00:00`, `${stamp} Z`, `${stamp}z`, "2026-04-31T10:00:00Z", "2026-13-01T10:00:00Z", `${stamp}.Z`, ` ${stamp}Z`, "Tue, 01 Dec 2026 10:00:00 GMT"]) {
      expect(await reasonOf(responseXml(base({ authnInstant: loose }))), loose).toBe("saml_malformed");
    }
  });

  it("asks the IdP to authenticate anew (ForceAuthn) only when the person signs in again", async () => {
    const request = async (reauth: boolean) => {
      const { location } = await authnRequest(config(), sp, "", reauth);
      return zlib.inflateRawSync(Buffer.from(new URL(location).searchParams.get("SAMLRequest")!, "base64")).toString("utf8");
    };
    expect(await request(true)).toMatch(/ForceAuthn="true"/);
    expect(await request(false)).not.toMatch(/ForceAuthn="true"/);
  });

  it("requires what the settings say is signed", async () => {
    expect(await reasonOf(responseXml(base({ sign: undefined })))).toBe("saml_signature");
    expect(await reasonOf(responseXml(base({ sign: { key: idpKeys, parts: "assertion" } })))).toBe("saml_signature");
    expect(await reasonOf(responseXml(base({ sign: { key: idpKeys, parts: "response" } })))).toBe("saml_signature");
    expect(await reasonOf(responseXml(base({ sign: { key: idpKeys, parts: "assertion" } })), config({ signed: "assertion" }))).toBe("accepted");
    expect(await reasonOf(responseXml(base({ sign: { key: idpKeys, parts: "response" } })), config({ signed: "response" }))).toBe("accepted");
    expect(await reasonOf(responseXml(base({ sign: { key: otherKeys, parts: "both" } })))).toBe("saml_signature");
    // Two certificates during a rotation: either one verifies.
    expect(await reasonOf(responseXml(base({ sign: { key: otherKeys, parts: "both" } })), config({ idp_certificates: [idpKeys.cert, otherKeys.cert] }))).toBe("accepted");
  });

  it("checks issuer, audience, recipient, destination and times", async () => {
    const now = Date.now();
    expect(await reasonOf(responseXml(base({ issuer: "https://evil.example" })))).toBe("saml_issuer");
    expect(await reasonOf(responseXml(base({ audience: "https://evil.example" })))).toBe("saml_audience");
    expect(await reasonOf(responseXml(base({ recipient: "https://evil.example/acs" })))).toBe("saml_recipient");
    expect(await reasonOf(responseXml(base({ destination: "https://evil.example/acs" })))).toBe("saml_destination");
    expect(await reasonOf(responseXml(base({ notBefore: new Date(now - 600_000), notOnOrAfter: new Date(now - 200_000) })))).toBe("saml_expired");
    expect(await reasonOf(responseXml(base({ notBefore: new Date(now + 200_000), notOnOrAfter: new Date(now + 600_000) })))).toBe("saml_not_yet_valid");
    expect(await reasonOf(responseXml(base({ notBefore: new Date(now - 600_000), notOnOrAfter: new Date(now - 100_000) })))).toBe("accepted");
  });

  it("refuses comments, DOCTYPEs, wrapping and a second assertion", async () => {
    const ok = responseXml(base({ sign: { key: idpKeys, parts: "assertion" } }));
    expect(await reasonOf(ok.replace("alice@acme.test</saml:NameID>", "alice@acme.test<!---->.evil.test</saml:NameID>"), config({ signed: "assertion" }))).toBe("saml_forbidden_xml");
    expect(await reasonOf(`<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "y">]>${ok}`, config({ signed: "assertion" }))).toBe("saml_forbidden_xml");
    const signed = /<saml:Assertion\b[\s\S]*<\/saml:Assertion>/.exec(ok)![0];
    const evil = assertionXml(base({ nameId: "mallory@acme.test", email: "mallory@acme.test" }));
    expect(await reasonOf(ok.replace(signed, evil + signed), config({ signed: "assertion" }))).toBe("saml_multiple_assertions");
    expect(await reasonOf(ok.replace(signed, evil.replace("</saml:Subject>", `</saml:Subject><saml:Advice>${signed}</saml:Advice>`)), config({ signed: "assertion" }))).toBe("saml_signature");
    // A signed assertion with a forged one signed by another key next to it.
    const other = signAssertion(evil, otherKeys);
    expect(await reasonOf(ok.replace(signed, other), config({ signed: "assertion" }))).toBe("saml_signature");
  });

  it("refuses garbage as malformed, never with an exception", async () => {
    for (const bad of ["", "<x/>", "<samlp:Response", "\u0000\u0001", "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\"/>"]) {
      const r = await reasonOf(bad);
      expect(r).not.toBe("accepted");
    }
    await expect(verifyResponse(config(), sp, "@@@", new Date())).rejects.toMatchObject({ reason: "saml_malformed" });
  });
});
