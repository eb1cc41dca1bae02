import crypto from "node:crypto";

/**
 * The first-run secret: while no account exists, the server prints this token on its console (as
 * a notebook server does), and only someone who can read that console can create the first
 * account. Only its SHA-256 is kept for the comparison, which takes constant time.
 */
export class SetupToken {
  readonly #hash: Buffer;
  #done = false;

  constructor(readonly token: string = crypto.randomBytes(24).toString("base64url")) {
    this.#hash = crypto.createHash("sha256").update(token).digest();
  }

  /** True once an account exists: the token then opens nothing. */
  get done(): boolean {
    return this.#done;
  }

  finish(): void {
    this.#done = true;
  }

  check(candidate: string): boolean {
    const h = crypto.createHash("sha256").update(candidate).digest();
    return crypto.timingSafeEqual(h, this.#hash);
  }
}
