import { ECDSASigValue } from "@peculiar/asn1-ecc";
import { AsnIntegerArrayBufferConverter, AsnProp, AsnPropTypes } from "@peculiar/asn1-schema";

/**
 * Why this file exists: the installed tree (package-lock.json) has two copies of
 * @peculiar/asn1-schema — 2.6.0 at the top, which @simplewebauthn/server's parser uses, and
 * 2.11.1 nested under @peculiar/asn1-ecc, where the ECDSA signature's ASN.1 schema is declared.
 * Each copy keeps its own schema registry, so verifying any ES256 assertion threw "Cannot get
 * schema for 'ECDSASigValue' target". Declaring the same two INTEGER fields again, through the
 * copy the parser reads, makes the library's own parser work; declaring them twice is harmless
 * (fields are keyed by name), so this stays correct once the lockfile has a single copy
 * (`npm dedupe @peculiar/asn1-schema`), after which this file can go.
 * test/passkeys.test.ts verifies real ES256 assertions through the library.
 */
for (const field of ["r", "s"]) AsnProp({ type: AsnPropTypes.Integer, converter: AsnIntegerArrayBufferConverter })(ECDSASigValue.prototype, field);
