import crypto from "node:crypto";

/**
 * One-request passes for the operator's support access (modules/support). The operator's command
 * line asks the server to perform one API request as a tenant's support user; the server mints a
 * pass for it, sends the request through its own routing (`app.inject`) with
 * `Authorization: VaultdeskSupport <pass>`, and the authenticator takes the pass back: so every
 * route's policies, scopes and audit apply exactly as for any other request.
 *
 * A pass lives only in this process's memory (never in the database, never in a log), is good for
 * one request, within a few seconds, in the one tenant it was minted for; only its SHA-256 is kept.
 * Whether the grant behind it is still live is checked again when the pass is used.
 */
export const SUPPORT_PASS_SCHEME = "VaultdeskSupport";
const PASS_LIFETIME_MS = 30_000;

export type SupportPass = { tenantId: string; grantId: string };

export class SupportPasses {
  private readonly passes = new Map<string, SupportPass & { until: number }>();

  /** A new pass for one request in `tenantId` under the grant `grantId`. */
  mint(pass: SupportPass): string {
    this.sweep();
    const secret = crypto.randomBytes(32).toString("base64url");
    this.passes.set(hash(secret), { ...pass, until: performance.now() + PASS_LIFETIME_MS });
    return secret;
  }

  /** Takes a pass back (it is spent either way); undefined when it is unknown or too old. */
  take(secret: string): SupportPass | undefined {
    const key = hash(secret);
    const p = this.passes.get(key);
    this.passes.delete(key);
    if (!p || p.until < performance.now()) return undefined;
    return { tenantId: p.tenantId, grantId: p.grantId };
  }

  private sweep(): void {
    const now = performance.now();
    for (const [k, p] of this.passes) if (p.until < now) this.passes.delete(k);
  }
}

const hash = (s: string) => crypto.createHash("sha256").update(s).digest("hex");

/** The pass in an `Authorization` header, when the header carries one. */
export function supportPassOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const [scheme, value] = header.split(" ", 2);
  return scheme === SUPPORT_PASS_SCHEME && value && value.length <= 100 ? value : undefined;
}
