import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/**
 * The root of the key hierarchy. A provider wraps and unwraps tenant data keys; it never hands
 * out the master key itself. The file provider below is the embedded default; a cloud KMS or an
 * HSM implements the same interface (wrap/unwrap by key id) without the rest of the code knowing.
 */
export interface MasterKeyProvider {
  readonly id: string;
  wrap(plain: Buffer, aad: string): Promise<Buffer>;
  unwrap(wrapped: Uint8Array, aad: string): Promise<Buffer>;
  /** Derives a secret for a named purpose (token hashing pepper): never a tenant data key. */
  derive(purpose: string): Buffer;
}

const WRAP_VERSION = 1;

export class LocalMasterKey implements MasterKeyProvider {
  readonly id = "local";
  readonly #wrapKey: Buffer;
  readonly #root: Buffer;

  constructor(root: Buffer) {
    if (root.length !== 32) throw new Error("master key must be 32 bytes");
    this.#root = root;
    this.#wrapKey = Buffer.from(crypto.hkdfSync("sha256", root, Buffer.alloc(0), "vaultdesk/key-wrap/v1", 32));
  }

  async wrap(plain: Buffer, aad: string): Promise<Buffer> {
    const iv = crypto.randomBytes(12);
    const c = crypto.createCipheriv("aes-256-gcm", this.#wrapKey, iv);
    c.setAAD(Buffer.from(aad, "utf8"));
    const body = Buffer.concat([c.update(plain), c.final()]);
    return Buffer.concat([Buffer.from([WRAP_VERSION]), iv, body, c.getAuthTag()]);
  }

  async unwrap(wrapped: Uint8Array, aad: string): Promise<Buffer> {
    const buf = Buffer.from(wrapped.buffer, wrapped.byteOffset, wrapped.byteLength);
    if (buf[0] !== WRAP_VERSION || buf.length < 1 + 12 + 16) throw new Error("unknown wrapped key format");
    const iv = buf.subarray(1, 13);
    const tag = buf.subarray(buf.length - 16);
    const d = crypto.createDecipheriv("aes-256-gcm", this.#wrapKey, iv);
    d.setAAD(Buffer.from(aad, "utf8"));
    d.setAuthTag(tag);
    return Buffer.concat([d.update(buf.subarray(13, buf.length - 16)), d.final()]);
  }

  derive(purpose: string): Buffer {
    return Buffer.from(crypto.hkdfSync("sha256", this.#root, Buffer.alloc(0), `vaultdesk/derive/${purpose}`, 32));
  }
}

/**
 * Loads the master key from VAULTDESK_MASTER_KEY, or from `<dataDir>/master.key`, creating that
 * file (mode 0600) with 32 random bytes on first start.
 */
export function loadMasterKey(dataDir: string, fromEnv: string | undefined): { provider: LocalMasterKey; created: boolean } {
  if (fromEnv) return { provider: new LocalMasterKey(Buffer.from(fromEnv, "base64")), created: false };
  const file = path.join(dataDir, "master.key");
  if (fs.existsSync(file)) {
    const mode = fs.statSync(file).mode & 0o077;
    if (mode !== 0) throw new Error(`${file} is readable by other users; run: chmod 600 ${file}`);
    const text = fs.readFileSync(file, "utf8").trim();
    const key = Buffer.from(text, "base64");
    if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key`);
    return { provider: new LocalMasterKey(key), created: false };
  }
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = crypto.randomBytes(32);
  fs.writeFileSync(file, key.toString("base64") + "\n", { mode: 0o600, flag: "wx" });
  return { provider: new LocalMasterKey(key), created: true };
}
