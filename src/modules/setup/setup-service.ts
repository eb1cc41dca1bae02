import crypto from "node:crypto";
import type { Database } from "../../platform/db/database.ts";
import type { Keyring } from "../../platform/crypto/keyring.ts";
import { AppError } from "../../platform/errors.ts";
import { checkPasswordPolicy } from "../identity/identity-service.ts";
import { createTenant, listTenants } from "../tenants/tenants-service.ts";

/**
 * First run: while no account exists, the server prints a one-time setup token on its console
 * (like a notebook server's token). Only someone who can read that console can create the first
 * account, so nobody else on the network can claim a fresh install. Once an account exists the
 * setup endpoint answers 404.
 */
export class SetupGate {
  readonly #tokenHash: Buffer;
  #done = false;

  constructor(readonly token: string = crypto.randomBytes(24).toString("base64url")) {
    this.#tokenHash = crypto.createHash("sha256").update(token).digest();
  }

  async needed(db: Database): Promise<boolean> {
    if (this.#done) return false;
    const any = (await listTenants(db)).length > 0;
    if (any) this.#done = true;
    return !any;
  }

  check(token: string): boolean {
    const h = crypto.createHash("sha256").update(token).digest();
    return crypto.timingSafeEqual(h, this.#tokenHash);
  }

  async createFirstAccount(
    db: Database,
    keyring: Keyring,
    input: { token: string; subdomain: string; ownerName: string; ownerEmail: string; password: string; teamName?: string | undefined },
  ): Promise<{ subdomain: string }> {
    if (!(await this.needed(db))) throw new AppError("InvalidEndpoint", { description: "Setup is finished: an account exists." });
    if (!this.check(input.token)) throw new AppError("Forbidden", { description: "The setup token is not correct. Copy it from the server's console." });
    checkPasswordPolicy(input.password, input.ownerEmail);
    const t = await createTenant(db, keyring, { subdomain: input.subdomain, ownerEmail: input.ownerEmail, ownerName: input.ownerName, password: input.password, onlyIfFirst: true, teamName: input.teamName });
    this.#done = true;
    return { subdomain: t.subdomain };
  }
}
