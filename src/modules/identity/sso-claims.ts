import { z } from "zod";
import { lineText } from "../../platform/schemas.ts";

/** Pure helpers shared by the OpenID Connect and JWT sign-ins. */

const LOOPBACK = new Set(["127.0.0.1", "[::1]", "localhost"]);

/**
 * An address of the tenant's identity provider or sign-in application: https, or http on this
 * machine's loopback only (a provider run beside the server). No credentials, no fragment.
 */
export const providerUrl = lineText(2000).refine((s) => {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return false;
  }
  if (u.username || u.password || u.hash) return false;
  return u.protocol === "https:" || (u.protocol === "http:" && LOOPBACK.has(u.hostname));
}, "must be an https:// address (http:// only on this machine's loopback), without user name, password or #fragment");

/** A claim's name (`email`, `groups`, `https://example.com/roles`). */
export const claimName = z.string().min(1).max(200).regex(/^[\x21-\x7e]+$/, "is not a claim name");

/** The short reason a refused single sign-on gives (the audit and the answer name it; nothing more). */
export const REFUSAL_REASONS = [
  "not_configured",
  "invalid_state",
  "provider_error",
  "provider_unreachable",
  "provider_misconfigured",
  "code_rejected",
  "id_token_rejected",
  "email_missing",
  "email_unverified",
  "invalid_token",
  "expired",
  "stale",
  "too_long",
  "replayed",
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** Claims as attributes: strings and lists of strings only, bounded (role mapping reads them). */
export function attributesOf(claims: Record<string, unknown>, skip: readonly string[] = []): Record<string, readonly string[]> {
  const out: Record<string, readonly string[]> = {};
  for (const [k, v] of Object.entries(claims).slice(0, 100)) {
    if (skip.includes(k) || k.length > 200) continue;
    if (typeof v === "string" && v.length <= 2000) out[k] = [v];
    else if (typeof v === "number" || typeof v === "boolean") out[k] = [String(v)];
    else if (Array.isArray(v)) {
      const list = v.filter((x): x is string => typeof x === "string" && x.length <= 2000).slice(0, 100);
      if (list.length) out[k] = list;
    }
  }
  return out;
}

/** An e-mail address from a claim (what the provider vouches for), or undefined when it is not one. */
export function emailClaim(v: unknown): string | undefined {
  if (typeof v !== "string" || v.length > 254) return undefined;
  return /^[^\s@<>()[\]\\,;:"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(v) ? v.toLowerCase() : undefined;
}

/** A display name from a claim: one line, at most 255 characters, else undefined. */
export function nameClaim(v: unknown): string | undefined {
  if (typeof v !== "string") return undefined;
  const s = v.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]/g, " ").trim().slice(0, 255);
  return s || undefined;
}
