import crypto from "node:crypto";
import { isoCBOR } from "@simplewebauthn/server/helpers";

/**
 * A small software authenticator for the API tests: real ES256 keys (node:crypto), real
 * attestation objects (format "none") and real assertions, CBOR through the encoder
 * @simplewebauthn/server already ships. Nothing of the protocol is mocked: the server verifies
 * these exactly as it verifies a browser's answers. Options let a test lie where an attacker
 * would (another origin or RP ID, a counter going backwards, another credential).
 */

export type Credential = { id: Buffer; key: crypto.KeyObject; rpId: string; userHandle: string; counter: number };

type CreationOptions = { challenge: string; rp: { id?: string | undefined }; user: { id: string } };
type RequestOptions = { challenge: string; rpId?: string | undefined; allowCredentials?: Array<{ id: string }> | undefined };

const sha256 = (b: Buffer | string) => crypto.createHash("sha256").update(b).digest();
const b64 = (b: Buffer | Uint8Array) => Buffer.from(b).toString("base64url");
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;

function coseKey(key: crypto.KeyObject): Uint8Array {
  const jwk = crypto.createPublicKey(key).export({ format: "jwk" });
  return isoCBOR.encode(
    new Map<number, number | Uint8Array>([
      [1, 2], // kty: EC2
      [3, -7], // alg: ES256
      [-1, 1], // crv: P-256
      [-2, new Uint8Array(Buffer.from(jwk.x!, "base64url"))],
      [-3, new Uint8Array(Buffer.from(jwk.y!, "base64url"))],
    ]),
  );
}

export class SoftAuthenticator {
  readonly credentials: Credential[] = [];

  constructor(private readonly opts: { userVerified?: boolean; counterStep?: number } = {}) {}

  /** Answers navigator.credentials.create(options) as a browser would (RegistrationResponseJSON). */
  register(options: CreationOptions, as: { origin: string; rpId?: string; type?: string }) {
    const rpId = as.rpId ?? options.rp.id!;
    const { privateKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
    const cred: Credential = { id: crypto.randomBytes(32), key: privateKey, rpId, userHandle: options.user.id, counter: 0 };
    this.credentials.push(cred);
    const clientDataJSON = Buffer.from(JSON.stringify({ type: as.type ?? "webauthn.create", challenge: options.challenge, origin: as.origin, crossOrigin: false }));
    const flags = FLAG_UP | (this.opts.userVerified === false ? 0 : FLAG_UV) | FLAG_BE | FLAG_BS | FLAG_AT;
    const idLen = Buffer.alloc(2);
    idLen.writeUInt16BE(cred.id.length);
    const authData = Buffer.concat([sha256(rpId), Buffer.from([flags]), u32(cred.counter), Buffer.alloc(16), idLen, cred.id, Buffer.from(coseKey(privateKey))]);
    const attestationObject = isoCBOR.encode(new Map<string, string | Uint8Array | Map<string, string>>([["fmt", "none"], ["attStmt", new Map<string, string>()], ["authData", new Uint8Array(authData)]]));
    return {
      id: b64(cred.id),
      rawId: b64(cred.id),
      type: "public-key" as const,
      clientExtensionResults: {},
      authenticatorAttachment: "platform" as const,
      response: { clientDataJSON: b64(clientDataJSON), attestationObject: b64(attestationObject), transports: ["internal" as const] },
    };
  }

  /**
   * Answers navigator.credentials.get(options) (AuthenticationResponseJSON) with `credential` (the
   * newest by default). `counter` sets the signature counter (a clone replays an old one).
   */
  assert(options: RequestOptions, as: { origin: string; rpId?: string; credential?: Credential; counter?: number; userVerified?: boolean; type?: string; challenge?: string }) {
    const cred = as.credential ?? this.credentials[this.credentials.length - 1]!;
    const rpId = as.rpId ?? options.rpId ?? cred.rpId;
    cred.counter = as.counter ?? cred.counter + (this.opts.counterStep ?? 1);
    const clientDataJSON = Buffer.from(JSON.stringify({ type: as.type ?? "webauthn.get", challenge: as.challenge ?? options.challenge, origin: as.origin, crossOrigin: false }));
    const uv = as.userVerified ?? this.opts.userVerified ?? true;
    const authData = Buffer.concat([sha256(rpId), Buffer.from([FLAG_UP | (uv ? FLAG_UV : 0) | FLAG_BE | FLAG_BS]), u32(cred.counter)]);
    const signature = crypto.sign("sha256", Buffer.concat([authData, sha256(clientDataJSON)]), cred.key);
    return {
      id: b64(cred.id),
      rawId: b64(cred.id),
      type: "public-key" as const,
      clientExtensionResults: {},
      authenticatorAttachment: "platform" as const,
      response: { clientDataJSON: b64(clientDataJSON), authenticatorData: b64(authData), signature: b64(signature), userHandle: cred.userHandle },
    };
  }
}
